package image

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"
)

// File is one file of an image's final file system: where it is, what
// it is, and the layer that put it there.
type File struct {
	// Path is clean and relative to the root: "usr/bin/sh".
	Path    string
	Mode    fs.FileMode
	Size    int64
	ModTime time.Time
	UID     int
	GID     int
	// Link is the target of a symbolic link.
	Link string
	// Layer is the index of the layer that last wrote the file (0 is the
	// base); -1 for a root file system directory.
	Layer int
}

// node is a file of the tree; directories have children.
type node struct {
	File
	children map[string]*node
	// content is kept for the files the walk was asked to keep.
	content []byte
	kept    bool
	// open reads a root file system directory's file from disk.
	open func() (io.ReadCloser, error)
	// sniffed is what the walk's Sniffer made of the file.
	sniffed any
}

// FS is an image's final file system: every layer applied in order,
// whiteouts and opaque directories honoured. It holds every file's
// metadata, and the contents of the files the walk was asked to keep.
// It implements fs.FS, fs.StatFS, fs.ReadDirFS, fs.ReadFileFS and
// fs.ReadLinkFS; paths through symbolic links resolve inside the image,
// never outside it.
type FS struct {
	root *node
	// Files counts the regular files.
	Files int
}

func newFS() *FS {
	return &FS{root: &node{File: File{Path: ".", Mode: fs.ModeDir | 0o755}, children: map[string]*node{}}}
}

// ErrNotKept is returned when reading a file whose contents were not
// kept by the walk (Options.Keep).
var ErrNotKept = errors.New("contents not kept")

// maxHops bounds symbolic link resolution, as Linux's ELOOP does.
const maxHops = 40

// lookup finds a node by a clean path, following symbolic links in every
// component (and the last when follow is set), within the image.
func (f *FS) lookup(name string, follow bool) (*node, error) {
	if name == "." {
		return f.root, nil
	}
	hops := 0
	var walk func(dir []string, rest []string, followLast bool) (*node, []string, error)
	walk = func(dir []string, rest []string, followLast bool) (*node, []string, error) {
		cur := f.root
		for _, c := range dir {
			cur = cur.children[c]
			if cur == nil {
				return nil, nil, fs.ErrNotExist
			}
		}
		at := slices.Clone(dir)
		for i, c := range rest {
			if cur.children == nil {
				return nil, nil, fs.ErrNotExist // not a directory
			}
			next := cur.children[c]
			if next == nil {
				return nil, nil, fs.ErrNotExist
			}
			last := i == len(rest)-1
			if next.Mode&fs.ModeSymlink != 0 && (!last || followLast) {
				hops++
				if hops > maxHops {
					return nil, nil, errors.New("too many levels of symbolic links")
				}
				target := resolve(at, next.Link)
				n, p, err := walk(nil, target, true)
				if err != nil {
					return nil, nil, err
				}
				cur, at = n, p
				continue
			}
			cur = next
			at = append(at, c)
		}
		return cur, at, nil
	}
	n, _, err := walk(nil, strings.Split(name, "/"), follow)
	return n, err
}

// resolve is a link target as components from the root: relative to the
// link's directory, or to the root when absolute; ".." stops at the root.
func resolve(dir []string, target string) []string {
	var out []string
	if !strings.HasPrefix(target, "/") {
		out = slices.Clone(dir)
	}
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

func (f *FS) find(op, name string, follow bool) (*node, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	n, err := f.lookup(name, follow)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return n, nil
}

// Open opens a file or directory, following symbolic links.
func (f *FS) Open(name string) (fs.File, error) {
	n, err := f.find("open", name, true)
	if err != nil {
		return nil, err
	}
	return f.open(n, name)
}

func (f *FS) open(n *node, name string) (fs.File, error) {
	if n.children != nil {
		return &dirFile{fs: f, n: n, name: name}, nil
	}
	if !n.Mode.IsRegular() {
		return &regFile{n: n, name: name, r: strings.NewReader("")}, nil
	}
	switch {
	case n.kept:
		return &regFile{n: n, name: name, r: strings.NewReader(string(n.content))}, nil
	case n.open != nil:
		rc, err := n.open()
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &regFile{n: n, name: name, r: rc, closer: rc}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: ErrNotKept}
}

// ReadFile reads a whole file, following symbolic links.
func (f *FS) ReadFile(name string) ([]byte, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer func() { _ = file.Close() }()
	if _, ok := file.(*dirFile); ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	return io.ReadAll(file)
}

// Stat describes a file, following symbolic links.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	n, err := f.find("stat", name, true)
	if err != nil {
		return nil, err
	}
	return info{n, path.Base(name)}, nil
}

// Lstat describes a file without following a final symbolic link.
func (f *FS) Lstat(name string) (fs.FileInfo, error) {
	n, err := f.find("lstat", name, false)
	if err != nil {
		return nil, err
	}
	return info{n, path.Base(name)}, nil
}

// ReadLink returns a symbolic link's target.
func (f *FS) ReadLink(name string) (string, error) {
	n, err := f.find("readlink", name, false)
	if err != nil {
		return "", err
	}
	if n.Mode&fs.ModeSymlink == 0 {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return n.Link, nil
}

// ReadDir lists a directory, sorted by name.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := f.find("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if n.children == nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return entries(n), nil
}

// File returns a file's record without following a final symbolic link.
func (f *FS) File(name string) (*File, bool) {
	n, err := f.lookup(name, false)
	if err != nil {
		return nil, false
	}
	return &n.File, true
}

// Sniffed calls fn for every file the walk's Sniffer made something of,
// in lexical order.
func (f *FS) Sniffed(fn func(file *File, result any)) {
	var walk func(n *node)
	walk = func(n *node) {
		for _, name := range slices.Sorted(maps.Keys(n.children)) {
			c := n.children[name]
			if c.sniffed != nil {
				fn(&c.File, c.sniffed)
			}
			if c.children != nil {
				walk(c)
			}
		}
	}
	walk(f.root)
}

// Walk calls fn for every file in lexical order, directories before their
// contents, without following symbolic links.
func (f *FS) Walk(fn func(*File) error) error {
	var walk func(n *node) error
	walk = func(n *node) error {
		for _, name := range slices.Sorted(maps.Keys(n.children)) {
			c := n.children[name]
			if err := fn(&c.File); err != nil {
				return err
			}
			if c.children != nil {
				if err := walk(c); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(f.root)
}

func entries(n *node) []fs.DirEntry {
	out := make([]fs.DirEntry, 0, len(n.children))
	for _, name := range slices.Sorted(maps.Keys(n.children)) {
		out = append(out, fs.FileInfoToDirEntry(info{n.children[name], name}))
	}
	return out
}

// info is a node as fs.FileInfo; name is the base name it was opened by
// (a symbolic link's, when followed).
type info struct {
	n    *node
	name string
}

func (i info) Name() string {
	if i.name != "" {
		return i.name
	}
	return path.Base(i.n.Path)
}
func (i info) Size() int64        { return i.n.Size }
func (i info) Mode() fs.FileMode  { return i.n.Mode }
func (i info) ModTime() time.Time { return i.n.ModTime }
func (i info) IsDir() bool        { return i.n.Mode.IsDir() }
func (i info) Sys() any           { return &i.n.File }

type regFile struct {
	n      *node
	name   string
	r      io.Reader
	closer io.Closer
}

func (r *regFile) Stat() (fs.FileInfo, error) { return info{r.n, path.Base(r.name)}, nil }
func (r *regFile) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r *regFile) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

type dirFile struct {
	fs     *FS
	n      *node
	name   string
	listed []fs.DirEntry
	off    int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return info{d.n, path.Base(d.name)}, nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *dirFile) Close() error { return nil }

// ReadDir reads the directory in batches, as fs.ReadDirFile says.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.listed == nil {
		d.listed = entries(d.n)
	}
	rest := d.listed[d.off:]
	if n <= 0 {
		d.off = len(d.listed)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if n > len(rest) {
		n = len(rest)
	}
	d.off += n
	return rest[:n], nil
}

// Alias puts at name a copy of the regular file target: its contents
// (when kept) and what the walk's Sniffer made of it. It is for
// recovery: a lockfile hidden behind a link or under another name is
// read where extractors look for it. name's directory must exist; what
// was at name (the link) is replaced.
func (f *FS) Alias(name, target string) error {
	t, err := f.lookup(target, true)
	if err != nil {
		return err
	}
	if !t.Mode.IsRegular() {
		return fmt.Errorf("%s: not a regular file", target)
	}
	dir, base := path.Split(name)
	d, err := f.lookup(cmp.Or(strings.TrimSuffix(dir, "/"), "."), true)
	if err != nil || d.children == nil {
		return fmt.Errorf("%s: no directory %s", name, dir)
	}
	layer := t.Layer
	if old := d.children[base]; old != nil {
		layer = old.Layer
	}
	n := &node{File: t.File, content: t.content, kept: t.kept, open: t.open, sniffed: t.sniffed}
	n.Path, n.Layer = name, layer
	d.children[base] = n
	return nil
}
