// Package nodelock finds Node.js packages in the lockfiles of npm
// (package-lock.json and npm-shrinkwrap.json, lockfileVersion 1, 2 and 3,
// and npm's hidden lockfile node_modules/.package-lock.json), Yarn
// (yarn.lock, classic v1 and berry) and pnpm (pnpm-lock.yaml, lockfile
// versions 5, 6 and 9).
//
// A lockfile lists what an application resolved, installed or not: it
// finds packages in images that ship the lockfile without node_modules,
// or bundle node_modules into one file. Every resolved package is listed,
// development ones too (nothing says which are installed). Left out: the
// project's own packages and workspaces, local directories and links
// (file:, link:, portal:, workspace:) and git or tarball dependencies whose
// lockfile records no version. Lockfiles inside installed packages
// (node_modules/x/package-lock.json) are not the application's, and are
// not read.
package nodelock

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/sbom"
)

// Limits of what is read.
const (
	// maxFile is the largest lockfile read (pnpm's YAML is held as a tree
	// while decoded, so it is bounded lower).
	maxFile     = 32 << 20
	maxPnpmFile = 16 << 20
	// maxPackages is the most packages taken from one lockfile.
	maxPackages = 100_000
	// maxLine is the longest line of a yarn.lock.
	maxLine = 1 << 20
	// maxDepth bounds the nesting of lockfileVersion 1 dependencies.
	maxDepth = 128
)

// errTooMany is returned, with the packages read so far, when a lockfile
// lists more than maxPackages packages.
var errTooMany = fmt.Errorf("more than %d packages", maxPackages)

// Extractor reads Node.js lockfiles.
type Extractor struct{}

// New returns the Node.js lockfile extractor.
func New() *Extractor { return &Extractor{} }

// Name is "node-lockfile".
func (*Extractor) Name() string { return "node-lockfile" }

// kind is which lockfile format a path holds, "" for none.
func kind(p string) string {
	base := path.Base(p)
	dir := path.Dir(p)
	inModules := func(d string) bool {
		return d == "node_modules" || strings.HasPrefix(d, "node_modules/") ||
			strings.Contains(d, "/node_modules/") || strings.HasSuffix(d, "/node_modules")
	}
	if base == ".package-lock.json" {
		// npm's record of what it installed in this node_modules; a
		// node_modules inside another is an installed package's.
		if path.Base(dir) == "node_modules" && !inModules(path.Dir(dir)) {
			return "npm"
		}
		return ""
	}
	if inModules(dir) {
		return ""
	}
	switch base {
	case "package-lock.json", "npm-shrinkwrap.json":
		return "npm"
	case "yarn.lock":
		return "yarn"
	case "pnpm-lock.yaml":
		return "pnpm"
	}
	return ""
}

// Wants keeps the application's lockfiles.
func (*Extractor) Wants(p string, size int64) bool {
	switch kind(p) {
	case "npm", "yarn":
		return size <= maxFile
	case "pnpm":
		return size <= maxPnpmFile
	}
	return false
}

// dep is a package a lockfile resolved.
type dep struct {
	Name, Version, License string
}

// Extract reads every lockfile.
func (e *Extractor) Extract(ctx *sbom.Context) ([]sbom.Package, []error) {
	var out []sbom.Package
	var errs []error
	_ = ctx.FS.Walk(func(f *image.File) error {
		k := kind(f.Path)
		if !f.Mode.IsRegular() || k == "" {
			return nil
		}
		loc := "/" + f.Path
		data, err := ctx.FS.ReadFile(f.Path)
		if err != nil {
			limit := int64(maxFile)
			if k == "pnpm" {
				limit = maxPnpmFile
			}
			if errors.Is(err, image.ErrNotKept) && f.Size > limit {
				err = fmt.Errorf("%d bytes, more than the %d read of a lockfile: %w", f.Size, limit, err)
			}
			errs = append(errs, fmt.Errorf("%s: %w", loc, err))
			return nil
		}
		var deps []dep
		switch k {
		case "npm":
			deps, err = parseNPM(data)
		case "yarn":
			deps, err = parseYarn(data)
		case "pnpm":
			deps, err = parsePnpm(data)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", loc, err))
		}
		seen := map[dep]bool{}
		for _, d := range deps {
			if seen[d] {
				continue
			}
			seen[d] = true
			p := sbom.Package{Name: d.Name, Version: d.Version, Type: packageurl.TypeNPM, PURL: purl(d.Name, d.Version),
				Location: loc, Layer: f.Layer, Extractor: e.Name()}
			if d.License != "" {
				p.Licenses = []string{d.License}
			}
			out = append(out, p)
		}
		return nil
	})
	return out, errs
}

// purl is pkg:npm/NAME@VERSION, a scope ("@types") the namespace.
func purl(name, version string) string {
	ns := ""
	if strings.HasPrefix(name, "@") {
		ns, name, _ = strings.Cut(name, "/")
	}
	return packageurl.NewPackageURL(packageurl.TypeNPM, ns, name, version, nil, "").ToString()
}

// splitSpec splits "name@rest" (or "@scope/name@rest"), the first '@'
// past the name's start; ok is false without one.
func splitSpec(s string) (name, rest string, ok bool) {
	if len(s) < 2 {
		return "", "", false
	}
	i := strings.IndexByte(s[1:], '@')
	if i < 0 {
		return "", "", false
	}
	return s[:i+1], s[i+2:], s[:i+1] != ""
}

// validName reports whether s can be an npm package name: not empty,
// "@scope/name" when scoped, no spaces or control characters.
func validName(s string) bool {
	if s == "" || len(s) > 512 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	if strings.HasPrefix(s, "@") {
		scope, name, ok := strings.Cut(s, "/")
		return ok && len(scope) > 1 && name != "" && !strings.Contains(name, "/")
	}
	return !strings.Contains(s, "/")
}

// registryVersion reports whether v is a version a registry resolved:
// not empty, and no protocol ("file:", "link:", "git+https:", ...) —
// versions never hold a ':'.
func registryVersion(v string) bool {
	return v != "" && len(v) <= 256 && !strings.ContainsAny(v, ": \t\n")
}

// local reports whether a range or resolution names the project's own
// files rather than a published package.
func local(spec string) bool {
	for _, p := range []string{"file:", "link:", "portal:", "workspace:"} {
		if strings.HasPrefix(spec, p) {
			return true
		}
	}
	return false
}
