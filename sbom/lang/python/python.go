// Package python finds Python packages: installed distributions (a
// *.dist-info directory's METADATA, an *.egg-info directory's PKG-INFO or
// an *.egg-info file, wherever they are: site-packages, dist-packages, a
// virtual environment under /app) and the pinned packages of lockfiles
// and manifests (requirements*.txt, poetry.lock, Pipfile.lock, uv.lock).
// Lockfiles inside site-packages or dist-packages directories are files
// of installed packages, not an application's, and are not read.
package python

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/sbom"
)

// maxFile is the largest file read; larger ones are reported, not read.
const maxFile = 8 << 20

// Extractor reads Python distributions' metadata and lockfiles.
type Extractor struct{}

// New returns the Python extractor.
func New() *Extractor { return &Extractor{} }

// Name is "python".
func (*Extractor) Name() string { return "python" }

// kind is a kind of file the extractor reads.
type kind int

const (
	none         kind = iota
	distInfo          // NAME-VERSION.dist-info/METADATA
	eggInfo           // NAME-VERSION.egg-info/PKG-INFO, or an .egg-info file
	requirements      // requirements*.txt
	poetryLock        // poetry.lock
	pipfileLock       // Pipfile.lock
	uvLock            // uv.lock
)

// kindOf tells the kind of the file at p by its name.
func kindOf(p string) kind {
	base, dir := path.Base(p), path.Base(path.Dir(p))
	switch {
	case base == "METADATA" && strings.HasSuffix(dir, ".dist-info"):
		return distInfo
	case base == "PKG-INFO" && strings.HasSuffix(dir, ".egg-info"):
		return eggInfo
	case strings.HasSuffix(base, ".egg-info") && len(base) > len(".egg-info"):
		return eggInfo
	}
	if inSitePackages(p) {
		return none
	}
	switch {
	case strings.HasPrefix(base, "requirements") && strings.HasSuffix(base, ".txt"):
		return requirements
	case base == "poetry.lock":
		return poetryLock
	case base == "Pipfile.lock":
		return pipfileLock
	case base == "uv.lock":
		return uvLock
	}
	return none
}

// inSitePackages reports whether p is under a site-packages or
// dist-packages directory.
func inSitePackages(p string) bool {
	for _, el := range strings.Split(path.Dir(p), "/") {
		if el == "site-packages" || el == "dist-packages" {
			return true
		}
	}
	return false
}

// Wants keeps metadata files and lockfiles of less than 8 MiB.
func (*Extractor) Wants(p string, size int64) bool { return size < maxFile && kindOf(p) != none }

// Extract reads every distribution and lockfile.
func (e *Extractor) Extract(ctx *sbom.Context) ([]sbom.Package, []error) {
	var out []sbom.Package
	var errs []error
	_ = ctx.FS.Walk(func(f *image.File) error {
		k := kindOf(f.Path)
		if k == none || !f.Mode.IsRegular() {
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
		add := func(name, version string, licenses []string) {
			out = append(out, sbom.Package{Name: name, Version: version, Type: packageurl.TypePyPi, PURL: purl(name, version),
				Licenses: licenses, Location: loc, Layer: f.Layer, Extractor: e.Name()})
		}
		var ferrs []error
		switch k {
		case distInfo, eggInfo:
			m, err := parseMetadata(data)
			if err != nil {
				ferrs = append(ferrs, err)
				break
			}
			add(m.first("name"), m.first("version"), m.licenses())
		case requirements:
			reqs, rerrs := parseRequirements(data)
			for _, r := range reqs {
				add(r.Name, r.Version, nil)
			}
			ferrs = rerrs
		default:
			var pins []pin
			var err error
			switch k {
			case poetryLock:
				pins, err = parsePoetryLock(data)
			case pipfileLock:
				pins, err = parsePipfileLock(data)
			case uvLock:
				pins, err = parseUVLock(data)
			}
			if err != nil {
				ferrs = append(ferrs, err)
			}
			for _, p := range pins {
				add(p.Name, p.Version, nil)
			}
		}
		for _, err := range ferrs {
			errs = append(errs, fmt.Errorf("%s: %w", loc, err))
		}
		return nil
	})
	return out, errs
}

// nonAlnum is a run of the characters PEP 503 folds to one "-".
var nonAlnum = regexp.MustCompile(`[-_.]+`)

// Normalize is a project name as PEP 503 compares them: lower case, every
// run of "-", "_" and "." one "-" ("Zope.Interface" is "zope-interface").
func Normalize(name string) string { return strings.ToLower(nonAlnum.ReplaceAllString(name, "-")) }

// purl is pkg:pypi/NAME@VERSION, the name normalised.
func purl(name, version string) string {
	return packageurl.NewPackageURL(packageurl.TypePyPi, "", Normalize(name), version, nil, "").ToString()
}
