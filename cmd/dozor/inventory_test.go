package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/inventory"
	"github.com/dozor-dev/dozor/test/harness"
)

// inventoryCLI runs dozor inventory against the test cluster.
func inventoryCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	cl := harness.Get(t)
	return dozor(t, "", append([]string{"inventory", "--kubeconfig", cl.Kubeconfig}, args...)...)
}

// TestInventoryJSON: -o json is the documented schema, read back into its
// Go types, with what the seed made.
func TestInventoryJSON(t *testing.T) {
	r := inventoryCLI(t, "--context", "admin", "-o", "json")
	if r.code != exitClean {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, exitClean, r.stderr)
	}
	var inv inventory.Inventory
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&inv); err != nil {
		t.Fatalf("not the inventory's JSON: %v\n%s", err, r.stdout)
	}
	if inv.APIVersion != inventory.APIVersion || inv.Kind != inventory.Kind || inv.Tool.Name != "dozor" || inv.Tool.Version == "" {
		t.Errorf("apiVersion %q, kind %q, tool %+v", inv.APIVersion, inv.Kind, inv.Tool)
	}
	if len(inv.Nodes) != 3 || len(inv.Gaps) != 0 || inv.Kubernetes.GitVersion != "v1.37.2" {
		t.Errorf("%d nodes, gaps %+v, version %q", len(inv.Nodes), inv.Gaps, inv.Kubernetes.GitVersion)
	}
	var counted bool
	for _, d := range inv.CustomResourceDefinitions {
		counted = counted || d.Name == "backuppolicies.backup.dozor.dev" && d.Objects != nil && *d.Objects == 4
	}
	if !counted {
		t.Errorf("the 4 BackupPolicies are not counted: %+v", inv.CustomResourceDefinitions)
	}
	if !strings.Contains(r.stdout, `"imageID": "docker.io/library/busybox@sha256:db142d433cdde11f10ae479dbf92f3b13d693fd1c91053da9979728cceb1dc68"`) {
		t.Error("the bare pod's running digest is not in the JSON")
	}
	// The inventory reads no Secret; nothing of one is in the output.
	if strings.Contains(r.stdout, "storefront-db") || strings.Contains(r.stdout, "seeded-test-value") {
		t.Error("a Secret is in the inventory")
	}

	// --output-file writes the same document there.
	out := filepath.Join(t.TempDir(), "inventory.json")
	if r := inventoryCLI(t, "--context", "admin", "-o", "json", "--output-file", out); r.code != exitClean || r.stdout != "" {
		t.Fatalf("--output-file: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil || !json.Valid(data) {
		t.Errorf("--output-file wrote no JSON (%v)", err)
	}
}

// TestInventoryTable: the table names the cluster's parts people look for.
func TestInventoryTable(t *testing.T) {
	r := inventoryCLI(t, "--context", "admin")
	if r.code != exitClean {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, exitClean, r.stderr)
	}
	for _, want := range []string{
		"Kubernetes    v1.37.2", "Distribution  upstream Kubernetes",
		"NODES (3)", "node-c  True", "cri-o 1.29.1", "containerd 1.7.13", "Flatcar Container Linux",
		"kube-apiserver  v1.37.2", "shop             baseline", "restricted",
		"docker.io/library/busybox:1.36", "sha256:db142d433cdd", "Pod shop/debug-shell",
		"shop       storefront  LoadBalancer", "pay.example.com   yes",
		"backuppolicies.backup.dozor.dev  BackupPolicy  Namespaced  4",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the table lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "NOT READ") {
		t.Errorf("gaps as admin:\n%s", r.stdout)
	}
}

// TestInventoryNotVisible: what the credentials may not see is listed, and
// does not change the exit code; nothing readable at all does.
func TestInventoryNotVisible(t *testing.T) {
	r := inventoryCLI(t, "--context", "viewer")
	if r.code != exitClean {
		t.Errorf("viewer: exit code %d, want %d; stderr:\n%s", r.code, exitClean, r.stderr)
	}
	for _, want := range []string{"NOT READ (2)", "nodes: not visible to these credentials", "customresourcedefinitions.apiextensions.k8s.io: not visible", "Distribution  unknown"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("viewer: the table lacks %q:\n%s", want, r.stdout)
		}
	}
	r = inventoryCLI(t, "--context", "nobody", "-o", "json")
	if r.code != exitPartial {
		t.Errorf("nobody: exit code %d, want %d (nothing could be read)", r.code, exitPartial)
	}
	var inv inventory.Inventory
	if err := json.Unmarshal([]byte(r.stdout), &inv); err != nil || len(inv.Gaps) != len(inventory.Resources) {
		t.Errorf("nobody: %v, %d gaps", err, len(inv.Gaps))
	}
	// One namespace, as a user who may see only it.
	r = inventoryCLI(t, "--context", "narrow", "-n", "shop")
	if r.code != exitClean || !strings.Contains(r.stdout, "Scope         namespaces shop") {
		t.Errorf("narrow -n shop: exit code %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestInventoryUsage(t *testing.T) {
	for _, args := range [][]string{
		{"inventory", "-o", "sarif"},
		{"inventory", "extra-argument"},
		{"inventory", "-A", "-n", "shop"},
		{"inventory", "--kubeconfig", filepath.Join(t.TempDir(), "missing")},
	} {
		if r := dozor(t, "", args...); r.code != exitInvalid || r.stderr == "" {
			t.Errorf("%q: exit code %d, stderr %q; want %d and a message", args, r.code, r.stderr, exitInvalid)
		}
	}
}

// TestInventoryExitCode: 3 for a part that failed to be read, or when
// nothing could be; not for what the credentials may not see.
func TestInventoryExitCode(t *testing.T) {
	notVisible := finding.Gap{Resource: "nodes", Kind: finding.GapNotVisible}
	failed := finding.Gap{Resource: "pods", Kind: finding.GapFailed}
	for _, tc := range []struct {
		gaps    []finding.Gap
		objects int
		want    int
	}{
		{nil, 10, exitClean},
		{nil, 0, exitClean}, // an empty cluster, fully read
		{[]finding.Gap{notVisible}, 10, exitClean},
		{[]finding.Gap{notVisible}, 0, exitPartial},
		{[]finding.Gap{failed}, 10, exitPartial},
	} {
		inv := &inventory.Inventory{Gaps: tc.gaps, Summary: inventory.Summary{Objects: tc.objects}}
		if got := inventoryExitCode(inv); got != tc.want {
			t.Errorf("inventoryExitCode(gaps %v, %d objects) = %d, want %d", tc.gaps, tc.objects, got, tc.want)
		}
	}
}
