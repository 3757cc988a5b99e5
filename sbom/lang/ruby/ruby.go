// Package ruby finds Ruby gems: installed gems' specifications (the
// Ruby-syntax .gemspec files RubyGems writes into a gem directory's
// specifications/ and specifications/default/, Debian's
// rubygems-integration directories among them), and the gems a Bundler
// lockfile (Gemfile.lock, gems.locked) pins from a gem server. The
// gemspecs are read line by line, never evaluated. Lockfiles inside
// installed gems are the gems' own and are not read.
package ruby

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/sbom"
)

// maxFile is the largest file read; larger ones are reported, not read.
const maxFile = 8 << 20

// Extractor reads gem specifications and Bundler lockfiles.
type Extractor struct{}

// New returns the Ruby extractor.
func New() *Extractor { return &Extractor{} }

// Name is "ruby".
func (*Extractor) Name() string { return "ruby" }

// isGemspec reports whether p is an installed gem's specification:
// .../specifications/NAME-VERSION[-PLATFORM].gemspec or
// .../specifications/default/NAME-VERSION.gemspec.
func isGemspec(p string) bool {
	if !strings.HasSuffix(p, ".gemspec") {
		return false
	}
	dir := path.Dir(p)
	if path.Base(dir) == "default" {
		dir = path.Dir(dir)
	}
	return path.Base(dir) == "specifications"
}

// isLockfile reports whether p is a Bundler lockfile.
func isLockfile(p string) bool {
	base := path.Base(p)
	return base == "Gemfile.lock" || base == "gems.locked"
}

// Wants keeps gem specifications and lockfiles of less than 8 MiB.
func (*Extractor) Wants(p string, size int64) bool {
	return size < maxFile && (isGemspec(p) || isLockfile(p))
}

// Extract reads every gem specification and lockfile.
func (e *Extractor) Extract(ctx *sbom.Context) ([]sbom.Package, []error) {
	var out []sbom.Package
	var errs []error
	_ = ctx.FS.Walk(func(f *image.File) error {
		spec, lock := isGemspec(f.Path), isLockfile(f.Path)
		if !spec && !lock || !f.Mode.IsRegular() || lock && inInstalledGem(ctx.FS, f.Path) {
			return nil
		}
		loc := "/" + f.Path
		if f.Size >= maxFile {
			errs = append(errs, fmt.Errorf("%s: %d bytes, more than the %d read", loc, f.Size, maxFile))
			return nil
		}
		data, err := ctx.FS.ReadFile(f.Path)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", loc, err))
			return nil
		}
		add := func(name, version, platform string, licenses []string) {
			out = append(out, sbom.Package{Name: name, Version: version, Type: packageurl.TypeGem, PURL: purl(name, version, platform),
				Licenses: licenses, Location: loc, Layer: f.Layer, Extractor: e.Name()})
		}
		if spec {
			s, err := parseGemspec(data)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", loc, err))
				return nil
			}
			add(s.Name, s.Version, s.Platform, s.Licenses)
			return nil
		}
		gems, lerrs := parseGemfileLock(data)
		for _, g := range gems {
			add(g.Name, g.Version, g.Platform, nil)
		}
		for _, err := range lerrs {
			errs = append(errs, fmt.Errorf("%s: %w", loc, err))
		}
		return nil
	})
	return out, errs
}

// inInstalledGem reports whether p lies in an installed gem's directory:
// GEM_HOME/gems/NAME-VERSION/... beside GEM_HOME/specifications, or a
// gem Bundler checked out from git (.../bundler/gems/NAME-REV/...).
func inInstalledGem(fsys fs.StatFS, p string) bool {
	els := strings.Split(p, "/")
	for i := 0; i+2 < len(els); i++ {
		if els[i] != "gems" {
			continue
		}
		if i > 0 && els[i-1] == "bundler" {
			return true
		}
		if st, err := fsys.Stat(path.Join(append(els[:i:i], "specifications")...)); err == nil && st.IsDir() {
			return true
		}
	}
	return false
}

// purl is pkg:gem/NAME@VERSION, with ?platform=PLATFORM for a gem built
// for one ("x86_64-linux", "java").
func purl(name, version, platform string) string {
	var q packageurl.Qualifiers
	if platform != "" && platform != "ruby" {
		q = packageurl.QualifiersFromMap(map[string]string{"platform": platform})
	}
	return packageurl.NewPackageURL(packageurl.TypeGem, "", name, version, q, "").ToString()
}
