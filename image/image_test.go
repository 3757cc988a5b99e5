package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dozor-dev/dozor/image/imagetest"
)

var (
	file    = imagetest.File
	dir     = imagetest.Dir
	symlink = imagetest.Symlink
)

func layer(t testing.TB, entries ...imagetest.Entry) v1.Layer { return imagetest.Layer(t, entries...) }

func build(t testing.TB, layers ...v1.Layer) v1.Image {
	return imagetest.Build(t, imagetest.Config{User: "app", Env: []string{"PATH=/usr/bin", "API_TOKEN=not-printed"}}, layers...)
}

// layered is an image whose layers override, delete and hide each other.
func layered(t testing.TB) v1.Image {
	return build(t,
		layer(t, dir("etc"), file("etc/os-release", "ID=debian\n"), file("etc/passwd", "root:x:0:0\n"),
			dir("usr"), dir("usr/lib"), file("usr/lib/libc.so", "libc"), symlink("lib", "usr/lib"),
			dir("opt"), dir("opt/old"), file("opt/old/a", "a"), file("opt/keep", "k"),
			dir("var"), dir("var/cache"), file("var/cache/big", "cache")),
		layer(t, file("etc/os-release", "ID=distroless\n"), imagetest.Whiteout("etc", "passwd"),
			imagetest.Whiteout("var", "cache"),
			dir("opt"), imagetest.Opaque("opt"), file("opt/new", "n"),
			imagetest.Hardlink("bin/hard", "usr/lib/libc.so")),
	)
}

func walkImage(t testing.TB, img *Image, keep Keep) *Walk {
	t.Helper()
	w, err := img.FS(context.Background(), Options{Keep: keep})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func keepAll(string, int64) bool { return true }

func TestLayers(t *testing.T) {
	im := &Image{Ref: "test", img: layered(t)}
	if err := im.describe(); err != nil {
		t.Fatal(err)
	}
	if len(im.Layers) != 2 || im.Layers[1].CreatedBy != "step B" || !strings.HasPrefix(im.Digest, "sha256:") {
		t.Fatalf("layers: %+v", im.Layers)
	}
	w := walkImage(t, im, keepAll)
	f := w.FS
	read := func(name string) string {
		t.Helper()
		data, err := fs.ReadFile(f, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return string(data)
	}
	// A later layer's file replaces the earlier one, and says so.
	if got := read("etc/os-release"); got != "ID=distroless\n" {
		t.Errorf("os-release: %q", got)
	}
	if fi, _ := f.File("etc/os-release"); fi.Layer != 1 {
		t.Errorf("os-release from layer %d", fi.Layer)
	}
	if fi, _ := f.File("usr/lib/libc.so"); fi.Layer != 0 {
		t.Errorf("libc from layer %d", fi.Layer)
	}
	// Whiteouts delete a file and a whole directory.
	for _, gone := range []string{"etc/passwd", "var/cache", "var/cache/big", "opt/old", "opt/old/a", "opt/keep"} {
		if _, err := f.Stat(gone); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %v, want it gone", gone, err)
		}
	}
	// The opaque directory keeps what its own layer adds.
	if got := read("opt/new"); got != "n" {
		t.Errorf("opt/new: %q", got)
	}
	// Links resolve inside the image; a hard link has its target's contents.
	if got := read("lib/libc.so"); got != "libc" {
		t.Errorf("lib/libc.so through the link: %q", got)
	}
	if got := read("bin/hard"); got != "libc" {
		t.Errorf("hard link: %q", got)
	}
	if target, err := f.ReadLink("lib"); err != nil || target != "usr/lib" {
		t.Errorf("readlink lib: %q, %v", target, err)
	}
	if w.Stats[1].Whiteouts != 3 || f.Files != 4 {
		t.Errorf("stats %+v, %d files", w.Stats, f.Files)
	}
	// What they deleted is on record, with the layers and file counts.
	var deleted []string
	for _, d := range w.Deleted {
		deleted = append(deleted, fmt.Sprintf("%s %d>%d %d", d.Path, d.Added, d.Layer, d.Files))
	}
	slices.Sort(deleted)
	if got := strings.Join(deleted, ", "); got != "etc/passwd 0>1 1, opt/keep 0>1 1, opt/old 0>1 1, var/cache 0>1 1" {
		t.Errorf("deleted: %s", got)
	}
	if err := fstest.TestFS(f, "etc/os-release", "opt/new", "usr/lib/libc.so", "bin/hard"); err != nil {
		t.Error(err)
	}
}

// TestHostileLayers: entries that leave the root are skipped with a
// warning; links out of the root resolve inside it; devices are files
// without contents; loops end; limits refuse bombs and floods.
func TestHostileLayers(t *testing.T) {
	img := build(t, layer(t,
		file("../../etc/evil", "x"), file("/abs/ok", "abs"),
		symlink("escape", "../../../../etc"), dir("etc"), file("etc/shadow", "inside"),
		symlink("loop1", "loop2"), symlink("loop2", "loop1"),
		imagetest.Entry{Name: "dev/sda", Type: tar.TypeBlock, Mode: 0o600},
		imagetest.Hardlink("bin/hard", "../outside"),
	))
	im := &Image{Ref: "hostile", img: img}
	if err := im.describe(); err != nil {
		t.Fatal(err)
	}
	w := walkImage(t, im, keepAll)
	var warnings []string
	for _, x := range w.Warnings {
		warnings = append(warnings, x.String())
	}
	if len(w.Warnings) != 2 || !strings.Contains(warnings[0], `"../../etc/evil": the entry's path leaves the image's root`) ||
		!strings.Contains(warnings[1], `hard link to "../outside"`) {
		t.Errorf("warnings: %q", warnings)
	}
	if _, err := w.FS.Stat("etc/evil"); err == nil {
		t.Error("../../etc/evil was placed in the image")
	}
	if data, err := fs.ReadFile(w.FS, "abs/ok"); err != nil || string(data) != "abs" {
		t.Errorf("an absolute entry name: %q, %v", data, err)
	}
	// The link climbs past the root and stops there: it reads the image's
	// own /etc/shadow, never the host's.
	if data, err := fs.ReadFile(w.FS, "escape/shadow"); err != nil || string(data) != "inside" {
		t.Errorf("escape/shadow: %q, %v", data, err)
	}
	if _, err := fs.ReadFile(w.FS, "loop1"); err == nil || !strings.Contains(err.Error(), "symbolic links") {
		t.Errorf("a link loop: %v", err)
	}
	if fi, err := w.FS.Stat("dev/sda"); err != nil || fi.Mode()&fs.ModeDevice == 0 || fi.Size() != 0 {
		t.Errorf("device: %v %v", fi, err)
	}

	// A decompression bomb: 64 MiB of zeros are some 64 KiB compressed.
	bomb := &Image{Ref: "bomb", img: build(t, layer(t, imagetest.Entry{Name: "zeros", Type: tar.TypeReg, Mode: 0o644, Zeros: 64 << 20}))}
	if err := bomb.describe(); err != nil {
		t.Fatal(err)
	}
	if bomb.Layers[0].Size > 1<<20 {
		t.Fatalf("the bomb is %d bytes compressed", bomb.Layers[0].Size)
	}
	if _, err := bomb.FS(context.Background(), Options{Limits: Limits{MaxBytes: 8 << 20}}); !errors.Is(err, errLimit) {
		t.Errorf("a bomb over the byte limit: %v", err)
	}
	// A file too big to keep is walked, not kept, and said so.
	w2, err := bomb.FS(context.Background(), Options{Keep: keepAll, Limits: Limits{MaxKeptFile: 1 << 20}})
	if err != nil || len(w2.Warnings) != 1 || !strings.Contains(w2.Warnings[0].Message, "not read") {
		t.Errorf("a file over the kept limit: %v %v", err, w2.Warnings)
	}
	if _, err := fs.ReadFile(w2.FS, "zeros"); !errors.Is(err, ErrNotKept) {
		t.Errorf("reading a file not kept: %v", err)
	}
	// A flood of files.
	var many []imagetest.Entry
	for i := range 2000 {
		many = append(many, file("f/"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+"-"+strconv.Itoa(i), ""))
	}
	flood := &Image{Ref: "flood", img: build(t, layer(t, many...))}
	if err := flood.describe(); err != nil {
		t.Fatal(err)
	}
	if _, err := flood.FS(context.Background(), Options{Limits: Limits{MaxFiles: 1000}}); !errors.Is(err, errLimit) {
		t.Errorf("a flood of files over the limit: %v", err)
	}
}

// TestSources: the same image from a registry (served on loopback by
// go-containerregistry's registry), an OCI layout, a docker save tarball,
// and a root file system directory gives the same files.
func TestSources(t *testing.T) {
	img := layered(t)
	host := imagetest.Registry(t)
	imagetest.Push(t, host+"/test/layered:1", img)
	dir := t.TempDir()
	imagetest.WriteLayout(t, filepath.Join(dir, "oci"), img)
	archive := filepath.Join(dir, "image.tar")
	imagetest.WriteArchive(t, archive, "test/layered:1", img)
	rootfs := filepath.Join(dir, "rootfs")
	for name, body := range map[string]string{"etc/os-release": "ID=distroless\n", "usr/lib/libc.so": "libc", "opt/new": "n", "bin/hard": "libc"} {
		p := filepath.Join(rootfs, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("usr/lib", filepath.Join(rootfs, "lib")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(rootfs, "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A link out of the root file system must not reach the host.
	if err := os.Symlink("/etc/hostname", filepath.Join(rootfs, "etc/host-link")); err != nil {
		t.Fatal(err)
	}

	want := listing(t, walkImage(t, &Image{img: img, Layers: mustDescribe(t, img)}, nil).FS)
	for _, c := range []struct{ ref, kind string }{
		{host + "/test/layered:1", SourceRegistry},
		{filepath.Join(dir, "oci"), SourceOCILayout},
		{archive, SourceDockerArchive},
		{"docker-archive:" + archive, SourceDockerArchive},
		{rootfs, SourceRootFS},
	} {
		im, err := Open(context.Background(), c.ref, Options{Keychain: authn.NewMultiKeychain()})
		if err != nil {
			t.Errorf("%s: %v", c.ref, err)
			continue
		}
		if im.Source != c.kind {
			t.Errorf("%s: source %s, want %s", c.ref, im.Source, c.kind)
		}
		w := walkImage(t, im, keepAll)
		got := listing(t, w.FS)
		if c.kind == SourceRootFS {
			got = strings.Replace(got, "etc/host-link -> /etc/hostname\n", "", 1)
			if _, err := fs.ReadFile(w.FS, "etc/host-link"); err == nil {
				t.Error("a link out of the root file system was followed to the host")
			}
		} else if im.Config.Config.User != "app" || len(im.Layers) != 2 {
			t.Errorf("%s: user %q, %d layers", c.ref, im.Config.Config.User, len(im.Layers))
		}
		if got != want {
			t.Errorf("%s: files\n%s\nwant\n%s", c.ref, got, want)
		}
		if data, err := fs.ReadFile(w.FS, "lib/libc.so"); err != nil || string(data) != "libc" {
			t.Errorf("%s: lib/libc.so: %q %v", c.ref, data, err)
		}
	}
	if _, err := Open(context.Background(), host+"/test/missing:1", Options{Keychain: authn.NewMultiKeychain()}); err == nil {
		t.Error("a missing image opened")
	}
}

func mustDescribe(t *testing.T, img v1.Image) []Layer {
	im := &Image{img: img}
	if err := im.describe(); err != nil {
		t.Fatal(err)
	}
	return im.Layers
}

// listing is every file's path, kind and size (links with targets).
func listing(t *testing.T, f *FS) string {
	var b strings.Builder
	_ = f.Walk(func(x *File) error {
		switch {
		case x.Mode&fs.ModeSymlink != 0:
			b.WriteString(x.Path + " -> " + x.Link + "\n")
		case x.Mode.IsDir():
		default:
			b.WriteString(x.Path + " " + strconv.Itoa(int(x.Size)) + "\n")
		}
		return nil
	})
	return b.String()
}
