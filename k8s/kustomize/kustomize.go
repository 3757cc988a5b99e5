// Package kustomize builds kustomizations into manifests for scanning, with
// the Kustomize API (sigs.k8s.io/kustomize/api/krusty) as `kustomize build`
// does, but offline: remote bases and resources are refused, never fetched.
//
// Build is a scan.Renderers.Kustomization. Each resource becomes one
// scan.Rendered naming the kustomization and the file (and line) the
// resource came from, so findings point at what to edit.
package kustomize

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/input"
	"github.com/dozor-dev/dozor/scan"
)

// buildMu serialises builds: Kustomize keeps the OpenAPI schema a
// kustomization selects (openapi: in kustomization.yaml) in a package-level
// variable, so two builds at once could merge patches with each other's
// schema. Builds are quick; scans rarely hold many kustomizations.
var buildMu sync.Mutex

// Build builds the kustomization in the directory of u.
//
// It runs Kustomize with its defaults: a kustomization reads files only from
// its own directory tree (its bases, kustomizations themselves, may be
// elsewhere), builtin generators and transformers only, no Helm chart
// inflation (scan the chart itself instead), and nothing from the network:
// a remote base or resource, git or http(s), is an error naming the file and
// line that refer to it (see offlineFS for how this is enforced).
//
// Each resource is attributed to the file it was read from, found through
// Kustomize's origin annotations (config.kubernetes.io/origin), which Build
// asks for without editing the user's files and removes from the output; its Line is the line where the
// object starts in that file, when it can be found there by kind and name.
// Generated resources (configMapGenerator, secretGenerator) name the
// kustomization file that generates them.
//
// The Kustomize API takes no context: ctx is checked before the build only.
func Build(ctx context.Context, u input.Unit) ([]scan.Rendered, []*finding.InputError) {
	if err := ctx.Err(); err != nil {
		return nil, []*finding.InputError{{Location: finding.Location{Kustomization: u.Path}, Message: err.Error()}}
	}
	b, err := newBuilder(u)
	if err != nil {
		return nil, []*finding.InputError{b.errorf("", "%v", err)}
	}
	return b.build()
}

type builder struct {
	unit input.Unit
	// abs is the kustomization directory, absolute; Kustomize works with
	// absolute paths.
	abs string
	fs  *offlineFS
	// lines caches the objects found in each file, by absolute path.
	lines map[string][]located
}

func newBuilder(u input.Unit) (*builder, error) {
	b := &builder{unit: u, lines: map[string][]located{}}
	abs, err := filepath.Abs(u.Path)
	if err != nil {
		return b, err
	}
	// Kustomize resolves symbolic links in the root; so must we, to
	// recognise its paths.
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	b.abs = abs
	b.fs = newOfflineFS(filesys.MakeFsOnDisk(), abs)
	return b, nil
}

func (b *builder) build() ([]scan.Rendered, []*finding.InputError) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	buildMu.Lock()
	m, err := k.Run(b.fs, b.abs)
	buildMu.Unlock()
	if refused := b.fs.refusals(); len(refused) > 0 {
		// Kustomize saw a file refused as unreadable, and its error says
		// so in its own words; ours say why.
		var errs []*finding.InputError
		for _, r := range refused {
			e := b.errorf(r.file, "%s", r.msg)
			e.Location.Line = r.line
			errs = append(errs, e)
		}
		return nil, errs
	}
	if err != nil {
		return nil, []*finding.InputError{b.buildError(err)}
	}

	var out []scan.Rendered
	var errs []*finding.InputError
	for _, res := range m.Resources() {
		src, err := b.source(res)
		if err != nil {
			errs = append(errs, b.errorf("", "%v", err))
			continue
		}
		data, err := res.AsYAML()
		if err != nil {
			errs = append(errs, b.errorf(src.File, "%s %s: %v", res.GetKind(), res.GetName(), err))
			continue
		}
		out = append(out, scan.Rendered{Data: data, Source: src})
	}
	return out, errs
}

// source attributes a resource to the file it came from, and removes the
// origin annotation Build asked for.
func (b *builder) source(res *resource.Resource) (k8s.Source, error) {
	src := k8s.Source{
		Kustomization: b.unit.Path,
		File:          b.userPath(filepath.Join(b.abs, b.fs.rootKustomizationFile())),
		Group:         "kustomize:" + b.unit.Path,
	}
	origin, err := res.GetOrigin()
	if err != nil {
		return src, fmt.Errorf("%s %s: reading its origin: %w", res.GetKind(), res.GetName(), err)
	}
	if err := res.SetOrigin(nil); err != nil {
		return src, err
	}
	if anns := res.GetAnnotations(); len(anns) == 0 {
		// SetOrigin leaves an empty annotations map behind.
		if err := res.SetAnnotations(nil); err != nil {
			return src, err
		}
	}
	if origin == nil || origin.Repo != "" {
		return src, nil
	}
	switch {
	case origin.ConfiguredIn != "":
		file := filepath.Join(b.abs, filepath.FromSlash(origin.ConfiguredIn))
		src.File = b.userPath(file)
		src.Line = b.generatorLine(file, res.GetName())
	case origin.Path != "":
		file := filepath.Join(b.abs, filepath.FromSlash(origin.Path))
		src.File = b.userPath(file)
		src.Line = b.objectLine(file, res.GetKind(), res.GetName())
	}
	return src, nil
}

// userPath turns an absolute path into one relative to where the user
// named the kustomization: with the kustomization "overlays/prod", the file
// "/abs/base/x.yaml" of its base "../../base" is "base/x.yaml".
func (b *builder) userPath(abs string) string {
	rel, err := filepath.Rel(b.abs, abs)
	if err != nil {
		return abs
	}
	return filepath.Join(b.unit.Path, rel)
}

func (b *builder) errorf(file, format string, args ...any) *finding.InputError {
	if file != "" && filepath.IsAbs(file) {
		file = b.userPath(file)
	}
	return &finding.InputError{
		Location: finding.Location{Kustomization: b.unit.Path, File: file},
		Message:  fmt.Sprintf(format, args...),
	}
}

// kustomizationFileNames are the names Kustomize reads a kustomization
// from, in the order it tries them.
var kustomizationFileNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

func isKustomizationFile(path string) bool {
	base := filepath.Base(path)
	for _, n := range kustomizationFileNames {
		if base == n {
			return true
		}
	}
	return false
}
