package ruby

import (
	"strings"
	"testing"
)

// FuzzGemspec parses arbitrary gemspecs: no panic, and a specification
// read has a name, a version and a bounded list of licences.
func FuzzGemspec(f *testing.F) {
	f.Add([]byte("Gem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.4\"\n  s.platform = \"x86_64-linux\".freeze\n  s.licenses = [\"MIT\".freeze, \"Ruby\".freeze]\nend\n"))
	f.Add([]byte("s.name = %q{a\\}b}\ns.version = '1\\'0'\ns.license = %Q<\\u00e9\\u{1F600}>\n"))
	f.Add([]byte("s.name = \"x\ns.version = [\ns.licenses = [\"a\",\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseGemspec(data)
		if err != nil {
			return
		}
		if s.Name == "" || s.Version == "" || len(s.Licenses) > maxLicenses {
			t.Fatalf("%+v", s)
		}
	})
}

// FuzzGemfileLock parses arbitrary lockfiles: no panic, every gem has a
// name, a version without a dash and a line, and errors are bounded.
func FuzzGemfileLock(f *testing.F) {
	f.Add([]byte("GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.15.4-x86_64-linux)\n      racc (~> 1.4)\n    rack (2.2.4)\n\nPLATFORMS\n  ruby\n"))
	f.Add([]byte("GEM\r\n  specs:\r\n    a b\r\n    (1)\r\nGIT\n  specs:\n    x (1)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		gems, errs := parseGemfileLock(data)
		if len(errs) > maxLineErrors {
			t.Fatalf("%d errors", len(errs))
		}
		n := strings.Count(string(data), "\n") + 1
		for _, g := range gems {
			if g.Name == "" || g.Version == "" || strings.Contains(g.Version, "-") || g.Line < 1 || g.Line > n {
				t.Fatalf("%+v", g)
			}
		}
	})
}
