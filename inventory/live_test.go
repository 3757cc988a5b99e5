package inventory_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/inventory"
	"github.com/dozor-dev/dozor/k8s/live"
	"github.com/dozor-dev/dozor/test/harness"
)

// TestMain starts the seeded test cluster (test/cluster/seed.go) for the
// live tests; DOZOR_NO_CLUSTER=1 skips them.
func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }

// collect reads the test cluster's inventory as a user of it.
func collect(t *testing.T, opts live.Options) *inventory.Inventory {
	t.Helper()
	cl := harness.Get(t)
	opts.Kubeconfig = cl.Kubeconfig
	opts.Kinds = inventory.Resources
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := live.Connect(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Collect(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// seedNodes are test/cluster.SeedNodes (a module this one does not import).
var seedNodes = []struct{ name, osImage, kernel, runtime, runtimeVersion, kubelet, arch string }{
	{"node-a", "Ubuntu 22.04.4 LTS", "5.15.0-105-generic", "containerd", "1.7.13", "v1.37.2", "amd64"},
	{"node-b", "Amazon Linux 2023.4.20240416", "6.1.84-99.169.amzn2023.x86_64", "containerd", "1.6.28", "v1.35.4", "amd64"},
	{"node-c", "Flatcar Container Linux by Kinvolk 3815.2.2 (Oklo)", "6.1.90-flatcar", "cri-o", "1.29.1", "v1.34.3", "arm64"},
}

const busyboxDigest = "sha256:db142d433cdde11f10ae479dbf92f3b13d693fd1c91053da9979728cceb1dc68"

// TestCollectAsAdmin: everything the seed made is in the inventory, and
// nothing is missing.
func TestCollectAsAdmin(t *testing.T) {
	inv := collect(t, live.Options{Context: "admin", PageSize: 3}) // small pages: pagination is exercised
	if len(inv.Gaps) != 0 {
		t.Errorf("gaps as admin: %+v", inv.Gaps)
	}
	if inv.Cluster.Name != "admin" || inv.Kubernetes.GitVersion != "v1.37.2" || inv.Kubernetes.Version != "v1.37.2" || inv.Kubernetes.Platform == "" {
		t.Errorf("cluster %+v, kubernetes %+v", inv.Cluster, inv.Kubernetes)
	}
	if inv.Distribution.Name != inventory.DistributionUpstream {
		t.Errorf("distribution = %+v, want upstream", inv.Distribution)
	}

	// Nodes, with what their status.nodeInfo reports.
	if len(inv.Nodes) != len(seedNodes) {
		t.Fatalf("%d nodes, want %d", len(inv.Nodes), len(seedNodes))
	}
	for i, want := range seedNodes {
		n := inv.Nodes[i]
		got := []string{n.Name, n.OSImage, n.KernelVersion, n.ContainerRuntime.Name, n.ContainerRuntime.Version, n.KubeletVersion, n.Architecture, n.Ready, n.Zone}
		if d := cmp.Diff([]string{want.name, want.osImage, want.kernel, want.runtime, want.runtimeVersion, want.kubelet, want.arch, "True", "zone-" + want.name[5:]}, got); d != "" {
			t.Errorf("node %s (-want +got):\n%s", want.name, d)
		}
	}

	// The control plane runs as processes, not pods: only the API server
	// shows, from /version.
	want := []inventory.Component{{Name: "kube-apiserver", Version: "v1.37.2", Source: inventory.SourceVersion}}
	if d := cmp.Diff(want, inv.Components); d != "" {
		t.Errorf("components (-want +got):\n%s", d)
	}

	// The CRD, with its four objects counted.
	i := slices.IndexFunc(inv.CustomResourceDefinitions, func(d inventory.CustomResourceDefinition) bool {
		return d.Name == "backuppolicies.backup.dozor.dev"
	})
	if i < 0 {
		t.Fatal("the BackupPolicy CRD is not in the inventory")
	}
	if crd := inv.CustomResourceDefinitions[i]; crd.Objects == nil || *crd.Objects != 4 || crd.Kind != "BackupPolicy" || crd.Scope != "Namespaced" {
		t.Errorf("CRD = %+v (objects %v), want 4 namespaced BackupPolicies", crd, crd.Objects)
	}

	// The bare pod's image, with the digest its status reports.
	busybox := image(inv, "docker.io/library/busybox:1.36")
	if busybox == nil {
		t.Fatal("busybox:1.36 is not in the inventory")
	}
	wantRunning := []inventory.RunningImage{{Digest: busyboxDigest, Repository: "docker.io/library/busybox",
		ImageID: "docker.io/library/busybox@" + busyboxDigest, Containers: 1}}
	if d := cmp.Diff(wantRunning, busybox.Running); d != "" {
		t.Errorf("busybox running (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]inventory.ObjectRef{{Kind: "Pod", Namespace: "shop", Name: "debug-shell"}}, busybox.Workloads); d != "" {
		t.Errorf("busybox workloads (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]inventory.ContainerRef{{Namespace: "shop", Pod: "debug-shell", Container: "shell", Digest: busyboxDigest}}, busybox.Containers); d != "" {
		t.Errorf("busybox containers (-want +got):\n%s", d)
	}
	// Images of templates whose pods do not run yet are there too.
	if img := image(inv, "registry.example.com/shop/report:1.0.4"); img == nil || len(img.Workloads) != 1 || img.Workloads[0].Kind != "CronJob" {
		t.Errorf("the CronJob's image = %+v", img)
	}

	// Namespaces with their Pod Security labels.
	pss := map[string]inventory.PodSecurity{}
	for _, n := range inv.Namespaces {
		pss[n.Name] = n.PodSecurity
	}
	for ns, want := range map[string]inventory.PodSecurity{
		"shop": {Enforce: "baseline", Warn: "restricted"}, "payments": {Enforce: "restricted"},
		"monitoring": {Enforce: "privileged"}, "ci": {Enforce: "baseline"}, "legacy": {}, "kube-system": {},
	} {
		got, ok := pss[ns]
		if !ok {
			t.Errorf("namespace %s is not in the inventory", ns)
		} else if got != want {
			t.Errorf("namespace %s: pod security %+v, want %+v", ns, got, want)
		}
	}

	// Workloads of every kind the seed made.
	for kind, n := range map[string]int{"Deployment": 3, "StatefulSet": 1, "DaemonSet": 1, "CronJob": 1, "ReplicationController": 1} {
		if got := inv.Workloads.ByKind[kind]; got != n {
			t.Errorf("%d %s, want %d", got, kind, n)
		}
	}
	if inv.Workloads.ByNamespace["shop"]["Pod"] < 1 {
		t.Errorf("no pod counted in shop: %v", inv.Workloads.ByNamespace["shop"])
	}

	// The service account bound to cluster-admin, and who runs as it.
	if a := account(inv, "ci", "deployer"); a == nil || a.Missing ||
		!slices.Contains(a.Workloads, inventory.ObjectRef{Kind: "Deployment", Namespace: "ci", Name: "runner"}) {
		t.Errorf("ci/deployer = %+v", a)
	}

	// What is exposed: the LoadBalancer and the NodePort, not the
	// ClusterIP services; both ingresses, one with TLS.
	var exposed []string
	for _, s := range inv.Services {
		exposed = append(exposed, s.Namespace+"/"+s.Name+" "+s.Type)
	}
	if d := cmp.Diff([]string{"legacy/guestbook NodePort", "shop/storefront LoadBalancer"}, exposed); d != "" {
		t.Errorf("exposed services (-want +got):\n%s", d)
	}
	wantIngresses := []inventory.Ingress{
		{Namespace: "payments", Name: "payments", Hosts: []inventory.IngressHost{{Host: "pay.example.com", TLS: true}}},
		{Namespace: "shop", Name: "storefront", Hosts: []inventory.IngressHost{{Host: "shop.example.com", TLS: false}}},
	}
	if d := cmp.Diff(wantIngresses, inv.Ingresses); d != "" {
		t.Errorf("ingresses (-want +got):\n%s", d)
	}
}

// TestCollectAsViewer: the built-in view role may not list nodes nor CRDs:
// those are not-visible gaps, and the rest is read.
func TestCollectAsViewer(t *testing.T) {
	inv := collect(t, live.Options{Context: "viewer"})
	var gaps []string
	for _, g := range inv.Gaps {
		if g.Kind != finding.GapNotVisible {
			t.Errorf("gap %+v, want only not-visible ones", g)
		}
		gaps = append(gaps, g.Resource)
	}
	if d := cmp.Diff([]string{"customresourcedefinitions.apiextensions.k8s.io", "nodes"}, gaps); d != "" {
		t.Errorf("gaps (-want +got):\n%s", d)
	}
	if len(inv.Nodes) != 0 || inv.Distribution.Name != inventory.DistributionUnknown {
		t.Errorf("%d nodes, distribution %q; want none, unknown", len(inv.Nodes), inv.Distribution.Name)
	}
	if img := image(inv, "docker.io/library/busybox:1.36"); img == nil || len(img.Running) != 1 || img.Running[0].Digest != busyboxDigest {
		t.Errorf("busybox = %+v, want its running digest", img)
	}
	if len(inv.Namespaces) == 0 || inv.Summary.Pods == 0 {
		t.Errorf("namespaces %d, pods %d: the viewer reads those", len(inv.Namespaces), inv.Summary.Pods)
	}
}

// TestCollectNamespaced: with a namespace, namespaced resources are read
// there only, by a user who may see only that namespace; nodes, namespaces
// and CRDs are still asked for, and are gaps.
func TestCollectNamespaced(t *testing.T) {
	inv := collect(t, live.Options{Context: "narrow", Namespaces: []string{"shop"}})
	var gaps []string
	for _, g := range inv.Gaps {
		gaps = append(gaps, g.Resource+" "+g.Kind)
	}
	want := []string{"customresourcedefinitions.apiextensions.k8s.io not-visible", "namespaces not-visible", "nodes not-visible"}
	if d := cmp.Diff(want, gaps); d != "" {
		t.Errorf("gaps (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"shop"}, inv.Scope.Namespaces); d != "" {
		t.Errorf("scope (-want +got):\n%s", d)
	}
	for ns := range inv.Workloads.ByNamespace {
		if ns != "shop" {
			t.Errorf("workloads of namespace %s read", ns)
		}
	}
	for _, img := range inv.Images {
		for _, c := range img.Containers {
			if c.Namespace != "shop" {
				t.Errorf("image %s: container of namespace %s", img.Reference, c.Namespace)
			}
		}
	}
	if image(inv, "docker.io/library/busybox:1.36") == nil {
		t.Error("shop's images are not read")
	}
}

// TestCollectCountInScope: custom resources are counted in the namespaces
// of the scope.
func TestCollectCountInScope(t *testing.T) {
	inv := collect(t, live.Options{Context: "admin", Namespaces: []string{"shop"}})
	for _, d := range inv.CustomResourceDefinitions {
		if d.Name == "backuppolicies.backup.dozor.dev" {
			if d.Objects == nil || *d.Objects != 2 {
				t.Errorf("BackupPolicies in shop: %v, want 2", d.Objects)
			}
			return
		}
	}
	t.Error("the BackupPolicy CRD is not in the inventory")
}

// TestCollectNobody: no rights, no object: every resource is a gap, never
// an empty inventory that looks clean.
func TestCollectNobody(t *testing.T) {
	inv := collect(t, live.Options{Context: "nobody"})
	if inv.Summary.Objects != 0 {
		t.Errorf("read %d objects with no rights", inv.Summary.Objects)
	}
	if len(inv.Gaps) != len(inventory.Resources) {
		t.Errorf("%d gaps, want one per resource read (%d): %+v", len(inv.Gaps), len(inventory.Resources), inv.Gaps)
	}
	// The version is public: it is still known.
	if inv.Kubernetes.GitVersion == "" {
		t.Error("no version")
	}
}
