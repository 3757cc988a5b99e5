package format

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/tagvalue"
)

func summary(d *Document) string {
	var b strings.Builder
	for _, p := range d.Packages {
		fmt.Fprintf(&b, "%s %s %s src=%s %s\n", p.Type, p.Name, p.Version, p.SourceName, p.SourceVersion)
	}
	return b.String()
}

// TestRead reads back what Dozor writes, in each format and encoding the
// libraries write (CycloneDX JSON and XML, SPDX JSON and tag-value), and
// documents in the shapes Syft and Trivy write.
func TestRead(t *testing.T) {
	want := "deb libssl3 3.0.11-1~deb12u2 src=openssl 3.0.11-1~deb12u2\ngolang stdlib 1.26.8 src= \ngolang stdlib 1.26.8 src= \n"
	var cj, sj bytes.Buffer
	if err := WriteCycloneDX(&cj, subject, pkgs); err != nil {
		t.Fatal(err)
	}
	if err := WriteSPDX(&sj, subject, pkgs); err != nil {
		t.Fatal(err)
	}
	bom, err := cdx.NewBOMDecoder(bytes.NewReader(cj.Bytes()), cdx.BOMFileFormatJSON), error(nil)
	var decoded cdx.BOM
	if err = bom.Decode(&decoded); err != nil {
		t.Fatal(err)
	}
	var cx bytes.Buffer
	if err := cdx.NewBOMEncoder(&cx, cdx.BOMFileFormatXML).EncodeVersion(&decoded, cdx.SpecVersion1_6); err != nil {
		t.Fatal(err)
	}
	doc, err := spdxjson.Read(bytes.NewReader(sj.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var st bytes.Buffer
	if err := tagvalue.Write(doc, &st); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"CycloneDX 1.6": cj.Bytes(), "CycloneDX 1.6 XML": cx.Bytes(), "SPDX 2.3 JSON": sj.Bytes(), "SPDX tag-value": st.Bytes()} {
		d, err := Read(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := summary(d); got != want {
			t.Errorf("%s (%s): packages\n%s", name, d.Format, got)
		}
		if !strings.HasPrefix(name, "CycloneDX 1.6") && d.Format != name || strings.HasPrefix(name, "CycloneDX") && d.Format != "CycloneDX 1.6" {
			t.Errorf("%s: format %q", name, d.Format)
		}
	}
	// Syft names the source package in the purl; Trivy in properties;
	// components without a purl are counted.
	others := `{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
	  {"type": "library", "name": "libc6", "version": "2.36-9+deb12u4", "purl": "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc&distro=debian-12"},
	  {"type": "library", "name": "libcrypto3", "version": "3.1.4-r5", "purl": "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=3.19.1",
	   "properties": [{"name": "aquasecurity:trivy:SrcName", "value": "openssl"}, {"name": "aquasecurity:trivy:SrcVersion", "value": "3.1.4"}, {"name": "aquasecurity:trivy:SrcRelease", "value": "r5"}]},
	  {"type": "library", "name": "log4j-core", "version": "2.14.1", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
	   "components": [{"type": "library", "name": "@babel/traverse", "version": "7.22.0", "purl": "pkg:npm/%40babel/traverse@7.22.0"}]},
	  {"type": "file", "name": "/etc/passwd"}
	]}`
	d, err := Read([]byte(others))
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(d); got != "apk libcrypto3 3.1.4-r5 src=openssl 3.1.4-r5\ndeb libc6 2.36-9+deb12u4 src=glibc 2.36-9+deb12u4\nmaven org.apache.logging.log4j:log4j-core 2.14.1 src= \nnpm @babel/traverse 7.22.0 src= \n" || d.WithoutPURL != 1 {
		t.Errorf("Syft's and Trivy's shapes: %d without purl\n%s", d.WithoutPURL, got)
	}
	for _, bad := range []string{"", "{", `{"a": 1}`, "hello", `<x/>`, "SPDXVersion: SPDX-2.3\nnonsense"} {
		if _, err := Read([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzRead(f *testing.F) {
	var cj, sj bytes.Buffer
	_ = WriteCycloneDX(&cj, subject, pkgs)
	_ = WriteSPDX(&sj, subject, pkgs)
	f.Add(cj.Bytes())
	f.Add(sj.Bytes())
	f.Add([]byte("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n"))
	f.Add([]byte(`<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components><component type="library"><name>a</name><version>1</version><purl>pkg:npm/a@1</purl></component></components></bom>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Read(data)
		if err == nil && d == nil {
			t.Fatal("no document and no error")
		}
	})
}
