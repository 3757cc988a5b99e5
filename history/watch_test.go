package history

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	bolt "go.etcd.io/bbolt"

	"github.com/dozor-dev/dozor/k8s/live"
	"github.com/dozor-dev/dozor/test/harness"
)

// logBuffer collects a watcher's log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// running is a watcher started by a test.
type running struct {
	dir  string
	log  *logBuffer
	stop func() error
}

// startWatch connects to the test cluster as admin and watches it into dir
// until the test ends (or stop is called), after waiting until it is ready.
func startWatch(t *testing.T, dir string, lopts live.Options, opts Options) *running {
	t.Helper()
	cl := harness.Get(t)
	lopts.Kubeconfig, lopts.Context = cl.Kubeconfig, "admin"
	ctx, cancel := context.WithCancel(context.Background())
	c, err := live.Connect(ctx, lopts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r := &running{dir: dir, log: &logBuffer{}}
	opts.Dir, opts.Namespaces = dir, lopts.Namespaces
	opts.Log = slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.MaxBackoff = 2 * time.Second
	if opts.Rediscover == 0 {
		opts.Rediscover = time.Second
	}
	ready := make(chan struct{})
	opts.Ready = func() { close(ready) }
	done := make(chan error, 1)
	go func() { done <- Watch(ctx, c, opts) }()
	var once sync.Once
	var result error
	r.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-done:
			case <-time.After(time.Minute):
				result = fmt.Errorf("the watcher did not stop within a minute")
			}
		})
		return result
	}
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("watch: %v", err)
		}
		if t.Failed() {
			t.Logf("watcher log:\n%s", r.log)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("the watcher stopped: %v\n%s", err, r.log)
	case <-time.After(2 * time.Minute):
		t.Fatalf("the watcher was not ready within 2 minutes:\n%s", r.log)
	}
	return r
}

func clients(t *testing.T) (*kubernetes.Clientset, *dynamic.DynamicClient) {
	t.Helper()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: harness.Get(t).Kubeconfig}, &clientcmd.ConfigOverrides{CurrentContext: "admin"}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(cfg), dynamic.NewForConfigOrDie(cfg)
}

// must returns v, failing the test if err is set: must(f())(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// expect is a change a test waits for.
type expect struct {
	change                    Type
	resource, namespace, name string
	manager                   string // "name:Operation[:subresource]", or "" for no manager
	after                     time.Time
}

func (e expect) String() string {
	return fmt.Sprintf("%s %s %s/%s by %q", e.change, e.resource, e.namespace, e.name, e.manager)
}

func (e expect) matches(c Change) bool {
	if c.Change != e.change || c.Resource != e.resource || c.Namespace != e.namespace || (c.Name != e.name && e.name != "*") || c.Time.Before(e.after) {
		return false
	}
	m := ""
	if c.Manager != nil {
		m = c.Manager.Name + ":" + c.Manager.Operation
		if c.Manager.Subresource != "" {
			m += ":" + c.Manager.Subresource
		}
	}
	return e.manager == "*" || m == e.manager
}

// waitForChanges polls the store until each expected change is recorded
// (in order), and returns the matching changes.
func waitForChanges(t *testing.T, dir string, want ...expect) []Change {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var missing []expect
	for {
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		all, err := s.Changes(Query{Existing: true})
		if err != nil {
			t.Fatal(err)
		}
		var found []Change
		missing = missing[:0]
		from := 0
		for _, e := range want {
			i := slices.IndexFunc(all[from:], e.matches)
			if i < 0 {
				missing = append(missing, e)
				continue
			}
			found = append(found, all[from+i])
			from += i + 1
		}
		if len(missing) == 0 {
			return found
		}
		if time.Now().After(deadline) {
			var have []string
			for _, c := range all {
				if c.Namespace != "kube-system" {
					have = append(have, fmt.Sprintf("%s %s %s %s/%s %v", c.Time.Format("15:04:05.000"), c.Change, c.Resource, c.Namespace, c.Name, c.Manager))
				}
			}
			t.Fatalf("not recorded (in this order) within 90s: %v\nrecorded:\n%s", missing, strings.Join(have, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func configMap(ns, name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
}

func createNamespace(t *testing.T, cs *kubernetes.Clientset, ns string) {
	t.Helper()
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// createNamespaceSettled creates ns and waits until the controller manager
// has published kube-root-ca.crt in it, so that a test which counts the
// changes in ns does not race with that ConfigMap appearing.
func createNamespaceSettled(t *testing.T, cs *kubernetes.Clientset, ns string) {
	t.Helper()
	createNamespace(t, cs, ns)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := cs.CoreV1().ConfigMaps(ns).Get(context.Background(), "kube-root-ca.crt", metav1.GetOptions{})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("kube-root-ca.crt did not appear in %s: %v", ns, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWatch: every kind of change, by several field managers, of built-in
// kinds, a custom resource, and a custom resource whose definition appears
// while watching, is recorded with its manager and time, and queried back;
// Secrets' values are not stored; events are not watched.
func TestWatch(t *testing.T) {
	dir := t.TempDir()
	w := startWatch(t, dir, live.Options{}, Options{})
	cs, dyn := clients(t)
	ctx := context.Background()
	const ns = "history-watch"
	start := time.Now()
	createNamespace(t, cs, ns)

	cms := cs.CoreV1().ConfigMaps(ns)
	must(cms.Create(ctx, configMap(ns, "settings", map[string]string{"mode": "alice"}), metav1.CreateOptions{FieldManager: "alice"}))(t)
	s := must(cms.Get(ctx, "settings", metav1.GetOptions{}))(t)
	s.Data["mode"] = "bob"
	must(cms.Update(ctx, s, metav1.UpdateOptions{FieldManager: "bob"}))(t)
	must(cms.Apply(ctx, corev1ac.ConfigMap("settings", ns).WithData(map[string]string{"mode": "argo"}),
		metav1.ApplyOptions{FieldManager: "argo", Force: true}))(t)

	deps := cs.AppsV1().Deployments(ns)
	labels := map[string]string{"app": "web"}
	must(deps.Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: appsv1.DeploymentSpec{
		Replicas: ptr.To[int32](1), Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}}}}}, metav1.CreateOptions{FieldManager: "carol"}))(t)
	// The Deployment controller writes too: scale again on a conflict.
	noErr(t, retry.RetryOnConflict(retry.DefaultRetry, func() error {
		scale, err := deps.GetScale(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		scale.Spec.Replicas = 3
		_, err = deps.UpdateScale(ctx, "web", scale, metav1.UpdateOptions{FieldManager: "hpa-sim"})
		return err
	}))

	const secretValue = "history-test-secret-value-do-not-store"
	must(cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "token",
		Annotations: map[string]string{lastApplied: `{"data":{"token":"` + secretValue + `"}}`}},
		StringData: map[string]string{"token": secretValue}}, metav1.CreateOptions{FieldManager: "alice"}))(t)

	bp := schema.GroupVersionResource{Group: "backup.dozor.dev", Version: "v1", Resource: "backuppolicies"}
	must(dyn.Resource(bp).Namespace(ns).Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "backup.dozor.dev/v1", "kind": "BackupPolicy", "metadata": map[string]any{"name": "nightly"},
		"spec": map[string]any{"schedule": "0 3 * * *"}}}, metav1.CreateOptions{FieldManager: "dave"}))(t)

	// A custom resource defined now: rediscovery picks it up.
	crds := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	must(dyn.Resource(crds).Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "widgets.history.dozor.dev"},
		"spec": map[string]any{"group": "history.dozor.dev", "scope": "Namespaced",
			"names": map[string]any{"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}},
	}}, metav1.CreateOptions{}))(t)
	t.Cleanup(func() {
		_ = dyn.Resource(crds).Delete(context.Background(), "widgets.history.dozor.dev", metav1.DeleteOptions{})
	})
	widgets := schema.GroupVersionResource{Group: "history.dozor.dev", Version: "v1", Resource: "widgets"}
	widget := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "history.dozor.dev/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w1"}, "spec": map[string]any{"size": int64(1)}}}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, err := dyn.Resource(widgets).Namespace(ns).Create(ctx, widget, metav1.CreateOptions{FieldManager: "erin"})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Widget resource is not served: %v", err)
		}
	}

	deleted := time.Now()
	noErr(t, cms.Delete(ctx, "settings", metav1.DeleteOptions{}))

	got := waitForChanges(t, dir,
		expect{Added, "configmaps", ns, "settings", "alice:Update", start},
		expect{Modified, "configmaps", ns, "settings", "bob:Update", start},
		expect{Modified, "configmaps", ns, "settings", "argo:Apply", start},
		expect{Deleted, "configmaps", ns, "settings", "", deleted},
	)
	waitForChanges(t, dir,
		expect{Added, "namespaces", "", ns, "*", start},
		expect{Added, "deployments.apps", ns, "web", "carol:Update", start},
		expect{Modified, "deployments.apps", ns, "web", "hpa-sim:Update:scale", start},
	)
	waitForChanges(t, dir, expect{Added, "secrets", ns, "token", "alice:Update", start})
	waitForChanges(t, dir, expect{Added, "backuppolicies.backup.dozor.dev", ns, "nightly", "dave:Update", start})
	waitForChanges(t, dir, expect{Added, "widgets.history.dozor.dev", ns, "w1", "erin:Update", start})
	// The ReplicaSet the Deployment controller made is recorded too, with
	// the controller as its manager.
	waitForChanges(t, dir, expect{Added, "replicasets.apps", ns, "*", "*", start})

	// Times: each change's is when it was recorded, after the test made it
	// and before it was found.
	for _, c := range got {
		if c.Time.Before(start) || c.Time.After(time.Now()) {
			t.Errorf("%s %s at %v, outside [%v, now]", c.Change, c.Name, c.Time, start)
		}
	}

	// What did settings look like at each change's time?
	st := must(Open(dir))(t)
	ref := Ref{"configmaps", ns, "settings"}
	for i, want := range []string{"alice", "bob", "argo"} {
		v := must(st.At(ref, got[i].Time))(t)
		if !strings.Contains(string(v.Object), `"mode":"`+want+`"`) || v.Change.Time != got[i].Time {
			t.Errorf("At(%v) = %s, want mode %s", got[i].Time, v.Object, want)
		}
		if i < 2 {
			// Just before the next change, still this version.
			if v := must(st.At(ref, got[i+1].Time.Add(-time.Nanosecond)))(t); !strings.Contains(string(v.Object), `"mode":"`+want+`"`) {
				t.Errorf("At(just before change %d) = %s, want mode %s", i+1, v.Object, want)
			}
		}
	}
	if v := must(st.At(ref, time.Now()))(t); v.Change.Change != Deleted {
		t.Errorf("At(now) = %s, want the deletion", v.Change.Change)
	}
	if _, err := st.At(ref, start); err == nil {
		t.Error("At(before it was created) found a version")
	}
	n := 0
	for _, c := range must(st.Changes(Query{Since: start, Namespaces: []string{ns}, Resources: []string{"configmaps"}}))(t) {
		if c.Name == "settings" {
			n++
		}
	}
	if n != 4 {
		t.Errorf("Changes(configmaps in %s) has %d changes of settings, want 4", ns, n)
	}

	// The Secret: metadata only; its value, and the last-applied annotation
	// that holds it, are nowhere in the store.
	v := must(st.At(Ref{"secrets", ns, "token"}, time.Now()))(t)
	if strings.Contains(string(v.Object), `"data"`) || strings.Contains(string(v.Object), lastApplied) {
		t.Errorf("the Secret's version holds data: %s", v.Object)
	}
	assertNotStored(t, st, secretValue, base64.StdEncoding.EncodeToString([]byte(secretValue)))

	for _, c := range must(st.Changes(Query{Existing: true}))(t) {
		if c.Resource == "events" || c.Resource == "events.events.k8s.io" || c.Resource == "leases.coordination.k8s.io" {
			t.Fatalf("%s are recorded", c.Resource)
		}
	}
	if !strings.Contains(w.log.String(), "new resource: watching it") {
		t.Error("the log does not say the new resource is watched")
	}
}

// assertNotStored decompresses every content of the store and checks that
// none holds any of values.
func assertNotStored(t *testing.T, s *Store, values ...string) {
	t.Helper()
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBlobs).ForEach(func(_, z []byte) error {
			b, err := decompress(z)
			if err != nil {
				return err
			}
			n++
			for _, v := range values {
				if bytes.Contains(b, []byte(v)) {
					return fmt.Errorf("a stored content holds %q: %s", v, b)
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no content stored")
	}
}

// TestWatchSurvivesRestart: changes made before the API server restarts,
// right after it is back but before the watcher has reconnected (a
// deletion among them), and after, are all recorded. While the server is
// down the watcher fails to reconnect and says it is behind; once the
// server accepts connections again, the test holds the watcher's attempts
// (a hook before each) until it has made its changes, so that they are
// certainly made while the watcher is away.
//
// An object changed twice while the watcher is away has both changes
// recorded only if the API server still has the events: after a restart
// its watch cache starts afresh, the watcher's resourceVersion is too old
// (410 Gone), and a list records the latest state. So each object changes
// once in that window: that change is what must not be lost.
func TestWatchSurvivesRestart(t *testing.T) {
	cl := harness.Get(t)
	cs, _ := clients(t)
	ctx := context.Background()
	const ns = "history-restart"
	createNamespaceSettled(t, cs, ns)
	cms := cs.CoreV1().ConfigMaps(ns)
	must(cms.Create(ctx, configMap(ns, "doomed", map[string]string{"v": "1"}), metav1.CreateOptions{FieldManager: "setup"}))(t)

	u, err := url.Parse(cl.Server)
	if err != nil {
		t.Fatal(err)
	}
	var holding atomic.Bool
	release := make(chan struct{})
	held := make(chan struct{}, 1)
	hook := func(ctx context.Context) {
		if !holding.Load() {
			return
		}
		conn, err := net.DialTimeout("tcp", u.Host, time.Second)
		if err != nil {
			return // the server is down: let the attempt fail
		}
		conn.Close()
		select {
		case held <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
	}
	dir := t.TempDir()
	w := startWatch(t, dir, live.Options{}, Options{beforeConnect: hook})
	start := time.Now()

	// Before.
	must(cms.Create(ctx, configMap(ns, "before", map[string]string{"v": "1"}), metav1.CreateOptions{FieldManager: "before-mgr"}))(t)
	waitForChanges(t, dir,
		expect{Existing, "configmaps", ns, "doomed", "setup:Update", time.Time{}},
		expect{Added, "configmaps", ns, "before", "before-mgr:Update", start})

	// The restart.
	holding.Store(true)
	if err := cl.RestartAPIServer(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatalf("the watcher did not try to reconnect after the restart:\n%s", w.log)
	}
	// Back, the watcher held: change, create, delete.
	window := time.Now()
	b := must(cms.Get(ctx, "before", metav1.GetOptions{}))(t)
	b.Data["v"] = "2"
	must(cms.Update(ctx, b, metav1.UpdateOptions{FieldManager: "window-mgr"}))(t)
	must(cms.Create(ctx, configMap(ns, "during", map[string]string{"v": "1"}), metav1.CreateOptions{FieldManager: "window-mgr"}))(t)
	noErr(t, cms.Delete(ctx, "doomed", metav1.DeleteOptions{}))
	holding.Store(false)
	close(release)

	waitForChanges(t, dir,
		expect{Modified, "configmaps", ns, "before", "window-mgr:Update", window})
	waitForChanges(t, dir,
		expect{Added, "configmaps", ns, "during", "window-mgr:Update", window})
	waitForChanges(t, dir,
		expect{Deleted, "configmaps", ns, "doomed", "", window})

	// After.
	after := time.Now()
	d := must(cms.Get(ctx, "during", metav1.GetOptions{}))(t)
	d.Data["v"] = "2"
	must(cms.Update(ctx, d, metav1.UpdateOptions{FieldManager: "after-mgr"}))(t)
	must(cms.Create(ctx, configMap(ns, "after", map[string]string{"v": "1"}), metav1.CreateOptions{FieldManager: "after-mgr"}))(t)
	waitForChanges(t, dir,
		expect{Modified, "configmaps", ns, "during", "after-mgr:Update", after},
		expect{Added, "configmaps", ns, "after", "after-mgr:Update", after})

	// Every change once: a list after the restart records no change of
	// what did not change.
	st := must(Open(dir))(t)
	var got []string
	for _, c := range must(st.Changes(Query{Namespaces: []string{ns}, Resources: []string{"configmaps"}, Existing: true}))(t) {
		if c.Name == "kube-root-ca.crt" {
			continue // the controller manager's, made when the namespace was
		}
		got = append(got, string(c.Change)+" "+c.Name)
	}
	want := []string{"existing doomed", "added before", "modified before", "added during", "deleted doomed", "modified during", "added after"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("changes of configmaps in %s:\n got %v\nwant %v", ns, got, want)
	}
	if !strings.Contains(w.log.String(), "behind") {
		t.Errorf("the log does not say %q", "behind")
	}
	// Every watch, not only the ConfigMaps', comes back; one that saw no
	// event counts as up after a second.
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(w.log.String(), "caught up"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("the log does not say %q", "caught up")
			break
		}
	}
	t.Logf("log of the watch around the restart:\n%s", grepLog(w.log.String(), "configmaps", "behind", "caught up", "level=WARN"))
	if err := w.stop(); err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, st)
}

// grepLog returns the lines of a log that hold any of words.
func grepLog(log string, words ...string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if slices.ContainsFunc(words, func(w string) bool { return strings.Contains(l, w) }) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestWatchResumes: a watcher that stops and starts again resumes from the
// resourceVersion it stored, and records through the watch what changed
// while it was stopped; from an older one, it records only what is new in
// what the API server replays; from one the server has not reached, it
// lists again and records the differences, the deletions included. (The
// 410 Gone path, for a resourceVersion etcd has compacted, is in
// TestUnitRelistsOnGone: the test cluster's API server compacts every five
// minutes and tests cannot reach its etcd.)
func TestWatchResumes(t *testing.T) {
	cs, _ := clients(t)
	ctx := context.Background()
	const ns = "history-resume"
	createNamespaceSettled(t, cs, ns)
	cms := cs.CoreV1().ConfigMaps(ns)
	dir := t.TempDir()
	lopts := live.Options{Kinds: []string{"configmaps"}, Namespaces: []string{ns}}

	w := startWatch(t, dir, lopts, Options{})
	start := time.Now()
	for _, name := range []string{"keep", "change", "drop", "change2", "drop2"} {
		must(cms.Create(ctx, configMap(ns, name, map[string]string{"v": "1"}), metav1.CreateOptions{FieldManager: "setup"}))(t)
	}
	waitForChanges(t, dir, expect{Added, "configmaps", ns, "drop2", "setup:Update", start})
	if err := w.stop(); err != nil {
		t.Fatal(err)
	}

	// Stopped: the API server still has these events.
	stopped := time.Now()
	c := must(cms.Get(ctx, "change", metav1.GetOptions{}))(t)
	c.Data["v"] = "2"
	must(cms.Update(ctx, c, metav1.UpdateOptions{FieldManager: "while-stopped"}))(t)
	noErr(t, cms.Delete(ctx, "drop", metav1.DeleteOptions{}))
	must(cms.Create(ctx, configMap(ns, "new", map[string]string{"v": "1"}), metav1.CreateOptions{FieldManager: "while-stopped"}))(t)

	w = startWatch(t, dir, lopts, Options{})
	resumed := waitForChanges(t, dir,
		expect{Modified, "configmaps", ns, "change", "while-stopped:Update", stopped},
		expect{Deleted, "configmaps", ns, "drop", "", stopped},
		expect{Added, "configmaps", ns, "new", "while-stopped:Update", stopped})
	for _, ch := range resumed {
		if ch.Via != ViaWatch {
			t.Errorf("%s %s via %s: the watcher listed instead of resuming its watch", ch.Change, ch.Name, ch.Via)
		}
	}
	if strings.Contains(w.log.String(), "410") {
		t.Errorf("resuming met 410 Gone:\n%s", w.log)
	}
	if err := w.stop(); err != nil {
		t.Fatal(err)
	}

	// Stopped again, and the stored resourceVersion made old: the API
	// server replays every event since (etcd has not compacted them yet),
	// and only what is new is recorded.
	replay := time.Now()
	c = must(cms.Get(ctx, "change2", metav1.GetOptions{}))(t)
	c.Data["v"] = "2"
	must(cms.Update(ctx, c, metav1.UpdateOptions{FieldManager: "while-old"}))(t)
	staleCursor(t, dir, "configmaps", ns, "1")
	w = startWatch(t, dir, lopts, Options{})
	waitForChanges(t, dir, expect{Modified, "configmaps", ns, "change2", "while-old:Update", replay})
	if err := w.stop(); err != nil {
		t.Fatal(err)
	}
	st := must(Open(dir))(t)
	if all := must(st.Changes(Query{Since: replay}))(t); len(all) != 1 {
		t.Errorf("%d changes after the replay, want 1: %v", len(all), rows(all))
	}

	// Stopped again, and the stored resourceVersion made one the API
	// server has not reached (as when etcd is restored from a backup, the
	// store is ahead): a watch from it would wait silently; the watcher
	// sees that, lists again, and records the differences.
	ahead := time.Now()
	c = must(cms.Get(ctx, "change2", metav1.GetOptions{}))(t)
	c.Data["v"] = "3"
	must(cms.Update(ctx, c, metav1.UpdateOptions{FieldManager: "while-ahead"}))(t)
	noErr(t, cms.Delete(ctx, "drop2", metav1.DeleteOptions{}))
	must(cms.Create(ctx, configMap(ns, "new2", map[string]string{"v": "1"}), metav1.CreateOptions{FieldManager: "while-ahead"}))(t)
	staleCursor(t, dir, "configmaps", ns, "999999999")

	w = startWatch(t, dir, lopts, Options{})
	relisted := waitForChanges(t, dir,
		expect{Modified, "configmaps", ns, "change2", "while-ahead:Update", ahead},
		expect{Added, "configmaps", ns, "new2", "while-ahead:Update", ahead},
		expect{Deleted, "configmaps", ns, "drop2", "", ahead})
	for _, ch := range relisted {
		if ch.Via != ViaList {
			t.Errorf("%s %s via %s, want %s", ch.Change, ch.Name, ch.Via, ViaList)
		}
	}
	if log := w.log.String(); !strings.Contains(log, "behind the store") || !strings.Contains(log, "listed again") {
		t.Errorf("the log does not tell of the list:\n%s", log)
	}
	// Nothing else: what did not change is not recorded again.
	if all := must(st.Changes(Query{Since: ahead}))(t); len(all) != 3 {
		t.Errorf("%d changes after the list, want 3: %v", len(all), rows(all))
	}
	checkConsistent(t, st)
}

// staleCursor overwrites the resourceVersion the store resumes a watch from.
func staleCursor(t *testing.T, dir, resource, ns, rv string) {
	t.Helper()
	db, err := bolt.Open(dir+"/"+dbFile, 0o600, &bolt.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		k := unitKey(resource, ns)
		if tx.Bucket(bucketCursors).Get(k) == nil {
			return fmt.Errorf("no cursor for %q", k)
		}
		return tx.Bucket(bucketCursors).Put(k, []byte(rv))
	})
	if err != nil {
		t.Fatal(err)
	}
}
