// Package rpm finds RPM packages (RHEL, UBI, Fedora, CentOS, Rocky, Alma,
// Amazon Linux, openSUSE/SLES, Oracle, Azure Linux) in rpm's database, in
// any of its three formats: SQLite (rpmdb.sqlite, rpm 4.16 and later),
// ndb (Packages.db, SUSE) and Berkeley DB (Packages, rpm 4.15 and
// earlier), under var/lib/rpm or usr/lib/sysimage/rpm.
//
// The database is read with github.com/knqyf263/go-rpmdb, which opens a
// path on disk: the extractor is a Sniffer that copies the database to a
// temporary directory as the layers stream by (it keeps no file in
// memory itself), reads it there, and deletes it. Before go-rpmdb sees a
// database, a bounded check (check.go for SQLite, package guard for ndb,
// Berkeley DB and every header) refuses what would make it loop, take
// quadratic time, allocate gigabytes or print: go-rpmdb trusts its input.
// A SQLite database's write-ahead log (rpmdb.sqlite-wal) is not read; rpm
// empties it when it closes the database, as it does before an image
// layer is written.
package rpm

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/sbom"
)

// dirs are where rpm keeps its database: var/lib/rpm on most
// distributions, usr/lib/sysimage/rpm on Fedora 36+ and openSUSE (where
// var/lib/rpm is often a link to it).
var dirs = []string{"var/lib/rpm", "usr/lib/sysimage/rpm"}

// names are the database files of one directory, in the order they are
// read: when a directory holds more than one (a conversion's leftovers),
// only the newest format's is read, as rpm reads one.
var names = []string{"rpmdb.sqlite", "Packages.db", "Packages"}

// MaxDatabase is the largest database read (1 GiB); a larger one gives
// an error. The walk's own limit on files looked into
// (image.Limits.MaxSniffFile) applies first.
const MaxDatabase = 1 << 30

// Extractor reads rpm's databases.
type Extractor struct{}

// New returns the rpm extractor.
func New() *Extractor { return &Extractor{} }

// Name is "rpm".
func (*Extractor) Name() string { return "rpm" }

// Wants keeps no file: databases are read as they stream by (Sniff).
func (*Extractor) Wants(string, int64) bool { return false }

// database reports whether p is one of rpm's database files.
func database(p string) bool {
	return slices.Contains(dirs, path.Dir(p)) && slices.Contains(names, path.Base(p))
}

// WantsContent looks into rpm's database files.
func (*Extractor) WantsContent(p string, mode fs.FileMode, _ int64) bool {
	return mode.IsRegular() && database(p)
}

// result is what Sniff makes of a database: its packages, or why it
// could not be read.
type result struct {
	headers []header
	err     error
}

// Sniff reads a database's packages; nil for any other file.
func (*Extractor) Sniff(p string, content io.ReaderAt, size int64) any {
	if !database(p) {
		return nil
	}
	hs, err := read(content, size)
	return &result{headers: hs, err: err}
}

// Extract lists the packages of each directory's database. A database
// the walk did not look into (larger than its limit) gives an error.
func (e *Extractor) Extract(ctx *sbom.Context) ([]sbom.Package, []error) {
	sniffed := map[string]*result{}
	ctx.FS.Sniffed(func(f *image.File, r any) {
		m, _ := r.(map[string]any)
		if res, _ := m[e.Name()].(*result); res != nil {
			sniffed[f.Path] = res
		}
	})
	var out []sbom.Package
	var errs []error
	for _, dir := range dirs {
		f := first(ctx.FS, dir)
		if f == nil {
			continue
		}
		res := sniffed[f.Path]
		if res == nil {
			errs = append(errs, fmt.Errorf("/%s: %d bytes: not read (more than the walk looks into)", f.Path, f.Size))
			continue
		}
		if res.err != nil {
			errs = append(errs, fmt.Errorf("/%s: %w", f.Path, res.err))
		}
		for _, h := range res.headers {
			out = append(out, e.pkg(ctx.OSRelease, h, f))
		}
	}
	return out, errs
}

// first is the database of dir that rpm would read: the first of names
// there, as a regular file. A path through a link to the other directory
// is that directory's database, read there.
func first(fsys *image.FS, dir string) *image.File {
	for _, name := range names {
		p := dir + "/" + name
		if f, ok := fsys.File(p); ok && f.Mode.IsRegular() && f.Path == p {
			return f
		}
	}
	return nil
}

// pkg makes a package of a header read from f.
func (e *Extractor) pkg(osr map[string]string, h header, f *image.File) sbom.Package {
	p := sbom.Package{Name: h.name, Version: evr(h.epoch, h.version, h.release), Type: packageurl.TypeRPM, Arch: h.arch,
		Location: "/" + f.Path, Layer: f.Layer, Files: h.files, Extractor: e.Name()}
	if h.license != "" {
		p.Licenses = []string{h.license}
	}
	if name, v, r, ok := sourceRPM(h.sourceRPM); ok {
		p.SourceName, p.SourceVersion = name, evr(h.epoch, v, r)
	}
	p.PURL = purl(osr, h)
	return p
}

// evr is [EPOCH:]VERSION-RELEASE, the form advisories compare (an epoch
// of 0 is the same as none, and left out).
func evr(epoch int, version, release string) string {
	v := version
	if release != "" {
		v += "-" + release
	}
	if epoch != 0 {
		v = strconv.Itoa(epoch) + ":" + v
	}
	return v
}

// sourceRPM splits a source package's file name,
// NAME-VERSION-RELEASE.src.rpm (or .nosrc.rpm).
func sourceRPM(s string) (name, version, release string, ok bool) {
	s, ok = strings.CutSuffix(s, ".rpm")
	if !ok {
		return "", "", "", false
	}
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", "", "", false
	}
	s = s[:i]
	i = strings.LastIndexByte(s, '-')
	if i <= 0 {
		return "", "", "", false
	}
	s, release = s[:i], s[i+1:]
	i = strings.LastIndexByte(s, '-')
	if i <= 0 {
		return "", "", "", false
	}
	name, version = s[:i], s[i+1:]
	return name, version, release, version != "" && release != ""
}

// purl is pkg:rpm/NAMESPACE/NAME@VERSION-RELEASE?arch=ARCH&distro=ID-VERSION_ID&epoch=E
// (qualifiers in the canonical order, by key), the namespace os-release's
// ID (redhat for rhel); namespace and distro are left out without
// os-release, the epoch when there is none.
func purl(osr map[string]string, h header) string {
	ns := osr["ID"]
	if ns == "rhel" {
		ns = "redhat"
	}
	var q packageurl.Qualifiers
	if h.arch != "" {
		q = append(q, packageurl.Qualifier{Key: "arch", Value: h.arch})
	}
	if id, v := osr["ID"], osr["VERSION_ID"]; id != "" && v != "" {
		q = append(q, packageurl.Qualifier{Key: "distro", Value: id + "-" + v})
	}
	if h.epoch != 0 {
		q = append(q, packageurl.Qualifier{Key: "epoch", Value: strconv.Itoa(h.epoch)})
	}
	return packageurl.NewPackageURL(packageurl.TypeRPM, ns, h.name, evr(0, h.version, h.release), q, "").ToString()
}
