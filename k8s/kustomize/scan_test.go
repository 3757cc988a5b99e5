package kustomize_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dozor-dev/dozor/check/pss"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s/kustomize"
	"github.com/dozor-dev/dozor/scan"
)

// TestScanOverlay builds an overlay through a whole scan: the container its
// patch makes privileged is found, and the finding names the overlay and
// the base file and line where the Deployment is written.
func TestScanOverlay(t *testing.T) {
	res, err := scan.Run(context.Background(), scan.Options{
		Paths:     []string{"testdata/overlays/prod"},
		Checks:    pss.Checks(),
		Now:       time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Renderers: scan.Renderers{Kustomization: kustomize.Build},
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
	wantLoc := finding.Location{
		File:          filepath.FromSlash("testdata/base/workloads.yaml"),
		Line:          22,
		Kustomization: "testdata/overlays/prod",
	}
	if diff := cmp.Diff(wantLoc, got[0].Location); diff != "" {
		t.Errorf("Location (-want +got):\n%s", diff)
	}
	wantRef := finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop-prod", Name: "prod-worker"}
	if diff := cmp.Diff(wantRef, got[0].Object); diff != "" {
		t.Errorf("Object (-want +got):\n%s", diff)
	}
	if len(res.Objects) != 4 {
		t.Errorf("scanned %d objects, want 4", len(res.Objects))
	}
}
