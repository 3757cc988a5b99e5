package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/dozor-dev/dozor/test/harness"
)

// diffReport is what the tests read of `dozor diff -o json`.
type diffReport struct {
	Summary struct {
		Added, Removed, Changed, Unchanged, NotCompared int
	} `json:"summary"`
	Objects []struct {
		Change, Kind, Namespace, Name, Unit string
		Recreated                           bool
		Fields                              []struct {
			Path, Change string
			Old, New     json.RawMessage
		}
	} `json:"objects"`
	Warnings []string `json:"warnings"`
}

func diffJSON(t *testing.T, args ...string) (cliResult, diffReport) {
	t.Helper()
	r := dozor(t, "", append([]string{"diff", "-o", "json"}, args...)...)
	var rep diffReport
	if r.code <= 1 {
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("not a JSON diff: %v\n%s\nstderr: %s", err, r.stdout, r.stderr)
		}
	}
	return r, rep
}

// changes renders a diff's objects as "change Kind ns/name[@unit]: field
// paths", sorted.
func (d diffReport) changes() []string {
	var out []string
	for _, o := range d.Objects {
		s := o.Change + " " + o.Kind + " " + o.Namespace + "/" + o.Name
		if o.Unit != "" {
			s += "@" + o.Unit
		}
		if o.Recreated {
			s += " (recreated)"
		}
		var paths []string
		for _, f := range o.Fields {
			paths = append(paths, f.Path)
		}
		if len(paths) > 0 {
			s += ": " + strings.Join(paths, " ")
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// copyDir copies the directory tree src to dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// editFile replaces old by new in a file, once; old must be there.
func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotFilesDiff: a snapshot of the examples, and one of a copy
// after edits, differ by exactly the edits; the copy read as files differs
// from the first snapshot the same way.
func TestSnapshotFilesDiff(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.jsonl.gz")
	r := dozor(t, "", "snapshot", "--files", filepath.Join("..", "..", "examples"), "-o", a)
	if r.code != exitClean || !strings.Contains(r.stdout, "objects, written to "+a) {
		t.Fatalf("snapshot: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	copied := filepath.Join(dir, "copy", "examples")
	copyDir(t, filepath.Join("..", "..", "examples"), copied)
	editFile(t, filepath.Join(copied, "manifests", "shop.yaml"), "image: fluent/fluent-bit\n", "image: fluent/fluent-bit:3.0\n")
	editFile(t, filepath.Join(copied, "manifests", "platform.yaml"), "LOG_LEVEL: info", "LOG_LEVEL: debug")
	editFile(t, filepath.Join(copied, "manifests", "platform.yaml"),
		"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ci-deployer\n  namespace: kube-system\n---\n", "")
	editFile(t, filepath.Join(copied, "manifests", "platform.yaml"),
		"  - apiGroups: [\"*\"]\n    resources: [\"*\"]\n    verbs: [\"get\"]\n", "")
	editFile(t, filepath.Join(copied, "kustomize", "overlays", "prod", "hardening.yaml"), "replicas: 3", "replicas: 5")
	if err := os.WriteFile(filepath.Join(copied, "manifests", "extra.yaml"),
		[]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: feature-flags\n  namespace: shop\ndata:\n  beta: \"true\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"added ConfigMap shop/feature-flags",
		"changed ConfigMap shop/shop-config: data.LOG_LEVEL",
		"changed Deployment api-prod/api@kustomize/overlays/prod: spec.replicas",
		"changed Deployment shop/storefront: spec.template.spec.containers[name=log-shipper].image",
		"changed Role shop/config-reader: rules[1]",
		"removed ServiceAccount kube-system/ci-deployer",
	}

	b := filepath.Join(dir, "b.jsonl.gz")
	if r := dozor(t, "", "snapshot", "--files", copied, "-o", b); r.code != exitClean {
		t.Fatalf("snapshot of the copy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r, rep := diffJSON(t, a, b)
	if r.code != exitFindings {
		t.Fatalf("diff: exit %d, want 1\n%s", r.code, r.stderr)
	}
	if got := rep.changes(); !slices.Equal(got, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, o := range rep.Objects {
		for _, f := range o.Fields {
			if f.Path == "spec.replicas" && (string(f.Old) != "3" || string(f.New) != "5") {
				t.Errorf("spec.replicas: %s → %s", f.Old, f.New)
			}
		}
	}

	// The copy read as files, straight away.
	r, rep = diffJSON(t, a, "--files", copied)
	if r.code != exitFindings {
		t.Fatalf("diff --files: exit %d, want 1\n%s", r.code, r.stderr)
	}
	if got := rep.changes(); !slices.Equal(got, want) {
		t.Errorf("diff --files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A snapshot against itself, and the same files: no differences, exit 0.
	if r, rep := diffJSON(t, a, a); r.code != exitClean || rep.Summary.Unchanged == 0 || len(rep.Objects) != 0 {
		t.Errorf("a against itself: exit %d, %+v", r.code, rep.Summary)
	}
	if r, _ := diffJSON(t, a, "--files", filepath.Join("..", "..", "examples")); r.code != exitClean {
		t.Errorf("a against its files: exit %d\n%s", r.code, r.stdout)
	}

	// --ignore takes changes out.
	r, rep = diffJSON(t, a, b, "--ignore", "Deployment:spec", "--ignore", "data", "--ignore", "rules")
	if got := rep.changes(); r.code != exitFindings || len(got) != 2 {
		t.Errorf("--ignore: exit %d, %v", r.code, got)
	}

	// The table, for people.
	r = dozor(t, "", "diff", a, b)
	for _, s := range []string{
		"Deployment  shop\n  ~ storefront",
		"      ~ spec.template.spec.containers[name=log-shipper].image: \"fluent/fluent-bit\" → \"fluent/fluent-bit:3.0\"\n",
		"ServiceAccount  kube-system\n  - ci-deployer",
		"Summary: 1 added, 1 removed, 4 changed;",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("the table lacks %q:\n%s", s, r.stdout)
		}
	}
	if r.code != exitFindings || strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("table: exit %d (colours when not a terminal?)", r.code)
	}
}

// TestSnapshotFilesSecrets: Secrets in files are kept as metadata, or with
// --read-secrets as digests that tell a changed value, never as values.
func TestSnapshotFilesSecrets(t *testing.T) {
	secret := func(password string) map[string]string {
		return map[string]string{"secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\n" +
			"  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"stringData\":{\"password\":\"" + password + "\"}}'\n" +
			"stringData:\n  password: " + password + "\ndata:\n  user: " + base64.StdEncoding.EncodeToString([]byte("admin-user")) + "\n"}
	}
	old, new := writeFiles(t, secret("old-pass-value")), writeFiles(t, secret("new-pass-value"))
	dir := t.TempDir()
	for _, readSecrets := range []bool{false, true} {
		args := []string{"--files"}
		if readSecrets {
			args = append(args, "--read-secrets")
		}
		a, b := filepath.Join(dir, fmt.Sprint("a", readSecrets)), filepath.Join(dir, fmt.Sprint("b", readSecrets))
		for _, s := range []struct{ path, dir string }{{a, old}, {b, new}} {
			if r := dozor(t, "", append([]string{"snapshot", "-o", s.path, s.dir}, args...)...); r.code != exitClean {
				t.Fatalf("snapshot: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			text := gunzip(t, s.path)
			for _, v := range []string{"pass-value", "admin-user", base64.StdEncoding.EncodeToString([]byte("admin-user")), "last-applied"} {
				if strings.Contains(text, v) {
					t.Fatalf("the snapshot holds %q:\n%s", v, text)
				}
			}
		}
		r, rep := diffJSON(t, a, b)
		want := []string(nil)
		code := exitClean
		if readSecrets {
			want, code = []string{"changed Secret shop/db: data.password"}, exitFindings
		}
		if got := rep.changes(); r.code != code || !slices.Equal(got, want) {
			t.Errorf("--read-secrets=%v: exit %d, %v; want %d, %v", readSecrets, r.code, got, code, want)
		}
		if strings.Contains(r.stdout, "pass-value") {
			t.Error("a value is in the diff")
		}
	}
}

func gunzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestDiffInvalid: what cannot be compared is exit code 2, with a message
// that says why.
func TestDiffInvalid(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl.gz")
	if r := dozor(t, "", "snapshot", "--files", filepath.Join("..", "..", "examples", "manifests"), "-o", good); r.code != exitClean {
		t.Fatalf("snapshot: exit %d\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.jsonl.gz")
	if err := os.WriteFile(truncated, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain.yaml")
	if err := os.WriteFile(plain, []byte("apiVersion: v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"diff", good, truncated}, "truncated"},
		{[]string{"diff", truncated, good}, "truncated"},
		{[]string{"diff", good, plain}, "not a Dozor snapshot"},
		{[]string{"diff", good, filepath.Join(dir, "missing")}, "no such file"},
		{[]string{"diff", good}, "name two snapshots"},
		{[]string{"diff", good, good, good}, "name two snapshots"},
		{[]string{"diff", good, good, "--ignore", "spec..x"}, "--ignore"},
		{[]string{"diff", good, good, "-o", "sarif"}, "unknown format"},
		{[]string{"diff", good, good, "--context", "x"}, "add --cluster or --files"},
		{[]string{"diff", good, "--cluster", "--files", "x"}, "exclude each other"},
		{[]string{"snapshot", "--files"}, "name files"},
		{[]string{"snapshot", "--files", "x", "--context", "admin"}, "does not apply with --files"},
		{[]string{"snapshot", "--values", "v.yaml"}, "add --files"},
		{[]string{"snapshot", "deploy/"}, "add --files"},
		{[]string{"snapshot", "-o", filepath.Join(dir, "no", "dir", "s.jsonl.gz"), "--files", filepath.Join("..", "..", "examples", "manifests")}, "--output"},
	} {
		r := dozor(t, "", tc.args...)
		if r.code != exitInvalid || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("dozor %s: exit %d, stderr %q; want 2 and %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.want)
		}
	}

	// Files that cannot be read: exit 2, and the snapshot holds the rest.
	files := writeFiles(t, map[string]string{"good.yaml": restrictedPod, "broken.yaml": brokenYAML})
	partial := filepath.Join(dir, "partial.jsonl.gz")
	r := dozor(t, "", "snapshot", "--files", files, "-o", partial)
	if r.code != exitInvalid || !strings.Contains(r.stdout, "Input errors (1)") || !strings.Contains(r.stdout, "1 objects") {
		t.Errorf("a broken file: exit %d\n%s", r.code, r.stdout)
	}
	if !strings.Contains(gunzip(t, partial), `"errors":["`) {
		t.Error("the end record does not list the broken file")
	}
}

// adminClient is a client of the test cluster as admin.
func adminClient(t *testing.T, kubeconfig string) kubernetes.Interface {
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
	return cs
}

// TestSnapshotDiffCluster: snapshots of the whole cluster, before and after
// changes made through the API, differ by exactly those changes (and what
// controllers do because of them), and by nothing the controllers do
// meanwhile on their own.
func TestSnapshotDiffCluster(t *testing.T) {
	cl := harness.Get(t)
	cs := adminClient(t, cl.Kubeconfig)
	ctx := context.Background()
	const ns = "snapshot-test"
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}) })
	one := int32(1)
	labels := map[string]string{"app": "web"}
	must(cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "registry.example.com/web:1.0"}}}}},
	}, metav1.CreateOptions{}))
	for _, name := range []string{"settings", "old", "phoenix"} {
		must(cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name},
			Data: map[string]string{"mode": "a"}}, metav1.CreateOptions{}))
	}
	must(cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds"},
		StringData: map[string]string{"password": "first-cluster-secret", "user": "app"}}, metav1.CreateOptions{}))
	waitDeployment(t, cs, ns, "web", 1)

	dir := t.TempDir()
	snap := func(name string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		r := dozor(t, "", "snapshot", "--kubeconfig", cl.Kubeconfig, "--context", "admin", "--read-secrets", "-o", path)
		if r.code != exitClean {
			t.Fatalf("snapshot: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		return path
	}

	// The cluster at rest: two snapshots some seconds apart do not differ,
	// whatever the controllers did meanwhile. (Right after the cluster
	// starts, things still settle: wait for a quiet spell.)
	var before string
	deadline := time.Now().Add(90 * time.Second)
	for i := 0; ; i++ {
		s0 := snap(fmt.Sprintf("rest-%d.jsonl.gz", i))
		time.Sleep(3 * time.Second)
		s1 := snap(fmt.Sprintf("rest-%d-later.jsonl.gz", i))
		r, rep := diffJSON(t, s0, s1)
		if r.code == exitClean {
			before = s1
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster at rest keeps differing: %v", rep.changes())
		}
		t.Logf("not at rest yet: %v", rep.changes())
	}

	// The changes.
	three := int32(3)
	scale, err := cs.AppsV1().Deployments(ns).GetScale(ctx, "web", metav1.GetOptions{})
	must(scale, err)
	scale.Spec.Replicas = three
	must(cs.AppsV1().Deployments(ns).UpdateScale(ctx, "web", scale, metav1.UpdateOptions{}))
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
	must(cm, err)
	cm.Data["mode"] = "b"
	must(cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}))
	must(nil, cs.CoreV1().ConfigMaps(ns).Delete(ctx, "old", metav1.DeleteOptions{}))
	must(cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "new"},
		Data: map[string]string{"mode": "a"}}, metav1.CreateOptions{}))
	must(nil, cs.CoreV1().ConfigMaps(ns).Delete(ctx, "phoenix", metav1.DeleteOptions{}))
	must(cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "phoenix"},
		Data: map[string]string{"mode": "a"}}, metav1.CreateOptions{}))
	secret, err := cs.CoreV1().Secrets(ns).Get(ctx, "creds", metav1.GetOptions{})
	must(secret, err)
	secret.Data["password"] = []byte("second-cluster-secret")
	must(cs.CoreV1().Secrets(ns).Update(ctx, secret, metav1.UpdateOptions{}))
	waitDeployment(t, cs, ns, "web", 3)
	// Give the controllers time to do what they do on their own: renew
	// leases, update status.
	time.Sleep(12 * time.Second)
	after := snap("after.jsonl.gz")

	r, rep := diffJSON(t, before, after)
	if r.code != exitFindings {
		t.Fatalf("diff: exit %d, want 1\n%s", r.code, r.stderr)
	}
	var got []string
	pods := 0
	for _, o := range rep.Objects {
		if o.Namespace != ns {
			if o.Namespace == "shop" && strings.HasPrefix(o.Name, "nightly-report") {
				continue // the seed's CronJob ran (02:00 every day): a real change
			}
			t.Errorf("a change outside the test's namespace: %s %s %s/%s %+v", o.Change, o.Kind, o.Namespace, o.Name, o.Fields)
			continue
		}
		var paths []string
		for _, f := range o.Fields {
			paths = append(paths, f.Path)
		}
		switch {
		case o.Kind == "Pod" && o.Change == "added" && strings.HasPrefix(o.Name, "web-"):
			pods++ // made by the ReplicaSet when the Deployment scaled
			continue
		case o.Kind == "Deployment" || o.Kind == "ReplicaSet":
			// Scaling changes spec.replicas, and the controllers' status
			// and annotations follow.
			for _, p := range paths {
				if p != "spec.replicas" && !strings.HasPrefix(p, "status.") &&
					p != `metadata.annotations["deployment.kubernetes.io/desired-replicas"]` && p != `metadata.annotations["deployment.kubernetes.io/max-replicas"]` {
					t.Errorf("%s %s: unexpected field %s", o.Kind, o.Name, p)
				}
			}
			if !slices.Contains(paths, "spec.replicas") {
				t.Errorf("%s %s: spec.replicas did not change: %v", o.Kind, o.Name, paths)
			}
			got = append(got, o.Change+" "+o.Kind)
			continue
		}
		s := o.Change + " " + o.Kind + " " + o.Name
		if o.Recreated {
			s += " (recreated)"
		}
		if len(paths) > 0 {
			s += ": " + strings.Join(paths, " ")
		}
		got = append(got, s)
	}
	sort.Strings(got)
	want := []string{
		"added ConfigMap new",
		"changed ConfigMap phoenix (recreated)",
		"changed ConfigMap settings: data.mode",
		"changed Deployment",
		"changed ReplicaSet",
		"changed Secret creds: data.password",
		"removed ConfigMap old",
	}
	if !slices.Equal(got, want) || pods != 2 {
		t.Errorf("changes:\n%s\n(%d pods added)\nwant:\n%s\n(2 pods added)", strings.Join(got, "\n"), pods, strings.Join(want, "\n"))
	}
	for _, o := range rep.Objects {
		for _, f := range o.Fields {
			if o.Kind == "Deployment" && f.Path == "spec.replicas" && (string(f.Old) != "1" || string(f.New) != "3") {
				t.Errorf("Deployment spec.replicas: %s → %s", f.Old, f.New)
			}
		}
	}
	// Secret values are nowhere: not in the snapshots, not in the diff.
	for _, text := range []string{gunzip(t, before), gunzip(t, after), r.stdout, r.stderr} {
		for _, v := range []string{"cluster-secret", base64.StdEncoding.EncodeToString([]byte("first-cluster-secret")),
			base64.StdEncoding.EncodeToString([]byte("second-cluster-secret")), "seeded-test-value"} {
			if strings.Contains(text, v) {
				t.Fatalf("a Secret's value (%q) is in a snapshot or the diff", v)
			}
		}
	}

	// The churn was there, and ignored: without the default patterns, the
	// controllers' own writes outside the namespace show.
	_, noisy := diffJSON(t, before, after, "--no-default-ignore")
	churn := 0
	for _, o := range noisy.Objects {
		if o.Namespace != ns {
			churn++
		}
	}
	if churn == 0 {
		t.Errorf("no churn outside the namespace in %v: the test proves nothing of the noise filtering", noisy.changes())
	}

	// The snapshot against the live cluster: the same scope, no changes.
	r, rep = diffJSON(t, after, "--cluster", "--kubeconfig", cl.Kubeconfig, "--context", "admin")
	if r.code != exitClean {
		t.Errorf("after against the cluster: exit %d, %v", r.code, rep.changes())
	}
}

// waitDeployment waits until the Deployment's controllers have caught up
// with replicas.
func waitDeployment(t *testing.T, cs kubernetes.Interface, ns, name string, replicas int32) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status.ObservedGeneration == d.Generation && d.Status.Replicas == replicas && len(pods.Items) == int(replicas) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Deployment %s/%s: %d replicas of %d after a minute", ns, name, d.Status.Replicas, replicas)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestSnapshotClusterScopes: a snapshot as a user who may not read
// everything records the gaps, and diff leaves those parts out.
func TestSnapshotClusterScopes(t *testing.T) {
	cl := harness.Get(t)
	dir := t.TempDir()
	admin, viewer := filepath.Join(dir, "admin.jsonl.gz"), filepath.Join(dir, "viewer.jsonl.gz")
	if r := dozor(t, "", "snapshot", "--kubeconfig", cl.Kubeconfig, "--context", "admin", "-n", "shop", "-o", admin); r.code != exitClean {
		t.Fatalf("admin: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := dozor(t, "", "snapshot", "--kubeconfig", cl.Kubeconfig, "--context", "viewer", "-n", "shop", "-o", viewer)
	if r.code != exitClean || !strings.Contains(r.stdout, "Not read (") || !strings.Contains(r.stdout, "roles.rbac.authorization.k8s.io in shop: not-visible") {
		t.Fatalf("viewer: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r, rep := diffJSON(t, admin, viewer)
	if r.code != exitClean || rep.Summary.NotCompared == 0 || len(rep.Warnings) == 0 {
		t.Errorf("admin against viewer: exit %d, %+v, %v, warnings %v", r.code, rep.Summary, rep.changes(), rep.Warnings)
	}
	// nobody reads nothing: exit 3, as scan cluster.
	if r := dozor(t, "", "snapshot", "--kubeconfig", cl.Kubeconfig, "--context", "nobody", "-o", filepath.Join(dir, "nobody.jsonl.gz")); r.code != exitPartial {
		t.Errorf("nobody: exit %d, want %d\n%s", r.code, exitPartial, r.stderr)
	}
}
