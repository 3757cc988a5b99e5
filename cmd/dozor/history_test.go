package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dozor-dev/dozor/test/harness"
)

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type historyChanges struct {
	SchemaVersion int `json:"schemaVersion"`
	Cluster       struct {
		Context, Server string
	} `json:"cluster"`
	Changes []struct {
		Change, Via, Resource, Kind, Namespace, Name, ResourceVersion string
		Time                                                          time.Time
		Manager                                                       *struct{ Name, Operation string }
	} `json:"changes"`
}

// TestWatchHistoryCLI: `dozor watch`, a process of its own, records the
// changes made to a namespace through the API; `dozor history changes`
// and `dozor history get` answer from its store while it runs, in both
// formats; SIGTERM stops it cleanly, and the history still answers.
func TestWatchHistoryCLI(t *testing.T) {
	cl := harness.Get(t)
	cs := adminClient(t, cl.Kubeconfig)
	ctx := context.Background()
	const ns = "history-cli"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Wait until the namespace is gone: tests that compare the whole
		// cluster before and after must not see it go.
		_ = cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if _, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); apierrors.IsNotFound(err) {
				return
			}
		}
		t.Errorf("namespace %s was not deleted within a minute", ns)
	})
	store := t.TempDir()

	watch := exec.Command(os.Args[0], "watch", "--kubeconfig", cl.Kubeconfig, "--context", "admin", "--store", store, "-n", ns, "--kinds", "configmaps,deployments")
	watch.Env = append(os.Environ(), runMainEnv+"=1")
	var log syncBuffer
	watch.Stdout, watch.Stderr = &log, &log
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- watch.Wait() }()
	t.Cleanup(func() {
		if watch.ProcessState == nil {
			_ = watch.Process.Kill()
			<-exited
		}
	})
	waitFor(t, 60*time.Second, func() bool { return strings.Contains(log.String(), "ready: every resource is listed and watched") },
		func() string { return "dozor watch did not get ready:\n" + log.String() })

	// v1 by alice, then v2 by bob.
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings"}, Data: map[string]string{"mode": "v1"}}
	cm, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{FieldManager: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	changes := func(args ...string) historyChanges {
		t.Helper()
		r := dozor(t, "", append([]string{"history", "changes", "--store", store, "-o", "json"}, args...)...)
		if r.code != 0 {
			t.Fatalf("history changes: exit %d\n%s", r.code, r.stderr)
		}
		var doc historyChanges
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("history changes -o json: %v\n%s", err, r.stdout)
		}
		return doc
	}
	waitFor(t, 30*time.Second, func() bool { return len(changes("-n", ns, "--kind", "ConfigMap").Changes) >= 1 },
		func() string { return "the creation was not recorded:\n" + log.String() })
	// The store's times are Dozor's: read the creation's, and ask about a
	// time just after it.
	afterV1 := changes("-n", ns, "--kind", "ConfigMap").Changes[0].Time.Add(time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	cm.Data["mode"] = "v2"
	if _, err := cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{FieldManager: "bob"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() bool { return len(changes("-n", ns, "--kind", "configmaps").Changes) >= 2 },
		func() string { return "the update was not recorded:\n" + log.String() })

	doc := changes("-n", ns, "--since", "1h")
	if doc.SchemaVersion != 1 || doc.Cluster.Context != "admin" || doc.Cluster.Server != cl.Server {
		t.Errorf("document header: %+v", doc)
	}
	var got []string
	for _, c := range doc.Changes {
		if c.Name == "kube-root-ca.crt" {
			continue // the controller manager's
		}
		m := "-"
		if c.Manager != nil {
			m = c.Manager.Name + ":" + c.Manager.Operation
		}
		got = append(got, strings.Join([]string{c.Change, c.Via, c.Resource, c.Kind, c.Namespace + "/" + c.Name, m}, " "))
	}
	want := []string{
		"added watch configmaps ConfigMap history-cli/settings alice:Update",
		"modified watch configmaps ConfigMap history-cli/settings bob:Update",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n got %q\nwant %q", got, want)
	}

	// The table.
	r := dozor(t, "", "history", "changes", "--store", store, "-n", ns, "--since", "1h")
	if r.code != 0 || !strings.Contains(r.stdout, "MANAGER") || !strings.Contains(r.stdout, "bob (Update)") || !strings.Contains(r.stdout, ns+"/settings") {
		t.Errorf("history changes (table): exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// The object at a time: v1 then, v2 now.
	r = dozor(t, "", "history", "get", "--store", store, "configmap/settings", "-n", ns, "--at", afterV1.Format(time.RFC3339Nano), "-o", "json")
	if r.code != 0 {
		t.Fatalf("history get --at: exit %d\n%s", r.code, r.stderr)
	}
	var obj struct {
		Change struct{ Change string }
		Object struct {
			Data     map[string]string
			Metadata map[string]any
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &obj); err != nil {
		t.Fatal(err)
	}
	if obj.Object.Data["mode"] != "v1" || obj.Change.Change != "added" {
		t.Errorf("history get at %s: %+v", afterV1, obj)
	}
	if _, ok := obj.Object.Metadata["managedFields"]; ok {
		t.Errorf("history get kept managedFields")
	}
	r = dozor(t, "", "history", "get", "--store", store, "configmaps", "settings", "-n", ns)
	if r.code != 0 || !strings.Contains(r.stdout, "mode: v2") || !strings.Contains(r.stdout, "by bob (Update)") {
		t.Errorf("history get (YAML, now): exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Deleted: not there now, with a message saying when.
	if err := cs.CoreV1().ConfigMaps(ns).Delete(ctx, "settings", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() bool { return len(changes("-n", ns, "--kind", "configmaps").Changes) >= 3 },
		func() string { return "the deletion was not recorded:\n" + log.String() })
	r = dozor(t, "", "history", "get", "--store", store, "configmap/settings", "-n", ns)
	if r.code != exitNotFound || !strings.Contains(r.stderr, "deleted at") {
		t.Errorf("history get of a deleted object: exit %d, want %d\n%s", r.code, exitNotFound, r.stderr)
	}
	// Before it existed.
	r = dozor(t, "", "history", "get", "--store", store, "configmap/settings", "-n", ns, "--at", "2000-01-01")
	if r.code != exitNotFound {
		t.Errorf("history get before the history began: exit %d, want %d\n%s", r.code, exitNotFound, r.stderr)
	}

	// SIGTERM: stops, says so, exit 0.
	if err := watch.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("dozor watch after SIGTERM: %v\n%s", err, log.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("dozor watch did not stop on SIGTERM:\n%s", log.String())
	}
	if !strings.Contains(log.String(), "stopped; the history is written") {
		t.Errorf("dozor watch did not say it stopped:\n%s", log.String())
	}
	if n := len(changes("-n", ns, "--kind", "configmaps").Changes); n != 3 {
		t.Errorf("after the watch stopped: %d changes, want 3", n)
	}
}

// TestHistoryUsage: bad arguments and a missing store are usage errors
// (exit 2), with a message.
func TestHistoryUsage(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"history", "get", "settings", "--store", empty}, "KIND/NAME"},
		{[]string{"history", "get", "configmap/settings", "--at", "yesterday-ish", "--store", empty}, "--at"},
		{[]string{"history", "get", "configmap/settings", "-o", "xml", "--store", empty}, "--output"},
		{[]string{"history", "changes", "--since", "soon", "--store", empty}, "--since"},
		{[]string{"history", "changes", "--store", empty}, empty},
		{[]string{"watch", "--retain", "forever"}, "--retain"},
	} {
		r := dozor(t, "", tc.args...)
		if r.code != exitInvalid || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("dozor %s: exit %d, want %d and a message naming %q\n%s", strings.Join(tc.args, " "), r.code, exitInvalid, tc.want, r.stderr)
		}
	}
}

// waitFor polls ok until it holds or timeout passes, then fails with msg.
func waitFor(t *testing.T, timeout time.Duration, ok func() bool, msg func() string) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !ok(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(msg())
		}
	}
}
