package npm_test

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/sbom/sbomtest"
)

// TestNodeModules finds installed packages, scoped ones and nested ones,
// and not the application's own package.json nor files deeper in a
// package.
func TestNodeModules(t *testing.T) {
	img := imagetest.Build(t, imagetest.Config{},
		imagetest.Layer(t,
			imagetest.File("app/package.json", `{"name": "shop-web", "version": "1.0.0"}`),
			imagetest.File("app/node_modules/express/package.json", `{"name": "express", "version": "4.18.2", "license": "MIT"}`),
			imagetest.File("app/node_modules/express/lib/package.json", `{"name": "not-a-package", "version": "0.0.1"}`),
			imagetest.File("app/node_modules/@types/node/package.json", `{"name": "@types/node", "version": "20.10.5", "license": {"type": "MIT"}}`),
			imagetest.File("app/node_modules/send/node_modules/ms/package.json", `{"name": "ms", "version": "2.1.3"}`),
			imagetest.File("app/node_modules/broken/package.json", `{"name": `)))
	res := sbomtest.Scan(t, img)
	var got []string
	for _, p := range res.Packages {
		got = append(got, p.PURL+" "+strings.Join(p.Licenses, ",")+" "+p.Location)
	}
	want := []string{
		"pkg:npm/%40types/node@20.10.5 MIT /app/node_modules/@types/node/package.json",
		"pkg:npm/express@4.18.2 MIT /app/node_modules/express/package.json",
		"pkg:npm/ms@2.1.3  /app/node_modules/send/node_modules/ms/package.json",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("packages:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "/app/node_modules/broken/package.json") {
		t.Errorf("errors: %v", res.Errors)
	}
}

// TestRealPackages installs real npm packages (tarballs .ci/run fetched
// from npm's registry) into an image's node_modules, as npm lays them out,
// and finds each with the name and version its tarball is named by.
func TestRealPackages(t *testing.T) {
	dir := os.Getenv("DOZOR_NPM_PACKS")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "dozor-test", "npm")
	}
	tgzs, _ := filepath.Glob(filepath.Join(dir, "*.tgz"))
	if len(tgzs) == 0 {
		t.Skipf("no npm package tarballs in %s (.ci/run fetches them with npm pack)", dir)
	}
	var entries []imagetest.Entry
	want := map[string]bool{}
	for _, tgz := range tgzs {
		files := untgz(t, tgz)
		var m struct{ Name, Version string }
		if err := json.Unmarshal([]byte(files["package.json"]), &m); err != nil {
			t.Fatalf("%s: %v", tgz, err)
		}
		if !strings.HasSuffix(filepath.Base(tgz), "-"+m.Version+".tgz") {
			t.Fatalf("%s holds %s@%s", tgz, m.Name, m.Version)
		}
		want[m.Name+"@"+m.Version] = true
		for name, body := range files {
			entries = append(entries, imagetest.File("srv/app/node_modules/"+m.Name+"/"+name, body))
		}
	}
	img := imagetest.Build(t, imagetest.Config{}, imagetest.Layer(t, entries...))
	res := sbomtest.Scan(t, img)
	got := map[string]bool{}
	for _, p := range res.Packages {
		got[p.Name+"@"+p.Version] = true
	}
	if len(got) != len(want) {
		t.Errorf("found %v, want %v", got, want)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("%s not found", k)
		}
	}
}

// untgz reads a gzip'd tarball's regular files, without the directory
// they are all in ("package/", or the name for @types packages).
func untgz(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, 8<<20))
		if err != nil {
			t.Fatal(err)
		}
		_, rel, _ := strings.Cut(h.Name, "/")
		out[rel] = string(data)
	}
}
