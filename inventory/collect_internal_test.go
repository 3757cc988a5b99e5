package inventory

import "testing"

// TestReadsGroup: a discovery gap matters only for a group the inventory
// reads (a metrics API that is down does not make it partial).
func TestReadsGroup(t *testing.T) {
	for resource, want := range map[string]bool{
		"*.v1": true, "*.apps/v1": true, "*.networking.k8s.io/v1": true, "*.apiextensions.k8s.io/v1": true,
		"*.metrics.k8s.io/v1beta1": false, "*.custom.metrics.k8s.io/v1beta2": false, "pods": true, "*": true,
	} {
		if got := readsGroup(resource); got != want {
			t.Errorf("readsGroup(%q) = %v, want %v", resource, got, want)
		}
	}
}
