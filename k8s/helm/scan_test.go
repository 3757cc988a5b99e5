package helm_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dozor-dev/dozor/check/pss"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s/helm"
	"github.com/dozor-dev/dozor/scan"
)

// TestScanChart renders a chart through a whole scan: a privileged
// container set by --set is found, and the finding names the chart, the
// template and its file, in the release's namespace.
func TestScanChart(t *testing.T) {
	res, err := scan.Run(context.Background(), scan.Options{
		Paths:     []string{"testdata/shop"},
		Checks:    pss.Checks(),
		Now:       time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Helm:      scan.HelmOptions{Values: []string{"privileged=true"}, ReleaseName: "web", Namespace: "shop"},
		Renderers: scan.Renderers{Chart: helm.Render},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Errorf("input error: %v", e)
	}
	var got []finding.Finding
	for _, f := range res.Findings {
		if f.Rule.ID == "DZ-PSS-003" {
			got = append(got, f)
		}
	}
	if len(got) != 1 {
		t.Fatalf("DZ-PSS-003 findings = %v, want one", got)
	}
	f := got[0]
	wantLoc := finding.Location{
		File:     filepath.FromSlash("testdata/shop/templates/deployment.yaml"),
		Chart:    "testdata/shop",
		Template: "shop/templates/deployment.yaml",
	}
	if diff := cmp.Diff(wantLoc, f.Location); diff != "" {
		t.Errorf("Location (-want +got):\n%s", diff)
	}
	wantRef := finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web-shop"}
	if diff := cmp.Diff(wantRef, f.Object); diff != "" {
		t.Errorf("Object (-want +got):\n%s", diff)
	}

	// Without --set, the chart's default is not privileged.
	res, err = scan.Run(context.Background(), scan.Options{
		Paths:     []string{"testdata/shop"},
		Checks:    pss.Checks(),
		Renderers: scan.Renderers{Chart: helm.Render},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if f.Rule.ID == "DZ-PSS-003" {
			t.Errorf("unexpected %s at %s: %s", f.Rule.ID, f.Location, f.Message)
		}
	}
}

// TestScanChartErrors: charts that fail to render are input errors of the
// scan, their templates that render are still checked, and charts render
// side by side.
func TestScanChartErrors(t *testing.T) {
	res, err := scan.Run(context.Background(), scan.Options{
		Paths:     []string{"testdata/broken", "testdata/shop", "testdata/viatemplate", "testdata/missingdeps"},
		Checks:    pss.Checks(),
		Workers:   4,
		Renderers: scan.Renderers{Chart: helm.Render},
	})
	if err != nil {
		t.Fatal(err)
	}
	var errCharts []string
	for _, e := range res.Errors {
		errCharts = append(errCharts, e.Location.Chart)
	}
	want := []string{"testdata/broken", "testdata/broken", "testdata/missingdeps", "testdata/viatemplate", "testdata/viatemplate"}
	if diff := cmp.Diff(want, errCharts); diff != "" {
		t.Errorf("charts with errors (-want +got):\n%s", diff)
	}
	perChart := map[string]int{}
	for _, o := range res.Objects {
		perChart[o.Location.Chart]++
	}
	wantObjects := map[string]int{"testdata/broken": 1, "testdata/shop": 7, "testdata/viatemplate": 2}
	if diff := cmp.Diff(wantObjects, perChart); diff != "" {
		t.Errorf("objects per chart (-want +got):\n%s", diff)
	}
}
