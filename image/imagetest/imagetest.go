// Package imagetest builds container images for tests, from tar entries
// written in the test, and serves them from a real OCI registry
// (go-containerregistry's) on 127.0.0.1, or writes them as an OCI layout
// or a docker save tarball.
package imagetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Entry is one tar entry of a layer.
type Entry struct {
	Name, Body, Link string
	Type             byte
	Mode             int64
	// Zeros makes the body that many zero bytes instead of Body.
	Zeros int64
}

// File is a regular file entry.
func File(name, body string) Entry {
	return Entry{Name: name, Body: body, Type: tar.TypeReg, Mode: 0o644}
}

// Dir is a directory entry.
func Dir(name string) Entry { return Entry{Name: name, Type: tar.TypeDir, Mode: 0o755} }

// Symlink is a symbolic link entry.
func Symlink(name, target string) Entry {
	return Entry{Name: name, Link: target, Type: tar.TypeSymlink, Mode: 0o777}
}

// Hardlink is a hard link entry.
func Hardlink(name, target string) Entry { return Entry{Name: name, Link: target, Type: tar.TypeLink} }

// Whiteout deletes name from the layers below (".wh.NAME").
func Whiteout(dir, base string) Entry {
	return Entry{Name: strings.TrimPrefix(dir+"/.wh."+base, "/"), Type: tar.TypeReg}
}

// Opaque hides a directory's contents in the layers below.
func Opaque(dir string) Entry { return Entry{Name: dir + "/.wh..wh..opq", Type: tar.TypeReg} }

// Layer makes a gzip'd tar layer of entries, as image builders write them.
func Layer(t testing.TB, entries ...Entry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := writeEntry(tw, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func writeEntry(tw *tar.Writer, e Entry) error {
	h := &tar.Header{Name: e.Name, Typeflag: e.Type, Mode: e.Mode, Linkname: e.Link, ModTime: time.Unix(1700000000, 0)}
	var body io.Reader = strings.NewReader(e.Body)
	if e.Type == tar.TypeReg {
		h.Size = int64(len(e.Body))
		if e.Zeros > 0 {
			h.Size, body = e.Zeros, io.LimitReader(zeros{}, e.Zeros)
		}
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	_, err := io.Copy(tw, body)
	return err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// Config is what Build sets in the image's configuration.
type Config struct {
	User string
	Env  []string
	Cmd  []string
	// CreatedBy are the layers' history steps (default "step A", ...).
	CreatedBy []string
}

// Build makes a linux/amd64 image of layers, each with a history step
// ("step A", "step B", ...).
func Build(t testing.TB, cfg Config, layers ...v1.Layer) v1.Image {
	t.Helper()
	var adds []mutate.Addendum
	for i, l := range layers {
		by := "step " + string(rune('A'+i))
		if i < len(cfg.CreatedBy) {
			by = cfg.CreatedBy[i]
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: by}})
	}
	img, err := mutate.Append(empty.Image, adds...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.User, cf.Config.Env, cf.Config.Cmd = cfg.User, cfg.Env, cfg.Cmd
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Registry serves a real OCI registry on 127.0.0.1 until the test ends,
// and returns its host:port.
func Registry(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	if !strings.HasPrefix(host, "127.0.0.1:") {
		t.Fatalf("the registry listens on %s, not loopback", host)
	}
	return host
}

// Push writes an image to ref ("127.0.0.1:PORT/repo:tag").
func Push(t testing.TB, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

// WriteLayout writes an OCI layout directory holding img.
func WriteLayout(t testing.TB, dir string, img v1.Image) {
	t.Helper()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img, layout.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"})); err != nil {
		t.Fatal(err)
	}
}

// WriteArchive writes a docker save tarball of img, tagged tag.
func WriteArchive(t testing.TB, path, tag string, img v1.Image) {
	t.Helper()
	tg, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(path, tg, img); err != nil {
		t.Fatal(err)
	}
}

// DirLayer makes a layer of a directory tree as it is on disk (a root
// file system debootstrap made, say): directories, regular files with
// their contents and modes, symbolic links; skip leaves out paths
// (relative, slash-separated) it returns true for, with what is under
// them; extra entries follow, in the same layer. The layer is compressed
// fast: it may be hundreds of megabytes.
func DirLayer(t testing.TB, dir string, skip func(rel string) bool, extra ...Entry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if skip != nil && skip(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		} else if !fi.Mode().IsRegular() && !fi.IsDir() {
			return nil // devices and sockets are not in images
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name = rel
		if fi.IsDir() {
			h.Name += "/"
		}
		h.Uname, h.Gname = "", ""
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			_ = f.Close()
			return err
		}
		return nil
	})
	for _, e := range extra {
		if err == nil {
			err = writeEntry(tw, e)
		}
	}
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	// Compressed once, here, rather than each time the layer is read.
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if _, err := zw.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	data := gz.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}
