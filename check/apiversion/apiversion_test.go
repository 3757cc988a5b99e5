package apiversion

import (
	"slices"
	"strings"
	"testing"

	policyv1beta1 "k8s.io/api/policy/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// run returns the IDs of the checks that report obj at the target version.
func run(t *testing.T, obj *k8s.Object, target check.Version) []string {
	t.Helper()
	var ids []string
	for _, c := range Checks() {
		ctx := check.NewContext(c, &check.Options{KubeVersion: target}, func(_ *k8s.Object, f finding.Finding) {
			ids = append(ids, f.Rule.ID)
		})
		c.Object(ctx, obj)
	}
	return ids
}

func object(apiVersion, kind string, typed runtime.Object) *k8s.Object {
	return &k8s.Object{APIVersion: apiVersion, Kind: kind, Typed: typed, Meta: &metav1.ObjectMeta{Name: "x"}}
}

func TestTargetVersion(t *testing.T) {
	pdb := object("policy/v1beta1", "PodDisruptionBudget", &policyv1beta1.PodDisruptionBudget{})
	psp := object("policy/v1beta1", "PodSecurityPolicy", nil)
	alphaCRD := object("scheduling.k8s.io/v1alpha1", "PriorityClass", nil)
	tests := []struct {
		obj    *k8s.Object
		target check.Version
		want   []string
	}{
		{pdb, check.Version{Major: 1, Minor: 20}, nil},
		{pdb, check.Version{Major: 1, Minor: 21}, []string{"DZ-API-001"}},
		{pdb, check.Version{Major: 1, Minor: 24}, []string{"DZ-API-001"}},
		{pdb, check.Version{Major: 1, Minor: 25}, []string{"DZ-API-002"}},
		{pdb, check.Version{}, []string{"DZ-API-002"}},
		{psp, check.Version{Major: 1, Minor: 20}, nil},
		{psp, check.Version{Major: 1, Minor: 21}, []string{"DZ-API-001"}},
		{psp, check.Version{Major: 1, Minor: 30}, []string{"DZ-API-002"}},
		{alphaCRD, check.Version{Major: 1, Minor: 30}, []string{"DZ-API-003"}},
	}
	for _, tt := range tests {
		if got := run(t, tt.obj, tt.target); !slices.Equal(got, tt.want) {
			t.Errorf("%s %s at %s: got %v, want %v", tt.obj.APIVersion, tt.obj.Kind, tt.target, got, tt.want)
		}
	}
}

// TestDeletedTable proves the table only holds what k8s.io/api cannot
// tell: versions without a Go type.
func TestDeletedTable(t *testing.T) {
	for key, l := range deleted {
		apiVersion, kind, _ := strings.Cut(key, " ")
		gv, err := schema.ParseGroupVersion(apiVersion)
		if err != nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		if obj, err := scheme.Scheme.New(gv.WithKind(kind)); err == nil {
			if _, ok := lifecycleOf(obj); ok {
				t.Errorf("%s: k8s.io/api has its lifecycle; remove it from the table", key)
			}
		}
		if !set(l.deprecated) && !set(l.removed) {
			t.Errorf("%s: neither deprecated nor removed", key)
		}
		if l.note == "" && l.replacement.Empty() {
			t.Errorf("%s: no replacement and no note", key)
		}
	}
}
