package component_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dozor-dev/dozor/component"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/inventory"
	"github.com/dozor-dev/dozor/vuln"
	"github.com/dozor-dev/dozor/vuln/vulntest"
)

var (
	dbOnce sync.Once
	dbPath string
	dbErr  error
)

// openDB imports ../shared/data and the fixtures once per test binary.
func openDB(t testing.TB) *vuln.DB {
	t.Helper()
	data := vulntest.SharedData(t)
	dbOnce.Do(func() {
		dir, err := tempDir()
		if err != nil {
			dbErr = err
			return
		}
		dbPath = filepath.Join(dir, "vuln.db")
		_, dbErr = vuln.Import(context.Background(), dbPath, []vuln.Input{{Path: data}, {Path: vulntest.Fixtures()}}, vuln.ImportOptions{})
	})
	if dbErr != nil {
		t.Fatal(dbErr)
	}
	db, err := vuln.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// The data in ../shared/data is of 2024 to 2026; end of life is judged at
// a date it covers.
var now = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

func node(name, kubelet, runtime, kernel, osImage, family string) inventory.Node {
	rt, rv, _ := strings.Cut(runtime, "://")
	return inventory.Node{Name: name, KubeletVersion: kubelet, ContainerRuntime: inventory.Runtime{Name: rt, Version: rv},
		KernelVersion: kernel, OSImage: osImage, OperatingSystem: family}
}

func find(t *testing.T, r *component.Report, kind, version string, onNode string) *component.Component {
	t.Helper()
	for i := range r.Components {
		c := &r.Components[i]
		if c.Kind == kind && c.Version == version && (onNode == "" || slices.Contains(c.Nodes, onNode)) {
			return c
		}
	}
	t.Fatalf("no %s %s (node %q) in the report: %+v", kind, version, onNode, r.Components)
	return nil
}

func vulnOf(c *component.Component, id string) *component.Vulnerability {
	for i := range c.Vulnerabilities {
		if c.Vulnerabilities[i].ID == id {
			return &c.Vulnerabilities[i]
		}
	}
	return nil
}

// Versions just below and exactly at each fix, on every kind of
// component.
func TestFixBoundaries(t *testing.T) {
	db := openDB(t)
	inv := &inventory.Inventory{
		Kubernetes: inventory.Kubernetes{GitVersion: "v1.29.3-eks-adc7111"},
		Components: []inventory.Component{
			{Name: "kube-apiserver", Version: "v1.29.3-eks-adc7111", Source: inventory.SourceVersion},
			{Name: "kube-proxy", Version: "v1.18.3", Source: inventory.SourceWorkload, Workloads: []inventory.ObjectRef{{Kind: "DaemonSet", Namespace: "kube-system", Name: "kube-proxy"}}},
			{Name: "kube-proxy", Version: "v1.18.4", Source: inventory.SourceWorkload, Workloads: []inventory.ObjectRef{{Kind: "DaemonSet", Namespace: "kube-system", Name: "kube-proxy-new"}}},
		},
		Nodes: []inventory.Node{
			node("old", "v1.29.6", "containerd://1.7.12", "5.16.10", "Ubuntu 20.04.6 LTS", "linux"),
			node("fixed", "v1.29.7", "containerd://1.7.13", "5.16.11", "Ubuntu 24.04.1 LTS", "linux"),
			node("crio-old", "v1.29.7", "cri-o://1.23.1", "5.15.0-105-generic", "Ubuntu 22.04.4 LTS", "linux"),
			node("crio-fixed", "v1.29.7", "cri-o://1.23.2", "5.17.0", "Debian GNU/Linux 12 (bookworm)", "linux"),
			node("win-old", "v1.26.7", "containerd://1.7.13", "10.0.17763.5458", "Windows Server 2019 Datacenter", "windows"),
			node("linux-126", "v1.26.7", "docker://24.0.7", "5.7.19", "Alpine Linux v3.19", "linux"),
			node("new-kernel", "v1.29.7", "containerd://1.7.13", "6.8.2", "Ubuntu 24.04.1 LTS", "linux"),
		},
	}
	r, err := component.Analyze(inv, db, component.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		kind, version, node, id string
		affected                bool
	}
	for _, w := range []want{
		// API server: CVE-2024-3177 is fixed in 1.29.4.
		{component.KindAPIServer, "v1.29.3-eks-adc7111", "", "CVE-2024-3177", true},
		// kubelet: CVE-2024-10220 (gitRepo volumes) is fixed in 1.29.7.
		{component.KindKubelet, "v1.29.6", "old", "CVE-2024-10220", true},
		{component.KindKubelet, "v1.29.7", "fixed", "CVE-2024-10220", false},
		// CVE-2023-3676 is about Windows nodes: it applies to the Windows
		// kubelet, not to the Linux one of the same version.
		{component.KindKubelet, "v1.26.7", "win-old", "CVE-2023-3676", true},
		{component.KindKubelet, "v1.26.7", "linux-126", "CVE-2023-3676", false},
		// kube-proxy from its image: CVE-2020-8558 is fixed in 1.18.4.
		{component.KindKubeProxy, "v1.18.3", "", "CVE-2020-8558", true},
		{component.KindKubeProxy, "v1.18.4", "", "CVE-2020-8558", false},
		// containerd bundles runc: CVE-2024-21626 is fixed in 1.7.13.
		{component.KindRuntime, "1.7.12", "old", "CVE-2024-21626", true},
		{component.KindRuntime, "1.7.13", "fixed", "CVE-2024-21626", false},
		// CRI-O: cr8escape, CVE-2022-0811, fixed in 1.23.2.
		{component.KindRuntime, "1.23.1", "crio-old", "CVE-2022-0811", true},
		{component.KindRuntime, "1.23.2", "crio-fixed", "CVE-2022-0811", false},
		// Docker Engine 24.0.7 has the runc of CVE-2024-21626 (fixed in 24.0.9).
		{component.KindRuntime, "24.0.7", "linux-126", "CVE-2024-21626", true},
		// Kernel: Dirty Pipe is fixed in 5.16.11, was introduced in 5.8,
		// and every 5.17 has the fix.
		{component.KindKernel, "5.16.10", "old", "CVE-2022-0847", true},
		{component.KindKernel, "5.16.11", "fixed", "CVE-2022-0847", false},
		{component.KindKernel, "5.17.0", "crio-fixed", "CVE-2022-0847", false},
		{component.KindKernel, "5.7.19", "linux-126", "CVE-2022-0847", false},
		{component.KindKernel, "5.15.0-105-generic", "crio-old", "CVE-2022-0847", true},
	} {
		c := find(t, r, w.kind, w.version, w.node)
		v := vulnOf(c, w.id)
		if (v != nil) != w.affected {
			var ids []string
			for _, v := range c.Vulnerabilities {
				ids = append(ids, v.ID)
			}
			t.Errorf("%s %s on %q: %s affected = %v, want %v (matched %v)", w.kind, w.version, w.node, w.id, v != nil, w.affected, ids)
		}
	}

	// What a match carries.
	v := vulnOf(find(t, r, component.KindAPIServer, "v1.29.3-eks-adc7111", ""), "CVE-2024-3177")
	if v.FixedInLine != "1.29.4" || v.Severity != "low" || v.CVSS == 0 || v.Confidence != "high" {
		t.Errorf("CVE-2024-3177: %+v", v)
	}
	v = vulnOf(find(t, r, component.KindRuntime, "1.7.12", "old"), "CVE-2024-21626")
	if v.FixedInLine != "1.7.13" || !v.Escape || v.EPSS == nil || v.Severity != "high" {
		t.Errorf("CVE-2024-21626 on containerd 1.7.12: %+v", v)
	}
	// An upstream kernel is judged with confidence; a distribution's is
	// "possibly vulnerable", as its fixes are backported.
	up := vulnOf(find(t, r, component.KindKernel, "5.16.10", "old"), "CVE-2022-0847")
	distro := vulnOf(find(t, r, component.KindKernel, "5.15.0-105-generic", "crio-old"), "CVE-2022-0847")
	if up.Status != component.StatusVulnerable || up.Confidence != "high" || up.KEV == nil || up.FixedInLine != "5.16.11" {
		t.Errorf("upstream kernel: %+v", up)
	}
	if distro.Status != component.StatusPossiblyVulnerable || distro.Confidence != "low" {
		t.Errorf("distribution kernel: %+v", distro)
	}

	// A Windows node's kernel is not matched against Linux's escapes.
	if win := find(t, r, component.KindKernel, "10.0.17763.5458", "win-old"); len(win.Vulnerabilities) > 0 || !slices.ContainsFunc(win.Notes, func(n string) bool { return strings.Contains(n, "not a Linux kernel") }) {
		t.Errorf("Windows kernel: %+v", win)
	}

	// End of life at 2026-11-23: Kubernetes 1.29 on EKS (the upstream
	// table: the inventory's distribution is not set here), Ubuntu 20.04,
	// containerd 1.7.
	if l := find(t, r, component.KindKubelet, "v1.29.6", "old").Lifecycle; l == nil || l.Status != component.LifeEOL || l.Cycle != "1.29" {
		t.Errorf("kubelet 1.29 lifecycle: %+v", l)
	}
	if l := find(t, r, component.KindOS, "24.04", "fixed").Lifecycle; l == nil || l.Status == component.LifeEOL {
		t.Errorf("Ubuntu 24.04 lifecycle: %+v", l)
	}
	if l := find(t, r, component.KindRuntime, "1.7.13", "fixed").Lifecycle; l == nil || l.Status != component.LifeEOL || l.EOL != "2026-09-01" {
		t.Errorf("containerd 1.7 lifecycle: %+v", l)
	}

	// Version skew: kube-proxy 1.18 against an API server of 1.29.
	if !slices.ContainsFunc(r.Skew, func(s component.Skew) bool { return s.Kind == component.KindKubeProxy && s.Version == "v1.18.3" }) {
		t.Errorf("skew: %+v", r.Skew)
	}

	// Findings: one per rule and object; the Windows node's kubelet.
	fs := component.Findings(r, "prod")
	has := func(id, kind, name string) bool {
		return slices.ContainsFunc(fs, func(f component.Finding) bool {
			return f.Finding.Rule.ID == id && f.Target.Ref.Kind == kind && f.Target.Ref.Name == name
		})
	}
	for _, w := range [][3]string{
		{"DZ-CMP-001", "Cluster", "prod"}, {"DZ-CMP-001", "Node", "win-old"}, {"DZ-CMP-001", "DaemonSet", "kube-proxy"},
		{"DZ-CMP-002", "Node", "old"}, {"DZ-CMP-003", "Node", "old"}, {"DZ-CMP-003", "Node", "crio-old"},
		{"DZ-CMP-004", "Node", "old"}, {"DZ-CMP-006", "DaemonSet", "kube-proxy"},
	} {
		if !has(w[0], w[1], w[2]) {
			t.Errorf("no %s on %s %s", w[0], w[1], w[2])
		}
	}
	if has("DZ-CMP-003", "Node", "new-kernel") {
		t.Error("DZ-CMP-003 on a kernel with every fix")
	}
	for _, f := range fs {
		if f.Finding.Rule.ID == "DZ-CMP-003" && f.Target.Ref.Name == "crio-old" && f.Finding.Severity > finding.Medium {
			t.Errorf("a possible match on a distribution kernel is %s, want at most medium", f.Finding.Severity)
		}
	}
}

func TestSkew(t *testing.T) {
	db := openDB(t)
	inv := &inventory.Inventory{
		Kubernetes: inventory.Kubernetes{GitVersion: "v1.37.2"},
		Nodes: []inventory.Node{
			node("newer", "v1.38.0", "containerd://2.1.1", "6.6.30", "", "linux"),
			node("at-limit", "v1.34.9", "containerd://2.1.1", "6.6.30", "", "linux"),
			node("too-old", "v1.33.12+k3s1", "containerd://2.1.1", "6.6.30", "", "linux"),
			node("same", "v1.37.2-eks-1", "containerd://2.1.1", "6.6.30", "", "linux"),
		},
		Components: []inventory.Component{{Name: "kube-controller-manager", Version: "v1.35.0", Source: inventory.SourcePods}},
	}
	r, err := component.Analyze(inv, db, component.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range r.Skew {
		got = append(got, s.Kind+" "+s.Version)
	}
	want := []string{"kubelet v1.33.12+k3s1", "kubelet v1.38.0", "kube-controller-manager v1.35.0"}
	if !slices.Equal(got, want) {
		t.Errorf("skew = %v, want %v", got, want)
	}
	// Before 1.28 the kubelet could be two minors older, not three.
	inv.Kubernetes.GitVersion = "v1.27.4"
	inv.Nodes = []inventory.Node{node("three", "v1.24.17", "containerd://1.6.20", "5.10.200", "", "linux")}
	inv.Components = nil
	r, _ = component.Analyze(inv, db, component.Options{Now: now})
	if len(r.Skew) != 1 || !strings.Contains(r.Skew[0].Problem, "allows 2") {
		t.Errorf("skew before 1.28: %+v", r.Skew)
	}
}

func TestDatabaseAge(t *testing.T) {
	db := openDB(t)
	inv := &inventory.Inventory{Kubernetes: inventory.Kubernetes{GitVersion: "v1.36.1"}}
	r, _ := component.Analyze(inv, db, component.Options{Now: now, MaxAge: 7 * 24 * time.Hour})
	// The Kubernetes advisories of ../shared/data are of 2024-09.
	if !r.Database.Stale || r.Database.AgeDays < 700 || len(r.Database.Sources) == 0 {
		t.Errorf("database info: stale %v, %d days, %d sources", r.Database.Stale, r.Database.AgeDays, len(r.Database.Sources))
	}
	r, _ = component.Analyze(inv, db, component.Options{Now: now, MaxAge: 5000 * 24 * time.Hour})
	if r.Database.Stale {
		t.Error("stale under a limit of 5000 days")
	}
}

func TestEscapesData(t *testing.T) {
	es, err := component.Escapes()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, e := range es {
		ids[e.ID] = true
		for _, f := range e.Fixed {
			if _, _, err := e.Affects(f); err != nil {
				t.Errorf("%s: fixed version %q: %v", e.ID, f, err)
			}
			if affected, _, _ := e.Affects(f); affected {
				t.Errorf("%s is affected at its own fixed version %s", e.ID, f)
			}
		}
	}
	for _, id := range []string{"CVE-2022-0847", "CVE-2022-0185", "CVE-2022-0492", "CVE-2023-0386", "CVE-2024-1086", "CVE-2024-21626", "CVE-2019-5736"} {
		if !ids[id] {
			t.Errorf("escapes.yaml lacks %s", id)
		}
	}
}

// BenchmarkAnalyze matches a 1,000-node inventory (bench/inventorygen's
// spread of versions) against the database of ../shared/data, opening the
// database each time as a command does.
func BenchmarkAnalyze(b *testing.B) {
	openDB(b).Close()
	kubelets := []string{"v1.33.4-eks-1a2b3c4", "v1.32.9-eks-5d6e7f8", "v1.31.12-eks-9a8b7c6", "v1.30.14-eks-1f2e3d4", "v1.29.15-eks-0a0b0c0"}
	runtimes := []string{"containerd://1.7.27", "containerd://1.7.11", "containerd://2.0.5", "cri-o://1.30.4", "docker://24.0.7"}
	kernels := []string{"6.1.124-134.200.amzn2023.x86_64", "5.10.230-223.885.amzn2.x86_64", "5.15.0-131-generic", "6.8.0-51-generic", "6.6.60-flatcar"}
	inv := &inventory.Inventory{Kubernetes: inventory.Kubernetes{GitVersion: "v1.33.4-eks-1a2b3c4"},
		Components: []inventory.Component{{Name: "kube-apiserver", Version: "v1.33.4-eks-1a2b3c4", Source: inventory.SourceVersion}}}
	for i := range 1000 {
		inv.Nodes = append(inv.Nodes, node(fmt.Sprintf("node-%04d", i), kubelets[i/13%5], runtimes[i/17%5], kernels[i/7%5], "Ubuntu 22.04.5 LTS", "linux"))
	}
	b.ResetTimer()
	for b.Loop() {
		db, err := vuln.Open(dbPath)
		if err != nil {
			b.Fatal(err)
		}
		r, err := component.Analyze(inv, db, component.Options{Now: now})
		if err != nil {
			b.Fatal(err)
		}
		_ = component.Findings(r, "bench")
		_ = db.Close()
	}
}

// Each CVE goes to the component it is about: by the packages of the
// vulnerable code, by the Kubernetes project's component advisories of
// the same CVE, or by its summary; advisories about Windows nodes only to
// Windows kubelets.
func TestAttribution(t *testing.T) {
	db := openDB(t)
	inv := &inventory.Inventory{
		Kubernetes: inventory.Kubernetes{GitVersion: "v1.26.4"},
		Components: []inventory.Component{{Name: "kube-apiserver", Version: "v1.26.4", Source: inventory.SourceVersion}},
		Nodes: []inventory.Node{
			node("lin", "v1.26.4", "containerd://1.6.20", "6.1.0", "", "linux"),
			node("win", "v1.26.4", "containerd://1.6.20", "10.0.20348.2227", "", "windows"),
		},
	}
	r, err := component.Analyze(inv, db, component.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	api := find(t, r, component.KindAPIServer, "v1.26.4", "")
	lin := find(t, r, component.KindKubelet, "v1.26.4", "lin")
	win := find(t, r, component.KindKubelet, "v1.26.4", "win")
	for _, w := range []struct {
		id            string
		api, lin, win bool
	}{
		{"CVE-2023-2727", true, false, false},  // ImagePolicyWebhook: the API server's admission
		{"CVE-2023-2431", false, true, true},   // seccomp bypass: k8s.io/kubelet in the component advisories
		{"CVE-2024-10220", false, true, true},  // gitRepo volumes: pkg/volume/git_repo
		{"CVE-2023-5528", false, false, true},  // in-tree storage on Windows nodes
		{"CVE-2025-13281", true, false, false}, // kube-controller-manager, not seen running: the control plane
	} {
		if got := vulnOf(api, w.id) != nil; got != w.api {
			t.Errorf("%s on the API server: %v, want %v", w.id, got, w.api)
		}
		if got := vulnOf(lin, w.id) != nil; got != w.lin {
			t.Errorf("%s on the Linux kubelet: %v, want %v", w.id, got, w.lin)
		}
		if got := vulnOf(win, w.id) != nil; got != w.win {
			t.Errorf("%s on the Windows kubelet: %v, want %v", w.id, got, w.win)
		}
	}
	// The Go advisory of CVE-2023-2431 has no score; the component
	// advisory of the same CVE has.
	if v := vulnOf(lin, "CVE-2023-2431"); v == nil || v.CVSS == 0 || v.Severity == "unknown" {
		t.Errorf("CVE-2023-2431: %+v", v)
	}
}
