package vuln

import (
	"bytes"
	"testing"
)

// FuzzSources feeds every source parser the same bytes: an OSV record, a
// KEV catalogue, EPSS CSV, end-of-life data in each of its forms, the
// Kubernetes CVE feed. None may panic, and an OSV record they accept must
// have only well-formed ranges, which matching may evaluate without error
// on a version that parses.
func FuzzSources(f *testing.F) {
	for _, seed := range []string{
		`{"id":"GO-1","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.3"}]}]}]}`,
		`{"id":"CVE-1","affected":[{"package":{"ecosystem":"kubernetes","name":"k8s.io/kubelet"},"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"ranges":[{"type":"SEMVER","events":[{"introduced":"1.25.0"},{"last_affected":"1.25.9"}]}]}]}`,
		`{"id":"DSA-1","affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"versions":["3.0.9-1"],"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u2"}]}]}]}`,
		`{"catalogVersion":"1","dateReleased":"2025-08-25T17:04:19.9796Z","vulnerabilities":[{"cveID":"CVE-2024-1086","dateAdded":"2024-05-30"}]}`,
		"#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z\ncve,epss,percentile\nCVE-2024-1086,0.8,0.99\n",
		"---\nreleases:\n  - releaseCycle: \"1.36\"\n    eol: 2027-06-28\n---\n",
		`[{"cycle":"1.7","eol":"2026-09-01","support":true}]`,
		`{"result":{"name":"k","releases":[{"name":"1.1","eolFrom":"2025-01-01","isEol":true,"latest":{"name":"1.1.3"}}]}}`,
		`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"CVE-2024-3177","summary":"s","date_published":"2024-04-16T12:00:00Z"}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if a, _, err := ParseOSV(data); err == nil {
			for i := range a.Affected {
				af := &a.Affected[i]
				for _, rg := range af.Ranges {
					if err := validRange(af.Ecosystem, rg); err != nil {
						t.Fatalf("accepted a malformed range %+v: %v", rg, err)
					}
				}
				_, _ = af.Affects("1.2.3")
				_ = af.Fixed()
			}
			_ = a.CVE()
		}
		_, _, _ = parseKEV(data)
		_, _, _ = parseEPSS(bytes.NewReader(data), 1000)
		_, _ = parseEOL("product.md", data)
		_, _ = parseEOL("product.json", data)
		_, _, _ = parseK8sFeed(data)
		_ = sniff("x", data)
	})
}

// FuzzCompare compares arbitrary versions in every ecosystem Dozor reads:
// no panic, and the order is antisymmetric where both parse.
func FuzzCompare(f *testing.F) {
	for _, s := range [][2]string{{"1:2.36-9+deb12u4", "2.36-9"}, {"1.36.1-r5", "1.36.1_rc1-r0"}, {"1.0.dev0", "1!0.1"}, {"1.0-SNAPSHOT", "1.0-alpha-1"},
		{"v1.29.3-eks-adc7111", "v1.31.1+k3s1"}, {"2:8.0.1763-19.el8_6.4", "8.2.2637"}, {"v0.0.0-20220101000000-abcdef123456", "1.0.0-rc.1"}} {
		f.Add(s[0], s[1])
	}
	ecosystems := []string{"Debian:12", "Ubuntu:22.04", "Alpine:v3.19", "Red Hat", "PyPI", "Maven", "Go", "npm", "crates.io", "RubyGems", "NuGet", "Packagist", "kubernetes"}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, eco := range ecosystems {
			x, errA := Compare(eco, a, b)
			y, errB := Compare(eco, b, a)
			if errA == nil && errB == nil && x != -y {
				t.Fatalf("%s: Compare(%q, %q) = %d but Compare(%q, %q) = %d", eco, a, b, x, b, a, y)
			}
		}
	})
}
