package dpkg

import (
	"bufio"
	"compress/gzip"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/sbom"
)

// Recovered finds Debian packages when dpkg's database is gone: deleting
// var/lib/dpkg makes most scanners report an empty image, but each
// package still has its usr/share/doc/NAME/changelog.Debian.gz, whose
// first line names the source package and the version installed. It
// finds nothing when a database is there (the dpkg extractor reads it).
// Images built with docs excluded (debian:12-slim keeps only copyright
// files) leave no changelogs: the evasion check still names what the
// copyright files show.
type Recovered struct{}

// NewRecovered returns the extractor of packages from changelogs.
func NewRecovered() *Recovered { return &Recovered{} }

// Name is "dpkg-recovered".
func (*Recovered) Name() string { return "dpkg-recovered" }

// Wants keeps no file: changelogs are looked into as they stream by.
func (*Recovered) Wants(string, int64) bool { return false }

// changelog reports whether p is usr/share/doc/NAME/changelog.Debian.gz.
func changelog(p string) bool {
	return path.Base(p) == "changelog.Debian.gz" && path.Dir(path.Dir(p)) == docDir
}

// WantsContent looks into changelogs of a plausible size.
func (*Recovered) WantsContent(p string, mode fs.FileMode, size int64) bool {
	return mode.IsRegular() && size < 8<<20 && changelog(p)
}

// Head is a changelog's first line: the source package and its version.
type Head struct{ Source, Version string }

// headLine is "SOURCE (VERSION) DISTRIBUTIONS; urgency=...".
var headLine = regexp.MustCompile(`^([a-z0-9][a-z0-9+.-]*) \(([0-9][A-Za-z0-9.+~:-]*)\) `)

// binNMU is a binary-only upload's suffix of a version.
var binNMU = regexp.MustCompile(`^\+b[0-9]+$`)

// Sniff reads the first line of a gzip'd changelog.
func (*Recovered) Sniff(p string, content io.ReaderAt, size int64) any {
	if !changelog(p) {
		return nil
	}
	zr, err := gzip.NewReader(io.NewSectionReader(content, 0, size))
	if err != nil {
		return nil
	}
	line, err := bufio.NewReaderSize(io.LimitReader(zr, 512), 512).ReadString('\n')
	if err != nil && line == "" {
		return nil
	}
	return ParseHead(line)
}

// ParseHead parses a changelog's first line, or returns nil.
func ParseHead(line string) *Head {
	m := headLine.FindStringSubmatch(line)
	if m == nil {
		return nil
	}
	return &Head{Source: m[1], Version: m[2]}
}

// Databases reports whether the image has a dpkg database (a status file
// or distroless status.d).
func Databases(fsys *image.FS) bool {
	if _, err := fsys.Stat(statusFile); err == nil {
		return true
	}
	_, err := fsys.Stat(statusDir)
	return err == nil
}

// Extract lists a package per changelog when there is no database. The
// package is named after its doc directory; binNMU versions (+bN) are
// the source version's.
func (e *Recovered) Extract(ctx *sbom.Context) ([]sbom.Package, []error) {
	if Databases(ctx.FS) {
		return nil, nil
	}
	var out []sbom.Package
	heads := map[string]*Head{}
	add := func(name, location string, layer int, h *Head) {
		p := sbom.Package{Name: name, Version: h.Version, Type: packageurl.TypeDebian,
			SourceName: h.Source, SourceVersion: h.Version, Location: location, Layer: layer, Extractor: e.Name()}
		if i := strings.LastIndex(h.Version, "+b"); i > 0 && binNMU.MatchString(h.Version[i:]) {
			p.SourceVersion = h.Version[:i]
		}
		p.PURL = purl(ctx.OSRelease, &p)
		out = append(out, p)
	}
	ctx.FS.Sniffed(func(f *image.File, result any) {
		m, _ := result.(map[string]any)
		h, _ := m[e.Name()].(*Head)
		if h == nil {
			return
		}
		heads[f.Path] = h
		add(path.Base(path.Dir(f.Path)), "/"+f.Path, f.Layer, h)
	})
	// A package may have its doc directory a link to another's of the same
	// source (libstdc++6 -> gcc-12-base): it is of that version too.
	entries, _ := ctx.FS.ReadDir(docDir)
	for _, d := range entries {
		if d.Type()&fs.ModeSymlink == 0 {
			continue
		}
		link, _ := ctx.FS.File(docDir + "/" + d.Name())
		target, ok := ctx.FS.File(docDir + "/" + d.Name() + "/changelog.Debian.gz")
		if !ok || link == nil || heads[target.Path] == nil {
			continue
		}
		add(d.Name(), "/"+docDir+"/"+d.Name()+"/changelog.Debian.gz", link.Layer, heads[target.Path])
	}
	return out, nil
}
