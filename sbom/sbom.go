// Package sbom is Dozor's software bill of materials: the packages found
// in an image's file system, each with its purl, where it was found and
// the layer that brought it in. Extractors, one small package each
// (sbom/os/dpkg, ...), find them; sbom/extractors lists them.
package sbom

import (
	"cmp"
	"slices"

	"github.com/dozor-dev/dozor/image"
)

// Package is one package found in an image.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Type is the purl type: deb, apk, rpm, golang, npm, pypi, maven, ...
	Type string `json:"type"`
	PURL string `json:"purl"`
	Arch string `json:"arch,omitempty"`
	// SourceName and SourceVersion are the source package of a binary
	// distribution package (advisories are about source packages).
	SourceName    string   `json:"sourceName,omitempty"`
	SourceVersion string   `json:"sourceVersion,omitempty"`
	Licenses      []string `json:"licenses,omitempty"`
	// Location is the file the package was read from ("/var/lib/dpkg/status").
	Location string `json:"location"`
	// Layer is the index of the layer that added or last changed the
	// package's record; -1 for a root file system.
	Layer int `json:"layer"`
	// Files are the paths the package installed, where its database says
	// (OS packages); not in JSON, which would be huge.
	Files []string `json:"-"`
	// Extractor names the extractor that found it.
	Extractor string `json:"extractor"`
}

// Context is what an extractor reads: the image's final file system and
// its os-release fields (nil when it has none).
type Context struct {
	FS        *image.FS
	OSRelease map[string]string
}

// Extractor finds one kind of package.
type Extractor interface {
	// Name is short and stable: "dpkg".
	Name() string
	// Wants says whether the extractor reads the file at path (clean,
	// relative: "var/lib/dpkg/status"), so that the walk keeps it.
	Wants(path string, size int64) bool
	// Extract finds the packages; errors name the file, and the rest is
	// still read.
	Extract(ctx *Context) ([]Package, []error)
}

// Sniffer is an extractor that finds packages by a file's contents (a Go
// binary's build information) rather than its path: the walk hands it
// the files it wants as they stream by, and keeps what it makes of them
// with the file (image.FS.Sniffed), keyed by the extractor's name.
type Sniffer interface {
	Extractor
	image.Sniffer
}

// Sort orders packages by type, name, version and location.
func Sort(pkgs []Package) {
	slices.SortStableFunc(pkgs, func(a, b Package) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Location, b.Location))
	})
}
