package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/dozor-dev/dozor/k8s/manifest"
	"github.com/dozor-dev/dozor/test/harness"
)

func TestMain(m *testing.M) {
	// A test that needs dozor as a process of its own (to stop it with a
	// signal) runs this test binary with runMainEnv set: it is then dozor.
	if os.Getenv(runMainEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	// Keep the tests from the database of whoever runs them: the default
	// database is under the user's cache directory. The Go build cache
	// is there too by default: keep it where it is, for the go commands
	// the harness runs.
	if os.Getenv("GOCACHE") == "" {
		if out, err := exec.Command("go", "env", "GOCACHE").Output(); err == nil {
			os.Setenv("GOCACHE", strings.TrimSpace(string(out)))
		}
	}
	cache, err := os.MkdirTemp("", "dozor-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Setenv("XDG_CACHE_HOME", cache)
	code := harness.Main(m)
	os.RemoveAll(cache)
	os.Exit(code)
}

// runMainEnv makes the test binary run dozor's command line (TestMain).
const runMainEnv = "DOZOR_TEST_RUN_MAIN"

// clusterReport is what the live tests read of a JSON report.
type clusterReport struct {
	Summary struct {
		Objects  int `json:"objects"`
		Findings int `json:"findings"`
		Repeated int `json:"repeated"`
	} `json:"summary"`
	Findings []struct {
		CheckID   string `json:"checkId"`
		Container string `json:"container"`
		Object    struct {
			Kind, Namespace, Name, ResourceVersion string
		} `json:"object"`
		Location struct {
			Cluster string `json:"cluster"`
		} `json:"location"`
	} `json:"findings"`
	Gaps []struct {
		Resource, Namespace, Kind, Reason string
	} `json:"gaps"`
}

func scanCluster(t *testing.T, args ...string) (cliResult, clusterReport) {
	t.Helper()
	cl := harness.Get(t)
	r := dozor(t, "", append([]string{"scan", "cluster", "--kubeconfig", cl.Kubeconfig, "-o", "json"}, args...)...)
	var rep clusterReport
	if r.stdout != "" {
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("not a JSON report: %v\n%s\nstderr: %s", err, r.stdout, r.stderr)
		}
	}
	return r, rep
}

func hasFinding(rep clusterReport, id, kind, ns, name string) bool {
	for _, f := range rep.Findings {
		if f.CheckID == id && f.Object.Kind == kind && f.Object.Namespace == ns && f.Object.Name == name {
			return true
		}
	}
	return false
}

// TestScanClusterAsAdmin: the seeded cluster's problems are found, named
// with the cluster and resourceVersion; the Secret's value appears nowhere.
func TestScanClusterAsAdmin(t *testing.T) {
	r, rep := scanCluster(t, "--context", "admin")
	if r.code != exitFindings {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, exitFindings, r.stderr)
	}
	for _, want := range []struct{ id, kind, ns, name string }{
		{"DZ-PSS-003", "ReplicaSet", "monitoring", "log-shipper"},
		{"DZ-HP-001", "ReplicaSet", "monitoring", "log-shipper"},
		{"DZ-RBAC-002", "ClusterRoleBinding", "", "ci-deployer-admin"},
		{"DZ-RBAC-004", "RoleBinding", "shop", "everyone-reads-secrets"},
		{"DZ-SCR-001", "StatefulSet", "shop", "cart-db"},
		{"DZ-EXP-002", "Service", "shop", "storefront"},
		{"DZ-LIVE-001", "Pod", "shop", "debug-shell"},
		{"DZ-LIVE-002", "Pod", "shop", "debug-shell"},
	} {
		if !hasFinding(rep, want.id, want.kind, want.ns, want.name) {
			t.Errorf("no %s for %s %s/%s", want.id, want.kind, want.ns, want.name)
		}
	}
	for _, f := range rep.Findings {
		if f.Location.Cluster != "admin" || f.Object.ResourceVersion == "" {
			t.Fatalf("finding %s on %s/%s: cluster %q, resourceVersion %q", f.CheckID, f.Object.Kind, f.Object.Name, f.Location.Cluster, f.Object.ResourceVersion)
		}
	}
	if len(rep.Gaps) != 0 {
		t.Errorf("gaps as admin: %+v", rep.Gaps)
	}
	checkRepeated(t, rep, false)
	_, all := scanCluster(t, "--context", "admin", "-n", "shop", "--show-repeated")
	checkRepeated(t, all, true)
	for _, secret := range []string{"seeded-test-value-do-not-print", base64.StdEncoding.EncodeToString([]byte("seeded-test-value-do-not-print"))} {
		if strings.Contains(r.stdout, secret) || strings.Contains(r.stderr, secret) {
			t.Fatal("a Secret's value is in the output")
		}
	}
	// With --read-secrets the Secret is read in full, and still not printed.
	r2, _ := scanCluster(t, "--context", "admin", "--read-secrets", "--kinds", "secrets")
	if strings.Contains(r2.stdout, "seeded-test-value") {
		t.Fatal("a Secret's value is in the output with --read-secrets")
	}
}

// checkRepeated: the ReplicaSet and Pods of the Deployment shop/storefront
// repeat none of the Deployment's findings (same check and container),
// unless shown is set, when they do; no Pod is reported for the node name
// the scheduler gave it.
func checkRepeated(t *testing.T, rep clusterReport, shown bool) {
	t.Helper()
	deployment := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Object.Kind == "Deployment" && f.Object.Namespace == "shop" && f.Object.Name == "storefront" {
			deployment[f.CheckID+" "+f.Container] = true
		}
	}
	if len(deployment) == 0 {
		t.Fatal("no finding on Deployment shop/storefront")
	}
	repeats := 0
	for _, f := range rep.Findings {
		if f.CheckID == "DZ-PLC-006" && f.Object.Kind == "Pod" {
			t.Errorf("DZ-PLC-006 on Pod %s/%s: the scheduler set its node name", f.Object.Namespace, f.Object.Name)
		}
		if (f.Object.Kind == "Pod" || f.Object.Kind == "ReplicaSet") && f.Object.Namespace == "shop" &&
			strings.HasPrefix(f.Object.Name, "storefront-") && deployment[f.CheckID+" "+f.Container] {
			repeats++
			if !shown {
				t.Errorf("%s %s/%s repeats the Deployment's %s (container %q)", f.Object.Kind, f.Object.Namespace, f.Object.Name, f.CheckID, f.Container)
			}
		}
	}
	switch {
	case shown && (repeats == 0 || rep.Summary.Repeated != 0):
		t.Errorf("--show-repeated: %d findings repeat the Deployment's, summary.repeated %d", repeats, rep.Summary.Repeated)
	case !shown && rep.Summary.Repeated == 0:
		t.Error("summary.repeated is 0")
	}
}

// TestScanClusterLeastPrivilege: with exactly the role in deploy/rbac.yaml,
// everything but Secrets (and custom resources nobody aggregated) is read;
// what is not is listed, and the exit code does not change for it.
func TestScanClusterLeastPrivilege(t *testing.T) {
	cl := harness.Get(t)
	applyRBAC(t, cl.Kubeconfig, "dozor-scanner")
	var r cliResult
	var rep clusterReport
	// The aggregation controller fills the role in shortly.
	for deadline := time.Now().Add(30 * time.Second); ; {
		r, rep = scanCluster(t, "--context", "scanner")
		if len(rep.Gaps) <= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if r.code != exitFindings {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, exitFindings, r.stderr)
	}
	gaps := map[string]string{}
	for _, g := range rep.Gaps {
		gaps[g.Resource] = g.Kind
	}
	want := map[string]string{"secrets": "not-visible", "backuppolicies.backup.dozor.dev": "not-visible"}
	if fmt.Sprint(gaps) != fmt.Sprint(want) {
		t.Errorf("gaps = %v, want %v", gaps, want)
	}
	if !hasFinding(rep, "DZ-RBAC-002", "ClusterRoleBinding", "", "ci-deployer-admin") || !hasFinding(rep, "DZ-PSS-003", "ReplicaSet", "monitoring", "log-shipper") {
		t.Error("the least-privilege scan misses findings the admin scan has")
	}
}

// applyRBAC creates the ClusterRoles of deploy/rbac.yaml and binds the
// test cluster's user of that name to dozor-scanner.
func applyRBAC(t *testing.T, kubeconfig, user string) {
	t.Helper()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig}, &clientcmd.ConfigOverrides{CurrentContext: "admin"}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "rbac.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, doc := range manifest.Split(data) {
		if doc.Blank() {
			continue
		}
		var cr rbacv1.ClusterRole
		if err := sigsyaml.Unmarshal(doc.Data, &cr); err != nil {
			t.Fatal(err)
		}
		if cr.Kind != "ClusterRole" {
			continue
		}
		if _, err := cs.RbacV1().ClusterRoles().Create(ctx, &cr, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "dozor-scanner-test"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "dozor-scanner"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "dozor-" + strings.TrimPrefix(user, "dozor-")}}}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// TestScanClusterNobody: no rights at all is not a clean result.
func TestScanClusterNobody(t *testing.T) {
	r, rep := scanCluster(t, "--context", "nobody")
	if r.code != exitPartial {
		t.Errorf("exit code %d, want %d (nothing could be read)", r.code, exitPartial)
	}
	if rep.Summary.Objects != 0 || len(rep.Gaps) < 20 {
		t.Errorf("objects %d, gaps %d", rep.Summary.Objects, len(rep.Gaps))
	}
}

// writeKubeconfig writes a kubeconfig for server with the CA and client
// credentials of the admin context of base, changed by edit.
func writeKubeconfig(t *testing.T, base, server string, edit func(ca, cert, key []byte) ([]byte, []byte, []byte)) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(base)
	if err != nil {
		t.Fatal(err)
	}
	ai := cfg.AuthInfos["admin"]
	ca := cfg.Clusters["dozor-test"].CertificateAuthorityData
	ca, cert, key := edit(ca, ai.ClientCertificateData, ai.ClientKeyData)
	out := fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: c
clusters: [{name: c, cluster: {server: %q, certificate-authority-data: %s}}]
users: [{name: u, user: {client-certificate-data: %s, client-key-data: %s}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
`, server, base64.StdEncoding.EncodeToString(ca), base64.StdEncoding.EncodeToString(cert), base64.StdEncoding.EncodeToString(key))
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(p, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestScanClusterFaults: each fault is a clear error and the right exit
// code, quickly.
func TestScanClusterFaults(t *testing.T) {
	cl := harness.Get(t)
	same := func(ca, cert, key []byte) ([]byte, []byte, []byte) { return ca, cert, key }

	// Nothing listens: refused, then retried, then a clear error.
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := closed.URL
	closed.Close()
	kc := writeKubeconfig(t, cl.Kubeconfig, strings.Replace(addr, "http://", "https://", 1), same)
	r := dozor(t, "", "scan", "cluster", "--kubeconfig", kc, "--retries", "1")
	if r.code != exitInvalid || !strings.Contains(r.stderr, "cannot reach the API server") {
		t.Errorf("unreachable: exit %d, stderr %q", r.code, r.stderr)
	}

	// A CA that did not sign the server's certificate.
	otherCA := httptest.NewTLSServer(http.NotFoundHandler())
	defer otherCA.Close()
	foreign := pemCert(otherCA.Certificate().Raw)
	kc = writeKubeconfig(t, cl.Kubeconfig, cl.Server, func(_, cert, key []byte) ([]byte, []byte, []byte) { return foreign, cert, key })
	r = dozor(t, "", "scan", "cluster", "--kubeconfig", kc)
	if r.code != exitInvalid || !strings.Contains(r.stderr, "TLS") {
		t.Errorf("wrong CA: exit %d, stderr %q", r.code, r.stderr)
	}

	// Credentials the server does not accept (a certificate of another CA,
	// as an expired or revoked one would be).
	kc = writeKubeconfig(t, cl.Kubeconfig, cl.Server, func(ca, _, _ []byte) ([]byte, []byte, []byte) {
		cert, key := selfSigned(t)
		return ca, cert, key
	})
	r = dozor(t, "", "scan", "cluster", "--kubeconfig", kc)
	if r.code != exitInvalid || !strings.Contains(r.stderr, "rejected the credentials") {
		t.Errorf("bad credentials: exit %d, stderr %q", r.code, r.stderr)
	}

	// A server that answers too slowly.
	slow := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		time.Sleep(3 * time.Second)
		fmt.Fprint(w, `{"gitVersion":"v1.37.2"}`)
	}))
	defer slow.Close()
	kc = writeKubeconfig(t, cl.Kubeconfig, slow.URL, func(_, cert, key []byte) ([]byte, []byte, []byte) {
		return pemCert(slow.Certificate().Raw), cert, key
	})
	start := time.Now()
	r = dozor(t, "", "scan", "cluster", "--kubeconfig", kc, "--request-timeout", "500ms", "--retries", "1")
	if r.code != exitInvalid || !strings.Contains(r.stderr, "did not answer within") || time.Since(start) > 5*time.Second {
		t.Errorf("slow server: exit %d after %v, stderr %q", r.code, time.Since(start), r.stderr)
	}
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// selfSigned makes a client certificate no CA of the cluster signed.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "intruder", Organization: []string{"system:masters"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pemCert(der), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// TestScanClusterAggregatedAPIDown: an API group whose server is down is a
// failed gap, the rest is scanned, and the exit code says the result is
// partial.
func TestScanClusterAggregatedAPIDown(t *testing.T) {
	cl := harness.Get(t)
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: cl.Kubeconfig}, &clientcmd.ConfigOverrides{CurrentContext: "admin"}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	gvr := schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}
	svc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]any{"name": "v1beta1.metrics.dozor.dev"},
		"spec": map[string]any{"group": "metrics.dozor.dev", "version": "v1beta1", "groupPriorityMinimum": int64(100),
			"versionPriority": int64(100), "insecureSkipTLSVerify": true,
			"service": map[string]any{"namespace": "monitoring", "name": "no-such-service"}},
	}}
	if _, err := dyn.Resource(gvr).Create(ctx, svc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	defer func() {
		_ = dyn.Resource(gvr).Delete(ctx, svc.GetName(), metav1.DeleteOptions{})
	}()
	var r cliResult
	var rep clusterReport
	for deadline := time.Now().Add(30 * time.Second); ; {
		r, rep = scanCluster(t, "--context", "admin", "--retries", "0")
		if r.code == exitPartial || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if r.code != exitPartial {
		t.Fatalf("exit code %d, want %d; gaps %+v", r.code, exitPartial, rep.Gaps)
	}
	found := false
	for _, g := range rep.Gaps {
		if strings.Contains(g.Resource, "metrics.dozor.dev") && g.Kind == "failed" {
			found = true
		}
	}
	if !found {
		t.Errorf("no failed gap for the down API group: %+v", rep.Gaps)
	}
	if !hasFinding(rep, "DZ-RBAC-002", "ClusterRoleBinding", "", "ci-deployer-admin") {
		t.Error("the rest of the cluster was not scanned")
	}
}

// TestScanClusterExcludeNamespaces: --exclude-namespaces leaves those
// namespaces out, their Namespace objects included, and nothing else.
func TestScanClusterExcludeNamespaces(t *testing.T) {
	r, rep := scanCluster(t, "--context", "admin", "--exclude-namespaces", "shop,kube-system")
	if r.code != exitFindings {
		t.Fatalf("exit code %d, want %d; gaps %+v; stderr:\n%s", r.code, exitFindings, rep.Gaps, r.stderr)
	}
	payments := false
	for _, f := range rep.Findings {
		switch {
		case f.Object.Namespace == "shop" || f.Object.Namespace == "kube-system",
			f.Object.Kind == "Namespace" && (f.Object.Name == "shop" || f.Object.Name == "kube-system"):
			t.Errorf("finding %s on %s %s/%s, in a namespace left out", f.CheckID, f.Object.Kind, f.Object.Namespace, f.Object.Name)
		case f.Object.Namespace == "payments":
			payments = true
		}
	}
	if !payments || !hasFinding(rep, "DZ-RBAC-002", "ClusterRoleBinding", "", "ci-deployer-admin") {
		t.Error("namespaces not left out, or cluster-scoped objects, were not scanned")
	}
	if len(rep.Gaps) != 0 {
		t.Errorf("gaps: %+v", rep.Gaps)
	}
	for _, args := range [][]string{
		{"--exclude-namespaces", "shop", "-n", "payments"},
		{"--exclude-namespaces", "shop,metadata.name=x"},
	} {
		r, _ := scanCluster(t, append([]string{"--context", "admin"}, args...)...)
		if r.code != exitInvalid {
			t.Errorf("%v: exit code %d, want %d; stderr:\n%s", args, r.code, exitInvalid, r.stderr)
		}
	}
}
