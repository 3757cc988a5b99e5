package nodelock

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// seed adds the real lockfiles of testdata named name, cut short: the
// fuzzer minimises what it finds, which takes long on large inputs.
func seed(f *testing.F, name string) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*", name))
	if len(paths) == 0 {
		f.Fatalf("no testdata/*/%s", name)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(shorten(f, data))
	}
}

// shorten keeps a JSON lockfile's first few packages, and the first lines
// of a text one.
func shorten(f *testing.F, data []byte) []byte {
	var doc map[string]any
	if json.Unmarshal(data, &doc) != nil {
		lines := bytes.SplitAfter(data, []byte("\n"))
		return bytes.Join(lines[:min(len(lines), 60)], nil)
	}
	for _, k := range []string{"packages", "dependencies"} {
		m, _ := doc[k].(map[string]any)
		n := 0
		for name := range m {
			if n++; n > 4 {
				delete(m, name)
			}
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		f.Fatal(err)
	}
	return out
}

// check is what every parser promises of what it returns, whatever the
// input: named packages with registry versions, a bounded number.
func check(t *testing.T, deps []dep) {
	if len(deps) > maxPackages {
		t.Fatalf("%d packages", len(deps))
	}
	for _, d := range deps {
		if !validName(d.Name) || !registryVersion(d.Version) {
			t.Fatalf("package %q version %q", d.Name, d.Version)
		}
	}
}

// FuzzNPM parses arbitrary bytes as package-lock.json.
func FuzzNPM(f *testing.F) {
	seed(f, "package-lock.json")
	f.Add([]byte(`{"dependencies": {"a": {"version": "npm:@s/b@1.0.0", "dependencies": {"c": {"version": "file:x"}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		deps, _ := parseNPM(data)
		check(t, deps)
	})
}

// FuzzYarn parses arbitrary bytes as yarn.lock, classic and berry.
func FuzzYarn(f *testing.F) {
	seed(f, "yarn.lock")
	f.Add([]byte("__metadata:\n  version: 6\n\n\"a@patch:a@npm%3A1#x\":\n  version: 1.0.0\n  resolution: \"a@patch:a@npm%3A1.0.0#x\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		deps, _ := parseYarn(data)
		check(t, deps)
	})
}

// FuzzPnpm parses arbitrary bytes as pnpm-lock.yaml.
func FuzzPnpm(f *testing.F) {
	seed(f, "pnpm-lock.yaml")
	f.Add([]byte("lockfileVersion: 5.3\npackages:\n  /@s/a/1.0.0_b@2.0.0:\n    dev: true\n  registry.example.com/c/1.0.0:\n    name: c\n    version: 1.0.0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		deps, _ := parsePnpm(data)
		check(t, deps)
	})
}
