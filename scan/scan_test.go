package scan_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/check/hostpath"
	"github.com/dozor-dev/dozor/check/pss"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/scan"
)

var now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func checks() []*check.Check {
	return append(pss.Checks(), hostpath.Checks()...)
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

const privileged = `apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  containers:
  - name: c
    image: busybox:1.36
    securityContext:
      privileged: true
`

func pod(name string) string { return strings.Replace(privileged, "%s", name, 1) }

func ids(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule.ID+"@"+f.Object.Name)
	}
	return out
}

// TestBadInputLosesNothing: broken files are errors with places, and every
// good object around them is still checked.
func TestBadInputLosesNothing(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"a-good.yaml":    pod("a"),
		"b-syntax.yaml":  "apiVersion: v1\nkind: Pod\nmetadata: {name: broken\n",
		"c-mixed.yaml":   pod("c1") + "---\nkind: Pod\n---\n" + pod("c2"),
		"d-binary.yaml":  "\x00\x01\x02",
		"e-dupkeys.yaml": pod("e") + "  hostNetwork: true\n  hostNetwork: false\n",
	})
	res, err := scan.Run(context.Background(), scan.Options{
		Paths: []string{root, filepath.Join(root, "missing.yaml")}, Checks: checks(), Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		if f.Rule.ID == "DZ-PSS-003" {
			got = append(got, f.Object.Name)
		}
	}
	if diff := cmp.Diff([]string{"a", "c1", "c2", "e"}, got); diff != "" {
		t.Errorf("privileged pods found (-want +got):\n%s", diff)
	}
	var errs []string
	for _, e := range res.Errors {
		errs = append(errs, filepath.Base(e.Location.File)+":"+itoa(e.Location.Line)+" "+e.Message)
	}
	wantErrs := []string{"b-syntax.yaml:3 invalid YAML", "c-mixed.yaml:12 no apiVersion", "d-binary.yaml:0 not text",
		"e-dupkeys.yaml:12 key \"hostNetwork\" is already defined at line 11", "missing.yaml:0 no such file"}
	if len(errs) != len(wantErrs) {
		t.Fatalf("errors = %q, want %d", errs, len(wantErrs))
	}
	for i := range wantErrs {
		if !strings.HasPrefix(errs[i], wantErrs[i]) && !strings.Contains(errs[i], wantErrs[i]) {
			t.Errorf("error %d = %q, want %q", i, errs[i], wantErrs[i])
		}
	}
	if res.Stats.Objects != 4 {
		t.Errorf("objects = %d, want 4", res.Stats.Objects)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestStdinAndDeterminism(t *testing.T) {
	in := pod("x") + "---\n" + pod("y")
	run := func() *scan.Result {
		res, err := scan.Run(context.Background(), scan.Options{
			Paths: []string{"-"}, Stdin: strings.NewReader(in), Checks: checks(), Now: now, Workers: 4,
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b := run(), run()
	if len(a.Findings) == 0 {
		t.Fatal("no findings")
	}
	if diff := cmp.Diff(ids(a.Findings), ids(b.Findings)); diff != "" {
		t.Errorf("two runs differ:\n%s", diff)
	}
	if f := a.Findings[0]; f.Location.File != "<stdin>" || f.Location.Line == 0 {
		t.Errorf("first finding at %v, want a line of <stdin>", f.Location)
	}
}

func TestExceptions(t *testing.T) {
	root := t.TempDir()
	annotated := strings.Replace(pod("annotated"), "  name: annotated\n", "  name: annotated\n  annotations:\n    dozor.io/ignore: \"DZ-PSS-003: lab machine\"\n", 1)
	write(t, root, map[string]string{
		"pods.yaml": pod("by-file") + "---\n" + pod("expired") + "---\n" + annotated,
	})
	ex := []*finding.Exception{
		{Checks: []string{"DZ-PSS-003"}, Name: "by-file", Reason: "reviewed", Source: "ex.yaml:4"},
		{Checks: []string{"DZ-PSS-003"}, Name: "expired", Reason: "was fine", Source: "ex.yaml:8", Expires: now.Add(-time.Hour)},
		{Checks: []string{"DZ-HP-001"}, Reason: "unused", Source: "ex.yaml:12"},
	}
	res, err := scan.Run(context.Background(), scan.Options{
		Paths: []string{root}, Checks: checks(), Now: now, Exceptions: ex,
		CheckOptions: check.Options{KubeVersion: check.Version{Major: 1, Minor: 37}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var reported, suppressed []string
	for _, f := range res.Findings {
		if f.Rule.ID == "DZ-PSS-003" {
			reported = append(reported, f.Object.Name)
		}
	}
	for _, f := range res.Suppressed {
		suppressed = append(suppressed, f.Object.Name+" "+f.Suppressed.Kind+" "+f.Suppressed.Reason)
	}
	if diff := cmp.Diff([]string{"expired"}, reported); diff != "" {
		t.Errorf("reported (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"by-file exceptions-file reviewed", "annotated annotation lab machine"}, suppressed); diff != "" {
		t.Errorf("suppressed (-want +got):\n%s", diff)
	}
	if len(res.ExpiredExceptions) != 1 || res.ExpiredExceptions[0].Name != "expired" {
		t.Errorf("expired = %v", res.ExpiredExceptions)
	}
	if len(res.UnusedExceptions) != 1 || res.UnusedExceptions[0].Reason != "unused" {
		t.Errorf("unused = %v", res.UnusedExceptions)
	}
}

func TestBadAnnotationIsAnInputError(t *testing.T) {
	in := strings.Replace(pod("p"), "  name: p\n", "  name: p\n  annotations:\n    dozor.io/ignore: \"DZ-PSS-003\"\n", 1)
	res, err := scan.Run(context.Background(), scan.Options{Paths: []string{"-"}, Stdin: strings.NewReader(in), Checks: checks(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "no reason") || res.Errors[0].Location.Line != 6 {
		t.Errorf("errors = %v, want one at line 6 saying the reason is missing", res.Errors)
	}
	if len(res.Suppressed) != 0 {
		t.Errorf("an annotation without reason suppressed %d findings", len(res.Suppressed))
	}
}

// TestIndexGroups: cross-object checks see the objects of one group only,
// and their findings still carry lines (the document is parsed again).
func TestIndexGroups(t *testing.T) {
	var seen [][]string
	c := &check.Check{
		Rule: finding.Rule{ID: "DZ-TEST-001", Title: "t", Severity: finding.Low},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			var names []string
			for _, o := range ix.Objects() {
				names = append(names, o.Name())
				ctx.Report(o, "spec.containers[0].securityContext.privileged", "seen")
			}
			seen = append(seen, names)
		},
	}
	root := t.TempDir()
	write(t, root, map[string]string{"a.yaml": pod("a"), "b.yaml": pod("b")})
	res, err := scan.Run(context.Background(), scan.Options{Paths: []string{root}, Checks: []*check.Check{c}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{"a", "b"}}, seen); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	for _, f := range res.Findings {
		if f.Location.Line != 10 {
			t.Errorf("cross-object finding at line %d, want 10", f.Location.Line)
		}
	}
}

func TestForeignFilesSkippedInDirectories(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{"values.yaml": "replicas: 3\nimage: x\n", "p.yaml": pod("p")})
	res, err := scan.Run(context.Background(), scan.Options{Paths: []string{root}, Checks: checks(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 0 || res.Stats.Skipped != 1 {
		t.Errorf("errors %v, skipped %d; want none and 1", res.Errors, res.Stats.Skipped)
	}
	res, err = scan.Run(context.Background(), scan.Options{Paths: []string{filepath.Join(root, "values.yaml")}, Checks: checks(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 {
		t.Errorf("a file named explicitly must be an object: errors %v", res.Errors)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	root := t.TempDir()
	write(t, root, map[string]string{"a.yaml": pod("a")})
	if _, err := scan.Run(ctx, scan.Options{Paths: []string{root}, Checks: checks(), Now: now}); err == nil {
		t.Error("a cancelled scan returned no error")
	}
}
