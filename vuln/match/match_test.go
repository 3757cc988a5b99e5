package match

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/vuln"
)

// openDB imports the Go advisories of ../shared/data (real OSV data) and
// the Debian records of testdata, written in the shape of OSV's Debian
// ecosystem (../shared has no Debian advisories).
func openDB(t *testing.T) *vuln.DB {
	t.Helper()
	goZip := filepath.Join("..", "..", "..", "shared", "data", "osv", "Go.zip")
	inputs := []vuln.Input{{Path: filepath.Join("testdata", "debian")}}
	if _, err := os.Stat(goZip); err == nil {
		inputs = append(inputs, vuln.Input{Path: goZip})
	} else {
		t.Log("../shared/data/osv/Go.zip is missing: the Go cases are skipped")
	}
	path := filepath.Join(t.TempDir(), "vuln.db")
	if _, err := vuln.Import(context.Background(), path, inputs, vuln.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db, err := vuln.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func deb(name, version, source, sourceVersion string) sbom.Package {
	return sbom.Package{Name: name, Version: version, Type: "deb", SourceName: source, SourceVersion: sourceVersion,
		PURL: "pkg:deb/debian/" + name + "@" + version + "?arch=amd64&distro=debian-12", Location: "/var/lib/dpkg/status"}
}

func ubuntu(name, version, release string) sbom.Package {
	return sbom.Package{Name: name, Version: version, Type: "deb", PURL: "pkg:deb/ubuntu/" + name + "@" + version + "?arch=amd64&distro=ubuntu-" + release}
}

func gomod(name, version string) sbom.Package {
	return sbom.Package{Name: name, Version: version, Type: "golang", PURL: "pkg:golang/" + name + "@" + version, Location: "/app"}
}

func TestPackages(t *testing.T) {
	db := openDB(t)
	_, goData := os.Stat(filepath.Join("..", "..", "..", "shared", "data", "osv", "Go.zip"))
	pkgs := []sbom.Package{
		// The binary package is libssl3; the advisory is about openssl.
		deb("libssl3", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2"),
		deb("openssl", "3.0.13-1~deb12u1", "openssl", "3.0.13-1~deb12u1"), // fixed
		deb("libc6", "2.36-9+deb12u4", "glibc", "2.36-9+deb12u4"),         // no fix yet
		gomod("golang.org/x/text", "v0.3.5"),
		gomod("golang.org/x/text", "v0.3.7"), // fixed
		gomod("stdlib", "1.26.3"),
	}
	fs, errs := Packages(db, pkgs)
	if len(errs) > 0 {
		t.Errorf("errors: %v", errs)
	}
	got := map[string]Finding{}
	for _, f := range fs {
		got[f.Package.Name+"@"+f.Package.Version+" "+f.ID] = f
	}
	ssl, ok := got["libssl3@3.0.11-1~deb12u2 CVE-2023-5678"]
	if !ok || ssl.Severity != "high" || ssl.CVSS != 7.5 || strings.Join(ssl.Fixed, ",") != "3.0.13-1~deb12u1" ||
		ssl.Package.Matched != "openssl 3.0.11-1~deb12u2 (Debian:12)" || ssl.Advisories[0] != "DEBIAN-CVE-2023-5678" {
		t.Errorf("libssl3: %+v", ssl)
	}
	if f, ok := got["libc6@2.36-9+deb12u4 CVE-2025-0395"]; !ok || len(f.Fixed) != 0 || f.Severity != "unknown" {
		t.Errorf("libc6 (no fix yet): %+v", f)
	}
	for k := range got {
		if strings.HasPrefix(k, "openssl@3.0.13") || strings.HasPrefix(k, "golang.org/x/text@v0.3.7 CVE-2021-38561") {
			t.Errorf("a fixed version matched: %s", k)
		}
	}
	if goData == nil {
		if _, ok := got["golang.org/x/text@v0.3.5 CVE-2021-38561"]; !ok {
			t.Errorf("x/text v0.3.5 lacks GO-2021-0113 (CVE-2021-38561): %v", keys(got))
		}
		n := 0
		for k, f := range got {
			if strings.HasPrefix(k, "stdlib@1.26.3 ") {
				n++
				for _, fx := range f.Fixed {
					if fx == "1.26.3" {
						t.Errorf("stdlib 1.26.3 matched an advisory fixed in 1.26.3: %s", f.ID)
					}
				}
			}
		}
		if n < 5 {
			t.Errorf("stdlib 1.26.3: %d advisories (the Go data has many fixed in 1.26.4 to 1.26.6)", n)
		}
	}
	// Worst first.
	for i := 1; i < len(fs); i++ {
		if rank(fs[i].Severity) > rank(fs[i-1].Severity) {
			t.Errorf("not sorted: %s %s before %s %s", fs[i-1].ID, fs[i-1].Severity, fs[i].ID, fs[i].Severity)
		}
	}
}

func keys(m map[string]Finding) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestEcosystems matches a package of each language ecosystem and of
// Alpine by the names their advisories use, and lowers a finding the
// distribution rates unimportant. The records of testdata/ecosystems are
// written in OSV's shape after real advisories (../shared has no data of
// these ecosystems).
func TestEcosystems(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vuln.db")
	if _, err := vuln.Import(context.Background(), path, []vuln.Input{{Path: filepath.Join("testdata", "ecosystems")}}, vuln.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db, err := vuln.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	pkg := func(typ, purl, source string) sbom.Package {
		return sbom.Package{Type: typ, PURL: purl, Name: "n", Version: "v", SourceName: source}
	}
	cases := []struct {
		p       sbom.Package
		want    string // "" for no finding
		matched string
	}{
		{pkg("npm", "pkg:npm/%40babel/traverse@7.22.0", ""), "CVE-2023-45133 high", "@babel/traverse 7.22.0 (npm)"},
		{pkg("npm", "pkg:npm/%40babel/traverse@7.23.2", ""), "", ""},
		{pkg("pypi", "pkg:pypi/requests@2.28.0", ""), "CVE-2023-32681 medium", "requests 2.28.0 (PyPI)"},
		{pkg("pypi", "pkg:pypi/requests@2.31.0", ""), "", ""},
		{pkg("maven", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", ""), "CVE-2021-44228 critical", "org.apache.logging.log4j:log4j-core 2.14.1 (Maven)"},
		{pkg("maven", "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", ""), "", ""},
		{pkg("cargo", "pkg:cargo/smallvec@1.6.0", ""), "CVE-2021-25900 critical", "smallvec 1.6.0 (crates.io)"},
		{pkg("gem", "pkg:gem/rack@2.2.3", ""), "CVE-2022-30123 critical", "rack 2.2.3 (RubyGems)"},
		{pkg("gem", "pkg:gem/rack@2.2.3.1", ""), "", ""},
		{pkg("composer", "pkg:composer/guzzlehttp/guzzle@7.4.4", ""), "CVE-2022-31090 medium", "guzzlehttp/guzzle 7.4.4 (Packagist)"},
		{pkg("nuget", "pkg:nuget/Newtonsoft.Json@12.0.3", ""), "CVE-2024-21907 high", "Newtonsoft.Json 12.0.3 (NuGet)"},
		{sbom.Package{Type: "apk", Name: "libcrypto3", Version: "3.1.4-r0", SourceName: "openssl", PURL: "pkg:apk/alpine/libcrypto3@3.1.4-r0?arch=x86_64&distro=alpine-3.19.1"},
			"CVE-2023-5678 unknown", "openssl 3.1.4-r0 (Alpine:v3.19)"},
		{sbom.Package{Type: "apk", Name: "libcrypto3", Version: "3.1.4-r1", SourceName: "openssl", PURL: "pkg:apk/alpine/libcrypto3@3.1.4-r1?arch=x86_64&distro=alpine-3.19.1"}, "", ""},
		{deb("bsdutils", "2.38.1-5+deb12u3", "util-linux", "2.38.1-5+deb12u3"), "CVE-2022-0563 low", "util-linux 2.38.1-5+deb12u3 (Debian:12)"},
		{ubuntu("bash", "5.1-6ubuntu1", "22.04"), "CVE-2022-3715 high", "bash 5.1-6ubuntu1 (Ubuntu:22.04:LTS)"},
		{ubuntu("bash", "5.1-6ubuntu1.1", "22.04"), "", ""},
		{ubuntu("bash", "5.2.32-1ubuntu1", "24.10"), "CVE-2022-3715 high", "bash 5.2.32-1ubuntu1 (Ubuntu:24.10)"},
		{ubuntu("coreutils", "8.32-4.1ubuntu1", "22.04"), "CVE-2016-2781 low", "coreutils 8.32-4.1ubuntu1 (Ubuntu:22.04:LTS)"},
	}
	for _, c := range cases {
		fs, errs := Packages(db, []sbom.Package{c.p})
		if len(errs) > 0 {
			t.Errorf("%s: %v", c.p.PURL, errs)
		}
		got := ""
		if len(fs) > 0 {
			got = fs[0].ID + " " + fs[0].Severity
		}
		if got != c.want || len(fs) > 1 || len(fs) == 1 && fs[0].Package.Matched != c.matched {
			t.Errorf("%s: %q %+v, want %q (%s)", c.p.PURL, got, fs, c.want, c.matched)
		}
		if c.want == "CVE-2022-0563 low" && (len(fs) != 1 || fs[0].Distro != "unimportant" || fs[0].Verdict != "the distribution rates it unimportant in its package" || fs[0].CVSS != 4.7) {
			t.Errorf("the distribution's rating: %+v", fs)
		}
		if c.want == "CVE-2016-2781 low" && (len(fs) != 1 || fs[0].Distro != "negligible" || fs[0].Verdict == "" || fs[0].CVSS != 6.5) {
			t.Errorf("Ubuntu's priority: %+v", fs)
		}
		if c.want == "CVE-2022-3715 high" && (len(fs) != 1 || fs[0].Distro != "low" || fs[0].Verdict != "") {
			t.Errorf("Ubuntu's priority low does not lower: %+v", fs)
		}
	}
}
