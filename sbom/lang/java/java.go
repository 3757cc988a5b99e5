// Package java finds Java packages in Java archives — jar, war, ear and
// Jenkins' jpi and hpi, par — and in the archives they hold
// (WEB-INF/lib/*.jar, an ear's lib/*.jar and modules, Spring Boot's
// BOOT-INF/lib/*.jar), up to four levels deep.
//
// An archive's packages are its META-INF/maven/GROUP/ARTIFACT/
// pom.properties files, one package each (a shaded jar has several);
// without any, META-INF/MANIFEST.MF names it (Implementation-Title and
// -Version, else Bundle-SymbolicName and Bundle-Version; the group from
// Implementation-Vendor-Id, else Automatic-Module-Name unless the name
// is a reverse-DNS symbolic name already), and then the file's name
// ("name-1.2.3.jar"). When no pom.properties has the version the
// manifest states, they are all of shaded dependencies, and the manifest
// names the archive too. Licences are the manifest's Bundle-License, for
// the package the manifest or a lone pom.properties names. A package's
// name is "GROUP:ARTIFACT", as Maven and OSV name it (the artifact alone
// without a group), and its location the archive's path, a nested one's
// after the outer's: "/app/app.war:WEB-INF/lib/x.jar".
//
// Archives are found by name as the layers stream by and read through
// their central directory, never whole. Nested archives stored
// uncompressed (as Spring Boot stores them) are read in place; compressed
// ones are decompressed into memory, at most 128 MiB for one top-level
// archive. Zip bombs are refused: entries compressed more than 100 to 1,
// more than 100,000 entries, more than 10,000 nested archives.
package java

import (
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
	// maxDepth is how deep archives nest: an archive in an archive is 1.
	maxDepth = 4
	// maxNestedBytes is the most bytes of compressed nested archives
	// decompressed into memory for one top-level archive.
	maxNestedBytes = 128 << 20
	// maxArchives is the most nested archives read in one top-level one.
	maxArchives = 10_000
	// maxEntries is the most entries of one archive.
	maxEntries = 100_000
	// maxRatio is the most an entry over ratioFloor bytes may be
	// compressed.
	maxRatio   = 100
	ratioFloor = 1 << 20
	// maxMetaFile is the largest pom.properties or manifest read.
	maxMetaFile = 1 << 20
)

// Extractor reads Java archives.
type Extractor struct{}

// New returns the Java archive extractor.
func New() *Extractor { return &Extractor{} }

// Name is "java-archive".
func (*Extractor) Name() string { return "java-archive" }

// Wants reads no file by path: archives are looked into as they stream
// by.
func (*Extractor) Wants(string, int64) bool { return false }

// archiveExts are the extensions of Java archives.
var archiveExts = []string{".jar", ".war", ".ear", ".jpi", ".hpi", ".par"}

// isArchive reports whether a file's name is a Java archive's.
func isArchive(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	for _, e := range archiveExts {
		if ext == e {
			return true
		}
	}
	return false
}

// WantsContent looks into Java archives of a size a zip file can have.
func (*Extractor) WantsContent(p string, mode fs.FileMode, size int64) bool {
	return mode.IsRegular() && size >= 22 && isArchive(p)
}

// found is a package found in an archive; loc is where, after the
// top-level archive's path (":WEB-INF/lib/x.jar"), "" for that one.
type found struct {
	group, artifact, version string
	licenses                 []string
	loc                      string
}

// locError is an archive that could not be read, or not wholly.
type locError struct {
	loc string
	err error
}

// sniffed is what Sniff found in an archive.
type sniffed struct {
	found []found
	errs  []locError
}

// Sniff reads a Java archive's packages; nil when it is not one.
func (*Extractor) Sniff(p string, content io.ReaderAt, size int64) any {
	if !isArchive(p) {
		return nil
	}
	w := &walker{budget: maxNestedBytes}
	w.archive(content, size, path.Base(p), "", 0)
	if len(w.out.found) == 0 && len(w.out.errs) == 0 {
		return nil
	}
	return &w.out
}

// Extract lists the packages of every archive the walk looked into.
func (e *Extractor) Extract(ctx *sbom.Context) ([]sbom.Package, []error) {
	var out []sbom.Package
	var errs []error
	ctx.FS.Sniffed(func(f *image.File, result any) {
		m, _ := result.(map[string]any)
		s, _ := m[e.Name()].(*sniffed)
		if s == nil {
			return
		}
		for _, le := range s.errs {
			errs = append(errs, fmt.Errorf("/%s%s: %w", f.Path, le.loc, le.err))
		}
		for _, fd := range s.found {
			name := fd.artifact
			if fd.group != "" {
				name = fd.group + ":" + fd.artifact
			}
			out = append(out, sbom.Package{Name: name, Version: fd.version, Type: packageurl.TypeMaven,
				PURL:     packageurl.NewPackageURL(packageurl.TypeMaven, fd.group, fd.artifact, fd.version, nil, "").ToString(),
				Licenses: fd.licenses, Location: "/" + f.Path + fd.loc, Layer: f.Layer, Extractor: e.Name()})
		}
	})
	return out, errs
}
