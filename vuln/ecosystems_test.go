package vuln_test

import (
	"context"
	"path/filepath"
	"testing"

	. "github.com/dozor-dev/dozor/vuln"
)

// One advisory per ecosystem, in OSV's format with real package names and
// versions, imported from their own archives and matched at the fix
// boundary with the ecosystem's own version order.
func TestMatchEachEcosystem(t *testing.T) {
	dir := t.TempDir()
	type adv struct{ eco, name, introduced, fixed string }
	advs := map[string]adv{
		"DEBIAN-CVE-2023-5363":  {"Debian:12", "openssl", "0", "3.0.11-1~deb12u2"},
		"UBUNTU-CVE-2024-6387":  {"Ubuntu:22.04:LTS", "openssh", "0", "1:8.9p1-3ubuntu0.10"},
		"ALPINE-CVE-2023-42366": {"Alpine:v3.19", "busybox", "0", "1.36.1-r16"},
		"RHSA-2023:5249":        {"Red Hat:enterprise_linux:8::baseos", "openssl", "0", "1:1.1.1k-12.el8_9"},
		"GHSA-j8r2-6x86-q33q":   {"PyPI", "Requests", "2.3.0", "2.31.0"},
		"GHSA-jfh8-c2jp-5v3q":   {"Maven", "org.apache.logging.log4j:log4j-core", "2.0-beta9", "2.15.0"},
		"GHSA-35jh-r3h4-6jhm":   {"npm", "lodash", "0", "4.17.21"},
		"GHSA-qc84-gqf4-9926":   {"crates.io", "crossbeam-channel", "0.5.0", "0.5.15"},
		"GHSA-hrqr-hxpp-chr3":   {"RubyGems", "nokogiri", "0", "1.16.2"},
		"GHSA-5crp-9r3c-p9vr":   {"NuGet", "Newtonsoft.Json", "0", "13.0.1"},
		"GHSA-qqmg-5p5h-7jmc":   {"Packagist", "guzzlehttp/guzzle", "7.0.0", "7.4.5"},
	}
	var inputs []Input
	for id, a := range advs {
		zipPath := filepath.Join(dir, id, "all.zip")
		writeFile(t, zipPath, zipOf(t, map[string][]byte{id + ".json": []byte(`{"id":"` + id + `","modified":"2025-07-01T00:00:00Z","affected":[{"package":{"ecosystem":"` +
			a.eco + `","name":"` + a.name + `"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"` + a.introduced + `"},{"fixed":"` + a.fixed + `"}]}]}]}`)}))
		inputs = append(inputs, Input{Path: zipPath})
	}
	path := filepath.Join(dir, "vuln.db")
	if _, err := Import(context.Background(), path, inputs, ImportOptions{Now: testNow}); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		id, eco, name, version string
		affected               bool
	}{
		{"DEBIAN-CVE-2023-5363", "Debian:12", "openssl", "3.0.11-1~deb12u1", true},
		{"DEBIAN-CVE-2023-5363", "Debian:12", "openssl", "3.0.11-1~deb12u2", false},
		{"DEBIAN-CVE-2023-5363", "Debian:12", "openssl", "3.0.15-1~deb12u1", false},
		{"UBUNTU-CVE-2024-6387", "Ubuntu:22.04:LTS", "openssh", "1:8.9p1-3ubuntu0.9", true},
		{"UBUNTU-CVE-2024-6387", "Ubuntu:22.04:LTS", "openssh", "1:8.9p1-3ubuntu0.10", false},
		{"ALPINE-CVE-2023-42366", "Alpine:v3.19", "busybox", "1.36.1-r15", true},
		{"ALPINE-CVE-2023-42366", "Alpine:v3.19", "busybox", "1.36.1-r16", false},
		{"RHSA-2023:5249", "Red Hat:enterprise_linux:8::baseos", "openssl", "1:1.1.1k-9.el8_7", true},
		{"RHSA-2023:5249", "Red Hat:enterprise_linux:8::baseos", "openssl", "1:1.1.1k-12.el8_9", false},
		// PyPI names are normalised (PEP 503): "requests" finds "Requests".
		{"GHSA-j8r2-6x86-q33q", "PyPI", "requests", "2.30.0", true},
		{"GHSA-j8r2-6x86-q33q", "PyPI", "requests", "2.31.0", false},
		{"GHSA-j8r2-6x86-q33q", "PyPI", "requests", "2.3.0rc1", false},
		{"GHSA-jfh8-c2jp-5v3q", "Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", true},
		{"GHSA-jfh8-c2jp-5v3q", "Maven", "org.apache.logging.log4j:log4j-core", "2.0-alpha1", false},
		{"GHSA-jfh8-c2jp-5v3q", "Maven", "org.apache.logging.log4j:log4j-core", "2.15.0", false},
		{"GHSA-35jh-r3h4-6jhm", "npm", "lodash", "4.17.20", true},
		{"GHSA-35jh-r3h4-6jhm", "npm", "lodash", "4.17.21", false},
		{"GHSA-qc84-gqf4-9926", "crates.io", "crossbeam-channel", "0.5.14", true},
		{"GHSA-qc84-gqf4-9926", "crates.io", "crossbeam-channel", "0.4.4", false},
		{"GHSA-hrqr-hxpp-chr3", "RubyGems", "nokogiri", "1.16.1", true},
		{"GHSA-hrqr-hxpp-chr3", "RubyGems", "nokogiri", "1.16.2", false},
		{"GHSA-5crp-9r3c-p9vr", "NuGet", "Newtonsoft.Json", "12.0.3", true},
		{"GHSA-5crp-9r3c-p9vr", "NuGet", "Newtonsoft.Json", "13.0.1", false},
		{"GHSA-qqmg-5p5h-7jmc", "Packagist", "guzzlehttp/guzzle", "7.4.4", true},
		{"GHSA-qqmg-5p5h-7jmc", "Packagist", "guzzlehttp/guzzle", "6.5.8", false},
	} {
		ms, err := db.Affecting(c.eco, c.name, c.version)
		if err != nil {
			t.Errorf("%s %s %s: %v", c.eco, c.name, c.version, err)
			continue
		}
		got := len(ms) == 1 && ms[0].Advisory.ID == c.id
		if got != c.affected || len(ms) > 1 {
			t.Errorf("%s %s %s: matched %v, want %s affected = %v", c.eco, c.name, c.version, ms, c.id, c.affected)
		}
	}
}
