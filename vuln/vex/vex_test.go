package vex

import (
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/vuln/match"
)

// openVEX is a document in the shape vexctl writes: one statement about
// an image and its package, one about a package alone, one still under
// investigation.
const openVEX = `{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/shop-web-1",
  "author": "Shop security team",
  "timestamp": "2026-11-01T10:00:00Z",
  "version": 1,
  "statements": [
    {
      "vulnerability": {"name": "CVE-2023-5678"},
      "products": [{"@id": "pkg:oci/web@sha256%3Aabc", "subcomponents": [{"@id": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64"}]}],
      "status": "not_affected",
      "justification": "vulnerable_code_not_in_execute_path"
    },
    {
      "vulnerability": {"name": "GHSA-67hx-6x53-jw92", "aliases": ["CVE-2023-45133"]},
      "products": [{"@id": "pkg:npm/%40babel/traverse"}],
      "status": "fixed"
    },
    {
      "vulnerability": {"name": "CVE-2025-0395"},
      "products": [{"@id": "pkg:deb/debian/libc6"}],
      "status": "under_investigation"
    }
  ]
}`

// cdxVEX is a CycloneDX 1.6 VEX document: the package by bom-ref.
const cdxVEX = `{
  "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "components": [{"bom-ref": "log4j", "type": "library", "name": "log4j-core", "version": "2.14.1", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}],
  "vulnerabilities": [
    {"id": "CVE-2021-44228", "analysis": {"state": "not_affected", "justification": "requires_configuration", "detail": "JNDI lookups are disabled"}, "affects": [{"ref": "log4j"}]},
    {"id": "CVE-2022-30123", "analysis": {"state": "exploitable"}, "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:gem/rack@2.2.3"}]}
  ]
}`

func finding(id, purl string, advisories ...string) match.Finding {
	return match.Finding{ID: id, Advisories: advisories, Package: match.PackageRef{PURL: purl}}
}

func TestApply(t *testing.T) {
	var all []Statement
	for name, doc := range map[string]string{"openvex.json": openVEX, "cdx.json": cdxVEX} {
		st, err := Read(name, []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, st...)
	}
	findings := []match.Finding{
		finding("CVE-2023-5678", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl", "DEBIAN-CVE-2023-5678"),
		finding("CVE-2023-5678", "pkg:deb/debian/libssl3@3.0.13-1~deb12u1?arch=amd64&distro=debian-12"), // another version
		finding("CVE-2023-45133", "pkg:npm/%40babel/traverse@7.22.0", "GHSA-67hx-6x53-jw92"),
		finding("CVE-2025-0395", "pkg:deb/debian/libc6@2.36-9+deb12u4?distro=debian-12"),
		finding("CVE-2021-44228", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
		finding("CVE-2022-30123", "pkg:gem/rack@2.2.3"),
		finding("CVE-2021-44228", "pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1"),
	}
	kept, out := Apply(all, findings)
	var got []string
	for _, s := range out {
		got = append(got, s.ID+" "+s.Package.PURL[:strings.Index(s.Package.PURL, "@")]+" "+s.VEX.Status+" "+s.VEX.Justification+" ("+s.VEX.Source+")")
	}
	want := []string{
		"CVE-2023-5678 pkg:deb/debian/libssl3 not_affected vulnerable_code_not_in_execute_path (openvex.json: statement 1)",
		"CVE-2023-45133 pkg:npm/%40babel/traverse fixed  (openvex.json: statement 2)",
		"CVE-2021-44228 pkg:maven/org.apache.logging.log4j/log4j-core not_affected requires_configuration (cdx.json: vulnerability 1)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || len(kept) != 4 {
		t.Errorf("suppressed:\n%s\nwant\n%s\nkept %d", strings.Join(got, "\n"), strings.Join(want, "\n"), len(kept))
	}
	for _, bad := range []string{`{`, `{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"status": "fixed"}]}`, `{"bomFormat": "CycloneDX", "specVersion": "1.6"}`, `{"hello": 1}`} {
		if _, err := Read("bad.json", []byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "bad.json: ") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
