package inventory_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/version"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/inventory"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// decodeFile reads the objects of a YAML file as scans do.
func decodeFile(t *testing.T, path string) []*k8s.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var objs []*k8s.Object
	for i, doc := range manifest.Split(data) {
		d := manifest.Decode(doc, k8s.Source{File: path}, k8s.Seq{Doc: i}, manifest.Options{})
		for _, e := range d.Errors {
			t.Fatalf("%s: %v", path, e)
		}
		objs = append(objs, d.Objects...)
		d.Release()
	}
	return objs
}

// eksFacts are what the API of the cluster in testdata/eks.yaml says beside
// its objects.
var eksFacts = inventory.Facts{
	Cluster: inventory.Cluster{Name: "prod-eu", Server: "https://0A1B2C3D4E5F.gr7.eu-west-1.eks.amazonaws.com"},
	Version: &version.Info{Major: "1", Minor: "29+", GitVersion: "v1.29.3-eks-adc7111", GitCommit: "3e1b3b4c8f5e8f7a5b9c6d2e1f0a9b8c7d6e5f4a",
		BuildDate: "2024-03-12T20:32:31Z", GoVersion: "go1.21.8", Platform: "linux/amd64"},
	APIGroups: []string{"apps", "batch", "networking.k8s.io", "apiextensions.k8s.io", "backup.dozor.dev", "elbv2.k8s.aws"},
	Counts:    map[string]int64{"backuppolicies.backup.dozor.dev": 12},
	Gaps: []finding.Gap{{Resource: "ingresses.networking.k8s.io", Namespace: "payments", Kind: finding.GapNotVisible,
		Reason: `ingresses.networking.k8s.io is forbidden: User "auditor" cannot list resource "ingresses" in API group "networking.k8s.io" in the namespace "payments"`}},
	GeneratedAt: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC),
}

func eks(t *testing.T) *inventory.Inventory {
	t.Helper()
	inv := inventory.Build(decodeFile(t, "testdata/eks.yaml"), eksFacts)
	inv.Tool = inventory.Tool{Name: "dozor", Version: "v0.0.0-test"}
	return inv
}

// TestGolden compares the JSON and the table of the EKS fixture with
// testdata/eks.json and testdata/eks.txt (go test -update rewrites them).
func TestGolden(t *testing.T) {
	inv := eks(t)
	for _, g := range []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"eks.json", func(b *bytes.Buffer) error { return inventory.WriteJSON(b, inv) }},
		{"eks.txt", func(b *bytes.Buffer) error { return inventory.WriteTable(b, inv) }},
	} {
		var b bytes.Buffer
		if err := g.write(&b); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", g.file)
		if *update {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(string(want), b.String()); d != "" {
			t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, d)
		}
	}
}

// TestBuildSameTwice: the inventory does not depend on the order objects
// come in (live lists run in parallel).
func TestBuildSameTwice(t *testing.T) {
	objs := decodeFile(t, "testdata/eks.yaml")
	a := inventory.Build(objs, eksFacts)
	for i, j := 0, len(objs)-1; i < j; i, j = i+1, j-1 {
		objs[i], objs[j] = objs[j], objs[i]
	}
	b := inventory.Build(objs, eksFacts)
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("the inventory changes with the order of objects (-first +reversed):\n%s", d)
	}
}

func image(inv *inventory.Inventory, ref string) *inventory.Image {
	for i := range inv.Images {
		if inv.Images[i].Reference == ref {
			return &inv.Images[i]
		}
	}
	return nil
}

// TestBuildImages: images are named as runtimes read them, with the
// digests each container really runs, the top workload (not its
// ReplicaSet or Job), and every container.
func TestBuildImages(t *testing.T) {
	inv := eks(t)
	deployment := []inventory.ObjectRef{{Kind: "Deployment", Namespace: "shop", Name: "storefront"}}
	cronJob := []inventory.ObjectRef{{Kind: "CronJob", Namespace: "shop", Name: "nightly-report"}}
	const (
		nginxA = "sha256:aaaa4c6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7d1e3b4f5a6c8e9d"
		nginxB = "sha256:bbbb4c6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7d1e3b4f5a6c8e9d"
		fetch  = "sha256:5c7d9e1f3a5b7c9d1e3f5a7d1e3b4f5a6c8e9d0b2a4c6e8f0a1b3c5d7e9f1a3b"
	)
	for _, want := range []inventory.Image{
		{
			// One tag, two replicas pulled at different times: two digests;
			// a third replica has not started.
			Reference: "docker.io/library/nginx:1.27", Repository: "docker.io/library/nginx", Tag: "1.27",
			SpecReferences: []string{"nginx:1.27"},
			Running: []inventory.RunningImage{
				{Digest: nginxA, Repository: "docker.io/library/nginx", ImageID: "docker.io/library/nginx@" + nginxA, Containers: 1},
				{Digest: nginxB, Repository: "docker.io/library/nginx", ImageID: "docker.io/library/nginx@" + nginxB, Containers: 1},
			},
			Workloads: deployment,
			Containers: []inventory.ContainerRef{
				{Namespace: "shop", Pod: "storefront-7c9d6f-abcde", Container: "web", Digest: nginxA},
				{Namespace: "shop", Pod: "storefront-7c9d6f-fghij", Container: "web", Digest: nginxB},
				{Namespace: "shop", Pod: "storefront-7c9d6f-klmno", Container: "web"},
			},
		},
		{
			// The old release, still running in a pod of the old ReplicaSet.
			Reference: "docker.io/library/nginx:1.25", Repository: "docker.io/library/nginx", Tag: "1.25",
			SpecReferences: []string{"nginx:1.25"},
			Running: []inventory.RunningImage{{Digest: "sha256:cccc4c6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7d1e3b4f5a6c8e9d",
				Repository: "docker.io/library/nginx", ImageID: "docker.io/library/nginx@sha256:cccc4c6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7d1e3b4f5a6c8e9d", Containers: 1}},
			Workloads: deployment,
			Containers: []inventory.ContainerRef{{Namespace: "shop", Pod: "storefront-5f4b2a-pqrst", Container: "web",
				Digest: "sha256:cccc4c6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7d1e3b4f5a6c8e9d"}},
		},
		{
			// Pinned by digest, in an init container of a CronJob's pod.
			Reference: "registry.example.com/tools/fetch@" + fetch, Repository: "registry.example.com/tools/fetch", Digest: fetch,
			Running: []inventory.RunningImage{{Digest: fetch, Repository: "registry.example.com/tools/fetch",
				ImageID: "registry.example.com/tools/fetch@" + fetch, Containers: 1}},
			Workloads:  cronJob,
			Containers: []inventory.ContainerRef{{Namespace: "shop", Pod: "nightly-report-29114520-zt8vw", Container: "fetch", Digest: fetch}},
		},
		{
			// No tag is :latest; a bare pod is its own workload.
			Reference: "docker.io/library/busybox:latest", Repository: "docker.io/library/busybox", Tag: "latest",
			SpecReferences: []string{"busybox"},
			Running: []inventory.RunningImage{{Digest: "sha256:db142d433cdde11f10ae479dbf92f3b13d693fd1c91053da9979728cceb1dc68",
				Repository: "docker.io/library/busybox", ImageID: "docker.io/library/busybox@sha256:db142d433cdde11f10ae479dbf92f3b13d693fd1c91053da9979728cceb1dc68", Containers: 1}},
			Workloads: []inventory.ObjectRef{{Kind: "Pod", Namespace: "payments", Name: "debug"}},
			Containers: []inventory.ContainerRef{{Namespace: "payments", Pod: "debug", Container: "shell",
				Digest: "sha256:db142d433cdde11f10ae479dbf92f3b13d693fd1c91053da9979728cceb1dc68"}},
		},
	} {
		got := image(inv, want.Reference)
		if got == nil {
			t.Errorf("no image %s", want.Reference)
			continue
		}
		if d := cmp.Diff(want, *got); d != "" {
			t.Errorf("image %s (-want +got):\n%s", want.Reference, d)
		}
	}
	// The ReplicaSet of the old release names nginx:1.25 in its template,
	// but only its running pod puts it in the inventory: old ReplicaSets
	// scaled to zero do not.
	if len(inv.Images) != 8 {
		t.Errorf("%d images, want 8", len(inv.Images))
	}
}

func account(inv *inventory.Inventory, ns, name string) *inventory.ServiceAccount {
	for i := range inv.ServiceAccounts {
		if a := &inv.ServiceAccounts[i]; a.Namespace == ns && a.Name == name {
			return a
		}
	}
	return nil
}

func TestBuildServiceAccounts(t *testing.T) {
	inv := eks(t)
	storefront := account(inv, "shop", "storefront")
	want := &inventory.ServiceAccount{Namespace: "shop", Name: "storefront", AutomountServiceAccountToken: new(false),
		Workloads: []inventory.ObjectRef{{Kind: "Deployment", Namespace: "shop", Name: "storefront"}},
		Pods: []inventory.PodRef{
			{Namespace: "shop", Name: "storefront-5f4b2a-pqrst", Node: "ip-10-0-1-23.eu-west-1.compute.internal"},
			{Namespace: "shop", Name: "storefront-7c9d6f-abcde", Node: "ip-10-0-1-23.eu-west-1.compute.internal"},
			{Namespace: "shop", Name: "storefront-7c9d6f-fghij", Node: "ip-10-0-2-57.eu-west-1.compute.internal"},
			{Namespace: "shop", Name: "storefront-7c9d6f-klmno"},
		}}
	if d := cmp.Diff(want, storefront); d != "" {
		t.Errorf("shop/storefront (-want +got):\n%s", d)
	}
	// Pods without serviceAccountName run as "default".
	if d := account(inv, "shop", "default"); d == nil || len(d.Pods) != 1 || d.Workloads[0].Kind != "CronJob" {
		t.Errorf("shop/default = %+v, want the CronJob's pod", d)
	}
	// payments' service accounts were read, and ghost is not among them;
	// kube-system's were not read, so kube-proxy is not said to be missing.
	if g := account(inv, "payments", "ghost"); g == nil || !g.Missing {
		t.Errorf("payments/ghost = %+v, want missing", g)
	}
	if kp := account(inv, "kube-system", "kube-proxy"); kp == nil || kp.Missing || len(kp.Pods) != 2 {
		t.Errorf("kube-system/kube-proxy = %+v, want 2 pods, not missing", kp)
	}
}

func TestBuildComponents(t *testing.T) {
	inv := eks(t)
	node1, node2 := "ip-10-0-1-23.eu-west-1.compute.internal", "ip-10-0-2-57.eu-west-1.compute.internal"
	want := []inventory.Component{
		{Name: "coredns", Version: "v1.11.1", Source: inventory.SourcePods,
			Image:     "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.11.1-eksbuild.4",
			Workloads: []inventory.ObjectRef{{Kind: "Deployment", Namespace: "kube-system", Name: "coredns"}},
			Pods:      []inventory.PodRef{{Namespace: "kube-system", Name: "coredns-5b8cc885bc-x2x7d", Node: node1}}},
		{Name: "kube-apiserver", Version: "v1.29.3-eks-adc7111", Source: inventory.SourceVersion},
		{Name: "kube-proxy", Version: "v1.29.0", Source: inventory.SourcePods,
			Image:     "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/kube-proxy:v1.29.0-minimal-eksbuild.1",
			Workloads: []inventory.ObjectRef{{Kind: "DaemonSet", Namespace: "kube-system", Name: "kube-proxy"}},
			Pods: []inventory.PodRef{{Namespace: "kube-system", Name: "kube-proxy-7xk2p", Node: node1},
				{Namespace: "kube-system", Name: "kube-proxy-q9m4t", Node: node2}}},
	}
	if d := cmp.Diff(want, inv.Components); d != "" {
		t.Errorf("components (-want +got):\n%s", d)
	}
}

func TestBuildNodes(t *testing.T) {
	inv := eks(t)
	if len(inv.Nodes) != 2 {
		t.Fatalf("%d nodes, want 2", len(inv.Nodes))
	}
	a, b := inv.Nodes[0], inv.Nodes[1]
	got := []any{a.Ready, a.Zone, a.Region, a.InstanceType, a.ContainerRuntime, a.KubeletVersion, a.KernelVersion, a.OSImage, a.Architecture, a.Unschedulable,
		b.Ready, b.Zone, b.Architecture, b.Unschedulable, b.KubeletVersion}
	want := []any{"True", "eu-west-1a", "eu-west-1", "m6i.large", inventory.Runtime{Name: "containerd", Version: "1.7.11"}, "v1.29.3-eks-adc7111",
		"5.10.213-201.855.amzn2.x86_64", "Amazon Linux 2", "amd64", false,
		"Unknown", "eu-west-1b", "arm64", true, "v1.28.8-eks-ae9a62a"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("nodes (-want +got):\n%s", d)
	}
	d := inv.Distribution
	if d.Name != inventory.DistributionEKS || d.Provider != "aws" || d.DecidedBy != `API server version v1.29.3-eks-adc7111 ("-eks-")` {
		t.Errorf("distribution = %+v", d)
	}
}

func TestBuildNamespacesAndWorkloads(t *testing.T) {
	inv := eks(t)
	want := []inventory.Namespace{
		{Name: "kube-system", Phase: "Active"},
		{Name: "payments", Phase: "Terminating", PodSecurity: inventory.PodSecurity{Enforce: "restricted"}},
		{Name: "shop", Phase: "Active", PodSecurity: inventory.PodSecurity{Enforce: "baseline", EnforceVersion: "v1.29", Warn: "restricted"}},
	}
	if d := cmp.Diff(want, inv.Namespaces); d != "" {
		t.Errorf("namespaces (-want +got):\n%s", d)
	}
	wantKinds := map[string]int{"CronJob": 1, "DaemonSet": 1, "Deployment": 2, "Job": 1, "Pod": 9, "ReplicaSet": 3}
	if d := cmp.Diff(wantKinds, inv.Workloads.ByKind); d != "" {
		t.Errorf("workloads by kind (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]int{"Pod": 1}, inv.Workloads.ByNamespace["payments"]); d != "" {
		t.Errorf("workloads of payments (-want +got):\n%s", d)
	}

	// A scope of namespaces leaves the others' Namespace objects out.
	f := eksFacts
	f.Namespaces = []string{"shop"}
	scoped := inventory.Build(decodeFile(t, "testdata/eks.yaml"), f)
	if len(scoped.Namespaces) != 1 || scoped.Namespaces[0].Name != "shop" || len(scoped.Scope.Namespaces) != 1 {
		t.Errorf("scoped to shop: namespaces %+v, scope %+v", scoped.Namespaces, scoped.Scope)
	}
}

func TestBuildExposure(t *testing.T) {
	inv := eks(t)
	wantServices := []inventory.Service{
		{Namespace: "payments", Name: "legacy-api", Type: "ClusterIP", Ports: []inventory.ServicePort{{Protocol: "TCP", Port: 8080}},
			ExternalIPs: []string{"198.51.100.7"}, Selector: map[string]string{"app": "legacy-api"}},
		{Namespace: "shop", Name: "storefront", Type: "LoadBalancer",
			Ports:        []inventory.ServicePort{{Name: "https", Protocol: "TCP", Port: 443, NodePort: 30443, TargetPort: "8443"}},
			LoadBalancer: []string{"a1b2c3-1234567890.eu-west-1.elb.amazonaws.com"}, SourceRanges: []string{"203.0.113.0/24"},
			Selector: map[string]string{"app": "storefront"}},
	}
	if d := cmp.Diff(wantServices, inv.Services); d != "" {
		t.Errorf("services (-want +got):\n%s", d)
	}
	wantIngresses := []inventory.Ingress{{Namespace: "shop", Name: "storefront", Class: "alb",
		// The wildcard covers www, not the apex; a rule without host serves
		// every host, without TLS.
		Hosts:     []inventory.IngressHost{{Host: "", TLS: false}, {Host: "shop.example.com", TLS: false}, {Host: "www.shop.example.com", TLS: true}},
		Addresses: []string{"k8s-shop-storefro-0a1b2c3d4e-1234567890.eu-west-1.elb.amazonaws.com"}}}
	if d := cmp.Diff(wantIngresses, inv.Ingresses); d != "" {
		t.Errorf("ingresses (-want +got):\n%s", d)
	}
}

func TestBuildCustomResourceDefinitions(t *testing.T) {
	inv := eks(t)
	want := []inventory.CustomResourceDefinition{
		{Name: "backuppolicies.backup.dozor.dev", Group: "backup.dozor.dev", Kind: "BackupPolicy", Plural: "backuppolicies",
			Scope: "Namespaced", Versions: []string{"v1beta1", "v1"}, StorageVersion: "v1", Objects: new(int64(12))},
		// Not established: not counted.
		{Name: "targetgroupbindings.elbv2.k8s.aws", Group: "elbv2.k8s.aws", Kind: "TargetGroupBinding", Plural: "targetgroupbindings",
			Scope: "Namespaced", Versions: []string{"v1beta1"}, StorageVersion: "v1beta1"},
	}
	if d := cmp.Diff(want, inv.CustomResourceDefinitions); d != "" {
		t.Errorf("custom resource definitions (-want +got):\n%s", d)
	}
	if inv.Summary.CustomResources != 12 {
		t.Errorf("summary.customResources = %d, want 12", inv.Summary.CustomResources)
	}
}

// TestBuildEmpty: with nothing read, every list is empty, not null.
func TestBuildEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := inventory.WriteJSON(&b, inventory.Build(nil, inventory.Facts{})); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte("null")) {
		t.Errorf("null in the JSON of an empty inventory:\n%s", b.String())
	}
}
