package image

import (
	"bytes"
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/image/imagetest"
)

// FuzzWalk applies arbitrary bytes as a layer's tar stream: the walk may
// fail, but never panics, never places a file outside the root, and
// every path it lists opens or fails cleanly.
func FuzzWalk(f *testing.F) {
	for _, entries := range [][]imagetest.Entry{
		{imagetest.Dir("etc"), imagetest.File("etc/passwd", "root"), imagetest.Symlink("lib", "usr/lib")},
		{imagetest.File("../../x", "y"), imagetest.Hardlink("h", "../z"), imagetest.Opaque("etc"), imagetest.Whiteout("etc", "passwd")},
		{imagetest.Symlink("a", "b"), imagetest.Symlink("b", "a"), imagetest.File("/abs", "x")},
	} {
		var buf bytes.Buffer
		rc, err := imagetest.Layer(f, entries...).Uncompressed()
		if err != nil {
			f.Fatal(err)
		}
		if _, err := buf.ReadFrom(rc); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		w := newWalker(Limits{MaxFiles: 10000, MaxBytes: 1 << 20}, func(string, int64) bool { return true }, nil)
		_ = w.apply(context.Background(), 0, bytes.NewReader(data))
		_ = w.apply(context.Background(), 1, bytes.NewReader(data))
		_ = w.fs.Walk(func(x *File) error {
			if x.Path == ".." || strings.HasPrefix(x.Path, "../") || strings.HasPrefix(x.Path, "/") {
				t.Fatalf("a file outside the root: %q", x.Path)
			}
			if fs.ValidPath(x.Path) {
				if file, err := w.fs.Open(x.Path); err == nil {
					_ = file.Close()
				}
			}
			return nil
		})
	})
}
