// Package dotnet finds the NuGet packages of .NET applications: the
// libraries of every *.deps.json that `dotnet build` and `dotnet publish`
// write beside an application (APP.deps.json), of type "package", and the
// runtime pack of a self-contained application (type "runtimepack",
// "runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": the .NET
// runtime it carries, as the NuGet package it came from). The
// application's own projects (type "project") are not packages.
package dotnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/sbom"
)

const (
	// maxFile is the largest file read; larger ones are reported, not
	// read.
	maxFile = 8 << 20
	// maxErrors is the most errors reported of one file.
	maxErrors = 10
)

// Extractor reads .deps.json files.
type Extractor struct{}

// New returns the .NET extractor.
func New() *Extractor { return &Extractor{} }

// Name is "dotnet".
func (*Extractor) Name() string { return "dotnet" }

func isDeps(p string) bool { return strings.HasSuffix(p, ".deps.json") }

// Wants keeps .deps.json files of less than 8 MiB.
func (*Extractor) Wants(p string, size int64) bool { return size < maxFile && isDeps(p) }

// Extract reads every .deps.json.
func (e *Extractor) Extract(ctx *sbom.Context) ([]sbom.Package, []error) {
	var out []sbom.Package
	var errs []error
	_ = ctx.FS.Walk(func(f *image.File) error {
		if !isDeps(f.Path) || !f.Mode.IsRegular() {
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
		libs, err := parseDeps(data)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", loc, err))
			return nil
		}
		for _, l := range libs {
			if l.err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", loc, l.err))
				continue
			}
			out = append(out, sbom.Package{Name: l.name, Version: l.version, Type: packageurl.TypeNuget,
				PURL:     packageurl.NewPackageURL(packageurl.TypeNuget, "", l.name, l.version, nil, "").ToString(),
				Location: loc, Layer: f.Layer, Extractor: e.Name()})
		}
		return nil
	})
	return out, errs
}

// library is a package of a deps.json, or why an entry is not one.
type library struct {
	name, version string
	err           error
}

// parseDeps reads the "libraries" of a deps.json: NAME/VERSION keys of
// type package or runtimepack.
func parseDeps(data []byte) ([]library, error) {
	var deps struct {
		Libraries map[string]struct {
			Type string `json:"type"`
		} `json:"libraries"`
	}
	if err := json.Unmarshal(data, &deps); err != nil {
		return nil, err
	}
	if deps.Libraries == nil {
		return nil, errors.New("no libraries: not a deps.json")
	}
	var out []library
	bad := 0
	for key, l := range deps.Libraries {
		if l.Type != "package" && l.Type != "runtimepack" {
			continue
		}
		name, version, ok := strings.Cut(key, "/")
		if l.Type == "runtimepack" {
			name = strings.TrimPrefix(name, "runtimepack.")
		}
		if !ok || name == "" || version == "" || strings.Contains(version, "/") {
			if bad++; bad <= maxErrors {
				out = append(out, library{err: fmt.Errorf("library %q: not NAME/VERSION", key)})
			}
			continue
		}
		out = append(out, library{name: name, version: version})
	}
	return out, nil
}
