package helm

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"sigs.k8s.io/yaml"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/input"
	"github.com/dozor-dev/dozor/k8s/manifest"
	"github.com/dozor-dev/dozor/scan"
)

// object is what the tests look at in rendered output.
type object struct {
	Kind, Name string
	Source     k8s.Source
	Doc        map[string]any
}

func render(t *testing.T, path string, opts scan.HelmOptions) ([]object, []*finding.InputError) {
	t.Helper()
	kind := input.Chart
	if strings.HasSuffix(path, ".tgz") {
		kind = input.ChartArchive
	}
	out, errs := Render(context.Background(), input.Unit{Kind: kind, Path: path}, opts)
	var objs []object
	for _, r := range out {
		for _, d := range manifest.Split(r.Data) {
			if d.Blank() {
				continue
			}
			var doc map[string]any
			if err := yaml.Unmarshal(d.Data, &doc); err != nil {
				t.Fatalf("%s: rendered output is not YAML: %v\n%s", r.Source.Template, err, d.Data)
			}
			md, _ := doc["metadata"].(map[string]any)
			name, _ := md["name"].(string)
			kind, _ := doc["kind"].(string)
			objs = append(objs, object{Kind: kind, Name: name, Source: r.Source, Doc: doc})
		}
	}
	return objs, errs
}

func find(t *testing.T, objs []object, kind, name string) object {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	var have []string
	for _, o := range objs {
		have = append(have, o.Kind+"/"+o.Name)
	}
	t.Fatalf("no %s %s in the output; have %v", kind, name, have)
	return object{}
}

// field returns the value at a dotted path ("spec.replicas"; numbers index
// lists).
func field(doc map[string]any, path string) any {
	var v any = doc
	for _, k := range strings.Split(path, ".") {
		switch c := v.(type) {
		case map[string]any:
			v = c[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

func noErrors(t *testing.T, errs []*finding.InputError) {
	t.Helper()
	for _, e := range errs {
		t.Errorf("unexpected error: %v", e)
	}
}

// TestRenderChart: every template's output is attributed to the chart, the
// template and its file; hooks, CRDs and subcharts are included, NOTES.txt
// is not.
func TestRenderChart(t *testing.T) {
	objs, errs := render(t, "testdata/shop", scan.HelmOptions{})
	noErrors(t, errs)

	type attribution struct{ Kind, Name, File, Template string }
	var got []attribution
	for _, o := range objs {
		got = append(got, attribution{o.Kind, o.Name, o.Source.File, o.Source.Template})
		if o.Source.Chart != "testdata/shop" || o.Source.Group != "helm:testdata/shop" || o.Source.DefaultNamespace != "default" {
			t.Errorf("%s %s: Source = %+v, want chart, group and namespace of the release", o.Kind, o.Name, o.Source)
		}
	}
	want := []attribution{
		{"CustomResourceDefinition", "coupons.shop.example.com", filepath.FromSlash("testdata/shop/crds/coupons.yaml"), "shop/crds/coupons.yaml"},
		// The subchart lives in charts/cache-chart but is named "cache".
		{"StatefulSet", "release-name-cache", filepath.FromSlash("testdata/shop/charts/cache-chart/templates/statefulset.yaml"), "shop/charts/cache/templates/statefulset.yaml"},
		// The same subchart again, under an alias.
		{"StatefulSet", "release-name-sessions", filepath.FromSlash("testdata/shop/charts/cache-chart/templates/statefulset.yaml"), "shop/charts/sessions/templates/statefulset.yaml"},
		{"ConfigMap", "release-name-shop-settings", filepath.FromSlash("testdata/shop/templates/configmap.yaml"), "shop/templates/configmap.yaml"},
		{"Deployment", "release-name-shop", filepath.FromSlash("testdata/shop/templates/deployment.yaml"), "shop/templates/deployment.yaml"},
		{"Job", "release-name-shop-migrate", filepath.FromSlash("testdata/shop/templates/migrate-job.yaml"), "shop/templates/migrate-job.yaml"},
		{"Service", "release-name-shop", filepath.FromSlash("testdata/shop/templates/service.yaml"), "shop/templates/service.yaml"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rendered objects (-want +got):\n%s", diff)
	}

	// The hook keeps its annotation: it is scanned like any object.
	job := find(t, objs, "Job", "release-name-shop-migrate")
	if ann, _ := field(job.Doc, "metadata.annotations").(map[string]any); ann["helm.sh/hook"] != "pre-install,pre-upgrade" {
		t.Errorf("hook annotations = %v", ann)
	}
	// The CRD is a file, not a template: its line is known.
	if crd := find(t, objs, "CustomResourceDefinition", "coupons.shop.example.com"); crd.Source.Line != 2 {
		t.Errorf("CRD line = %d, want 2 (after the comment)", crd.Source.Line)
	}
	// Subchart values come from the parent's values.
	sts := find(t, objs, "StatefulSet", "release-name-cache")
	if got := field(sts.Doc, "spec.template.spec.containers.0.resources.limits.memory"); got != "64Mi" {
		t.Errorf("subchart memory limit = %v, want the parent's 64Mi", got)
	}
	sts = find(t, objs, "StatefulSet", "release-name-sessions")
	if got := field(sts.Doc, "spec.template.spec.containers.0.resources.limits.memory"); got != "32Mi" {
		t.Errorf("aliased subchart memory limit = %v, want its own default 32Mi", got)
	}
}

// TestValues: values files, --set, --set-string and --set-file change the
// output as in Helm, and so do the release name, namespace and Kubernetes
// version.
func TestValues(t *testing.T) {
	objs, errs := render(t, "testdata/shop", scan.HelmOptions{
		ValueFiles:   []string{"testdata/values-prod.yaml"},
		Values:       []string{"image.repository=mirror.example.com/shop", "replicaCount=7"},
		StringValues: []string{"build=123"},
		FileValues:   []string{"banner=testdata/banner.txt"},
		ReleaseName:  "prod",
		Namespace:    "shop",
		KubeVersion:  "1.31.4",
	})
	noErrors(t, errs)
	dep := find(t, objs, "Deployment", "prod-shop")
	if got := field(dep.Doc, "spec.replicas"); got != float64(7) {
		t.Errorf("replicas = %v, want 7 (--set wins over the values file)", got)
	}
	if got := field(dep.Doc, "spec.template.spec.containers.0.image"); got != "mirror.example.com/shop:4.1.0" {
		t.Errorf("image = %v, want the --set repository and the values file's tag", got)
	}
	if dep.Source.DefaultNamespace != "shop" || dep.Source.Group != "helm:testdata/shop" {
		t.Errorf("Source = %+v, want the release namespace", dep.Source)
	}
	cm := find(t, objs, "ConfigMap", "prod-shop-settings")
	want := map[string]any{"banner": "Closed for maintenance\n", "build": "123", "buildType": "string", "kubernetes": "v1.31.4"}
	if diff := cmp.Diff(want, cm.Doc["data"]); diff != "" {
		t.Errorf("ConfigMap data (-want +got):\n%s", diff)
	}
	for _, o := range objs {
		if o.Kind == "StatefulSet" {
			t.Errorf("the cache subchart is disabled by the values file, but rendered %s", o.Name)
		}
	}

	// --set makes numbers of numbers; --set-string did not.
	objs, errs = render(t, "testdata/shop", scan.HelmOptions{Values: []string{"build=123"}})
	noErrors(t, errs)
	if got := field(find(t, objs, "ConfigMap", "release-name-shop-settings").Doc, "data.buildType"); got != "int64" {
		t.Errorf("--set build=123 gives a %v, want an int64", got)
	}
}

// TestArchive: a packaged chart renders like its directory, attributed to
// the archive.
func TestArchive(t *testing.T) {
	ch, err := loader.Load("testdata/shop")
	if err != nil {
		t.Fatal(err)
	}
	archive, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(archive) != "shop-1.2.0.tgz" {
		t.Fatalf("archive = %s", archive)
	}
	fromDir, errs := render(t, "testdata/shop", scan.HelmOptions{})
	noErrors(t, errs)
	fromArchive, errs := render(t, archive, scan.HelmOptions{})
	noErrors(t, errs)
	if len(fromArchive) != len(fromDir) {
		t.Fatalf("archive renders %d objects, directory %d", len(fromArchive), len(fromDir))
	}
	for i := range fromDir {
		d, a := fromDir[i], fromArchive[i]
		if diff := cmp.Diff(d.Doc, a.Doc); diff != "" {
			t.Errorf("%s: archive output differs (-dir +archive):\n%s", d.Source.Template, diff)
		}
		wantSrc := d.Source
		wantSrc.File, wantSrc.Chart, wantSrc.Group, wantSrc.Line = archive, archive, "helm:"+archive, 0
		if diff := cmp.Diff(wantSrc, a.Source); diff != "" {
			t.Errorf("%s: Source (-want +got):\n%s", d.Source.Template, diff)
		}
	}
}

// TestMissingDependencies: dependencies not vendored in charts/ are named.
func TestMissingDependencies(t *testing.T) {
	objs, errs := render(t, "testdata/missingdeps", scan.HelmOptions{})
	if len(objs) != 0 {
		t.Errorf("rendered %d objects, want none", len(objs))
	}
	if len(errs) != 1 {
		t.Fatalf("errors = %v, want one", errs)
	}
	e := errs[0]
	if e.Location.File != filepath.FromSlash("testdata/missingdeps/Chart.yaml") || e.Location.Chart != "testdata/missingdeps" {
		t.Errorf("Location = %+v", e.Location)
	}
	if !strings.Contains(e.Message, "missing from charts/: postgresql, redis") {
		t.Errorf("Message = %q, want it to name postgresql and redis", e.Message)
	}
}

// TestTemplateErrors: a failing template is an error at its file and line,
// and the chart's other templates are still rendered.
func TestTemplateErrors(t *testing.T) {
	objs, errs := render(t, "testdata/broken", scan.HelmOptions{})
	if len(objs) != 1 || objs[0].Kind != "ConfigMap" {
		t.Errorf("rendered %v, want the ConfigMap that does not fail", objs)
	}
	type pos struct {
		File, Template string
		Line, Column   int
		Message        string
	}
	var got []pos
	for _, e := range errs {
		if e.Location.Chart != "testdata/broken" {
			t.Errorf("error %v does not name the chart", e)
		}
		got = append(got, pos{e.Location.File, e.Location.Template, e.Location.Line, e.Location.Column, e.Message})
	}
	want := []pos{
		{filepath.FromSlash("testdata/broken/templates/service.yaml"), "broken/templates/service.yaml", 7, 22,
			`broken/templates/service.yaml:7:22 executing "broken/templates/service.yaml" at <.Values.service.port>: nil pointer evaluating interface {}.port`},
		// required fails in a named template; the error is where the
		// template being rendered includes it.
		{filepath.FromSlash("testdata/broken/templates/secret.yaml"), "broken/templates/secret.yaml", 6, 10,
			"execution error at (broken/templates/secret.yaml:6:10): database.host is required"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestTemplateErrorsUnpinned: a template that does not parse is left out;
// an error inside a named template called with the "template" action names
// only the partial, and the template being rendered is found all the same.
func TestTemplateErrorsUnpinned(t *testing.T) {
	objs, errs := render(t, "testdata/viatemplate", scan.HelmOptions{})
	var names []string
	for _, o := range objs {
		names = append(names, o.Name)
	}
	if diff := cmp.Diff([]string{"a", "d"}, names); diff != "" {
		t.Errorf("rendered objects (-want +got):\n%s", diff)
	}
	if len(errs) != 2 {
		t.Fatalf("errors = %v, want two", errs)
	}
	parse, exec := errs[0], errs[1]
	if parse.Location.Template != "viatemplate/templates/c-unclosed.yaml" || parse.Location.Line != 5 ||
		!strings.HasPrefix(parse.Message, "parse error") {
		t.Errorf("parse error = %+v %q", parse.Location, parse.Message)
	}
	if exec.Location.Template != "viatemplate/templates/_helpers.tpl" || exec.Location.Line != 2 ||
		exec.Location.File != filepath.FromSlash("testdata/viatemplate/templates/_helpers.tpl") ||
		!strings.HasPrefix(exec.Message, "rendering viatemplate/templates/b-service.yaml: ") {
		t.Errorf("execution error = %+v %q", exec.Location, exec.Message)
	}
}

// TestInvalidCharts: charts and values that cannot be used are errors that
// name the file at fault, never panics.
func TestInvalidCharts(t *testing.T) {
	tests := []struct {
		name, chart string
		opts        scan.HelmOptions
		file        string // "" for none
		message     string // a part of it
	}{
		{"no version", "testdata/noversion", scan.HelmOptions{}, "testdata/noversion/Chart.yaml", "chart.metadata.version is required"},
		{"values.yaml not YAML", "testdata/badvalues", scan.HelmOptions{}, "testdata/badvalues/values.yaml", "cannot load values.yaml"},
		{"no chart", "testdata/nowhere", scan.HelmOptions{}, "", "no such file or directory"},
		{"values file missing", "testdata/shop", scan.HelmOptions{ValueFiles: []string{"testdata/nowhere.yaml"}}, "testdata/nowhere.yaml", "no such file or directory"},
		{"values file not YAML", "testdata/shop", scan.HelmOptions{ValueFiles: []string{"testdata/badvalues/values.yaml"}}, "testdata/badvalues/values.yaml", "values file:"},
		{"values URL", "testdata/shop", scan.HelmOptions{ValueFiles: []string{"https://example.com/values.yaml"}}, "https://example.com/values.yaml", "reads local values files only"},
		{"values on stdin", "testdata/shop", scan.HelmOptions{ValueFiles: []string{"-"}}, "-", "standard input"},
		{"bad --set", "testdata/shop", scan.HelmOptions{Values: []string{"image.tag"}}, "", "--set image.tag"},
		{"--set-file URL", "testdata/shop", scan.HelmOptions{FileValues: []string{"banner=http://example.com/banner.txt"}}, "", "reads local values files only"},
		{"bad release name", "testdata/shop", scan.HelmOptions{ReleaseName: "Prod_1"}, "", `release name "Prod_1"`},
		{"bad Kubernetes version", "testdata/shop", scan.HelmOptions{KubeVersion: "one"}, "", "invalid Kubernetes version"},
		{"Kubernetes too old", "testdata/constrained", scan.HelmOptions{KubeVersion: "1.29"}, "testdata/constrained/Chart.yaml", "requires Kubernetes >=1.30.0-0"},
		{"values against schema", "testdata/schema", scan.HelmOptions{Values: []string{"replicas=zero"}}, "testdata/schema/values.schema.json", "schema: at '/replicas'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, errs := render(t, tt.chart, tt.opts)
			if len(objs) != 0 {
				t.Errorf("rendered %d objects, want none", len(objs))
			}
			if len(errs) != 1 {
				t.Fatalf("errors = %v, want one", errs)
			}
			e := errs[0]
			if e.Location.Chart != tt.chart || e.Location.File != filepath.FromSlash(tt.file) {
				t.Errorf("Location = %+v, want chart %s and file %q", e.Location, tt.chart, tt.file)
			}
			if !strings.Contains(e.Message, tt.message) {
				t.Errorf("Message = %q, want it to contain %q", e.Message, tt.message)
			}
		})
	}
}

// TestChartsThatRenderNothing: a library chart has no objects of its own,
// and the Kubernetes version a chart requires is checked like Helm does.
func TestChartsThatRenderNothing(t *testing.T) {
	objs, errs := render(t, "testdata/library", scan.HelmOptions{})
	noErrors(t, errs)
	if len(objs) != 0 {
		t.Errorf("library chart rendered %v", objs)
	}
	objs, errs = render(t, "testdata/constrained", scan.HelmOptions{KubeVersion: "1.30.2"})
	noErrors(t, errs)
	if len(objs) != 1 {
		t.Errorf("rendered %d objects, want 1", len(objs))
	}
	objs, errs = render(t, "testdata/schema", scan.HelmOptions{Values: []string{"replicas=3"}})
	noErrors(t, errs)
	if len(objs) != 1 {
		t.Errorf("rendered %d objects, want 1", len(objs))
	}
}

// TestSchemaOffline: a schema that refers to a remote schema is not checked,
// and nothing is fetched.
func TestSchemaOffline(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{"type": "string"}`)
	}))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "remote-schema")
	write(t, dir, map[string]string{
		"Chart.yaml":         "apiVersion: v2\nname: remote-schema\nversion: 0.1.0\n",
		"values.yaml":        "replicas: 1\n",
		"values.schema.json": `{"type": "object", "properties": {"replicas": {"$ref": "` + srv.URL + `/replicas.json"}}}`,
		"templates/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
	})
	objs, errs := render(t, dir, scan.HelmOptions{})
	noErrors(t, errs)
	if len(objs) != 1 {
		t.Errorf("rendered %d objects, want 1", len(objs))
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the schema's $ref was fetched %d times", n)
	}
}

// TestOutputLimit: a chart that renders too much is refused.
func TestOutputLimit(t *testing.T) {
	defer func(n int) { maxOutputBytes = n }(maxOutputBytes)
	maxOutputBytes = 1 << 20
	dir := filepath.Join(t.TempDir(), "big")
	write(t, dir, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: big\nversion: 0.1.0\n",
		"templates/cms.yaml": `{{- range until 3000 }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{{ . }}
data:
  filler: {{ repeat 400 "x" }}
{{- end }}
`,
	})
	objs, errs := render(t, dir, scan.HelmOptions{})
	if len(objs) != 0 {
		t.Errorf("rendered %d objects, want none", len(objs))
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "more than the limit of 1 MiB") {
		t.Errorf("errors = %v, want the output limit", errs)
	}
}

// TestCancelled: a cancelled scan renders nothing.
func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, errs := Render(ctx, input.Unit{Kind: input.Chart, Path: "testdata/shop"}, scan.HelmOptions{})
	if len(out) != 0 || len(errs) != 1 {
		t.Errorf("Render() = %d manifests, %v; want none and the cancellation", len(out), errs)
	}
}

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
