package rust_test

import (
	"archive/tar"
	"bytes"
	"compress/zlib"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/sbom/extractors"
	"github.com/dozor-dev/dozor/sbom/lang/rust"
	"github.com/dozor-dev/dozor/sbom/sbomtest"
)

// scan runs the extractor alone over an image of layers.
func scan(t *testing.T, layers ...v1.Layer) *extractors.Result {
	t.Helper()
	return sbomtest.With(t, imagetest.Build(t, imagetest.Config{}, layers...), rust.New())
}

func exe(name string, data []byte) imagetest.Entry {
	return imagetest.Entry{Name: name, Body: string(data), Type: tar.TypeReg, Mode: 0o755}
}

func write(t *testing.T, files map[string]string) {
	t.Helper()
	for name, body := range files {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// metadata is what `cargo metadata` says of a workspace.
type metadata struct {
	Packages []struct {
		ID      string  `json:"id"`
		Name    string  `json:"name"`
		Version string  `json:"version"`
		Source  *string `json:"source"`
	} `json:"packages"`
	Resolve struct {
		Root  string `json:"root"`
		Nodes []struct {
			ID           string   `json:"id"`
			Dependencies []string `json:"dependencies"`
		} `json:"nodes"`
	} `json:"resolve"`
}

// workspace builds, with no network, a real workspace: a binary crate
// depending on a path crate, on a crate from a git repository (a local
// one, file://) and on two crates from crates.io, vendored (Cargo's
// directory source replacing crates.io, as `cargo vendor` sets up) since
// crates.io is not reachable here; cargo records them in Cargo.lock as
// crates.io's. It returns the binary, Cargo.lock and cargo's metadata.
func workspace(t *testing.T) (bin, lock []byte, meta metadata) {
	t.Helper()
	for _, tool := range []string{"cargo", "git", "objcopy"} {
		if _, err := exec.LookPath(tool); err != nil {
			if home, _ := os.UserHomeDir(); tool == "cargo" && home != "" {
				if _, err := os.Stat(filepath.Join(home, ".cargo", "bin", "cargo")); err == nil {
					t.Setenv("PATH", filepath.Join(home, ".cargo", "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
					continue
				}
			}
			t.Skipf("no %s on PATH to build a Rust binary with", tool)
		}
	}
	tmp := t.TempDir()
	env := []string{"CARGO_HOME=" + filepath.Join(tmp, "cargo-home"), "CARGO_TARGET_DIR=" + filepath.Join(tmp, "target"),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com"}
	if os.Getenv("RUSTUP_HOME") == "" {
		if home, _ := os.UserHomeDir(); home != "" {
			env = append(env, "RUSTUP_HOME="+filepath.Join(home, ".rustup"))
		}
	}
	gitDir := filepath.Join(tmp, "git-dep")
	write(t, map[string]string{
		filepath.Join(gitDir, "Cargo.toml"): "[package]\nname = \"fixture-git-dep\"\nversion = \"0.3.1\"\nedition = \"2021\"\n",
		filepath.Join(gitDir, "src/lib.rs"): "pub fn g() -> u32 { 4 }\n",
	})
	run(t, gitDir, env, "git", "init", "-q")
	run(t, gitDir, env, "git", "add", "-A")
	run(t, gitDir, env, "git", "commit", "-qm", "init")

	ws := filepath.Join(tmp, "ws")
	vendor := func(name, version, deps, lib string) map[string]string {
		dir := filepath.Join(ws, "vendor", name)
		return map[string]string{
			filepath.Join(dir, "Cargo.toml"): "[package]\nname = \"" + name + "\"\nversion = \"" + version + "\"\nedition = \"2021\"\n" + deps,
			filepath.Join(dir, "src/lib.rs"): lib,
			// What `cargo vendor` writes: the files' and the package's
			// sha256 (cargo checks the files listed, none here).
			filepath.Join(dir, ".cargo-checksum.json"): `{"files":{},"package":"` + strings.Repeat(name[len(name)-1:], 64) + `"}`,
		}
	}
	write(t, map[string]string{
		filepath.Join(ws, "Cargo.toml"):         "[workspace]\nmembers = [\"app\", \"util\"]\nresolver = \"2\"\n",
		filepath.Join(ws, ".cargo/config.toml"): "[source.crates-io]\nreplace-with = \"vendored\"\n\n[source.vendored]\ndirectory = \"vendor\"\n",
		filepath.Join(ws, "app/Cargo.toml"): "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n" +
			"util = { path = \"../util\" }\nfixture-reg-a = \"1.2\"\nfixture-git-dep = { git = \"file://" + filepath.ToSlash(gitDir) + "\" }\n",
		filepath.Join(ws, "app/src/main.rs"): "fn main() { println!(\"{}\", util::u() + fixture_reg_a::a() + fixture_git_dep::g()); }\n",
		filepath.Join(ws, "util/Cargo.toml"): "[package]\nname = \"util\"\nversion = \"0.2.0\"\nedition = \"2021\"\n",
		filepath.Join(ws, "util/src/lib.rs"): "pub fn u() -> u32 { 1 }\n",
	})
	for _, files := range []map[string]string{
		vendor("fixture-reg-a", "1.2.3", "\n[dependencies]\nfixture-reg-b = \"0.4\"\n", "pub fn a() -> u32 { fixture_reg_b::b() + 1 }\n"),
		vendor("fixture-reg-b", "0.4.0", "", "pub fn b() -> u32 { 2 }\n"),
	} {
		write(t, files)
	}
	// A git source is fetched (from the local repository) before an
	// offline build.
	run(t, ws, env, "cargo", "fetch")
	run(t, ws, env, "cargo", "build", "--offline", "--quiet")
	binPath := filepath.Join(tmp, "target", "debug", "app")
	if out := strings.TrimSpace(string(run(t, ws, env, binPath))); out != "8" {
		t.Fatalf("the binary printed %q, want 8", out)
	}
	if err := json.Unmarshal(run(t, ws, env, "cargo", "metadata", "--format-version", "1", "--offline"), &meta); err != nil {
		t.Fatal(err)
	}
	var err error
	if bin, err = os.ReadFile(binPath); err != nil {
		t.Fatal(err)
	}
	if lock, err = os.ReadFile(filepath.Join(ws, "Cargo.lock")); err != nil {
		t.Fatal(err)
	}
	return bin, lock, meta
}

// auditJSON is the data cargo-auditable derives from `cargo metadata`:
// every package of the build, sorted, with its dependencies by index and
// the root marked; sources "crates.io", "git" or "local".
func auditJSON(t *testing.T, meta metadata) []byte {
	t.Helper()
	type pkg struct {
		Name         string `json:"name"`
		Version      string `json:"version"`
		Source       string `json:"source"`
		Dependencies []int  `json:"dependencies,omitempty"`
		Root         bool   `json:"root,omitempty"`
		id           string
	}
	var pkgs []pkg
	for _, p := range meta.Packages {
		source := "local"
		if p.Source != nil {
			switch {
			case *p.Source == "registry+https://github.com/rust-lang/crates.io-index":
				source = "crates.io"
			case strings.HasPrefix(*p.Source, "git+"):
				source = "git"
			default:
				source = "registry"
			}
		}
		pkgs = append(pkgs, pkg{Name: p.Name, Version: p.Version, Source: source, id: p.ID, Root: p.ID == meta.Resolve.Root})
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Name+" "+pkgs[i].Version < pkgs[j].Name+" "+pkgs[j].Version })
	index := map[string]int{}
	for i, p := range pkgs {
		index[p.id] = i
	}
	for _, n := range meta.Resolve.Nodes {
		i, ok := index[n.ID]
		if !ok {
			t.Fatalf("cargo metadata: node %s is no package", n.ID)
		}
		for _, d := range n.Dependencies {
			pkgs[i].Dependencies = append(pkgs[i].Dependencies, index[d])
		}
		slices.Sort(pkgs[i].Dependencies)
	}
	data, err := json.Marshal(map[string]any{"packages": pkgs})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// audited adds a .dep-v0 section holding data, zlib-compressed, to a
// copy of bin, as cargo-auditable's linker step places it (a section
// not loaded, with no flags).
func audited(t *testing.T, bin, data []byte) []byte {
	t.Helper()
	dir := t.TempDir()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	write(t, map[string]string{filepath.Join(dir, "dep-v0"): z.String(), filepath.Join(dir, "bin"): string(bin)})
	run(t, dir, nil, "objcopy", "--add-section", ".dep-v0=dep-v0", "--set-section-flags", ".dep-v0=noload,readonly", "bin", "audited")
	out, err := os.ReadFile(filepath.Join(dir, "audited"))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWorkspace finds, in a real Cargo.lock and in the real binary built
// from it with cargo-auditable's section added, the crates cargo
// metadata lists with a source (registry or git), and not the path
// crates; the same binary without the section gives nothing, and so does
// one not executable.
func TestWorkspace(t *testing.T) {
	bin, lock, meta := workspace(t)
	var want []string
	for _, p := range meta.Packages {
		if p.Source != nil {
			want = append(want, "pkg:cargo/"+p.Name+"@"+p.Version)
		}
	}
	slices.Sort(want)
	if len(want) != 3 {
		t.Fatalf("cargo metadata lists %v with a source, want the two vendored crates and the git one", want)
	}
	withAudit := audited(t, bin, auditJSON(t, meta))
	// The section changes nothing of how the binary runs.
	audPath := filepath.Join(t.TempDir(), "app")
	if err := os.WriteFile(audPath, withAudit, 0o755); err != nil {
		t.Fatal(err)
	}
	if out := strings.TrimSpace(string(run(t, "", nil, audPath))); out != "8" {
		t.Fatalf("the audited binary printed %q, want 8", out)
	}
	res := scan(t,
		imagetest.Layer(t, imagetest.File("src/app/Cargo.lock", string(lock)), exe("usr/bin/plain", bin),
			imagetest.File("opt/not-executable", string(withAudit))),
		imagetest.Layer(t, exe("usr/local/bin/app", withAudit)))
	if len(res.Errors) > 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	got := map[string][]string{}
	for _, p := range res.Packages {
		got[p.Location] = append(got[p.Location], p.PURL)
		if wantLayer := map[string]int{"/src/app/Cargo.lock": 0, "/usr/local/bin/app": 1}[p.Location]; p.Layer != wantLayer || p.Type != "cargo" {
			t.Errorf("%s in %s: layer %d, type %q", p.PURL, p.Location, p.Layer, p.Type)
		}
	}
	for _, loc := range []string{"/src/app/Cargo.lock", "/usr/local/bin/app"} {
		if diff := cmp.Diff(want, got[loc]); diff != "" {
			t.Errorf("%s (-cargo metadata +found):\n%s", loc, diff)
		}
	}
	if len(got) != 2 {
		t.Errorf("packages found in %d files: %v", len(got), got)
	}
}

// TestBrokenAudit reports a binary whose .dep-v0 section is not zlib, or
// decompresses past the bound (a zlib bomb), naming the binary.
func TestBrokenAudit(t *testing.T) {
	if _, err := exec.LookPath("objcopy"); err != nil {
		t.Skip("no objcopy on PATH to add a section with")
	}
	bin, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skipf("no /bin/true to add a section to: %v", err)
	}
	dir := t.TempDir()
	bomb := filepath.Join(dir, "bomb")
	f, err := os.Create(bomb)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := zlib.NewWriterLevel(f, zlib.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 65 {
		if _, err := zw.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	write(t, map[string]string{filepath.Join(dir, "garbage"): "not zlib", filepath.Join(dir, "true"): string(bin)})
	for _, s := range []string{"garbage", "bomb"} {
		run(t, dir, nil, "objcopy", "--add-section", ".dep-v0="+s, "--set-section-flags", ".dep-v0=noload,readonly", "true", s+".bin")
	}
	readBin := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	res := scan(t, imagetest.Layer(t, exe("bin/garbage", readBin("garbage.bin")), exe("bin/bomb", readBin("bomb.bin"))))
	if len(res.Packages) != 0 {
		t.Errorf("packages: %v", res.Packages)
	}
	var errs []string
	for _, err := range res.Errors {
		errs = append(errs, err.Error())
	}
	slices.Sort(errs)
	if len(errs) != 2 || !strings.HasPrefix(errs[0], "/bin/bomb: cargo-auditable data: more than 67108864 bytes decompressed") ||
		!strings.HasPrefix(errs[1], "/bin/garbage: cargo-auditable data: zlib: invalid header") {
		t.Errorf("errors:\n%s", strings.Join(errs, "\n"))
	}
}

// TestLockfileVersions reads the Cargo.lock formats older cargo wrote —
// a [root] table and checksums in [metadata] (version 1), no version
// line (2) — which this machine's cargo no longer writes, so they are
// written here as cargo did; and [[patch.unused]] packages are not
// dependencies, nor are lockfiles in cargo's source cache the project's.
// A broken file is reported by line, the rest still read.
func TestLockfileVersions(t *testing.T) {
	v1 := `[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "libc 0.2.40 (registry+https://github.com/rust-lang/crates.io-index)",
 "serde 1.0.45 (git+https://github.com/serde-rs/serde?branch=v1#1234567)",
]

[[package]]
name = "libc"
version = "0.2.40"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "serde"
version = "1.0.45"
source = "git+https://github.com/serde-rs/serde?branch=v1#1234567"

[metadata]
"checksum libc 0.2.40 (registry+https://github.com/rust-lang/crates.io-index)" = "6fd41f331ac7c5b8ac259b8bf82c75c0fb2e469bbf37d2becbba9a6a2221965b"
`
	v2 := `# This file is automatically @generated by Cargo.
# It is not intended for manual editing.
[[package]]
name = "itoa"
version = "1.0.1"
source = "sparse+https://index.crates.io/"
checksum = "1aab8fc367588b89dcee83ab0fd66b72b50b72fa1904d7095045ace2b0c81c35"

[[patch.unused]]
name = "unused-patch"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
`
	broken := "version = 3\n\n[[package]]\nname = \"ok\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n" +
		"[[package]]\nname = \"bad\nversion = \"2.0.0\"\n"
	res := scan(t, imagetest.Layer(t, imagetest.File("a/Cargo.lock", v1), imagetest.File("b/Cargo.lock", v2),
		imagetest.File("c/Cargo.lock", broken),
		// A crate's own lockfile in cargo's source cache is not the project's.
		imagetest.File("root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/itoa-1.0.1/Cargo.lock", v1),
		imagetest.File("usr/local/cargo/git/checkouts/serde-1234/abcdef/Cargo.lock", v1)))
	var got []string
	for _, p := range res.Packages {
		got = append(got, p.PURL+" "+p.Location)
	}
	want := []string{
		"pkg:cargo/itoa@1.0.1 /b/Cargo.lock",
		"pkg:cargo/libc@0.2.40 /a/Cargo.lock",
		"pkg:cargo/ok@1.0.0 /c/Cargo.lock",
		"pkg:cargo/serde@1.0.45 /a/Cargo.lock",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if len(res.Errors) != 1 || !strings.HasPrefix(res.Errors[0].Error(), `/c/Cargo.lock: line 9: name: "\"bad": an unterminated string`) {
		t.Errorf("errors: %v", res.Errors)
	}
}
