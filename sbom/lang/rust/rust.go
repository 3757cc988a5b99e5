// Package rust finds Rust crates: in Cargo.lock files, and in binaries
// built with cargo-auditable, which embeds the crates a binary was built
// from in a section named .dep-v0 (ELF, PE; Mach-O's __DATA segment):
// zlib-compressed JSON, {"packages": [{"name", "version", "source",
// "kind", "dependencies", "root"}]}. Binaries are found by content as the
// layers stream by, not by name.
//
// Only crates from a registry or a git repository are listed: path
// crates (a Cargo.lock package with no source, "source": "local" in a
// binary) are the project's own code, and their names say nothing a
// registry knows.
package rust

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/sbom"
)

// Limits of what is read.
const (
	// maxLockfile is the largest Cargo.lock read.
	maxLockfile = 16 << 20
	// maxSection is the largest .dep-v0 section read, compressed;
	// maxJSON the most it may decompress to.
	maxSection = 8 << 20
	maxJSON    = 64 << 20
	// maxCrates is the most crates taken from one file.
	maxCrates = 100_000
)

// crate is a crate a lockfile or a binary names.
type crate struct {
	Name, Version string
}

// Extractor reads Cargo.lock files and cargo-auditable binaries.
type Extractor struct{}

// New returns the Rust extractor.
func New() *Extractor { return &Extractor{} }

// Name is "rust".
func (*Extractor) Name() string { return "rust" }

// isLockfile reports whether p is a project's Cargo.lock: not one of
// the crates' sources cargo keeps in CARGO_HOME (~/.cargo or the Rust
// images' /usr/local/cargo: registry/src/..., git/checkouts/...), whose
// crates the project's lockfile lists if it uses them.
func isLockfile(p string) bool {
	if path.Base(p) != "Cargo.lock" {
		return false
	}
	return !strings.Contains(p, "cargo/registry/src/") && !strings.Contains(p, "cargo/git/checkouts/")
}

// Wants keeps Cargo.lock files.
func (*Extractor) Wants(p string, size int64) bool {
	return isLockfile(p) && size <= maxLockfile
}

// WantsContent looks into executable files of a plausible size.
func (*Extractor) WantsContent(_ string, mode fs.FileMode, size int64) bool {
	return mode&0o111 != 0 && size >= 4096
}

// sniffed is what Sniff found in a binary: its crates, or why its audit
// data could not be read.
type sniffed struct {
	crates []crate
	err    error
}

// Sniff reads a binary's cargo-auditable data; nil when it is not a
// binary or has none.
func (*Extractor) Sniff(_ string, content io.ReaderAt, size int64) any {
	data, err := auditSection(content, size)
	if err != nil {
		return &sniffed{err: err}
	}
	if data == nil {
		return nil
	}
	crates, err := parseAudit(data)
	return &sniffed{crates: crates, err: err}
}

// Extract lists the crates of every Cargo.lock and audited binary.
func (e *Extractor) Extract(ctx *sbom.Context) ([]sbom.Package, []error) {
	var out []sbom.Package
	var errs []error
	add := func(f *image.File, crates []crate) {
		seen := map[crate]bool{}
		for _, c := range crates {
			if seen[c] {
				continue
			}
			seen[c] = true
			out = append(out, sbom.Package{Name: c.Name, Version: c.Version, Type: packageurl.TypeCargo,
				PURL:     packageurl.NewPackageURL(packageurl.TypeCargo, "", c.Name, c.Version, nil, "").ToString(),
				Location: "/" + f.Path, Layer: f.Layer, Extractor: e.Name()})
		}
	}
	_ = ctx.FS.Walk(func(f *image.File) error {
		if !f.Mode.IsRegular() || !isLockfile(f.Path) {
			return nil
		}
		data, err := ctx.FS.ReadFile(f.Path)
		if err != nil {
			if errors.Is(err, image.ErrNotKept) && f.Size > maxLockfile {
				err = fmt.Errorf("%d bytes, more than the %d read of a Cargo.lock: %w", f.Size, maxLockfile, err)
			}
			errs = append(errs, fmt.Errorf("/%s: %w", f.Path, err))
			return nil
		}
		crates, err := parseLock(data)
		if err != nil {
			errs = append(errs, fmt.Errorf("/%s: %w", f.Path, err))
		}
		add(f, crates)
		return nil
	})
	ctx.FS.Sniffed(func(f *image.File, result any) {
		m, _ := result.(map[string]any)
		s, _ := m[e.Name()].(*sniffed)
		if s == nil {
			return
		}
		if s.err != nil {
			errs = append(errs, fmt.Errorf("/%s: cargo-auditable data: %w", f.Path, s.err))
		}
		add(f, s.crates)
	})
	return out, errs
}

// validField reports whether s can be a crate's name or version: not
// empty, not long, no spaces or control characters.
func validField(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}
