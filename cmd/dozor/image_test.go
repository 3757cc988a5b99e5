package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/image/imagetest"
)

// TestImageCommand reads one image from a registry on loopback, an OCI
// layout and a docker save tarball; the environment's values never show.
func TestImageCommand(t *testing.T) {
	img := imagetest.Build(t, imagetest.Config{User: "", Env: []string{"PATH=/usr/bin", "API_TOKEN=s3cr3t-value"}, Cmd: []string{"/app"}},
		imagetest.Layer(t, imagetest.Dir("etc"), imagetest.File("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n"),
			imagetest.File("etc/passwd", "root:x:0:0\n"),
			imagetest.File("var/lib/dpkg/status", "Package: libssl3\nStatus: install ok installed\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\nSource: openssl\n")),
		imagetest.Layer(t, imagetest.File("app", "binary"), imagetest.Whiteout("etc", "passwd")))
	host := imagetest.Registry(t)
	imagetest.Push(t, host+"/shop/web:1", img)
	dir := t.TempDir()
	imagetest.WriteLayout(t, filepath.Join(dir, "oci"), img)
	imagetest.WriteArchive(t, filepath.Join(dir, "web.tar"), "shop/web:1", img)

	for _, ref := range []string{host + "/shop/web:1", filepath.Join(dir, "oci"), filepath.Join(dir, "web.tar")} {
		r := dozor(t, "", "image", ref, "-o", "json")
		var s struct {
			Source, Digest, Platform, User string
			OS                             struct{ ID, VersionID, Path string }
			EnvNames                       []string
			Files                          int
			Packages                       []struct{ Name, Version, PURL, SourceName, Location string }
			Layers                         []struct {
				CreatedBy          string
				Entries, Whiteouts int
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || r.code != 0 {
			t.Fatalf("%s: exit %d, %v: %s", ref, r.code, err, r.stderr)
		}
		if s.OS.ID != "debian" || s.OS.VersionID != "12" || s.Platform != "linux/amd64" || s.Files != 3 || len(s.Layers) != 2 || len(s.Packages) != 1 || s.Packages[0].SourceName != "openssl" ||
			s.Packages[0].PURL != "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl" ||
			s.Layers[1].CreatedBy != "step B" || s.Layers[1].Whiteouts != 1 || strings.Join(s.EnvNames, ",") != "PATH,API_TOKEN" || !strings.HasPrefix(s.Digest, "sha256:") {
			t.Errorf("%s: %+v", ref, s)
		}
		if strings.Contains(r.stdout, "s3cr3t") {
			t.Errorf("%s: an environment value was printed", ref)
		}
		if !strings.Contains(r.stdout, `"checkId": "DZ-IMH-001"`) || !strings.Contains(r.stdout, `"message": "environment variable API_TOKEN is named like a secret and set to a 12-character value"`) {
			t.Errorf("%s: hardening findings missing:\n%s", ref, r.stdout)
		}
	}
	r := dozor(t, "", "image", host+"/shop/web:1", "--packages")
	if r.code != 0 || !strings.Contains(r.stdout, "OS:         Debian GNU/Linux 12 (bookworm) (/etc/os-release, layer 0)") ||
		!strings.Contains(r.stdout, "Packages:   1 deb") || !regexp.MustCompile(`deb\s+libssl3\s+3.0.11-1~deb12u2\s+openssl 3.0.11-1~deb12u2\s+0\s+/var/lib/dpkg/status`).MatchString(r.stdout) ||
		!strings.Contains(r.stdout, "User:       root (no USER)") || !strings.Contains(r.stdout, "API_TOKEN (values not shown)") || strings.Contains(r.stdout, "s3cr3t") {
		t.Errorf("table: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Matched against a vulnerability database: libssl3 is of source
	// package openssl, which the Debian advisory names.
	dbPath := filepath.Join(t.TempDir(), "vuln.db")
	if r := dozor(t, "", "db", "import", "--db", dbPath, filepath.Join("..", "..", "vuln", "match", "testdata", "debian")); r.code != 0 {
		t.Fatalf("db import: exit %d: %s", r.code, r.stderr)
	}
	r = dozor(t, "", "image", host+"/shop/web:1", "--db", dbPath, "-o", "json")
	var v struct {
		Vulnerabilities []struct {
			ID, Severity string
			Fixed        []string
			Package      struct{ Name, Matched string }
		}
		Database struct{ Path string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || r.code != 0 {
		t.Fatalf("with a database: exit %d, %v: %s", r.code, err, r.stderr)
	}
	if len(v.Vulnerabilities) != 1 || v.Vulnerabilities[0].ID != "CVE-2023-5678" || v.Vulnerabilities[0].Severity != "high" ||
		v.Vulnerabilities[0].Package.Matched != "openssl 3.0.11-1~deb12u2 (Debian:12)" || v.Database.Path != dbPath {
		t.Errorf("vulnerabilities: %+v", v)
	}
	r = dozor(t, "", "image", host+"/shop/web:1", "--db", dbPath)
	if !regexp.MustCompile(`HIGH\s+CVE-2023-5678\s+libssl3\s+3.0.11-1~deb12u2\s+3.0.13-1~deb12u1\s+0`).MatchString(r.stdout) ||
		!strings.Contains(r.stdout, "Vulns:      1 (1 high)") {
		t.Errorf("table with a database:\n%s", r.stdout)
	}
	if r := dozor(t, "", "image", host+"/shop/web:1", "--db", filepath.Join(t.TempDir(), "none.db")); r.code != 0 || !strings.Contains(r.stderr, "were not matched against vulnerabilities") {
		t.Errorf("without a database: exit %d: %s", r.code, r.stderr)
	}

	// The SBOM as CycloneDX 1.6 and SPDX 2.3 (format_test.go validates
	// them against the CycloneDX schema and the SPDX reader).
	r = dozor(t, "", "image", host+"/shop/web:1", "-o", "cyclonedx")
	if r.code != 0 || !strings.Contains(r.stdout, `"specVersion": "1.6"`) || !strings.Contains(r.stdout, `"purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"`) {
		t.Errorf("cyclonedx: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = dozor(t, "", "image", host+"/shop/web:1", "-o", "spdx")
	if r.code != 0 || !strings.Contains(r.stdout, `"spdxVersion": "SPDX-2.3"`) || !strings.Contains(r.stdout, `"referenceType": "purl"`) {
		t.Errorf("spdx: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A hostile entry is skipped, said, and the exit code says the result
	// is partial; an image that is not there is an error.
	hostile := imagetest.Build(t, imagetest.Config{}, imagetest.Layer(t, imagetest.File("../../etc/cron.d/x", "evil"), imagetest.File("ok", "")))
	imagetest.Push(t, host+"/evil:1", hostile)
	if r := dozor(t, "", "image", host+"/evil:1"); r.code != 3 || !strings.Contains(r.stdout, `"../../etc/cron.d/x": the entry's path leaves the image's root`) {
		t.Errorf("hostile: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := dozor(t, "", "image", host+"/missing:1"); r.code != 2 || !strings.Contains(r.stderr, "missing") {
		t.Errorf("missing: exit %d: %s", r.code, r.stderr)
	}
	if r := dozor(t, "", "image", host+"/shop/web:1", "--platform", "not/a/valid/platform/x"); r.code != 2 {
		t.Errorf("a bad platform: exit %d: %s", r.code, r.stderr)
	}
}

// TestImageDoctored: an image whose os-release claims Alpine and whose
// dpkg database is gone is still matched as the Debian 12 its files say
// it is, through the package recovered from its changelog; the evasion
// finding gives the evidence; hardening findings are listed once.
func TestImageDoctored(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("openssl (3.0.11-1~deb12u2) bookworm-security; urgency=medium\n\n  * Fix CVE-2023-5678.\n"))
	_ = zw.Close()
	img := imagetest.Build(t, imagetest.Config{CreatedBy: []string{"ADD rootfs.tar /", "RUN rm -rf /var/lib/dpkg && echo ID=alpine > /etc/os-release"}},
		imagetest.Layer(t, imagetest.File("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"), imagetest.File("etc/debian_version", "12.2\n"),
			imagetest.File("var/lib/dpkg/status", "Package: libssl3\nStatus: install ok installed\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\nSource: openssl\n"),
			imagetest.File("usr/share/doc/libssl3/changelog.Debian.gz", gz.String()), imagetest.File("usr/lib/x86_64-linux-gnu/libc.so.6", "glibc")),
		imagetest.Layer(t, imagetest.Whiteout("var/lib", "dpkg"), imagetest.File("etc/os-release", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n")))
	dir := t.TempDir()
	imagetest.WriteLayout(t, filepath.Join(dir, "oci"), img)
	dbPath := filepath.Join(dir, "vuln.db")
	if r := dozor(t, "", "db", "import", "--db", dbPath, filepath.Join("..", "..", "vuln", "match", "testdata", "debian")); r.code != 0 {
		t.Fatalf("db import: exit %d: %s", r.code, r.stderr)
	}
	r := dozor(t, "", "image", filepath.Join(dir, "oci"), "--db", dbPath, "-o", "json")
	var s struct {
		FilesSay map[string]string
		Packages []struct{ Name, Version, PURL, Extractor string }
		Findings []struct {
			CheckID, Severity, Message string
			Evidence                   []string
		}
		Vulnerabilities []struct {
			ID      string
			Package struct{ Matched string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || r.code != 0 {
		t.Fatalf("exit %d, %v: %s", r.code, err, r.stderr)
	}
	if s.FilesSay["ID"] != "debian" || s.FilesSay["VERSION_ID"] != "12" || len(s.Packages) != 1 || s.Packages[0].Extractor != "dpkg-recovered" ||
		s.Packages[0].PURL != "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12&upstream=openssl" {
		t.Errorf("what the files say, and the package recovered: %+v %+v", s.FilesSay, s.Packages)
	}
	if len(s.Vulnerabilities) != 1 || s.Vulnerabilities[0].ID != "CVE-2023-5678" || s.Vulnerabilities[0].Package.Matched != "openssl 3.0.11-1~deb12u2 (Debian:12)" {
		t.Errorf("vulnerabilities: %+v", s.Vulnerabilities)
	}
	seen := map[string]int{}
	for _, f := range s.Findings {
		seen[f.CheckID]++
		if f.CheckID == "DZ-EVA-001" && (f.Severity != "high" || !strings.Contains(f.Message, "says Alpine Linux v3.19, but the image's files say it is Debian 12") ||
			!slices.Contains(f.Evidence, `/etc/debian_version says "12.2"`)) {
			t.Errorf("DZ-EVA-001: %+v", f)
		}
	}
	if seen["DZ-EVA-001"] != 1 || seen["DZ-IMH-001"] != 1 {
		t.Errorf("findings: %+v", s.Findings)
	}
	r = dozor(t, "", "image", filepath.Join(dir, "oci"), "--db", dbPath)
	if !strings.Contains(r.stdout, "OS:         Alpine Linux v3.19 (/etc/os-release, layer 1)\n            but its files say Debian 12: matched as that (see DZ-EVA-001)") ||
		!strings.Contains(r.stdout, `  - /etc/debian_version says "12.2"`) {
		t.Errorf("table:\n%s", r.stdout)
	}
}

// TestSBOMAndVEX: an image's CycloneDX and SPDX documents are matched by
// `dozor sbom` as the image was; a VEX document takes the vulnerability
// out; --fail-on gates; CycloneDX carries the vulnerabilities.
func TestSBOMAndVEX(t *testing.T) {
	img := imagetest.Build(t, imagetest.Config{User: "app"},
		imagetest.Layer(t, imagetest.File("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
			imagetest.File("var/lib/dpkg/status", "Package: libssl3\nStatus: install ok installed\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\nSource: openssl\n")))
	dir := t.TempDir()
	layout := filepath.Join(dir, "oci")
	imagetest.WriteLayout(t, layout, img)
	dbPath := filepath.Join(dir, "vuln.db")
	if r := dozor(t, "", "db", "import", "--db", dbPath, filepath.Join("..", "..", "vuln", "match", "testdata", "debian")); r.code != 0 {
		t.Fatalf("db import: exit %d: %s", r.code, r.stderr)
	}
	vexDoc := filepath.Join(dir, "vex.json")
	writeFile(t, vexDoc, `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1", "author": "test", "timestamp": "2026-11-01T00:00:00Z", "version": 1,
	  "statements": [{"vulnerability": {"name": "CVE-2023-5678"}, "products": [{"@id": "pkg:deb/debian/libssl3"}], "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}`)

	r := dozor(t, "", "image", layout, "--db", dbPath, "-o", "cyclonedx")
	if r.code != 0 || !strings.Contains(r.stdout, `"id": "CVE-2023-5678"`) || !strings.Contains(r.stdout, `"recommendation": "Upgrade libssl3 to 3.0.13-1~deb12u1"`) {
		t.Fatalf("cyclonedx with vulnerabilities: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	cdxFile := filepath.Join(dir, "image.cdx.json")
	writeFile(t, cdxFile, r.stdout)
	spdxFile := filepath.Join(dir, "image.spdx.json")
	writeFile(t, spdxFile, dozor(t, "", "image", layout, "-o", "spdx").stdout)

	for _, f := range []string{cdxFile, spdxFile} {
		r := dozor(t, "", "sbom", f, "--db", dbPath)
		if r.code != 0 || !regexp.MustCompile(`HIGH\s+CVE-2023-5678\s+libssl3\s+3.0.11-1~deb12u2\s+3.0.13-1~deb12u1`).MatchString(r.stdout) ||
			!strings.Contains(r.stdout, "Packages:   1 deb") || !strings.Contains(r.stdout, "Vulns:      1 (1 high)") {
			t.Errorf("sbom %s: exit %d:\n%s%s", f, r.code, r.stdout, r.stderr)
		}
	}
	data, _ := os.ReadFile(spdxFile)
	if r := dozor(t, string(data), "sbom", "-", "--db", dbPath, "--fail-on", "high"); r.code != 1 {
		t.Errorf("--fail-on high with a high vulnerability: exit %d: %s", r.code, r.stderr)
	}
	r = dozor(t, "", "sbom", cdxFile, "--db", dbPath, "--vex", vexDoc, "--fail-on", "high", "-o", "json")
	var rep struct {
		Vulnerabilities []any
		Suppressed      []struct {
			ID  string
			VEX struct{ Status, Justification, Source string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || len(rep.Vulnerabilities) != 0 || len(rep.Suppressed) != 1 ||
		rep.Suppressed[0].VEX.Justification != "vulnerable_code_not_in_execute_path" || rep.Suppressed[0].VEX.Source != vexDoc+": statement 1" {
		t.Errorf("with VEX: exit %d, %v: %+v %s", r.code, err, rep, r.stderr)
	}
	r = dozor(t, "", "image", layout, "--db", dbPath, "--vex", vexDoc)
	if r.code != 0 || !strings.Contains(r.stdout, "Vulns:      none; 1 not affecting, by VEX") {
		t.Errorf("image with VEX: exit %d:\n%s", r.code, r.stdout)
	}
	if r := dozor(t, "", "image", layout, "--db", dbPath, "--fail-on", "high"); r.code != 1 {
		t.Errorf("image --fail-on high: exit %d", r.code)
	}
	if r := dozor(t, "", "image", layout, "--db", dbPath, "--fail-on", "critical"); r.code != 0 {
		t.Errorf("image --fail-on critical: exit %d", r.code)
	}
	bad := filepath.Join(dir, "bad.json")
	writeFile(t, bad, `{"hello": "world"}`)
	if r := dozor(t, "", "sbom", bad); r.code != 2 || !strings.Contains(r.stderr, bad+": a JSON document that is neither CycloneDX") {
		t.Errorf("not an SBOM: exit %d: %s", r.code, r.stderr)
	}
	if r := dozor(t, "", "image", layout, "--vex", bad); r.code != 2 || !strings.Contains(r.stderr, "--vex: "+bad+": neither an OpenVEX document") {
		t.Errorf("not a VEX document: exit %d: %s", r.code, r.stderr)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
