// Package image reads container images from a registry, an OCI layout
// directory, a `docker save` tarball or a root file system directory, and
// presents an image's final file system (every layer applied, whiteouts
// and opaque directories honoured) as an fs.FS in which every file keeps
// the layer that added it. Layers are streamed once, in order, and never
// unpacked to disk; only the files asked for are kept in memory, within
// limits; hostile layers (paths leaving the root, links out of it,
// devices, decompression bombs, millions of files) are bounded and
// reported, not trusted.
//
// It is the only package that imports go-containerregistry, but for the
// test helpers that build images (image/imagetest, sbom/sbomtest).
package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Source kinds.
const (
	SourceRegistry      = "registry"
	SourceOCILayout     = "oci-layout"
	SourceDockerArchive = "docker-archive"
	SourceRootFS        = "rootfs"
)

// Options say how to reach and read an image.
type Options struct {
	// Platform picks the image of a multi-platform index:
	// "os/arch[/variant]" (default linux/amd64).
	Platform string
	// Keychain gives registry credentials (default: the Docker config
	// file, $DOCKER_CONFIG/config.json, and its credential helpers).
	Keychain authn.Keychain
	// Limits bound the walk of the layers.
	Limits Limits
	// Keep says which files' contents to keep.
	Keep Keep
	// Sniffer looks into files as they stream by.
	Sniffer Sniffer
}

// Image is an image opened from one of the sources.
type Image struct {
	// Ref is what the image was opened by.
	Ref    string
	Source string
	// Digest is the manifest's digest ("" for a root file system).
	Digest string
	// Config is the image's configuration (nil for a root file system).
	Config *v1.ConfigFile
	// Layers are the layers, base first (none for a root file system).
	Layers []Layer

	img v1.Image
	dir string
}

// Layer is one layer and the history step that made it.
type Layer struct {
	Digest    string `json:"digest"`
	DiffID    string `json:"diffID"`
	Size      int64  `json:"size"`
	MediaType string `json:"mediaType"`
	// CreatedBy is the history step's command ("RUN apt-get install ..."),
	// when the history says.
	CreatedBy string    `json:"createdBy,omitempty"`
	Created   time.Time `json:"created,omitzero"`
	layer     v1.Layer
}

// Open opens an image. ref is a registry reference ("debian:12",
// "127.0.0.1:5000/app@sha256:..."), or a path: a directory with an
// oci-layout file, any other directory (a root file system), or a file
// (a `docker save` tarball). The prefixes registry:, oci:, docker-archive:
// and dir: say which explicitly.
func Open(ctx context.Context, ref string, opts Options) (*Image, error) {
	kind, target := sourceOf(ref)
	im := &Image{Ref: ref, Source: kind}
	platform, err := opts.platform()
	if err != nil {
		return nil, err
	}
	switch kind {
	case SourceRootFS:
		st, serr := os.Stat(target)
		if serr != nil {
			return nil, serr
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("%s: not a directory", target)
		}
		im.dir = target
		return im, nil
	case SourceOCILayout:
		im.img, err = fromLayout(target, platform)
	case SourceDockerArchive:
		im.img, err = tarball.ImageFromPath(target, nil)
	default:
		im.img, err = fromRegistry(ctx, target, platform, opts.Keychain)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	if err := im.describe(); err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return im, nil
}

func (o Options) platform() (v1.Platform, error) {
	if o.Platform == "" {
		return v1.Platform{OS: "linux", Architecture: "amd64"}, nil
	}
	p, err := v1.ParsePlatform(o.Platform)
	if err != nil {
		return v1.Platform{}, fmt.Errorf("platform %q: %w", o.Platform, err)
	}
	return *p, nil
}

// sourceOf tells a reference's kind from its prefix or from what is on
// disk.
func sourceOf(ref string) (kind, target string) {
	for _, p := range []struct{ prefix, kind string }{{"registry:", SourceRegistry}, {"oci:", SourceOCILayout},
		{"docker-archive:", SourceDockerArchive}, {"dir:", SourceRootFS}} {
		if rest, ok := strings.CutPrefix(ref, p.prefix); ok {
			return p.kind, rest
		}
	}
	st, err := os.Stat(ref)
	switch {
	case err != nil:
		return SourceRegistry, ref
	case st.IsDir():
		if _, err := os.Stat(filepath.Join(ref, "oci-layout")); err == nil {
			return SourceOCILayout, ref
		}
		return SourceRootFS, ref
	}
	return SourceDockerArchive, ref
}

func fromLayout(dir string, want v1.Platform) (v1.Image, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	return pickImage(idx, want, 0)
}

// pickImage finds the image for a platform in an index (and the indexes
// it holds), or its only image.
func pickImage(idx v1.ImageIndex, want v1.Platform, depth int) (v1.Image, error) {
	if depth > 4 {
		return nil, errors.New("indexes nested too deep")
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var only *v1.Descriptor
	images := 0
	for i := range m.Manifests {
		d := &m.Manifests[i]
		switch {
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, err
			}
			if img, err := pickImage(child, want, depth+1); err == nil {
				return img, nil
			}
		case d.MediaType.IsImage():
			images++
			only = d
			if d.Platform != nil && d.Platform.Satisfies(want) {
				return idx.Image(d.Digest)
			}
		}
	}
	if images == 1 {
		return idx.Image(only.Digest)
	}
	return nil, fmt.Errorf("no image for %s among %d", want.String(), images)
}

func fromRegistry(ctx context.Context, ref string, platform v1.Platform, kc authn.Keychain) (v1.Image, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, err
	}
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	return remote.Image(r, remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithPlatform(platform))
}

// describe reads the manifest digest, the configuration and the layers,
// and pairs layers with their history steps.
func (im *Image) describe() error {
	d, err := im.img.Digest()
	if err != nil {
		return err
	}
	im.Digest = d.String()
	if im.Config, err = im.img.ConfigFile(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	layers, err := im.img.Layers()
	if err != nil {
		return err
	}
	var steps []v1.History
	for _, h := range im.Config.History {
		if !h.EmptyLayer {
			steps = append(steps, h)
		}
	}
	for i, l := range layers {
		L := Layer{layer: l}
		if d, err := l.Digest(); err == nil {
			L.Digest = d.String()
		}
		if d, err := l.DiffID(); err == nil {
			L.DiffID = d.String()
		}
		if s, err := l.Size(); err == nil {
			L.Size = s
		}
		if mt, err := l.MediaType(); err == nil {
			L.MediaType = string(mt)
		}
		if i < len(steps) && len(steps) == len(layers) {
			L.CreatedBy, L.Created = steps[i].CreatedBy, steps[i].Created.Time
		}
		im.Layers = append(im.Layers, L)
	}
	return nil
}

// Walk is the result of walking an image's layers.
type Walk struct {
	FS *FS
	// Stats are per layer, base first.
	Stats    []LayerStats
	Warnings []Warning
	// Deleted are what whiteouts and opaque directories removed of lower
	// layers (at most 10,000), in the order of the layers.
	Deleted []Deletion
}

// FS streams the layers once, in order, and returns the final file
// system. An error of a limit or of a broken layer fails the walk.
func (im *Image) FS(ctx context.Context, opts Options) (*Walk, error) {
	w := newWalker(opts.Limits, opts.Keep, opts.Sniffer)
	if im.dir != "" {
		if err := w.rootFS(ctx, im.dir); err != nil {
			return nil, err
		}
	}
	for i, l := range im.Layers {
		rc, err := l.layer.Uncompressed()
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, l.Digest, err)
		}
		err = w.apply(ctx, i, rc)
		if cerr := rc.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("layer %d (%s): %w", i, l.Digest, cerr)
		}
		if err != nil {
			return nil, err
		}
	}
	w.fs.Files = 0
	_ = w.fs.Walk(func(f *File) error {
		if f.Mode.IsRegular() {
			w.fs.Files++
		}
		return nil
	})
	return &Walk{FS: w.fs, Stats: w.Stats, Warnings: w.Warnings, Deleted: w.Deleted}, nil
}

// rootFS reads a root file system directory's metadata without following
// links; contents are read from disk when opened, through an os.Root, so
// that no link leads out of the directory.
func (w *walker) rootFS(ctx context.Context, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	return fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			w.warn(-1, p, "%v", err)
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if p == "." {
			return nil
		}
		w.entries++
		if w.entries > w.limits.MaxFiles {
			return fmt.Errorf("%s: more than %d files: %w", dir, w.limits.MaxFiles, errLimit)
		}
		// The entry's own information, from its directory's listing: an
		// Lstat through the Root would walk the path again, a syscall per
		// element.
		st, err := d.Info()
		if err != nil {
			w.warn(-1, p, "%v", err)
			return nil
		}
		parentDir, base := filepath.Split(p)
		parent := w.dirNode(-1, strings.TrimSuffix(filepath.ToSlash(parentDir), "/"))
		f := File{Path: p, Mode: st.Mode(), Size: st.Size(), ModTime: st.ModTime(), Layer: -1}
		switch {
		case st.IsDir():
			parent.children[base] = &node{File: f, children: map[string]*node{}}
		case st.Mode()&fs.ModeSymlink != 0:
			f.Link, _ = root.Readlink(p)
			f.Size = 0
			parent.children[base] = &node{File: f}
		case st.Mode().IsRegular():
			n := &node{File: f, open: func() (io.ReadCloser, error) { return root.Open(p) }}
			if w.sniffer != nil && w.sniffer.WantsContent(p, st.Mode(), st.Size()) && st.Size() <= w.limits.MaxSniffFile {
				if file, err := root.Open(p); err == nil {
					n.sniffed = w.sniffer.Sniff(p, file, st.Size())
					_ = file.Close()
				}
			}
			if w.keep != nil && w.keep(p, st.Size()) && st.Size() <= w.limits.MaxKeptFile && w.kept+st.Size() <= w.limits.MaxKept {
				data, err := root.ReadFile(p)
				if err == nil {
					n.content, n.kept = data, true
					w.kept += int64(len(data))
				}
			}
			parent.children[base] = n
		default:
			f.Size = 0
			parent.children[base] = &node{File: f}
		}
		return nil
	})
}
