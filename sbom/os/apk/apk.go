// Package apk finds Alpine packages in apk's installed database
// (lib/apk/db/installed): name, version, architecture, origin (source)
// package, licence, and the files each installed.
package apk

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/dozor-dev/dozor/sbom"
)

const installed = "lib/apk/db/installed"

// Extractor reads apk's database.
type Extractor struct{}

// New returns the apk extractor.
func New() *Extractor { return &Extractor{} }

// Name is "apk".
func (*Extractor) Name() string { return "apk" }

// Wants keeps the installed database.
func (*Extractor) Wants(p string, _ int64) bool { return p == installed }

// Extract reads every installed package.
func (e *Extractor) Extract(ctx *sbom.Context) ([]sbom.Package, []error) {
	data, err := ctx.FS.ReadFile(installed)
	if err != nil {
		if _, serr := ctx.FS.Stat(installed); serr != nil {
			return nil, nil // no apk database
		}
		return nil, []error{fmt.Errorf("/%s: %w", installed, err)}
	}
	f, _ := ctx.FS.File(installed)
	var out []sbom.Package
	for _, rec := range records(data) {
		p := sbom.Package{Name: rec.first("P"), Version: rec.first("V"), Type: packageurl.TypeApk, Arch: rec.first("A"),
			Location: "/" + installed, Layer: f.Layer, Extractor: e.Name()}
		if p.Name == "" || p.Version == "" {
			continue
		}
		p.SourceName, p.SourceVersion = rec.first("o"), p.Version
		if p.SourceName == "" {
			p.SourceName = p.Name
		}
		if l := rec.first("L"); l != "" {
			p.Licenses = []string{l}
		}
		p.Files = rec.files
		p.PURL = purl(ctx.OSRelease, &p)
		out = append(out, p)
	}
	return out, nil
}

// record is one package's lines: single-letter keys, the files (F: the
// directory, R: a file in it) gathered apart.
type record struct {
	fields map[string][]string
	files  []string
}

func (r *record) first(k string) string {
	if v := r.fields[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func records(data []byte) []*record {
	var out []*record
	cur := &record{fields: map[string][]string{}}
	dir := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			if len(cur.fields) > 0 {
				out = append(out, cur)
			}
			cur, dir = &record{fields: map[string][]string{}}, ""
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || len(k) != 1 {
			continue
		}
		switch k {
		case "F":
			dir = v
		case "R":
			cur.files = append(cur.files, "/"+strings.TrimPrefix(dir+"/"+v, "/"))
		}
		cur.fields[k] = append(cur.fields[k], v)
	}
	if len(cur.fields) > 0 {
		out = append(out, cur)
	}
	return out
}

// purl is pkg:apk/alpine/NAME@VERSION?arch=ARCH&distro=alpine-3.19.1.
func purl(osr map[string]string, p *sbom.Package) string {
	var q packageurl.Qualifiers
	if p.Arch != "" {
		q = append(q, packageurl.Qualifier{Key: "arch", Value: p.Arch})
	}
	if v := osr["VERSION_ID"]; v != "" {
		q = append(q, packageurl.Qualifier{Key: "distro", Value: "alpine-" + v})
	}
	if p.SourceName != p.Name {
		q = append(q, packageurl.Qualifier{Key: "upstream", Value: p.SourceName})
	}
	return packageurl.NewPackageURL(packageurl.TypeApk, "alpine", p.Name, p.Version, q, "").ToString()
}
