package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"

	"github.com/dozor-dev/dozor/internal/jsondoc"
	"github.com/dozor-dev/dozor/test/harness"
	"github.com/dozor-dev/dozor/vuln/vulntest"
)

// updateDB runs `dozor db update` against a loopback server that
// publishes ../shared/data and the fixtures as their publishers do.
func updateDB(t *testing.T) string {
	t.Helper()
	_, m := vulntest.Mirror(t)
	db := filepath.Join(t.TempDir(), "vuln.db")
	r := dozor(t, "", "db", "update", "--db", db, "--ecosystems", strings.Join(vulntest.Ecosystems, ","),
		"--eol-products", strings.Join(vulntest.Products, ","), "--osv-url", m.OSV, "--kev-url", m.KEV, "--epss-url", m.EPSS,
		"--eol-url", m.EOL, "--kubernetes-feed-url", m.K8sFeed)
	if r.code != 0 {
		t.Fatalf("db update: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	for _, src := range []string{"osv/Go", "osv/Kubernetes", "kev", "epss", "eol", "kubernetes-cve-feed"} {
		if !strings.Contains(r.stdout, src+" ") {
			t.Errorf("db update does not list source %s:\n%s", src, r.stdout)
		}
	}
	return db
}

func TestDBCommands(t *testing.T) {
	db := updateDB(t)
	r := dozor(t, "", "db", "status", "--db", db, "-o", "json")
	var st struct {
		Path    string
		Sources []struct {
			Name    string
			Records int
			Origin  string
		}
		Counts map[string]int
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || r.code != 0 {
		t.Fatalf("db status: %v, exit %d: %s %s", err, r.code, r.stdout, r.stderr)
	}
	if len(st.Sources) != 6 || st.Counts["adv"] < 4000 || st.Counts["kev"] != 1404 {
		t.Errorf("status: %+v", st)
	}
	// Export, then import the bundle elsewhere: the same database.
	bundle := filepath.Join(t.TempDir(), "dozor-db.tar.gz")
	if r := dozor(t, "", "db", "export", "--db", db, "--output-file", bundle); r.code != 0 {
		t.Fatalf("db export: %d %s", r.code, r.stderr)
	}
	other := filepath.Join(t.TempDir(), "vuln.db")
	if r := dozor(t, "", "db", "import", "--db", other, bundle); r.code != 0 || !strings.Contains(r.stdout, "osv/Kubernetes") {
		t.Fatalf("db import bundle: %d %s %s", r.code, r.stdout, r.stderr)
	}
	// Import from disk: the real files of ../shared/data.
	third := filepath.Join(t.TempDir(), "vuln.db")
	if r := dozor(t, "", "db", "import", "--db", third, vulntest.SharedData(t)); r.code != 0 || !strings.Contains(r.stdout, "kev ") {
		t.Fatalf("db import: %d %s %s", r.code, r.stdout, r.stderr)
	}
	// Nothing usable, or no database: exit 2 with a clear message.
	if r := dozor(t, "", "db", "import", "--db", third, t.TempDir()); r.code != 2 || !strings.Contains(r.stderr, "no vulnerability data") {
		t.Errorf("import of an empty directory: %d %s", r.code, r.stderr)
	}
	if r := dozor(t, "", "db", "status", "--db", filepath.Join(t.TempDir(), "none.db")); r.code != 2 || !strings.Contains(r.stderr, "dozor db update") {
		t.Errorf("status without a database: %d %s", r.code, r.stderr)
	}
}

// componentNodes are Nodes at and below the fixes of CVEs in the data:
// kubelet 1.29.7 fixes CVE-2024-10220, containerd 1.7.13 CVE-2024-21626,
// kernel 5.16.11 CVE-2022-0847, CRI-O 1.23.2 CVE-2022-0811.
var componentNodes = []struct {
	name, kubelet, runtime, kernel, os string
}{
	{"cmp-old", "v1.29.6", "containerd://1.7.12", "5.16.10", "Ubuntu 22.04.4 LTS"},
	{"cmp-fixed", "v1.29.7", "containerd://1.7.13", "5.16.11", "Ubuntu 24.04.1 LTS"},
	{"cmp-crio-old", "v1.34.1", "cri-o://1.23.1", "6.8.2", "Debian GNU/Linux 12 (bookworm)"},
	{"cmp-crio-fixed", "v1.34.1", "cri-o://1.23.2", "6.8.2", "Debian GNU/Linux 12 (bookworm)"},
	{"cmp-newer", "v1.38.0", "containerd://2.1.1", "6.8.2", "Ubuntu 24.04.1 LTS"},
}

// addComponentNodes creates them in the test cluster, with a kube-proxy
// pod of an old image, and removes them when the test ends.
func addComponentNodes(t *testing.T) {
	t.Helper()
	cl := harness.Get(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", cl.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	for _, n := range componentNodes {
		if _, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(context.Background(), n.name, metav1.DeleteOptions{}) })
		// The node lifecycle controller updates new nodes too: retry on
		// conflicts.
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			node, err := cs.CoreV1().Nodes().Get(ctx, n.name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			node.Status.NodeInfo = corev1.NodeSystemInfo{KubeletVersion: n.kubelet, ContainerRuntimeVersion: n.runtime,
				KernelVersion: n.kernel, OSImage: n.os, OperatingSystem: "linux", Architecture: "amd64"}
			_, err = cs.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy-cmp", Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-proxy"}},
		Spec:       corev1.PodSpec{NodeName: "cmp-old", Containers: []corev1.Container{{Name: "kube-proxy", Image: "registry.k8s.io/kube-proxy:v1.18.3"}}},
	}
	if _, err := cs.CoreV1().Pods("kube-system").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		zero := int64(0)
		_ = cs.CoreV1().Pods("kube-system").Delete(context.Background(), pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	})
}

type componentsJSON struct {
	Database struct {
		AgeDays             int      `json:"ageDays"`
		Stale               bool     `json:"stale"`
		FeedWithoutAdvisory []string `json:"feedWithoutAdvisory"`
	} `json:"database"`
	Components []struct {
		Kind, Name, Version string
		Nodes               []string
		Vulnerabilities     []struct {
			ID, Status, FixedInLine string
		}
		Lifecycle *struct{ Status, Cycle string }
	} `json:"components"`
	Skew []struct {
		Kind, Version, Problem string
		Nodes                  []string
	} `json:"skew"`
	Findings []struct {
		CheckID string `json:"checkId"`
		Object  struct{ Kind, Name string }
	} `json:"findings"`
}

// has reports whether the component of kind on node (or anywhere, for
// "") matches id.
func (c *componentsJSON) has(kind, node, id string) bool {
	for _, comp := range c.Components {
		if comp.Kind != kind || (node != "" && !slices.Contains(comp.Nodes, node)) {
			continue
		}
		for _, v := range comp.Vulnerabilities {
			if v.ID == id {
				return true
			}
		}
	}
	return false
}

func TestComponentsLive(t *testing.T) {
	db := updateDB(t)
	addComponentNodes(t)
	cl := harness.Get(t)
	r := dozor(t, "", "components", "--kubeconfig", cl.Kubeconfig, "--db", db, "--now", "2026-11-23", "-o", "json", "--db-max-age", "100000h")
	if r.code != 0 {
		t.Fatalf("components: exit %d\n%s", r.code, r.stderr)
	}
	var rep componentsJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		kind, node, id string
		want           bool
	}{
		{"kubelet", "cmp-old", "CVE-2024-10220", true},
		{"kubelet", "cmp-fixed", "CVE-2024-10220", false},
		{"container-runtime", "cmp-old", "CVE-2024-21626", true},
		{"container-runtime", "cmp-fixed", "CVE-2024-21626", false},
		{"container-runtime", "cmp-crio-old", "CVE-2022-0811", true},
		{"container-runtime", "cmp-crio-fixed", "CVE-2022-0811", false},
		{"kernel", "cmp-old", "CVE-2022-0847", true},
		{"kernel", "cmp-fixed", "CVE-2022-0847", false},
		// The seeded node-a runs Ubuntu's 5.15.0-105-generic: possibly.
		{"kernel", "node-a", "CVE-2022-0847", true},
		{"kube-proxy", "", "CVE-2020-8558", true},
	} {
		if got := rep.has(w.kind, w.node, w.id); got != w.want {
			t.Errorf("%s on %q: %s matched = %v, want %v", w.kind, w.node, w.id, got, w.want)
		}
	}
	if !slices.Contains(rep.Database.FeedWithoutAdvisory, "CVE-2025-7342") {
		t.Errorf("feed CVEs without an advisory: %v, want CVE-2025-7342 among them", rep.Database.FeedWithoutAdvisory)
	}
	var cmpFindings []string
	for _, f := range rep.Findings {
		cmpFindings = append(cmpFindings, f.CheckID+" "+f.Object.Kind+" "+f.Object.Name)
	}
	for _, want := range []string{"DZ-CMP-003 Node cmp-old", "DZ-CMP-002 Node cmp-crio-old", "DZ-CMP-006 Node cmp-newer", "DZ-CMP-001 Cluster admin"} {
		if !slices.Contains(cmpFindings, want) {
			t.Errorf("components findings %v lack %s", cmpFindings, want)
		}
	}
	var skewed []string
	for _, s := range rep.Skew {
		skewed = append(skewed, s.Kind+" "+s.Version)
	}
	for _, want := range []string{"kubelet v1.38.0", "kube-proxy v1.18.3"} {
		if !slices.Contains(skewed, want) {
			t.Errorf("skew %v lacks %s", skewed, want)
		}
	}
	if slices.Contains(skewed, "kubelet v1.34.3") {
		t.Error("kubelet 1.34 against 1.37 is within the policy")
	}
	eol := map[string]string{}
	for _, c := range rep.Components {
		if c.Lifecycle != nil {
			eol[c.Kind+" "+c.Version] = c.Lifecycle.Status
		}
	}
	if eol["kubelet v1.29.6"] != "end-of-life" || eol["container-runtime 1.7.13"] != "end-of-life" || eol["kubelet v1.35.4"] != "supported" {
		t.Errorf("lifecycles: %v", eol)
	}

	// The data is stale: a warning, and an error with --fail-on-stale-db.
	r = dozor(t, "", "components", "--kubeconfig", cl.Kubeconfig, "--db", db, "--now", "2026-11-23")
	if r.code != 0 || !strings.Contains(r.stderr, "days old") || !strings.Contains(r.stdout, "STALE") {
		t.Errorf("stale database: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := dozor(t, "", "components", "--kubeconfig", cl.Kubeconfig, "--db", db, "--fail-on-stale-db"); r.code != 2 {
		t.Errorf("--fail-on-stale-db: exit %d", r.code)
	}

	// A cluster scan reports them as findings, with the component report.
	r = dozor(t, "", "scan", "cluster", "--kubeconfig", cl.Kubeconfig, "--db", db, "-o", "json", "--fail-on", "none", "--db-max-age", "100000h")
	if r.code != 0 {
		t.Fatalf("scan cluster: exit %d: %s", r.code, r.stderr)
	}
	var scanRep struct {
		componentsJSON
		Components *componentsJSON `json:"components"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &scanRep); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, f := range scanRep.Findings {
		found[f.CheckID+" "+f.Object.Kind+" "+f.Object.Name] = true
	}
	for _, want := range []string{"DZ-CMP-001 Node cmp-old", "DZ-CMP-002 Node cmp-old", "DZ-CMP-003 Node cmp-old", "DZ-CMP-006 Node cmp-newer",
		"DZ-CMP-001 Pod kube-proxy-cmp", "DZ-CMP-004 Node cmp-old"} {
		if !found[want] {
			t.Errorf("scan cluster lacks %s", want)
		}
	}
	if found["DZ-CMP-002 Node cmp-fixed"] && scanRep.Components != nil && scanRep.Components.has("container-runtime", "cmp-fixed", "CVE-2024-21626") {
		t.Error("CVE-2024-21626 on containerd 1.7.13")
	}
	if scanRep.Components == nil || len(scanRep.Components.Components) == 0 {
		t.Error("no components section in the scan report")
	}
	// SARIF and JUnit carry them too.
	for _, format := range []string{"sarif", "junit"} {
		r := dozor(t, "", "scan", "cluster", "--kubeconfig", cl.Kubeconfig, "--db", db, "-o", format, "--fail-on", "none", "--db-max-age", "100000h")
		if r.code != 0 || !strings.Contains(r.stdout, "DZ-CMP-003") {
			t.Errorf("scan cluster -o %s: exit %d, DZ-CMP-003 reported: %v; %s", format, r.code, strings.Contains(r.stdout, "DZ-CMP-003"), r.stderr)
		}
	}
	// --skip-checks leaves a rule out.
	r = dozor(t, "", "scan", "cluster", "--kubeconfig", cl.Kubeconfig, "--db", db, "-o", "json", "--fail-on", "none", "--skip-checks", "DZ-CMP-003")
	if r.code != 0 || strings.Contains(r.stdout, `"DZ-CMP-003"`) || !strings.Contains(r.stdout, `"DZ-CMP-002"`) {
		t.Errorf("--skip-checks DZ-CMP-003: exit %d; %s", r.code, r.stderr)
	}
	// No database means a warning, not silence.
	r = dozor(t, "", "scan", "cluster", "--kubeconfig", cl.Kubeconfig, "--db", filepath.Join(t.TempDir(), "none.db"), "-o", "json", "--fail-on", "none")
	if r.code != 0 || !strings.Contains(r.stderr, "were not checked") {
		t.Errorf("scan cluster without a database: exit %d, stderr %q", r.code, r.stderr)
	}
}

// Every field of `dozor components -o json` is documented.
func TestComponentsJSONDocumented(t *testing.T) {
	jsondoc.Check(t, "../../docs/components.md", 40, []reflect.Type{reflect.TypeFor[componentsReport]()}, "components.go", "../../component/component.go")
}
