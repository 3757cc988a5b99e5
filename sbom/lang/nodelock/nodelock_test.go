package nodelock_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/sbom/extractors"
	"github.com/dozor-dev/dozor/sbom/lang/nodelock"
	"github.com/dozor-dev/dozor/sbom/sbomtest"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// scan runs the extractor alone over an image of layers.
func scan(t *testing.T, layers ...v1.Layer) *extractors.Result {
	t.Helper()
	return sbomtest.With(t, imagetest.Build(t, imagetest.Config{}, layers...), nodelock.New())
}

func read(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// npmLs is what `npm ls --all --package-lock-only --parseable --long`
// listed: links to local directories left out, aliases as the package
// they stand for.
func npmLs(t *testing.T, name string) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(read(t, name)))
	for i := 0; sc.Scan(); i++ {
		// /dir/node_modules/x:NAME@VERSION[:LINK TARGET]
		_, spec, _ := strings.Cut(sc.Text(), ":")
		if i == 0 {
			continue // the project
		}
		if strings.HasPrefix(spec, "ms-old@npm:") {
			spec = strings.TrimPrefix(spec, "ms-old@npm:")
		} else if strings.Contains(spec, ":") {
			continue // a link: NAME@VERSION:TARGET
		}
		out = append(out, spec)
	}
	return out
}

// pnpmLs is what `pnpm ls --depth Infinity --parseable --long` listed,
// without the local directory dependency (local-lib@...).
func pnpmLs(t *testing.T, name string) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(read(t, name)))
	for i := 0; sc.Scan(); i++ {
		_, spec, _ := strings.Cut(sc.Text(), ":")
		if i == 0 || strings.HasPrefix(spec, "local-lib@") {
			continue
		}
		out = append(out, spec)
	}
	return out
}

// yarnList is what `yarn list --json` (classic) listed: every tree node
// that is not a "shadow" (a reference to a node listed elsewhere); an
// alias is listed by its alias name ("ms-old@2.0.0", which the lockfile
// resolves to npm:ms@2.0.0), the local directory dependency left out.
func yarnList(t *testing.T, name string) []string {
	t.Helper()
	type node struct {
		Name     string `json:"name"`
		Shadow   bool   `json:"shadow"`
		Children []node `json:"children"`
	}
	var doc struct {
		Data struct {
			Trees []node `json:"trees"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(read(t, name)), &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func([]node)
	walk = func(ns []node) {
		for _, n := range ns {
			if !n.Shadow && !strings.HasPrefix(n.Name, "local-lib@") {
				out = append(out, strings.Replace(n.Name, "ms-old@", "ms@", 1))
			}
			walk(n.Children)
		}
	}
	walk(doc.Data.Trees)
	return out
}

// yarnInfo is what `yarn info --all --recursive --name-only --json`
// (berry) listed: JSON strings "NAME@npm:VERSION", the workspace and the
// local directory (file:) left out.
func yarnInfo(t *testing.T, name string) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(read(t, name)))
	for sc.Scan() {
		var locator string
		if err := json.Unmarshal(sc.Bytes(), &locator); err != nil {
			t.Fatal(err)
		}
		if n, v, ok := strings.Cut(locator[1:], "@npm:"); ok {
			out = append(out, locator[:1]+n+"@"+v)
		}
	}
	return out
}

// set sorts and deduplicates.
func set(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// TestRealLockfiles reads lockfiles npm 6 and 11, yarn 1 and 4 and pnpm
// 7, 8 and 9 wrote (testdata/README.md), and finds the packages each
// tool itself lists for the same project.
func TestRealLockfiles(t *testing.T) {
	cases := []struct {
		dir, lockfile string
		want          []string
	}{
		{"npm-v1", "package-lock.json", npmLs(t, "npm-v1/npm-ls.txt")},
		{"npm-v2", "package-lock.json", npmLs(t, "npm-v2/npm-ls.txt")},
		{"npm-v3", "package-lock.json", npmLs(t, "npm-v3/npm-ls.txt")},
		{"npm-v3", "node_modules/.package-lock.json", npmLs(t, "npm-v3/npm-ls.txt")},
		{"npm-v2", "npm-shrinkwrap.json", npmLs(t, "npm-v2/npm-ls.txt")},
		{"yarn-v1", "yarn.lock", yarnList(t, "yarn-v1/yarn-list.json")},
		{"yarn-berry", "yarn.lock", yarnInfo(t, "yarn-berry/yarn-info.txt")},
		{"pnpm-v5", "pnpm-lock.yaml", pnpmLs(t, "pnpm-v5/pnpm-ls.txt")},
		{"pnpm-v6", "pnpm-lock.yaml", pnpmLs(t, "pnpm-v6/pnpm-ls.txt")},
		{"pnpm-v9", "pnpm-lock.yaml", pnpmLs(t, "pnpm-v9/pnpm-ls.txt")},
	}
	var entries []imagetest.Entry
	for _, c := range cases {
		src := c.lockfile
		if src == "node_modules/.package-lock.json" {
			src = "hidden-package-lock.json"
		}
		if c.lockfile == "npm-shrinkwrap.json" {
			src = "package-lock.json"
		}
		entries = append(entries, imagetest.File("srv/"+c.dir+"/"+c.lockfile, read(t, c.dir+"/"+src)))
	}
	res := scan(t, imagetest.Layer(t, imagetest.File("etc/hostname", "x")), imagetest.Layer(t, entries...))
	if len(res.Errors) > 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	got := map[string][]string{}
	for _, p := range res.Packages {
		got[p.Location] = append(got[p.Location], p.Name+"@"+p.Version)
		if p.Layer != 1 || p.Type != "npm" || p.Extractor != "node-lockfile" {
			t.Errorf("%s in %s: layer %d, type %q, extractor %q", p.PURL, p.Location, p.Layer, p.Type, p.Extractor)
		}
	}
	for _, c := range cases {
		loc := "/srv/" + c.dir + "/" + c.lockfile
		want := set(c.want)
		// express 4.21.2's tree, debug, ms (three versions), is-number
		// (two), has-flag, supports-color, @types/ms.
		if len(want) < 75 {
			t.Fatalf("%s: the tool listed only %d packages: %v", c.dir, len(want), want)
		}
		if diff := cmp.Diff(want, set(got[loc])); diff != "" {
			t.Errorf("%s: packages differ from the tool's list (-tool +found):\n%s", loc, diff)
		}
		if n := len(got[loc]); n != len(want) {
			t.Errorf("%s: %d packages, %d distinct", loc, n, len(want))
		}
	}
	// The purl of a scoped package, and licences where npm records them.
	for _, p := range res.Packages {
		if p.Location == "/srv/npm-v3/package-lock.json" && p.Name == "@types/ms" {
			if p.PURL != "pkg:npm/%40types/ms@0.7.34" || !slices.Equal(p.Licenses, []string{"MIT"}) {
				t.Errorf("@types/ms: purl %s, licences %v", p.PURL, p.Licenses)
			}
		}
		if p.Location == "/srv/pnpm-v9/pnpm-lock.yaml" && p.Name == "@types/ms" && p.PURL != "pkg:npm/%40types/ms@0.7.34" {
			t.Errorf("@types/ms: purl %s", p.PURL)
		}
	}
}

// TestWhichFiles reads the application's lockfiles and npm's hidden
// lockfile, not lockfiles inside installed packages; a broken lockfile is
// reported by name, and the others still read.
func TestWhichFiles(t *testing.T) {
	lock := func(name, version string) string {
		return `{"lockfileVersion": 3, "packages": {"": {"name": "app"}, "node_modules/` + name + `": {"version": "` + version + `"}}}`
	}
	res := scan(t, imagetest.Layer(t,
		imagetest.File("app/package-lock.json", lock("a", "1.0.0")),
		imagetest.File("app/node_modules/.package-lock.json", lock("b", "1.0.0")),
		imagetest.File("app/node_modules/x/package-lock.json", lock("c", "1.0.0")),
		imagetest.File("app/node_modules/x/node_modules/.package-lock.json", lock("d", "1.0.0")),
		imagetest.File("app/node_modules/@s/y/yarn.lock", "e@^1:\n  version \"1.0.0\"\n"),
		imagetest.File("usr/lib/node_modules/npm/npm-shrinkwrap.json", lock("f", "1.0.0")),
		imagetest.File("app/other/package-lock.json", lock("g", "1.0.0")),
		imagetest.File("app/broken/package-lock.json", `{"packages": `),
		imagetest.File("app/broken/yarn.lock", "ok@^1:\n  version \"1.0.0\"\nnot an entry\n"),
		imagetest.File("app/broken/pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: [\n"),
		imagetest.File("app/node_modules/.package-lock.json.bak", lock("h", "1.0.0")),
	))
	var got []string
	for _, p := range res.Packages {
		got = append(got, p.PURL+" "+p.Location)
	}
	want := []string{
		"pkg:npm/a@1.0.0 /app/package-lock.json",
		"pkg:npm/b@1.0.0 /app/node_modules/.package-lock.json",
		"pkg:npm/g@1.0.0 /app/other/package-lock.json",
		"pkg:npm/ok@1.0.0 /app/broken/yarn.lock",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	var errs []string
	for _, err := range res.Errors {
		errs = append(errs, err.Error())
	}
	slices.Sort(errs)
	if len(errs) != 3 || !strings.HasPrefix(errs[0], "/app/broken/package-lock.json: ") ||
		!strings.HasPrefix(errs[1], "/app/broken/pnpm-lock.yaml: ") ||
		!strings.HasPrefix(errs[2], `/app/broken/yarn.lock: line 3: "not an entry" is not an entry`) {
		t.Errorf("errors:\n%s", strings.Join(errs, "\n"))
	}
}
