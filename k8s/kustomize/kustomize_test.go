package kustomize

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/input"
)

type object struct {
	Kind, Name string
	Source     k8s.Source
	Doc        map[string]any
}

func build(t *testing.T, dir string) ([]object, []*finding.InputError) {
	t.Helper()
	out, errs := Build(context.Background(), input.Unit{Kind: input.Kustomization, Path: dir})
	var objs []object
	for _, r := range out {
		var doc map[string]any
		if err := yaml.Unmarshal(r.Data, &doc); err != nil {
			t.Fatalf("output is not one YAML object: %v\n%s", err, r.Data)
		}
		md, _ := doc["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		kind, _ := doc["kind"].(string)
		objs = append(objs, object{Kind: kind, Name: name, Source: r.Source, Doc: doc})
	}
	return objs, errs
}

func noErrors(t *testing.T, errs []*finding.InputError) {
	t.Helper()
	for _, e := range errs {
		t.Errorf("unexpected error: %v", e)
	}
}

type attribution struct {
	Kind, Name, File string
	Line             int
}

func attributions(t *testing.T, objs []object, dir string) []attribution {
	t.Helper()
	var out []attribution
	for _, o := range objs {
		out = append(out, attribution{o.Kind, o.Name, filepath.ToSlash(o.Source.File), o.Source.Line})
		if o.Source.Kustomization != dir || o.Source.Group != "kustomize:"+dir || o.Source.Chart != "" || o.Source.Template != "" {
			t.Errorf("%s %s: Source = %+v, want the kustomization %s", o.Kind, o.Name, o.Source, dir)
		}
		md, _ := o.Doc["metadata"].(map[string]any)
		if anns, ok := md["annotations"]; ok {
			t.Errorf("%s %s: annotations %v left in the output, want none", o.Kind, o.Name, anns)
		}
	}
	return out
}

// TestBuildBase: each resource names the file and line it came from; the
// generated ConfigMap names the kustomization file and its generator.
func TestBuildBase(t *testing.T) {
	objs, errs := build(t, "testdata/base")
	noErrors(t, errs)
	want := []attribution{
		{"Deployment", "web", "testdata/base/workloads.yaml", 2},
		{"Deployment", "worker", "testdata/base/workloads.yaml", 22},
		{"Service", "web", "testdata/base/service.yaml", 1},
		{"ConfigMap", "web-settings-hf678c7m2b", "testdata/base/kustomization.yaml", 7},
	}
	if diff := cmp.Diff(want, attributions(t, objs, "testdata/base")); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}

// TestBuildOverlay: an overlay's objects, renamed and patched, name the
// base file and the line they are written at.
func TestBuildOverlay(t *testing.T) {
	before, err := os.ReadFile("testdata/overlays/prod/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := build(t, "testdata/overlays/prod")
	noErrors(t, errs)
	want := []attribution{
		{"Deployment", "prod-web", "testdata/base/workloads.yaml", 2},
		{"Deployment", "prod-worker", "testdata/base/workloads.yaml", 22},
		{"Service", "prod-web", "testdata/base/service.yaml", 1},
		{"ConfigMap", "prod-web-settings-hf678c7m2b", "testdata/base/kustomization.yaml", 7},
	}
	if diff := cmp.Diff(want, attributions(t, objs, "testdata/overlays/prod")); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	worker := objs[1].Doc
	spec := worker["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	sc := spec["containers"].([]any)[0].(map[string]any)["securityContext"]
	if diff := cmp.Diff(map[string]any{"privileged": true}, sc); diff != "" {
		t.Errorf("patched securityContext (-want +got):\n%s", diff)
	}
	if ns := worker["metadata"].(map[string]any)["namespace"]; ns != "shop-prod" {
		t.Errorf("namespace = %v, want shop-prod", ns)
	}
	after, err := os.ReadFile("testdata/overlays/prod/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Error("the kustomization file changed")
	}
}

// TestBuildMetadataKept: a kustomization's own buildMetadata still works;
// Dozor's origin annotations are added to it and removed from the output.
func TestBuildMetadataKept(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"kustomization.yaml": "buildMetadata: [managedByLabel]\nresources:\n  - service.yaml\n",
		"service.yaml":       "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    team: shop\nspec:\n  ports:\n    - port: 80\n",
	})
	objs, errs := build(t, dir)
	noErrors(t, errs)
	if len(objs) != 1 {
		t.Fatalf("objects = %v, want one", objs)
	}
	md := objs[0].Doc["metadata"].(map[string]any)
	if diff := cmp.Diff(map[string]any{"team": "shop"}, md["annotations"]); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	if labels, _ := md["labels"].(map[string]any); !strings.HasPrefix(fmt.Sprint(labels["app.kubernetes.io/managed-by"]), "kustomize-") {
		t.Errorf("labels = %v, want managedByLabel's label", labels)
	}
	if got := objs[0].Source; got.File != filepath.Join(dir, "service.yaml") || got.Line != 1 {
		t.Errorf("Source = %+v, want service.yaml line 1", got)
	}
}

// TestRemoteRefused: remote resources, bases, components, patches,
// generator sources and plugin configurations are errors at the line that
// names them, and nothing is fetched or cloned. The fetches are watched by
// a local HTTP server the URLs point at and by a fake git program, and a
// control shows that Kustomize left to itself does use both.
func TestRemoteRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake git program is a shell script")
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fetched\n")
	}))
	defer srv.Close()
	bin := t.TempDir()
	marker := filepath.Join(bin, "git-ran")
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte("#!/bin/sh\necho \"$@\" >> "+marker+"\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)

	dir := t.TempDir()
	write(t, dir, map[string]string{
		"kustomization.yaml": `resources:
  - service.yaml
  - ` + srv.URL + `/configmap.yaml
  - ` + srv.URL + `/org/repo.git//deploy?ref=v1
  - git@github.com:example/app.git//deploy
components:
  - github.com/example/components/tls?ref=v2
patches:
  - path: ` + srv.URL + `/patch.yaml
configMapGenerator:
  - name: settings
    files:
      - app.conf=` + srv.URL + `/app.conf
transformers:
  - labels.yaml
`,
		"service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
		"labels.yaml": `apiVersion: builtin
kind: PatchTransformer
metadata:
  name: remote-patch
path: ` + srv.URL + `/more.yaml
`,
	})
	objs, errs := build(t, dir)
	if len(objs) != 0 {
		t.Errorf("built %d objects, want none", len(objs))
	}
	type refused struct {
		File    string
		Line    int
		Message string
	}
	var got []refused
	for _, e := range errs {
		if e.Location.Kustomization != dir {
			t.Errorf("error %v does not name the kustomization", e)
		}
		msg, _, _ := strings.Cut(e.Message, " is remote;")
		got = append(got, refused{filepath.Base(e.Location.File), e.Location.Line, msg})
	}
	want := []refused{
		{"kustomization.yaml", 3, fmt.Sprintf("resources: %q", srv.URL+"/configmap.yaml")},
		{"kustomization.yaml", 4, fmt.Sprintf("resources: %q", srv.URL+"/org/repo.git//deploy?ref=v1")},
		{"kustomization.yaml", 5, `resources: "git@github.com:example/app.git//deploy"`},
		{"kustomization.yaml", 7, `components: "github.com/example/components/tls?ref=v2"`},
		{"kustomization.yaml", 9, fmt.Sprintf("path: %q", srv.URL+"/patch.yaml")},
		{"kustomization.yaml", 13, fmt.Sprintf("files: %q", "app.conf="+srv.URL+"/app.conf")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	// The transformer's configuration is read only once the kustomization
	// passes: refused on its own.
	write(t, dir, map[string]string{"kustomization.yaml": "resources:\n  - service.yaml\ntransformers:\n  - labels.yaml\n"})
	_, errs = build(t, dir)
	if len(errs) != 1 || filepath.Base(errs[0].Location.File) != "labels.yaml" || errs[0].Location.Line != 5 ||
		!strings.HasPrefix(errs[0].Message, "path: ") {
		t.Errorf("errors = %v, want the transformer's path at labels.yaml:5", errs)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d HTTP requests were made", n)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("git was run")
	}

	t.Run("control", func(t *testing.T) {
		ctl := t.TempDir()
		write(t, ctl, map[string]string{"kustomization.yaml": "resources:\n  - " + srv.URL + "/configmap.yaml\n  - git@github.com:example/app.git//deploy\n"})
		k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
		if _, err := k.Run(filesys.MakeFsOnDisk(), ctl); err == nil {
			t.Error("the control build succeeded")
		}
		if hits.Load() == 0 {
			t.Error("Kustomize alone fetched nothing: the HTTP watch proves nothing")
		}
		if _, err := os.Stat(marker); err != nil {
			t.Error("Kustomize alone ran no git: the git watch proves nothing")
		}
	})
}

// TestInlineRemote: an inline plugin configuration with a remote path is
// refused at its line.
func TestInlineRemote(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"kustomization.yaml": `resources:
  - service.yaml
transformers:
  - |-
    apiVersion: builtin
    kind: PatchTransformer
    metadata:
      name: p
    path: https://example.com/patch.yaml
`,
		"service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
	})
	_, errs := build(t, dir)
	if len(errs) != 1 || errs[0].Location.Line != 9 || !strings.Contains(errs[0].Message, `"https://example.com/patch.yaml" is remote`) {
		t.Errorf("errors = %v, want the remote path at line 9", errs)
	}
}

// TestBuildErrors: Kustomize's errors name the kustomization and the file
// at fault.
func TestBuildErrors(t *testing.T) {
	tests := []struct {
		dir, file, message string
		line               int
	}{
		{"testdata/remote", "testdata/remote/kustomization.yaml", `resources: "https://github.com/example/platform//deploy/base?ref=v1.4.0" is remote`, 3},
		{"testdata/missing", "testdata/missing/deployment.yaml", "no such file or directory", 0},
		{"testdata/malformed", "testdata/malformed/configmap.yaml", "MalformedYAMLError", 0},
		{"testdata/helmcharts", "testdata/helmcharts/kustomization.yaml", "helmCharts: Dozor does not inflate Helm charts", 3},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			objs, errs := build(t, tt.dir)
			if len(objs) != 0 {
				t.Errorf("built %d objects, want none", len(objs))
			}
			if len(errs) != 1 {
				t.Fatalf("errors = %v, want one", errs)
			}
			want := finding.Location{File: filepath.FromSlash(tt.file), Line: tt.line, Kustomization: tt.dir}
			if diff := cmp.Diff(want, errs[0].Location); diff != "" {
				t.Errorf("Location (-want +got):\n%s", diff)
			}
			if !strings.Contains(errs[0].Message, tt.message) {
				t.Errorf("Message = %q, want it to contain %q", errs[0].Message, tt.message)
			}
			if wd, _ := os.Getwd(); strings.Contains(errs[0].Message, wd) {
				t.Errorf("Message = %q names absolute paths", errs[0].Message)
			}
		})
	}
}

// TestReadOnly: building cannot write.
func TestReadOnly(t *testing.T) {
	fs := newOfflineFS(filesys.MakeFsOnDisk(), t.TempDir())
	p := filepath.Join(t.TempDir(), "x")
	if err := fs.WriteFile(p, []byte("x")); err == nil {
		t.Error("WriteFile succeeded")
	}
	if err := fs.MkdirAll(p); err == nil {
		t.Error("MkdirAll succeeded")
	}
	if err := fs.RemoveAll(t.TempDir()); err == nil {
		t.Error("RemoveAll succeeded")
	}
}

func TestIsRemote(t *testing.T) {
	for p, want := range map[string]bool{
		"deployment.yaml":                        false,
		"../../base":                             false,
		"/abs/path/base":                         false,
		"dir with: colon/x.yaml":                 false,
		"https://example.com/x.yaml":             true,
		"HTTP://example.com/x.yaml":              true,
		"ssh://git@example.com/org/repo.git":     true,
		"file:///srv/repos/app.git//base":        true,
		"git::https://example.com/org/repo.git":  true,
		"git@github.com:org/repo.git":            true,
		"github.com/org/repo/base?ref=v1":        true,
		"GitHub.com:org/repo":                    true,
		"user@gitlab.example.com:group/repo.git": true,
	} {
		if got := isRemote(p); got != want {
			t.Errorf("isRemote(%q) = %v, want %v", p, got, want)
		}
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
