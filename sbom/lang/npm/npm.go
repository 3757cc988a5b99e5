// Package npm finds Node.js packages installed in node_modules
// directories: each package's package.json (name, version, licence).
package npm

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/sbom"
)

// Extractor reads installed packages' package.json files.
type Extractor struct{}

// New returns the npm extractor.
func New() *Extractor { return &Extractor{} }

// Name is "npm".
func (*Extractor) Name() string { return "npm" }

// installedManifest reports whether p is the package.json of a package
// installed in node_modules: node_modules/NAME/package.json or
// node_modules/@SCOPE/NAME/package.json.
func installedManifest(p string) bool {
	if path.Base(p) != "package.json" {
		return false
	}
	dir := path.Dir(p)
	parent := path.Dir(dir)
	if path.Base(parent) == "node_modules" {
		return true
	}
	return strings.HasPrefix(path.Base(parent), "@") && path.Base(path.Dir(parent)) == "node_modules"
}

// Wants keeps installed packages' package.json files.
func (*Extractor) Wants(p string, size int64) bool { return size < 1<<20 && installedManifest(p) }

type manifest struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	License json.RawMessage `json:"license"`
}

// Extract reads every installed package.
func (e *Extractor) Extract(ctx *sbom.Context) ([]sbom.Package, []error) {
	var out []sbom.Package
	var errs []error
	_ = ctx.FS.Walk(func(f *image.File) error {
		if !f.Mode.IsRegular() || !installedManifest(f.Path) {
			return nil
		}
		data, err := ctx.FS.ReadFile(f.Path)
		if err != nil {
			errs = append(errs, fmt.Errorf("/%s: %w", f.Path, err))
			return nil
		}
		var m manifest
		if err := json.Unmarshal(data, &m); err != nil {
			errs = append(errs, fmt.Errorf("/%s: %w", f.Path, err))
			return nil
		}
		if m.Name == "" || m.Version == "" {
			return nil
		}
		p := sbom.Package{Name: m.Name, Version: m.Version, Type: packageurl.TypeNPM, Location: "/" + f.Path, Layer: f.Layer, Extractor: e.Name()}
		if l := license(m.License); l != "" {
			p.Licenses = []string{l}
		}
		ns, name := "", m.Name
		if strings.HasPrefix(m.Name, "@") {
			ns, name, _ = strings.Cut(m.Name, "/")
		}
		p.PURL = packageurl.NewPackageURL(packageurl.TypeNPM, ns, name, m.Version, nil, "").ToString()
		out = append(out, p)
		return nil
	})
	return out, errs
}

// license reads "MIT" or the old {"type": "MIT"}.
func license(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct{ Type string }
	if json.Unmarshal(raw, &o) == nil {
		return o.Type
	}
	return ""
}
