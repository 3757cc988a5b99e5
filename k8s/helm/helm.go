// Package helm renders Helm charts, chart directories and packaged .tgz
// archives, into manifests for scanning, the way `helm template` does and
// entirely offline: it uses Helm's Go SDK (helm.sh/helm/v4), never a Helm
// binary, a cluster, a chart repository or a remote values file.
//
// Render is a scan.Renderers.Chart. Each template's output becomes one
// scan.Rendered that names the chart, the template ("webapp/templates/x.yaml")
// and the template's file on disk, so findings and errors point at what to
// edit.
package helm

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/input"
	"github.com/dozor-dev/dozor/k8s/manifest"
	"github.com/dozor-dev/dozor/scan"
)

// MaxOutputBytes bounds the manifests one chart may render. The API server
// stores objects of at most about 1.5 MiB; a chart that renders more than
// this in total is broken or hostile, and is refused rather than scanned.
const MaxOutputBytes = 64 << 20

// maxOutputBytes is MaxOutputBytes, lowered by tests.
var maxOutputBytes = MaxOutputBytes

// Defaults used when scan.HelmOptions leaves a setting empty; they are the
// ones `helm template` uses.
const (
	DefaultReleaseName = "release-name"
	DefaultNamespace   = "default"
)

// Render renders the chart (a directory or a .tgz archive) of u with opts.
//
// It works like `helm template --include-crds`: values files and --set,
// --set-string and --set-file values are merged as Helm merges them, the
// chart's dependencies are resolved from its charts/ directory (never
// downloaded), values are checked against values.schema.json, and
// .Capabilities reports opts.KubeVersion (Helm's default when empty). Hooks,
// test hooks and the CRDs in crds/ directories are included: they are
// objects that reach the cluster too. NOTES.txt is not.
//
// A template that fails gives an error naming its file and line, and the
// chart's other templates are still rendered (see renderAll). A chart that
// cannot be loaded, has dependencies missing from charts/, or has values
// that do not load or do not match its schema gives an error and nothing
// else.
//
// Render reads only local files: values files and --set-file paths that are
// URLs are refused, and so is "-" (standard input). Templates cannot reach
// the network either: lookup returns nothing and getHostByName resolves
// nothing, as in `helm template`.
//
// Helm renders a chart in memory at once, so MaxOutputBytes is checked after
// rendering; a template that loops without end is not interrupted, and ctx
// is only checked between steps.
func Render(ctx context.Context, u input.Unit, opts scan.HelmOptions) (out []scan.Rendered, errs []*finding.InputError) {
	r := &renderer{unit: u, files: newChartFiles(u)}
	defer func() {
		// Helm's engine recovers from panics in templates; the rest of
		// its SDK is not meant to panic on any chart either. If it does,
		// the chart is an error, not a crash.
		if p := recover(); p != nil {
			out, errs = nil, r.fail("", "Helm failed on this chart: %v", p)
		}
	}()
	return r.render(ctx, opts)
}

type renderer struct {
	unit  input.Unit
	files *chartFiles
}

// fail returns an error about the whole chart; file is the file concerned,
// if known.
func (r *renderer) fail(file, format string, args ...any) []*finding.InputError {
	return []*finding.InputError{{
		Location: finding.Location{Chart: r.unit.Path, File: file},
		Message:  fmt.Sprintf(format, args...),
	}}
}

func (r *renderer) render(ctx context.Context, opts scan.HelmOptions) ([]scan.Rendered, []*finding.InputError) {
	if err := ctx.Err(); err != nil {
		return nil, r.fail("", "%v", err)
	}
	ch, err := loader.Load(r.unit.Path)
	if err != nil {
		return nil, r.fail(r.files.loadErrorFile(err), "cannot load the chart: %s", cleanLoadError(err))
	}
	if ch.Metadata.Type == "library" {
		// Library charts only define templates for other charts to use;
		// Helm refuses to install them. They produce no object to scan.
		return nil, nil
	}
	if deps := ch.Metadata.Dependencies; len(deps) > 0 {
		if err := checkDependencies(ch); err != nil {
			return nil, r.fail(r.files.metadataFile(), "%v", err)
		}
	}

	vals, errs := r.mergeValues(opts)
	if errs != nil {
		return nil, errs
	}

	caps := common.DefaultCapabilities.Copy()
	if opts.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(opts.KubeVersion)
		if err != nil {
			return nil, r.fail("", "invalid Kubernetes version %q: %v", opts.KubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	if c := ch.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, caps.KubeVersion.String()) {
		return nil, r.fail(r.files.metadataFile(), "the chart requires Kubernetes %s, which %s is not (set --kube-version)", c, caps.KubeVersion.Version)
	}

	name := cmp.Or(opts.ReleaseName, DefaultReleaseName)
	if err := chartutil.ValidateReleaseName(name); err != nil {
		return nil, r.fail("", "release name %q: %v", name, err)
	}
	namespace := cmp.Or(opts.Namespace, DefaultNamespace)

	// As action.Install does for `helm template`: enable or disable
	// subcharts by their conditions and tags, apply aliases and import
	// values, then coalesce the values of every chart.
	if err := chartutil.ProcessDependencies(ch, vals); err != nil {
		return nil, r.fail(r.files.metadataFile(), "chart dependencies: %v", err)
	}
	release := common.ReleaseOptions{Name: name, Namespace: namespace, Revision: 1, IsInstall: true}
	// Helm's own schema validation may fetch schemas over HTTP; validate
	// offline instead (validateSchemas).
	top, err := util.ToRenderValuesWithSchemaValidation(ch, vals, release, caps, true)
	if err != nil {
		return nil, r.fail("", "values: %v", err)
	}
	if values, ok := top["Values"].(common.Values); ok {
		if err := validateSchemas(ch, values); err != nil {
			return nil, r.fail(r.files.schemaFile(), "values do not match the chart's schema: %v", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, r.fail("", "%v", err)
	}

	rendered, errs := r.renderAll(ctx, ch, top)
	out, total := r.crds(ch, namespace)
	for _, tpl := range slices.Sorted(maps.Keys(rendered)) {
		content := rendered[tpl]
		if strings.HasSuffix(tpl, "NOTES.txt") || strings.TrimSpace(content) == "" {
			continue
		}
		total += len(content)
		out = append(out, scan.Rendered{Data: []byte(content), Source: r.source(tpl, namespace)})
	}
	if total > maxOutputBytes {
		return nil, append(errs, r.fail("", "the chart renders %d bytes of manifests, more than the limit of %d MiB", total, maxOutputBytes>>20)...)
	}
	return out, errs
}

// source attributes a template's output.
func (r *renderer) source(template, namespace string) k8s.Source {
	return k8s.Source{
		File:             r.files.path(template),
		Chart:            r.unit.Path,
		Template:         template,
		Group:            "helm:" + r.unit.Path,
		DefaultNamespace: namespace,
	}
}

// crds returns the files in the crds/ directories of the chart and of its
// enabled subcharts, one document at a time: they are not templates, so
// their lines are the lines of the files.
func (r *renderer) crds(ch *chart.Chart, namespace string) ([]scan.Rendered, int) {
	var out []scan.Rendered
	total := 0
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		for _, f := range c.Files {
			if !strings.HasPrefix(f.Name, "crds/") || !isManifest(f.Name) {
				continue
			}
			total += len(f.Data)
			src := r.source(path.Join(c.ChartFullPath(), f.Name), namespace)
			for _, doc := range manifest.Split(f.Data) {
				if doc.Blank() {
					continue
				}
				s := src
				if !r.files.archive {
					s.Line = firstContentLine(doc)
				}
				out = append(out, scan.Rendered{Data: doc.Data, Source: s})
			}
		}
		for _, dep := range c.Dependencies() {
			walk(dep)
		}
	}
	walk(ch)
	return out, total
}

// isManifest reports whether a file in crds/ is one Helm installs.
func isManifest(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// firstContentLine returns the line of a document's first line that is not
// blank, a comment or a marker: where its object starts.
func firstContentLine(doc manifest.Document) int {
	line := doc.Line
	for l := range bytes.Lines(doc.Data) {
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) && t[0] != '%' {
			return line
		}
		line++
	}
	return doc.Line
}

// checkDependencies reports the dependencies that Chart.yaml lists and
// charts/ lacks. It is action.CheckDependencies, which lives in a package
// that brings Helm's cluster client along.
func checkDependencies(ch *chart.Chart) error {
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		if d != nil && !have[d.Name] {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("dependencies listed in Chart.yaml are missing from charts/: %s (run `helm dependency build` to fetch them)", strings.Join(missing, ", "))
	}
	return nil
}

// cleanLoadError shortens the loader's messages.
func cleanLoadError(err error) string {
	msg := err.Error()
	if errors.Is(err, os.ErrNotExist) {
		return "no such file or directory"
	}
	return msg
}

// osPath turns a slash-separated chart path into a file path under dir.
func osPath(dir, slashed string) string {
	return filepath.Join(dir, filepath.FromSlash(slashed))
}
