package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// Limits bound what a walk of hostile layers may cost. Zero values take
// the defaults.
type Limits struct {
	// MaxFiles is the most entries of all layers together (default
	// 2,000,000): millions of tiny files are an attack on memory.
	MaxFiles int
	// MaxBytes is the most uncompressed bytes of all layers together
	// (default 64 GiB): a decompression bomb stops here.
	MaxBytes int64
	// MaxKeptFile is the most bytes kept of one file (default 64 MiB);
	// longer files are not kept, and a warning says so.
	MaxKeptFile int64
	// MaxKept is the most bytes kept in all (default 1 GiB).
	MaxKept int64
	// MaxSniffFile is the largest file a Sniffer is given (default
	// 256 MiB); it is held in memory while sniffed.
	MaxSniffFile int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = 2_000_000
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = 64 << 30
	}
	if l.MaxKeptFile <= 0 {
		l.MaxKeptFile = 64 << 20
	}
	if l.MaxKept <= 0 {
		l.MaxKept = 1 << 30
	}
	if l.MaxSniffFile <= 0 {
		l.MaxSniffFile = 256 << 20
	}
	return l
}

// Keep says whether to keep a file's contents, by its path in the image
// (clean, relative: "var/lib/dpkg/status") and size.
type Keep func(path string, size int64) bool

// Sniffer looks at regular files' contents as the walk streams them, for
// what is found by content rather than by path (Go binaries, say): Wants
// picks files by path, mode and size; Sniff reads one (held in memory for
// the call only: the buffer is reused, so what Sniff returns must not
// refer to it) and returns what it makes of it, nil for nothing. The
// result stays with the file in the final file system (FS.Sniffed): a
// file a later layer replaces or deletes takes its result with it.
type Sniffer interface {
	WantsContent(path string, mode fs.FileMode, size int64) bool
	Sniff(path string, content io.ReaderAt, size int64) any
}

// Warning is something wrong with an entry of a layer that the walk
// skipped or changed: it names the layer and the entry.
type Warning struct {
	Layer   int    `json:"layer"`
	Entry   string `json:"entry"`
	Message string `json:"message"`
}

func (w Warning) String() string {
	return fmt.Sprintf("layer %d: %q: %s", w.Layer, w.Entry, w.Message)
}

// LayerStats are what one layer did to the file system.
type LayerStats struct {
	Entries   int   `json:"entries"`
	Bytes     int64 `json:"bytes"`
	Whiteouts int   `json:"whiteouts"`
}

// Deletion is a file or directory of a lower layer that a whiteout or an
// opaque directory deleted: evidence of what a build removed (a package
// database, say) even though the final file system no longer has it.
type Deletion struct {
	// Path is clean and relative to the root.
	Path string `json:"path"`
	// Layer deleted it; Added is the layer that had written it.
	Layer int `json:"layer"`
	Added int `json:"added"`
	// Files counts the regular files deleted with it (itself, or the
	// directory's).
	Files int `json:"files"`
}

// maxDeletions bounds the deletions recorded.
const maxDeletions = 10_000

// walker applies layers, one tar stream each, to a file system.
type walker struct {
	fs       *FS
	limits   Limits
	keep     Keep
	sniffer  Sniffer
	entries  int
	bytes    int64
	kept     int64
	Warnings []Warning
	Stats    []LayerStats
	Deleted  []Deletion
	sniffBuf []byte
}

// deleted records that layer deleted n, a child of the tree.
func (w *walker) deleted(layer int, n *node) {
	if len(w.Deleted) >= maxDeletions {
		return
	}
	d := Deletion{Path: n.Path, Layer: layer, Added: n.Layer}
	var count func(*node)
	count = func(n *node) {
		if n.Mode.IsRegular() {
			d.Files++
		}
		for _, c := range n.children {
			count(c)
		}
	}
	count(n)
	w.Deleted = append(w.Deleted, d)
}

// sniffBuffer returns a buffer of size bytes for a file being sniffed and
// not kept, reusing the last one: Sniff's results must not hold on to
// what they are given. Buffers up to 64 MiB are reused.
func (w *walker) sniffBuffer(size int64) []byte {
	if int64(cap(w.sniffBuf)) >= size {
		return w.sniffBuf[:size]
	}
	buf := make([]byte, size)
	if size <= 64<<20 {
		w.sniffBuf = buf
	}
	return buf
}

func newWalker(limits Limits, keep Keep, sniffer Sniffer) *walker {
	return &walker{fs: newFS(), limits: limits.withDefaults(), keep: keep, sniffer: sniffer}
}

func (w *walker) warn(layer int, entry, format string, args ...any) {
	if len(w.Warnings) < 1000 {
		w.Warnings = append(w.Warnings, Warning{Layer: layer, Entry: entry, Message: fmt.Sprintf(format, args...)})
	}
}

// errLimit marks an error of a limit: the image is refused.
var errLimit = errors.New("limit exceeded")

// apply reads one layer's tar stream and applies it: whiteouts delete
// what lower layers have, opaque directories hide their lower contents,
// entries add or replace files. Contents are read once, kept only where
// Keep says.
func (w *walker) apply(ctx context.Context, layer int, r io.Reader) error {
	stats := LayerStats{}
	defer func() { w.Stats = append(w.Stats, stats) }()
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("layer %d: %w", layer, err)
		}
		w.entries++
		stats.Entries++
		if w.entries > w.limits.MaxFiles {
			return fmt.Errorf("layer %d: more than %d entries: %w", layer, w.limits.MaxFiles, errLimit)
		}
		name, ok := cleanEntry(h.Name)
		if !ok {
			w.warn(layer, h.Name, "the entry's path leaves the image's root: skipped")
			continue
		}
		dir, base := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		switch {
		case base == ".wh..wh..opq":
			stats.Whiteouts++
			if d := w.dirNode(layer, dir); d != nil {
				for k, c := range d.children {
					if c.Layer < layer {
						w.deleted(layer, c)
						delete(d.children, k)
					}
				}
			}
			continue
		case strings.HasPrefix(base, ".wh."):
			stats.Whiteouts++
			if d := w.existingDir(dir); d != nil {
				if c := d.children[strings.TrimPrefix(base, ".wh.")]; c != nil {
					w.deleted(layer, c)
					delete(d.children, strings.TrimPrefix(base, ".wh."))
				}
			}
			continue
		}
		if name == "." {
			continue // the root itself
		}
		n, err := w.entry(layer, name, h, tr)
		if err != nil {
			return err
		}
		if n > 0 {
			stats.Bytes += n
		}
	}
}

// cleanEntry makes a tar entry's name a clean path relative to the root;
// ok is false when it would leave the root ("../x").
func cleanEntry(name string) (string, bool) {
	rel := strings.TrimLeft(name, "/")
	if rel == "" {
		return ".", true
	}
	c := path.Clean(rel)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	return c, true
}

// existingDir finds a directory by path, without making it or following
// links.
func (w *walker) existingDir(dir string) *node {
	cur := w.fs.root
	if dir == "" || dir == "." {
		return cur
	}
	for _, c := range strings.Split(dir, "/") {
		cur = cur.children[c]
		if cur == nil || cur.children == nil {
			return nil
		}
	}
	return cur
}

// dirNode finds a directory by path, making the missing ones (as the
// layer's), and replacing files in the way.
func (w *walker) dirNode(layer int, dir string) *node {
	cur := w.fs.root
	if dir == "" || dir == "." {
		return cur
	}
	at := ""
	for _, c := range strings.Split(dir, "/") {
		at = path.Join(at, c)
		next := cur.children[c]
		if next == nil || next.children == nil {
			next = &node{File: File{Path: at, Mode: fs.ModeDir | 0o755, Layer: layer}, children: map[string]*node{}}
			cur.children[c] = next
		}
		cur = next
	}
	return cur
}

// entry adds one file, directory or link; it returns the bytes read.
func (w *walker) entry(layer int, name string, h *tar.Header, tr io.Reader) (int64, error) {
	dir, base := path.Split(name)
	parent := w.dirNode(layer, strings.TrimSuffix(dir, "/"))
	f := File{Path: name, Mode: h.FileInfo().Mode(), Size: h.Size, ModTime: h.ModTime, UID: h.Uid, GID: h.Gid, Layer: layer}
	switch h.Typeflag {
	case tar.TypeDir:
		if old := parent.children[base]; old != nil && old.children != nil {
			old.File = f // a directory's metadata changes; its contents stay
			return 0, nil
		}
		parent.children[base] = &node{File: f, children: map[string]*node{}}
		return 0, nil
	case tar.TypeSymlink:
		f.Link, f.Size = h.Linkname, 0
		parent.children[base] = &node{File: f}
		return 0, nil
	case tar.TypeLink:
		target, ok := cleanEntry(h.Linkname)
		var src *node
		if ok {
			src, _ = w.fs.lookup(target, false)
		}
		if src == nil || src.children != nil {
			w.warn(layer, h.Name, "a hard link to %q, which is not a file of the image: skipped", h.Linkname)
			return 0, nil
		}
		n := &node{File: src.File, content: src.content, kept: src.kept}
		n.Path, n.Layer = name, layer
		parent.children[base] = n
		return 0, nil
	case tar.TypeReg, tar.TypeGNUSparse: // the reader reports the old TypeRegA as TypeReg
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		f.Size = 0
		parent.children[base] = &node{File: f}
		return 0, nil
	default:
		w.warn(layer, h.Name, "an entry of type %q: skipped", h.Typeflag)
		return 0, nil
	}
	// A regular file: read it once, keep it if asked.
	n := &node{File: f}
	parent.children[base] = n
	if h.Size < 0 {
		return 0, fmt.Errorf("layer %d: %q: negative size", layer, h.Name)
	}
	if w.bytes+h.Size > w.limits.MaxBytes {
		return 0, fmt.Errorf("layer %d: %q: more than %d uncompressed bytes in all: %w", layer, h.Name, w.limits.MaxBytes, errLimit)
	}
	w.fs.Files++
	sniff := w.sniffer != nil && w.sniffer.WantsContent(name, f.Mode, h.Size)
	if sniff && h.Size > w.limits.MaxSniffFile {
		w.warn(layer, h.Name, "%d bytes, more than the %d read of a file to look into: not looked into", h.Size, w.limits.MaxSniffFile)
		sniff = false
	}
	if sniff {
		keep := w.keep != nil && w.keep(name, h.Size) && h.Size <= w.limits.MaxKeptFile && w.kept+h.Size <= w.limits.MaxKept
		var buf []byte
		if keep {
			buf = make([]byte, h.Size)
		} else {
			buf = w.sniffBuffer(h.Size)
		}
		got, err := io.ReadFull(tr, buf)
		w.bytes += int64(got)
		if err != nil {
			return int64(got), fmt.Errorf("layer %d: %q: %w", layer, h.Name, err)
		}
		n.sniffed = w.sniffer.Sniff(name, bytes.NewReader(buf), h.Size)
		if keep {
			n.content, n.kept = buf, true
			w.kept += h.Size
		}
		return int64(got), nil
	}
	if w.keep != nil && w.keep(name, h.Size) {
		switch {
		case h.Size > w.limits.MaxKeptFile:
			w.warn(layer, h.Name, "%d bytes, more than the %d kept of a file: not read", h.Size, w.limits.MaxKeptFile)
		case w.kept+h.Size > w.limits.MaxKept:
			w.warn(layer, h.Name, "the %d bytes kept in all are used up: not read", w.limits.MaxKept)
		default:
			buf := make([]byte, h.Size)
			got, err := io.ReadFull(tr, buf)
			w.bytes += int64(got)
			if err != nil {
				return int64(got), fmt.Errorf("layer %d: %q: %w", layer, h.Name, err)
			}
			n.content, n.kept = buf, true
			w.kept += h.Size
			return int64(got), nil
		}
	}
	got, err := io.Copy(io.Discard, tr)
	w.bytes += got
	if err != nil {
		return got, fmt.Errorf("layer %d: %q: %w", layer, h.Name, err)
	}
	return got, nil
}
