// Package extractors lists the SBOM extractors, in a literal slice, and
// runs them over an image.
package extractors

import (
	"context"
	"io"
	"io/fs"
	"slices"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/sbom/lang/dotnet"
	"github.com/dozor-dev/dozor/sbom/lang/golang"
	"github.com/dozor-dev/dozor/sbom/lang/java"
	"github.com/dozor-dev/dozor/sbom/lang/nodelock"
	"github.com/dozor-dev/dozor/sbom/lang/npm"
	"github.com/dozor-dev/dozor/sbom/lang/php"
	"github.com/dozor-dev/dozor/sbom/lang/python"
	"github.com/dozor-dev/dozor/sbom/lang/ruby"
	"github.com/dozor-dev/dozor/sbom/lang/rust"
	"github.com/dozor-dev/dozor/sbom/os/apk"
	"github.com/dozor-dev/dozor/sbom/os/dpkg"
	"github.com/dozor-dev/dozor/sbom/os/rpm"
)

// All returns every extractor, in a fixed order.
func All() []sbom.Extractor {
	return []sbom.Extractor{dpkg.New(), dpkg.NewRecovered(), apk.New(), rpm.New(), golang.New(), npm.New(), nodelock.New(), python.New(), ruby.New(), php.New(), dotnet.New(), rust.New(), java.New()}
}

// Keep is the walk's Keep for a set of extractors: the files any of them
// reads, and os-release.
func Keep(exs []sbom.Extractor) image.Keep {
	return func(p string, size int64) bool {
		if slices.Contains(image.OSReleasePaths, p) {
			return true
		}
		for _, e := range exs {
			if e.Wants(p, size) {
				return true
			}
		}
		return false
	}
}

// sniffers is the extractors that look into files, as one image.Sniffer
// whose result is a map of each one's by name.
type sniffers []sbom.Sniffer

func (ss sniffers) WantsContent(p string, mode fs.FileMode, size int64) bool {
	for _, s := range ss {
		if s.WantsContent(p, mode, size) {
			return true
		}
	}
	return false
}

func (ss sniffers) Sniff(p string, content io.ReaderAt, size int64) any {
	var out map[string]any
	for _, s := range ss {
		// Each looks at every file any of them wanted: they tell their own
		// files by content.
		if v := s.Sniff(p, content, size); v != nil {
			if out == nil {
				out = map[string]any{}
			}
			out[s.Name()] = v
		}
	}
	if out == nil {
		return nil
	}
	return out
}

func sniffersOf(exs []sbom.Extractor) sniffers {
	var out sniffers
	for _, e := range exs {
		if s, ok := e.(sbom.Sniffer); ok {
			out = append(out, s)
		}
	}
	return out
}

// Result is an image walked and its packages.
type Result struct {
	Walk     *image.Walk
	Packages []sbom.Package
	// Errors are files an extractor could not read; the rest was read.
	Errors []error
}

// Options are the walk's options for a set of extractors: opts, keeping
// what the extractors read too, with their sniffers.
func Options(opts image.Options, exs []sbom.Extractor) image.Options {
	keep, also := Keep(exs), opts.Keep
	opts.Keep = keep
	if also != nil {
		// The caller keeps files of its own too.
		opts.Keep = func(p string, size int64) bool { return keep(p, size) || also(p, size) }
	}
	if ss := sniffersOf(exs); len(ss) > 0 {
		opts.Sniffer = ss
	}
	return opts
}

// Run streams the image's layers once, keeping what the extractors read
// (and what opts.Keep asks), and runs them over the final file system.
func Run(ctx context.Context, im *image.Image, opts image.Options, exs []sbom.Extractor) (*Result, error) {
	w, err := im.FS(ctx, Options(opts, exs))
	if err != nil {
		return nil, err
	}
	osr, _ := w.FS.OSRelease()
	return Extract(w, osr, exs), nil
}

// Extract runs the extractors over an image already walked, with the
// os-release fields given: the image's own, or what evasion checks
// found it really is when its os-release lies.
func Extract(w *image.Walk, osr map[string]string, exs []sbom.Extractor) *Result {
	sc := &sbom.Context{FS: w.FS, OSRelease: osr}
	res := &Result{Walk: w}
	for _, e := range exs {
		pkgs, errs := e.Extract(sc)
		res.Packages = append(res.Packages, pkgs...)
		res.Errors = append(res.Errors, errs...)
	}
	sbom.Sort(res.Packages)
	return res
}
