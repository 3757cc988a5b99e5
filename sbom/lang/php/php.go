// Package php finds PHP packages Composer installed or locked: an
// application's composer.lock (packages and packages-dev) and the record
// of what is installed in a vendor directory, vendor/composer/installed.json
// (Composer 1 writes a JSON array of packages, Composer 2 an object with
// them under "packages"). Lockfiles inside a vendor directory are the
// packages' own and are not read.
package php

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/sbom"
)

// maxFile is the largest file read; larger ones are reported, not read.
const maxFile = 8 << 20

// Extractor reads Composer's lockfiles and installed.json files.
type Extractor struct{}

// New returns the PHP extractor.
func New() *Extractor { return &Extractor{} }

// Name is "php".
func (*Extractor) Name() string { return "php" }

// isLock reports whether p is an application's composer.lock.
func isLock(p string) bool {
	return path.Base(p) == "composer.lock" && !slices.Contains(strings.Split(path.Dir(p), "/"), "vendor")
}

// isInstalled reports whether p is a vendor directory's
// composer/installed.json (the vendor directory's name can be changed).
func isInstalled(p string) bool {
	return path.Base(p) == "installed.json" && path.Base(path.Dir(p)) == "composer"
}

// Wants keeps composer.lock and installed.json files of less than 8 MiB.
func (*Extractor) Wants(p string, size int64) bool {
	return size < maxFile && (isLock(p) || isInstalled(p))
}

// Extract reads every lockfile and installed.json.
func (e *Extractor) Extract(ctx *sbom.Context) ([]sbom.Package, []error) {
	var out []sbom.Package
	var errs []error
	_ = ctx.FS.Walk(func(f *image.File) error {
		lock, installed := isLock(f.Path), isInstalled(f.Path)
		if !lock && !installed || !f.Mode.IsRegular() {
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
		var pkgs []pkg
		if lock {
			pkgs, err = parseLock(data)
		} else {
			pkgs, err = parseInstalled(data)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", loc, err))
			return nil
		}
		for _, p := range pkgs {
			vendor, name, ok := strings.Cut(p.Name, "/")
			if !ok || vendor == "" || name == "" || p.Version == "" {
				errs = append(errs, fmt.Errorf("%s: a package named %q, version %q: not vendor/name@version", loc, p.Name, p.Version))
				continue
			}
			out = append(out, sbom.Package{Name: p.Name, Version: p.Version, Type: packageurl.TypeComposer,
				PURL:     packageurl.NewPackageURL(packageurl.TypeComposer, vendor, name, p.Version, nil, "").ToString(),
				Licenses: p.licenses(), Location: loc, Layer: f.Layer, Extractor: e.Name()})
		}
		return nil
	})
	return out, errs
}

// pkg is a package as composer.lock and installed.json record it.
type pkg struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	License json.RawMessage `json:"license"`
}

// licenses reads "license": ["MIT"], or the "MIT" composer.json allows.
func (p pkg) licenses() []string {
	var ls []string
	if json.Unmarshal(p.License, &ls) != nil {
		var l string
		if json.Unmarshal(p.License, &l) != nil || l == "" {
			return nil
		}
		return []string{l}
	}
	return slices.DeleteFunc(ls, func(l string) bool { return l == "" })
}

// parseLock reads a composer.lock's packages and packages-dev.
func parseLock(data []byte) ([]pkg, error) {
	var lock struct {
		Packages    *[]pkg `json:"packages"`
		PackagesDev []pkg  `json:"packages-dev"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, err
	}
	if lock.Packages == nil {
		return nil, errors.New("no packages: not a composer.lock")
	}
	return append(*lock.Packages, lock.PackagesDev...), nil
}

// parseInstalled reads installed.json: Composer 2's {"packages": [...]}
// or Composer 1's [...].
func parseInstalled(data []byte) ([]pkg, error) {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		var v1 []pkg
		if err := json.Unmarshal(data, &v1); err != nil {
			return nil, err
		}
		return v1, nil
	}
	var v2 struct {
		Packages *[]pkg `json:"packages"`
	}
	if err := json.Unmarshal(data, &v2); err != nil {
		return nil, err
	}
	if v2.Packages == nil {
		return nil, errors.New("no packages: not Composer's installed.json")
	}
	return *v2.Packages, nil
}
