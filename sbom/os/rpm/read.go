package rpm

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	rpmdb "github.com/knqyf263/go-rpmdb/pkg"
)

// header is what the extractor keeps of an installed package's header.
type header struct {
	name, version, release, arch string
	// epoch is 0 when the package has none.
	epoch     int
	sourceRPM string
	license   string
	// files are the paths the package installed, absolute; directories
	// are left out.
	files []string
}

// read copies a database of size bytes to a new temporary directory,
// checks it, reads its packages there and deletes the directory. The
// packages read are returned even with an error about some of them.
func read(content io.ReaderAt, size int64) (hs []header, err error) {
	if size > MaxDatabase {
		return nil, fmt.Errorf("%d bytes, more than the %d read of an rpm database", size, MaxDatabase)
	}
	// A directory, not a file: SQLite writes -wal and -shm files beside
	// a database it opens.
	dir, err := os.MkdirTemp("", "dozor-rpmdb-")
	if err != nil {
		return nil, fmt.Errorf("rpm database: %w", err)
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil {
			err = errors.Join(err, fmt.Errorf("rpm database: %w", rerr))
		}
	}()
	p := filepath.Join(dir, "rpmdb")
	if err := copyTo(p, content, size); err != nil {
		return nil, fmt.Errorf("rpm database: %w", err)
	}
	if err := check(p); err != nil {
		return nil, fmt.Errorf("rpm database: %w", err)
	}
	return list(p)
}

// copyTo writes size bytes of content to a new file at p.
func copyTo(p string, content io.ReaderAt, size int64) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.NewSectionReader(content, 0, size))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = fmt.Errorf("read %d of %d bytes", n, size)
	}
	return err
}

// list reads a checked database's packages with go-rpmdb, leaving out
// gpg-pubkey (rpm's record of an imported signing key, no package). A
// panic in go-rpmdb's decoding of a header, which runs in this goroutine,
// is an error; its readers run in goroutines of their own, where the
// check keeps them from panicking. A header go-rpmdb cannot decode ends
// the reading with an error and leaves its reader's goroutine blocked for
// good (go-rpmdb stops receiving from it): one goroutine, and for SQLite
// an open file, per such database.
func list(p string) (hs []header, err error) {
	defer func() {
		if r := recover(); r != nil {
			hs, err = nil, fmt.Errorf("rpm database: go-rpmdb: %v", r)
		}
	}()
	db, err := rpmdb.Open(p)
	if err != nil {
		return nil, fmt.Errorf("rpm database: %w", err)
	}
	defer func() { _ = db.Close() }()
	pkgs, err := db.ListPackages()
	if err != nil {
		return nil, fmt.Errorf("rpm database: %w", err)
	}
	var errs []error
	for _, pi := range pkgs {
		if pi.Name == "gpg-pubkey" {
			continue
		}
		h := header{name: pi.Name, version: pi.Version, release: pi.Release, arch: pi.Arch, sourceRPM: pi.SourceRpm, license: pi.License}
		if pi.Epoch != nil {
			h.epoch = *pi.Epoch
		}
		files, err := pi.InstalledFiles()
		if err != nil {
			// The package is still listed, without its files.
			if len(errs) < 10 {
				errs = append(errs, fmt.Errorf("rpm database: package %q: files: %w", pi.Name, err))
			}
		}
		for _, f := range files {
			if f.Mode&sIFMT != sIFDIR {
				h.files = append(h.files, f.Path)
			}
		}
		hs = append(hs, h)
	}
	return hs, errors.Join(errs...)
}

// The file type bits of a header's file modes (st_mode).
const (
	sIFMT  = 0o170000
	sIFDIR = 0o040000
)
