package python

import (
	"strings"
	"testing"
)

// FuzzMetadata parses arbitrary METADATA and PKG-INFO files: no panic,
// and a file read has a name and a version.
func FuzzMetadata(f *testing.F) {
	f.Add([]byte("Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\nLicense: MIT\nClassifier: License :: OSI Approved :: MIT License\n\nbody\n"))
	f.Add([]byte("Name: a\n continued\n\tmore\nVersion:\n 1\r\nLicense-Expression: MIT OR X\n"))
	f.Add([]byte(" leading\nName b\n:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseMetadata(data)
		if err != nil {
			return
		}
		if m.first("name") == "" || m.first("version") == "" {
			t.Fatalf("read without a name or version: %v", m)
		}
		for _, l := range m.licenses() {
			if l == "" {
				t.Fatal("an empty licence")
			}
		}
	})
}

// FuzzRequirements parses arbitrary requirements files: no panic, every
// pin has a name, a version and a line, and errors are bounded.
func FuzzRequirements(f *testing.F) {
	f.Add([]byte("a==1\nb[x] == 2 ; python_version<'3' \\\n  --hash=sha256:00\n# c==3\n-r x.txt\nd>=1\ne==\n"))
	f.Add([]byte("\\\n\\\n#\\\nx===1.0 # comment\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pins, errs := parseRequirements(data)
		if len(errs) > maxLineErrors {
			t.Fatalf("%d errors", len(errs))
		}
		n := strings.Count(string(data), "\n") + 1
		for _, p := range pins {
			if p.Name == "" || p.Version == "" || p.Line < 1 || p.Line > n {
				t.Fatalf("%+v", p)
			}
			if strings.ContainsAny(p.Version, " \t\n*") {
				t.Fatalf("version %q", p.Version)
			}
		}
	})
}

// FuzzTOMLPackages reads arbitrary poetry.lock and uv.lock files: no
// panic, however deep the nesting, and every package read from a line of
// the file.
func FuzzTOMLPackages(f *testing.F) {
	f.Add([]byte("[[package]]\nname = \"a\"\nversion = '1'\nsource = { registry = \"x\" }\nfiles = [{file = \"a\", hash = \"b\"}]\n[package.dependencies]\nb = \">1\"\n"))
	f.Add([]byte("a = \"\"\"[[[\"\"\"\"\nb = '''{{'''\nc = [[[[1]]]] # [[[[\n[ \"x\" . y ]\nd = 1979-05-27 07:32:00Z\n"))
	f.Add([]byte("x = " + strings.Repeat("[", 70)))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _ := tomlPackages(data)
		n := strings.Count(string(data), "\n") + 1
		for _, p := range pkgs {
			if p.Line < 1 || p.Line > n {
				t.Fatalf("%+v: line out of 1..%d", p, n)
			}
		}
		_, _ = parsePoetryLock(data)
		_, _ = parseUVLock(data)
	})
}
