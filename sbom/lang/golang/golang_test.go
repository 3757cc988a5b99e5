package golang_test

import (
	"archive/tar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/sbom/sbomtest"
)

// goBinary builds a real Go program that imports a real module (from the
// module cache: no network), and returns its bytes.
func goBinary(t *testing.T) []byte {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no Go toolchain on PATH to build a binary with")
	}
	sum, err := os.ReadFile(filepath.Join("..", "..", "..", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(sum), "\n") {
		if strings.HasPrefix(l, "github.com/package-url/packageurl-go v0.1.7") {
			lines = append(lines, l)
		}
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.26\n\nrequire github.com/package-url/packageurl-go v0.1.7\n",
		"go.sum":  strings.Join(lines, "\n") + "\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\t\"github.com/package-url/packageurl-go\"\n)\n\nfunc main() { fmt.Println(packageurl.TypeGolang) }\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "app")
	cmd := exec.Command(goBin, "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestGoBinaries finds the modules of a real Go binary by its contents,
// wherever it is and whatever its name; a binary a later layer deletes or
// replaces, and an executable that is not Go, give nothing.
func TestGoBinaries(t *testing.T) {
	bin := goBinary(t)
	exe := func(name string, data []byte) imagetest.Entry {
		return imagetest.Entry{Name: name, Body: string(data), Type: tar.TypeReg, Mode: 0o755}
	}
	notGo, _ := os.ReadFile("/bin/true")
	img := imagetest.Build(t, imagetest.Config{},
		imagetest.Layer(t, exe("usr/local/bin/renamed-tool", bin), exe("opt/deleted", bin), exe("opt/replaced", bin)),
		imagetest.Layer(t, imagetest.Whiteout("opt", "deleted"), exe("opt/replaced", []byte("#!/bin/sh\necho not go anymore\n"+strings.Repeat("#", 5000))),
			exe("bin/true", notGo), imagetest.File("opt/data.bin", string(bin))))
	res := sbomtest.Scan(t, img)
	got := map[string]string{}
	for _, p := range res.Packages {
		got[p.PURL] = p.Location
		if p.Layer != 0 {
			t.Errorf("%s: layer %d", p.PURL, p.Layer)
		}
	}
	v, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	goVersion := strings.TrimPrefix(strings.TrimSpace(string(v)), "go")
	want := map[string]string{
		"pkg:golang/stdlib@" + goVersion:                         "/usr/local/bin/renamed-tool",
		"pkg:golang/github.com/package-url/packageurl-go@v0.1.7": "/usr/local/bin/renamed-tool",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: found in %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("packages: %v", got)
	}
}
