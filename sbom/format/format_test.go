package format

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/vuln/match"
)

var (
	subject = Subject{Name: "127.0.0.1:5000/shop/web:1", Digest: "sha256:4f6c", ToolVersion: "test", Created: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)}
	pkgs    = []sbom.Package{
		{Name: "libssl3", Version: "3.0.11-1~deb12u2", Type: "deb", PURL: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl",
			SourceName: "openssl", SourceVersion: "3.0.11-1~deb12u2", Licenses: []string{"Apache-2.0"}, Location: "/var/lib/dpkg/status", Layer: 0, Extractor: "dpkg"},
		{Name: "stdlib", Version: "1.26.8", Type: "golang", PURL: "pkg:golang/stdlib@1.26.8", Location: "/usr/local/bin/app", Layer: 1, Extractor: "go-binary"},
		{Name: "stdlib", Version: "1.26.8", Type: "golang", PURL: "pkg:golang/stdlib@1.26.8", Location: "/usr/local/bin/other", Layer: 1, Extractor: "go-binary"},
	}
)

// schemaDir is the CycloneDX schemas the cyclonedx-go module ships, in
// the module cache; the test skips without them.
func schemaDir(t *testing.T) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CycloneDX/cyclonedx-go").Output()
	dir := filepath.Join(strings.TrimSpace(string(out)), "schema")
	if err != nil {
		t.Skipf("the CycloneDX schemas are not at hand (go list: %v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bom-1.6.schema.json")); err != nil {
		t.Skipf("the CycloneDX 1.6 schema is not at hand: %v", err)
	}
	return dir
}

// TestCycloneDX validates the BOM against the CycloneDX 1.6 JSON schema.
func TestCycloneDX(t *testing.T) {
	var b bytes.Buffer
	vulns := []match.Finding{{ID: "CVE-2023-5678", Advisories: []string{"DEBIAN-CVE-2023-5678"}, Severity: "high", CVSS: 7.5,
		Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Fixed: []string{"3.0.13-1~deb12u1"}, KEV: true, EPSS: 0.01,
		Package: match.PackageRef{Name: "libssl3", PURL: pkgs[0].PURL, Location: pkgs[0].Location}},
		{ID: "GO-2026-0001", Severity: "unknown", Fixed: []string{}, Package: match.PackageRef{Name: "stdlib", PURL: pkgs[2].PURL, Location: pkgs[2].Location}}}
	if err := WriteCycloneDX(&b, subject, pkgs, vulns...); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"ref": "pkg:golang/stdlib@1.26.8#/usr/local/bin/other"`, `"recommendation": "Upgrade libssl3 to 3.0.13-1~deb12u1"`, `"method": "CVSSv31"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the vulnerabilities lack %s:\n%s", want, b.String())
		}
	}
	dir := schemaDir(t)
	c := jsonschema.NewCompiler()
	for file, id := range map[string]string{"bom-1.6.schema.json": "bom-1.6.schema.json", "spdx.schema.json": "spdx.schema.json",
		"jsf-0.82.schemax.json": "jsf-0.82.schema.json"} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+id, doc); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("not valid CycloneDX 1.6: %v\n%s", err, b.String())
	}
	// The schema does refuse what is not CycloneDX.
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"bomFormat": "SPDX", "specVersion": "1.6"}`))
	if err := sch.Validate(bad); err == nil {
		t.Error("the schema accepts a BOM of format SPDX: it checks nothing")
	}
	var bom struct {
		SpecVersion string
		Metadata    struct {
			Component struct{ Type, Name, Version string }
		}
		Components []struct {
			BOMRef     string `json:"bom-ref"`
			Purl, Name string
			Properties []struct{ Name, Value string }
		}
	}
	if err := json.Unmarshal(b.Bytes(), &bom); err != nil {
		t.Fatal(err)
	}
	if bom.SpecVersion != "1.6" || bom.Metadata.Component.Type != "container" || len(bom.Components) != 3 ||
		bom.Components[2].BOMRef != "pkg:golang/stdlib@1.26.8#/usr/local/bin/other" || bom.Components[0].Purl != pkgs[0].PURL {
		t.Errorf("BOM: %+v", bom)
	}
}

// TestSPDX reads the document back with the SPDX project's own reader.
func TestSPDX(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSPDX(&b, subject, pkgs); err != nil {
		t.Fatal(err)
	}
	doc, err := spdxjson.Read(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if doc.SPDXVersion != "SPDX-2.3" || len(doc.Packages) != 4 || len(doc.Relationships) != 4 || doc.CreationInfo.Creators[0].Creator != "dozor-test" {
		t.Errorf("document: %+v", doc)
	}
	ids := map[string]bool{}
	for _, p := range doc.Packages {
		if ids[string(p.PackageSPDXIdentifier)] {
			t.Errorf("SPDX identifier %s repeated", p.PackageSPDXIdentifier)
		}
		ids[string(p.PackageSPDXIdentifier)] = true
	}
	if p := doc.Packages[1]; p.PackageName != "libssl3" || len(p.PackageExternalReferences) != 1 || p.PackageExternalReferences[0].Locator != pkgs[0].PURL {
		t.Errorf("libssl3: %+v", p)
	}
	if !strings.HasPrefix(doc.DocumentNamespace, "https://dozor.dev/spdx/127.0.0.1-5000-shop-web-1-") {
		t.Errorf("namespace %s", doc.DocumentNamespace)
	}
}
