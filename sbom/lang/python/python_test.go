package python_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/sbom/extractors"
	"github.com/dozor-dev/dozor/sbom/lang/python"
	"github.com/dozor-dev/dozor/sbom/sbomtest"
)

// scan runs the extractor alone over an image of one layer per list of
// entries.
func scan(t *testing.T, layers ...[]imagetest.Entry) *extractors.Result {
	t.Helper()
	return sbomtest.With(t, sbomtest.Layers(t, layers...), python.New())
}

// lines is each package as "PURL LICENCES LOCATION LAYER".
func lines(pkgs []sbom.Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, strings.Join([]string{p.PURL, strings.Join(p.Licenses, "|"), p.Location, strconv.Itoa(p.Layer)}, " "))
	}
	return out
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	return sbomtest.Testdata(t, name)
}

// TestDistPackages reads this machine's real Debian-installed
// distributions (/usr/lib/python3/dist-packages: dist-info directories,
// egg-info directories and egg-info files), their metadata files copied
// into an image, and compares every one with what Debian's own Python
// (importlib.metadata) reads of the same directory: name, version and
// the licence fields.
func TestDistPackages(t *testing.T) {
	const dir = "/usr/lib/python3/dist-packages"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no %s: not a Debian machine with Python packages", dir)
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3 to read the ground truth with")
	}
	// The ground truth: each distribution's directory or file, name,
	// version and the licences by the rule the extractor documents,
	// applied to the fields Python's email parser reads.
	script := `
import importlib.metadata as m, json, sys
out = []
for d in m.distributions(path=[sys.argv[1]]):
    md = d.metadata
    lic = []
    if md.get("License-Expression"):
        lic = [md["License-Expression"].strip()]
    elif md.get("License") and len(md["License"].strip()) <= 80 and "\n" not in md["License"].strip() and md["License"].strip().upper() != "UNKNOWN":
        lic = [md["License"].strip()]
    else:
        for c in md.get_all("Classifier") or []:
            if c.startswith("License :: OSI Approved :: "):
                lic.append(c[len("License :: OSI Approved :: "):])
    out.append({"path": str(d._path), "name": md["Name"], "version": d.version, "licenses": lic})
json.dump(out, sys.stdout)
`
	raw, err := exec.Command("/usr/bin/python3", "-c", script, dir).Output()
	if err != nil {
		t.Skipf("/usr/bin/python3 importlib.metadata: %v", err)
	}
	var truth []struct {
		Path, Name, Version string
		Licenses            []string
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	if len(truth) < 5 {
		t.Skipf("only %d distributions in %s", len(truth), dir)
	}
	// The metadata files only, as they lie on disk.
	var entries []imagetest.Entry
	want := map[string]string{}
	for _, d := range truth {
		file := d.Path
		if st, err := os.Stat(d.Path); err == nil && st.IsDir() {
			file = filepath.Join(d.Path, "PKG-INFO")
			if strings.HasSuffix(d.Path, ".dist-info") {
				file = filepath.Join(d.Path, "METADATA")
			}
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, imagetest.File(strings.TrimPrefix(file, "/"), string(data)))
		want[file] = d.Name + " " + d.Version + " " + strings.Join(d.Licenses, "|")
	}
	// One of them again, later, in a virtual environment.
	venv := "app/venv/lib/python3.11/site-packages/" + strings.TrimPrefix(entries[0].Name, "usr/lib/python3/dist-packages/")
	res := scan(t, entries, []imagetest.Entry{imagetest.File(venv, entries[0].Body)})
	if len(res.Errors) > 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	got := map[string]string{}
	for _, p := range res.Packages {
		got[p.Location] = p.Name + " " + p.Version + " " + strings.Join(p.Licenses, "|")
		if p.Type != "pypi" || p.Extractor != "python" || !strings.HasPrefix(p.PURL, "pkg:pypi/"+python.Normalize(p.Name)+"@") {
			t.Errorf("%+v", p)
		}
		if wantLayer := map[bool]int{true: 1, false: 0}[p.Location == "/"+venv]; p.Layer != wantLayer {
			t.Errorf("%s: layer %d, want %d", p.Location, p.Layer, wantLayer)
		}
	}
	if g, w := got["/"+venv], want["/"+entries[0].Name]; g != w {
		t.Errorf("in the virtual environment: %q, want %q", g, w)
	}
	delete(got, "/"+venv)
	for file, w := range want {
		if got[file] != w {
			t.Errorf("%s: Got() = %q, want %q", file, got[file], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d distributions, Python finds %d", len(got), len(want))
	}
	t.Logf("%d distributions of %s, as Python reads them", len(want), dir)
}

// TestPipFreeze reads the requirements file Debian's pip writes of the
// real dist-packages directory (pip freeze --all) and finds each
// distribution importlib.metadata lists there, by normalised name.
func TestPipFreeze(t *testing.T) {
	const dir = "/usr/lib/python3/dist-packages"
	frozen, err := exec.Command("/usr/bin/python3", "-m", "pip", "freeze", "--all", "--path", dir).Output()
	if err != nil {
		t.Skipf("/usr/bin/python3 -m pip freeze: %v (Debian's python3-pip is missing)", err)
	}
	raw, err := exec.Command("/usr/bin/python3", "-c", `
import importlib.metadata as m, sys
for d in m.distributions(path=[sys.argv[1]]):
    print(d.metadata["Name"], d.version)
`, dir).Output()
	if err != nil {
		t.Skipf("/usr/bin/python3 importlib.metadata: %v", err)
	}
	var want []string
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		name, version, _ := strings.Cut(l, " ")
		want = append(want, "pkg:pypi/"+python.Normalize(name)+"@"+version)
	}
	slices.Sort(want)
	want = slices.Compact(want)
	res := scan(t, []imagetest.Entry{imagetest.File("srv/app/requirements.txt", string(frozen))})
	if len(res.Errors) > 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	var got []string
	for _, p := range res.Packages {
		got = append(got, p.PURL)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Got() = %v\nwant %v", got, want)
	}
	t.Logf("%d pinned requirements", len(got))
}

// TestLockfiles reads requirements, Poetry, Pipenv and uv lockfiles,
// fixtures in the formats pip-compile, Poetry 1.7, Pipenv and uv write
// (none of these tools is on this machine, nor PyPI to lock against);
// lockfiles of installed packages (in site-packages) are not read.
func TestLockfiles(t *testing.T) {
	res := scan(t, []imagetest.Entry{
		imagetest.File("app/requirements.txt", testdata(t, "requirements.txt")),
		imagetest.File("app/poetry.lock", testdata(t, "poetry.lock")),
		imagetest.File("app/Pipfile.lock", testdata(t, "Pipfile.lock")),
		imagetest.File("app/uv.lock", testdata(t, "uv.lock")),
		imagetest.File("usr/lib/python3/site-packages/foo/requirements.txt", "notread==1.0\n"),
		imagetest.File("srv/requirements-dev.txt", "pytest==7.4.3\n"),
		imagetest.File("srv/broken/poetry.lock", "[[package]]\nname = \"x\"\nversion = \n"),
		imagetest.File("srv/broken/Pipfile.lock", "{\"default\": "),
		imagetest.File("srv/deep/uv.lock", "a = "+strings.Repeat("[", 100000)),
	})
	want := []string{
		"pkg:pypi/blinker@1.7.0  /app/Pipfile.lock 0",
		"pkg:pypi/certifi@2023.11.17  /app/poetry.lock 0",
		"pkg:pypi/certifi@2023.7.22  /app/requirements.txt 0",
		"pkg:pypi/certifi@2024.8.30  /app/uv.lock 0",
		"pkg:pypi/charset-normalizer@3.3.2  /app/requirements.txt 0",
		"pkg:pypi/colorama@0.4.6  /app/poetry.lock 0",
		"pkg:pypi/flask@3.0.0  /app/Pipfile.lock 0",
		"pkg:pypi/idna@3.4  /app/requirements.txt 0",
		"pkg:pypi/pytest@7.4.3  /app/Pipfile.lock 0",
		"pkg:pypi/pytest@7.4.3  /app/poetry.lock 0",
		"pkg:pypi/pytest@7.4.3  /srv/requirements-dev.txt 0",
		"pkg:pypi/requests@2.31.0  /app/requirements.txt 0",
		"pkg:pypi/typing-extensions@4.12.2  /app/uv.lock 0",
		"pkg:pypi/urllib3@2.0.7  /app/requirements.txt 0",
		"pkg:pypi/zope-interface@6.0  /app/requirements.txt 0",
		"pkg:pypi/zope-interface@6.1  /app/poetry.lock 0",
	}
	got := lines(res.Packages)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Got() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var errs []string
	for _, err := range res.Errors {
		errs = append(errs, err.Error())
	}
	slices.Sort(errs)
	wantErrs := []string{
		`/app/requirements.txt: line 32: not a requirement: "broken line here==1.0"`,
		`/app/requirements.txt: line 33: no version after ==: "gunicorn=="`,
		"/srv/broken/Pipfile.lock: unexpected end of JSON input",
		"/srv/broken/poetry.lock: line 3: version is not a string",
		"/srv/deep/uv.lock: line 1: arrays or tables nested more than 64 deep",
	}
	if len(errs) != len(wantErrs) {
		t.Fatalf("errors:\n%s\nwant\n%s", strings.Join(errs, "\n"), strings.Join(wantErrs, "\n"))
	}
	for i := range errs {
		if !strings.HasPrefix(errs[i], wantErrs[i]) {
			t.Errorf("error %q, want %q...", errs[i], wantErrs[i])
		}
	}
}

// TestMetadataFiles reads hand-made metadata files of each kind: the
// licence rules, a broken file (named, with its line) and one found only
// by its name being an .egg-info file.
func TestMetadataFiles(t *testing.T) {
	long := "Copyright (c) 2024\n        Permission is hereby granted, free of charge, to any person obtaining a copy"
	res := scan(t, []imagetest.Entry{
		imagetest.File("app/venv/lib/python3.12/site-packages/Flask_Login-0.6.3.dist-info/METADATA",
			"Metadata-Version: 2.4\nName: Flask_Login\nVersion: 0.6.3\nLicense-Expression: MIT\nClassifier: License :: OSI Approved :: BSD License\n\nLicense: body, not a field\n"),
		imagetest.File("usr/local/lib/python3.12/site-packages/attrs-23.1.0.dist-info/METADATA",
			"Metadata-Version: 2.1\r\nName: attrs\r\nVersion: 23.1.0\r\nLicense: "+long+"\r\nClassifier: License :: OSI Approved :: MIT License\r\nClassifier: License :: OSI Approved :: Apache Software License\r\n"),
		imagetest.File("usr/lib/python3/dist-packages/six-1.16.0.egg-info", "Metadata-Version: 1.2\nName: six\nVersion: 1.16.0\nLicense: MIT\n"),
		imagetest.File("usr/lib/python3/dist-packages/unknown-1.0.egg-info/PKG-INFO", "Metadata-Version: 1.0\nName: unknown\nVersion: 1.0\nLicense: UNKNOWN\n"),
		imagetest.File("usr/lib/python3/dist-packages/broken-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: broken\nthis is not a field\nVersion: 1.0\n"),
		imagetest.File("usr/lib/python3/dist-packages/empty-1.0.dist-info/METADATA", ""),
		imagetest.File("usr/lib/python3/dist-packages/six-1.16.0.egg-info.bak", "Name: nope\nVersion: 1\n"),
	})
	want := []string{
		"pkg:pypi/attrs@23.1.0 MIT License|Apache Software License /usr/local/lib/python3.12/site-packages/attrs-23.1.0.dist-info/METADATA 0",
		"pkg:pypi/flask-login@0.6.3 MIT /app/venv/lib/python3.12/site-packages/Flask_Login-0.6.3.dist-info/METADATA 0",
		"pkg:pypi/six@1.16.0 MIT /usr/lib/python3/dist-packages/six-1.16.0.egg-info 0",
		"pkg:pypi/unknown@1.0  /usr/lib/python3/dist-packages/unknown-1.0.egg-info/PKG-INFO 0",
	}
	got := lines(res.Packages)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Got() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var errs []string
	for _, err := range res.Errors {
		errs = append(errs, err.Error())
	}
	slices.Sort(errs)
	wantErrs := []string{
		"/usr/lib/python3/dist-packages/broken-1.0.dist-info/METADATA: line 3: not a header field, and no Version field before it",
		"/usr/lib/python3/dist-packages/empty-1.0.dist-info/METADATA: no Name field",
	}
	if !slices.Equal(errs, wantErrs) {
		t.Errorf("errors:\n%s\nwant\n%s", strings.Join(errs, "\n"), strings.Join(wantErrs, "\n"))
	}
}

// TestWants keeps only the files the extractor reads, under 8 MiB.
func TestWants(t *testing.T) {
	e := python.New()
	for p, want := range map[string]bool{
		"usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA":    true,
		"usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/RECORD":      false,
		"usr/lib/python3/dist-packages/six-1.16.0.egg-info":              true,
		"usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO":     true,
		"usr/lib/python3/dist-packages/six-1.16.0.egg-info/requires.txt": false,
		"app/requirements.txt":                             true,
		"app/requirements-prod.txt":                        true,
		"app/requirements.in":                              false,
		"usr/lib/python3/dist-packages/x/requirements.txt": false,
		"app/poetry.lock":                                  true,
		"app/Pipfile.lock":                                 true,
		"app/Pipfile":                                      false,
		"app/uv.lock":                                      true,
		"app/METADATA":                                     false,
	} {
		if got := e.Wants(p, 100); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
	if e.Wants("app/requirements.txt", 8<<20) {
		t.Error("Wants an 8 MiB file")
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{"Zope.Interface": "zope-interface", "Flask_Login": "flask-login", "a-_.-b": "a-b", "PyYAML": "pyyaml"} {
		if got := python.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
