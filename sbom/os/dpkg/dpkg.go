// Package dpkg finds Debian packages: dpkg's status database
// (var/lib/dpkg/status), distroless images' status.d directory (one
// stanza per file, no Status field), the files each package installed
// (var/lib/dpkg/info/NAME[:ARCH].list) and their licences where the
// package states them in machine-readable copyright files
// (usr/share/doc/NAME/copyright, DEP-5).
package dpkg

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/sbom"
)

const (
	statusFile = "var/lib/dpkg/status"
	statusDir  = "var/lib/dpkg/status.d"
	infoDir    = "var/lib/dpkg/info"
	docDir     = "usr/share/doc"
)

// Extractor reads dpkg's databases.
type Extractor struct{}

// New returns the dpkg extractor.
func New() *Extractor { return &Extractor{} }

// Name is "dpkg".
func (*Extractor) Name() string { return "dpkg" }

// Wants keeps the status database, status.d stanzas, the lists of files
// and copyright files.
func (*Extractor) Wants(p string, size int64) bool {
	switch {
	case p == statusFile:
		return true
	case path.Dir(p) == statusDir:
		return !strings.HasSuffix(p, ".md5sums")
	case path.Dir(p) == infoDir:
		return strings.HasSuffix(p, ".list")
	case strings.HasPrefix(p, docDir+"/") && path.Base(p) == "copyright":
		return size < 1<<20 && strings.Count(p, "/") == 4
	}
	return false
}

// Extract reads every installed package.
func (e *Extractor) Extract(ctx *sbom.Context) ([]sbom.Package, []error) {
	var out []sbom.Package
	var errs []error
	read := func(p string) {
		data, err := ctx.FS.ReadFile(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("/%s: %w", p, err))
			return
		}
		f, _ := ctx.FS.File(p)
		for _, st := range stanzas(data) {
			pkg, ok := e.fromStanza(ctx, st, p == statusFile)
			if !ok {
				continue
			}
			pkg.Location, pkg.Layer = "/"+p, f.Layer
			out = append(out, pkg)
		}
	}
	if _, err := ctx.FS.Stat(statusFile); err == nil {
		read(statusFile)
	}
	if entries, err := ctx.FS.ReadDir(statusDir); err == nil {
		for _, d := range entries {
			if d.Type().IsRegular() && !strings.HasSuffix(d.Name(), ".md5sums") {
				read(statusDir + "/" + d.Name())
			}
		}
	}
	for i := range out {
		out[i].Files = e.files(ctx.FS, &out[i])
		out[i].Licenses = licenses(ctx.FS, out[i].Name)
	}
	return out, errs
}

// stanza is one paragraph of a control file.
type stanza map[string]string

// stanzas splits a control file into paragraphs of fields; continuation
// lines join their field.
func stanzas(data []byte) []stanza {
	var out []stanza
	cur := stanza{}
	last := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur, last = stanza{}, ""
		case line[0] == ' ' || line[0] == '\t':
			if last != "" {
				cur[last] += "\n" + strings.TrimSpace(line)
			}
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			last = k
			cur[k] = strings.TrimSpace(v)
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// fromStanza makes a package of an installed package's stanza; the status
// database's must say "install ok installed" (status.d's have no Status).
func (e *Extractor) fromStanza(ctx *sbom.Context, st stanza, needStatus bool) (sbom.Package, bool) {
	name, version := st["Package"], st["Version"]
	if name == "" || version == "" {
		return sbom.Package{}, false
	}
	if status := st["Status"]; needStatus && !strings.HasSuffix(status, " installed") {
		return sbom.Package{}, false
	}
	p := sbom.Package{Name: name, Version: version, Type: packageurl.TypeDebian, Arch: st["Architecture"], Extractor: e.Name()}
	p.SourceName, p.SourceVersion = name, version
	if src := st["Source"]; src != "" {
		sn, sv, ok := strings.Cut(src, " ")
		p.SourceName = sn
		if ok {
			p.SourceVersion = strings.Trim(strings.TrimSpace(sv), "()")
		}
	}
	p.PURL = purl(ctx.OSRelease, &p)
	return p, true
}

// purl is pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=debian-12, with the
// namespace and distro from os-release (Ubuntu's are ubuntu).
func purl(osr map[string]string, p *sbom.Package) string {
	ns := "debian"
	if id := osr["ID"]; id == "ubuntu" {
		ns = id
	}
	var q packageurl.Qualifiers
	if p.Arch != "" {
		q = append(q, packageurl.Qualifier{Key: "arch", Value: p.Arch})
	}
	if id, v := osr["ID"], osr["VERSION_ID"]; id != "" && v != "" {
		q = append(q, packageurl.Qualifier{Key: "distro", Value: id + "-" + v})
	}
	if p.SourceName != p.Name || p.SourceVersion != p.Version {
		src := p.SourceName
		if p.SourceVersion != p.Version {
			src += "@" + p.SourceVersion
		}
		q = append(q, packageurl.Qualifier{Key: "upstream", Value: src})
	}
	return packageurl.NewPackageURL(packageurl.TypeDebian, ns, p.Name, p.Version, q, "").ToString()
}

// files reads the package's list of installed paths (NAME:ARCH.list for
// multi-arch packages, else NAME.list); directories are left out.
func (e *Extractor) files(fsys *image.FS, p *sbom.Package) []string {
	var data []byte
	for _, n := range []string{p.Name + ":" + p.Arch + ".list", p.Name + ".list"} {
		if d, err := fsys.ReadFile(infoDir + "/" + n); err == nil {
			data = d
			break
		}
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == "/." {
			continue
		}
		rel := strings.TrimPrefix(line, "/")
		if st, err := fsys.Lstat(rel); err == nil && st.IsDir() {
			continue
		}
		out = append(out, line)
	}
	return out
}

// licences are the License fields of a machine-readable copyright file
// (DEP-5), each once; none when the file is free-form.
func licenses(fsys fs.FS, name string) []string {
	data, err := fs.ReadFile(fsys, docDir+"/"+name+"/copyright")
	if err != nil || !bytes.HasPrefix(data, []byte("Format:")) {
		return nil
	}
	var out []string
	for _, st := range stanzas(data) {
		l := st["License"]
		if first, _, _ := strings.Cut(l, "\n"); first != "" && !slices.Contains(out, first) {
			out = append(out, first)
		}
	}
	return out
}
