package guard

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	rpmdb "github.com/knqyf263/go-rpmdb/pkg"

	"github.com/dozor-dev/dozor/sbom/os/rpm/internal/rpmdbtest"
)

// seeds adds ndb and Berkeley DB databases: small ones built here, and
// ones of real headers where rpmbuild, rpm and db5.3_load are.
func seeds(f *testing.F) {
	h := rpmdbtest.Header()
	f.Add(rpmdbtest.NDB([][]byte{h, h}))
	f.Add(rpmdbtest.SmallBDB(h))
	if _, err := exec.LookPath("rpmbuild"); err != nil {
		return
	}
	dir, _ := rpmdbtest.SQLiteDB(f, rpmdbtest.BuildRPMs(f), false)
	blobs := rpmdbtest.Headers(f, dir)
	f.Add(rpmdbtest.NDB(blobs))
	if _, err := exec.LookPath("db5.3_load"); err == nil {
		f.Add(rpmdbtest.BerkeleyDB(f, blobs))
	}
}

// check checks data as an ndb or Berkeley DB database.
func check(data []byte) (Format, error) {
	r, size := bytes.NewReader(data), int64(len(data))
	if size < 512 {
		return 0, nil
	}
	switch format := Detect(data); format {
	case FormatNDB:
		return format, NDB(r, size)
	case FormatBDB:
		return format, BDB(r, size)
	default:
		return format, nil
	}
}

// FuzzCheck checks arbitrary ndb and Berkeley DB databases: no panic,
// and bounded work.
func FuzzCheck(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = check(data)
	})
}

// listPackages reads a database with go-rpmdb as package rpm does.
func listPackages(p string) (n int, err error) {
	// A panic in go-rpmdb's decoding of a header, in this goroutine, is
	// recovered; one in its reader's own goroutine would end the fuzzer.
	defer func() {
		if r := recover(); r != nil {
			n = 0
		}
	}()
	db, err := rpmdb.Open(p)
	if err != nil {
		return 0, err
	}
	defer func() { _ = db.Close() }()
	pkgs, err := db.ListPackages()
	return len(pkgs), err
}

// FuzzRead reads with go-rpmdb every database the check lets through:
// go-rpmdb must not crash, loop or grow without end on it.
func FuzzRead(f *testing.F) {
	seeds(f)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		format, err := check(data)
		if format != FormatNDB && format != FormatBDB || err != nil {
			return
		}
		p := filepath.Join(dir, "rpmdb")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		done, n := make(chan struct{}), 0
		go func() {
			defer close(done)
			n, _ = listPackages(p)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			stacks := make([]byte, 1<<20)
			t.Fatalf("go-rpmdb still reading after 10s:\n%s", stacks[:runtime.Stack(stacks, true)])
		}
		if n > MaxPackages {
			t.Fatalf("%d packages", n)
		}
	})
}

// TestSeeds reads the small seeds with go-rpmdb, which finds their
// packages: the fuzzers start from databases it reads.
func TestSeeds(t *testing.T) {
	h := rpmdbtest.Header()
	for name, want := range map[string]struct {
		data []byte
		n    int
	}{"ndb": {rpmdbtest.NDB([][]byte{h, h}), 2}, "Berkeley DB": {rpmdbtest.SmallBDB(h), 1}} {
		if _, err := check(want.data); err != nil {
			t.Fatalf("%s: check: %v", name, err)
		}
		p := filepath.Join(t.TempDir(), "rpmdb")
		if err := os.WriteFile(p, want.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if n, err := listPackages(p); n != want.n || err != nil {
			t.Errorf("%s: go-rpmdb lists %d packages, %v, want %d", name, n, err, want.n)
		}
	}
}
