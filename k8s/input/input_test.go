package input

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"app/deploy.yaml":                  "x",
		"app/svc.yml":                      "x",
		"app/notes.md":                     "x",
		"app/data.json":                    "x",
		".git/config.yaml":                 "x",
		"app/.hidden/secret.yaml":          "x",
		"charts/web/Chart.yaml":            "x",
		"charts/web/templates/deploy.yaml": "x",
		"charts/web/charts/sub/Chart.yaml": "x",
		"overlays/prod/kustomization.yaml": "x",
		"overlays/prod/patch.yaml":         "x",
		"nested/deeper/Kustomization":      "x",
		"pkg/web-1.0.0.tgz":                "x",
	})
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	if err := os.Chdir(root); err != nil {
		t.Fatal(err)
	}
	units, errs := Discover([]string{".", "-", "pkg/web-1.0.0.tgz", "app/deploy.yaml"})
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	type u struct {
		Kind     string
		Path     string
		Explicit bool
	}
	var got []u
	for _, x := range units {
		got = append(got, u{x.Kind.String(), filepath.ToSlash(x.Path), x.Explicit})
	}
	want := []u{
		{"file", "app/data.json", false},
		{"file", "app/deploy.yaml", false},
		{"file", "app/svc.yml", false},
		{"chart", "charts/web", false},
		{"kustomization", "nested/deeper", false},
		{"kustomization", "overlays/prod", false},
		{"stdin", "-", true},
		{"chart archive", "pkg/web-1.0.0.tgz", true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Discover() mismatch (-want +got):\n%s", diff)
	}
}

func TestDiscoverErrorsAndGlobs(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"a/one.yaml":      "x",
		"a/b/two.yaml":    "x",
		"a/b/c/three.yml": "x",
		"a/b/skip.txt":    "x",
	})
	units, errs := Discover([]string{
		filepath.Join(root, "missing.yaml"),
		filepath.Join(root, "a", "**", "*.yaml"),
		filepath.Join(root, "nomatch", "*.yaml"),
	})
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), "no such file") || !strings.Contains(errs[1].Error(), "no file matches") {
		t.Errorf("errors = %v", errs)
	}
	var got []string
	for _, u := range units {
		rel, _ := filepath.Rel(root, u.Path)
		got = append(got, filepath.ToSlash(rel))
	}
	if diff := cmp.Diff([]string{"a/b/two.yaml", "a/one.yaml"}, got); diff != "" {
		t.Errorf("glob ** (-want +got):\n%s", diff)
	}
}

func TestMatchParts(t *testing.T) {
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"**/*.yaml", "a.yaml", true},
		{"**/*.yaml", "x/y/a.yaml", true},
		{"x/**/a.yaml", "x/a.yaml", true},
		{"x/**/a.yaml", "y/a.yaml", false},
		{"*.yaml", "x/a.yaml", false},
	}
	for _, c := range cases {
		if got := matchParts(strings.Split(c.pattern, "/"), strings.Split(c.path, "/")); got != c.want {
			t.Errorf("matchParts(%q, %q) = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
}

func TestReadLimits(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("a: b\n", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(big, 100); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("ReadFile(over limit) error = %v", err)
	}
	bin := filepath.Join(dir, "bin.yaml")
	if err := os.WriteFile(bin, []byte("\x7fELF\x00\x00\x01"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(bin, 1<<20); err != ErrBinary {
		t.Errorf("ReadFile(binary) error = %v, want ErrBinary", err)
	}
	if _, err := ReadAll(strings.NewReader(strings.Repeat("x", 101)), 100); err == nil {
		t.Error("ReadAll(over limit) accepted")
	}
}
