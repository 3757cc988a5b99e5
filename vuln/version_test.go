package vuln

import "testing"

// Real versions from each ecosystem, and the order its own tools give them.
func TestCompare(t *testing.T) {
	tests := []struct {
		eco, a, b string
		want      int
	}{
		// dpkg (Debian, Ubuntu): epochs, tildes, Debian revisions.
		{"Debian:12", "2.36-9+deb12u3", "2.36-9+deb12u4", -1},
		{"Debian:12", "7.88.1-10+deb12u5", "7.88.1-10+deb12u12", -1},
		{"Debian:12", "1:2.36-9", "2.40-1", 1},
		{"Debian", "1.0~rc1-1", "1.0-1", -1},
		{"Debian", "3.0.11-1~deb12u2", "3.0.11-1", -1},
		{"Ubuntu:22.04", "5.15.0-105.115", "5.15.0-94.104", 1},
		{"Ubuntu:22.04", "2.35-0ubuntu3.6", "2.35-0ubuntu3.10", -1},
		// apk (Alpine): -rN revisions, _rc/_p suffixes.
		{"Alpine:v3.19", "1.36.1-r5", "1.36.1-r15", -1},
		{"Alpine:v3.19", "3.1.4-r0", "3.1.4-r1", -1},
		{"Alpine:v3.19", "2.4.0_rc1-r0", "2.4.0-r0", -1},
		{"Alpine:v3.19", "9.6_p1-r0", "9.6-r0", 1},
		// rpm (Red Hat): epochs, release strings, letters in versions.
		{"Red Hat", "1:1.1.1k-7.el8_6", "1:1.1.1k-12.el8_9", -1},
		{"Red Hat", "2:8.0.1763-19.el8_6.4", "8.2.2637-20.el9_1", 1},
		{"Red Hat", "3.6.8-51.el8", "3.6.8-56.el8_9", -1},
		{"Red Hat", "1.1.1k", "1.1.1l", -1},
		// PEP 440 (PyPI).
		{"PyPI", "1.0.dev0", "1.0a1", -1},
		{"PyPI", "1.0a1", "1.0b2", -1},
		{"PyPI", "1.0rc1", "1.0", -1},
		{"PyPI", "1.0", "1.0.post1", -1},
		{"PyPI", "2.31.0", "2.32.0", -1},
		{"PyPI", "1!0.1", "2.0", 1},
		{"PyPI", "1.0", "1.0.0", 0},
		// Maven.
		{"Maven", "1.0-SNAPSHOT", "1.0", -1},
		{"Maven", "2.17.0", "2.9.1", 1},
		{"Maven", "1.0-alpha-1", "1.0-beta", -1},
		{"Maven", "2.12.7.1", "2.12.7", 1},
		{"Maven", "5.3.18", "5.3.20", -1},
		// Go: semver with a v, pseudo-versions, +incompatible.
		{"Go", "v0.0.0-20220101000000-abcdef123456", "v0.1.0", -1},
		{"Go", "0.5.0-alpha.5.0.20200423152442-f4b650b51dc4", "0.5.0-alpha.5.0.20190108173120-83c051b701d3", 1},
		{"Go", "1.20.0-alpha.1", "1.20.0", -1},
		{"Go", "24.0.7+incompatible", "24.0.9+incompatible", -1},
		{"Go", "v1.7.13", "1.7.13", 0},
		// npm, crates.io, RubyGems, NuGet, Packagist.
		{"npm", "4.17.20", "4.17.21", -1},
		{"npm", "1.0.0-beta.2", "1.0.0-beta.11", -1},
		{"crates.io", "0.10.0", "0.9.9", 1},
		{"RubyGems", "1.13.6", "1.13.10", -1},
		{"RubyGems", "6.1.7.3", "6.1.7", 1},
		{"RubyGems", "1.0.0.pre", "1.0.0", -1},
		{"NuGet", "13.0.1", "13.0.3", -1},
		{"Packagist", "5.4.10", "5.4.9", 1},
		// Kubernetes with vendor suffixes: the upstream release counts.
		{"kubernetes", "v1.29.3-eks-adc7111", "1.29.4", -1},
		{"kubernetes", "v1.29.3-eks-adc7111", "1.29.3", 0},
		{"kubernetes", "v1.30.2-gke.1587003", "1.30.2", 0},
		{"kubernetes", "v1.31.1+k3s1", "1.31.1", 0},
		{"kubernetes", "v1.30.4+rke2r1", "1.30.5", -1},
		{"kubernetes", "v1.31.0-rc.1", "1.31.0", -1},
		{"kubernetes", "v1.27.3", "1.27.10", -1},
		// "0" opens every OSV range.
		{"Debian", "0", "0.1-1", -1},
	}
	for _, tt := range tests {
		got, err := Compare(tt.eco, tt.a, tt.b)
		if err != nil {
			t.Errorf("Compare(%s, %s, %s): %v", tt.eco, tt.a, tt.b, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Compare(%s, %s, %s) = %d, want %d", tt.eco, tt.a, tt.b, got, tt.want)
		}
		if back, _ := Compare(tt.eco, tt.b, tt.a); back != -tt.want {
			t.Errorf("Compare(%s, %s, %s) = %d, not the opposite of the other way round", tt.eco, tt.b, tt.a, back)
		}
	}
}

func TestKubeVersion(t *testing.T) {
	tests := map[string]string{
		"v1.29.3-eks-adc7111":        "1.29.3",
		"v1.30.2-gke.1587003":        "1.30.2",
		"v1.31.1+k3s1":               "1.31.1",
		"v1.30.4+rke2r1":             "1.30.4",
		"v1.28.9-aks-1":              "1.28.9",
		"v1.31.0-rc.1":               "1.31.0-rc.1",
		"v1.32.0-alpha.3":            "1.32.0-alpha.3",
		"1.27":                       "1.27.0",
		"v1.29.0-minimal-eksbuild.1": "1.29.0",
	}
	for in, want := range tests {
		got, err := KubeVersion(in)
		if err != nil || got != want {
			t.Errorf("KubeVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "latest", "v1", "1.x.3"} {
		if got, err := KubeVersion(bad); err == nil {
			t.Errorf("KubeVersion(%q) = %q, want an error", bad, got)
		}
	}
}

func TestAffects(t *testing.T) {
	af := Affected{Ecosystem: "kubernetes", Name: "k8s.io/kubelet", Ranges: []Range{{Type: "SEMVER", Events: []Event{
		{Introduced: "0"}, {Fixed: "1.24.17"}, {Introduced: "1.25.0"}, {Fixed: "1.25.13"}, {Introduced: "1.26.0"}, {Fixed: "1.26.8"},
	}}}}
	for v, want := range map[string]bool{
		"v1.24.16": true, "v1.24.17": false, "v1.25.0-eks-1": true, "v1.25.12": true, "v1.25.13": false,
		"v1.26.7+k3s1": true, "v1.26.8": false, "v1.27.0": false, "v1.1.0": true,
	} {
		got, err := af.Affects(v)
		if err != nil || got != want {
			t.Errorf("Affects(%s) = %v, %v; want %v", v, got, err, want)
		}
	}
	// Events in any order, last_affected, and listed versions.
	deb := Affected{Ecosystem: "Debian:12", Name: "runc", Versions: []string{"1.0.0~rc93+ds1-5"}, Ranges: []Range{{Type: "ECOSYSTEM", Events: []Event{
		{LastAffected: "1.1.5+ds1-1"}, {Introduced: "1.1.0+ds1-1"},
	}}}}
	for v, want := range map[string]bool{
		"1.0.0~rc93+ds1-5": true, "1.0.0~rc94+ds1-1": false, "1.1.0+ds1-1": true, "1.1.5+ds1-1": true, "1.1.5+ds1-1+deb12u1": false,
	} {
		got, err := deb.Affects(v)
		if err != nil || got != want {
			t.Errorf("Affects(%s) = %v, %v; want %v", v, got, err, want)
		}
	}
	if _, err := af.Affects("not-a-version"); err == nil {
		t.Error("Affects(not-a-version): want an error")
	}
	if got := af.Fixed(); len(got) != 3 || got[0] != "1.24.17" || got[2] != "1.26.8" {
		t.Errorf("Fixed() = %v", got)
	}
}

func TestParseOSVMalformed(t *testing.T) {
	a, bad, err := ParseOSV([]byte(`{"id":"X-1","affected":[
		{"package":{"ecosystem":"Go","name":"example.com/a"},"ranges":[{"type":"SEMVER","events":[]}]},
		{"package":{"ecosystem":"Go","name":"example.com/b"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1.2.3"}]}]},
		{"package":{"ecosystem":"Go","name":"example.com/c"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.3"}]}]},
		{"package":{"ecosystem":"","name":"x"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if bad != 3 || len(a.Affected) != 1 || a.Affected[0].Name != "example.com/c" {
		t.Errorf("bad = %d, affected = %+v; want the two malformed ranges and the package without ecosystem dropped", bad, a.Affected)
	}
	for _, in := range []string{`{`, `[]`, `{"id":""}`, `{"id":1}`} {
		if _, _, err := ParseOSV([]byte(in)); err == nil {
			t.Errorf("ParseOSV(%s): want an error", in)
		}
	}
}
