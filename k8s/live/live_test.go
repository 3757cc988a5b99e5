package live_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/live"
	"github.com/dozor-dev/dozor/test/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }

// read connects as a user of the test cluster and reads every object.
func read(t *testing.T, opts live.Options) ([]*k8s.Object, []finding.Gap) {
	t.Helper()
	cl := harness.Get(t)
	opts.Kubeconfig = cl.Kubeconfig
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := live.Connect(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var objs []*k8s.Object
	gaps, err := c.Objects(ctx, func(o *k8s.Object) {
		mu.Lock()
		objs = append(objs, o)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	return objs, gaps
}

func find(objs []*k8s.Object, kind, ns, name string) *k8s.Object {
	for _, o := range objs {
		if o.Kind == kind && o.Meta.Namespace == ns && o.Name() == name {
			return o
		}
	}
	return nil
}

// TestAdminReadsEverything: as admin, every seeded kind comes back, custom
// resources included, typed where k8s.io/api has the type, with the
// cluster named; Secrets come back as metadata only.
func TestAdminReadsEverything(t *testing.T) {
	objs, gaps := read(t, live.Options{Context: "admin", PageSize: 2}) // small pages: pagination is exercised
	if len(gaps) != 0 {
		t.Errorf("gaps as admin: %+v", gaps)
	}
	for _, want := range []struct{ kind, ns, name string }{
		{"Deployment", "shop", "storefront"}, {"StatefulSet", "shop", "cart-db"}, {"DaemonSet", "monitoring", "node-exporter"},
		{"CronJob", "shop", "nightly-report"}, {"Job", "shop", "migrate-2026-11"}, {"ReplicaSet", "monitoring", "log-shipper"},
		{"Pod", "shop", "debug-shell"}, {"ReplicationController", "legacy", "guestbook"}, {"PodTemplate", "legacy", "batch-template"},
		{"Node", "", "node-a"}, {"Namespace", "", "payments"}, {"ClusterRoleBinding", "", "ci-deployer-admin"},
		{"NetworkPolicy", "payments", "default-deny"}, {"Ingress", "shop", "storefront"},
		{"CustomResourceDefinition", "", "backuppolicies.backup.dozor.dev"}, {"BackupPolicy", "shop", "daily"},
		{"Secret", "shop", "storefront-db"},
	} {
		o := find(objs, want.kind, want.ns, want.name)
		if o == nil {
			t.Errorf("%s %s/%s not read", want.kind, want.ns, want.name)
			continue
		}
		if o.Source.Cluster != "admin" || o.Meta.ResourceVersion == "" || o.Meta.UID == "" {
			t.Errorf("%s %s: cluster %q, resourceVersion %q, uid %q", want.kind, want.name, o.Source.Cluster, o.Meta.ResourceVersion, o.Meta.UID)
		}
		if len(o.Meta.ManagedFields) != 0 {
			t.Errorf("%s %s kept its managedFields", want.kind, want.name)
		}
	}
	if d := find(objs, "Deployment", "shop", "storefront"); d != nil && (d.Typed == nil || d.Pod == nil) {
		t.Error("the Deployment is not typed, or has no pod template")
	}
	if cr := find(objs, "BackupPolicy", "shop", "daily"); cr != nil && cr.Unstructured == nil {
		t.Error("the custom resource has no content")
	}
	if s := find(objs, "Secret", "shop", "storefront-db"); s != nil {
		if s.Typed != nil || s.Unstructured != nil {
			t.Error("a Secret was read in full without --read-secrets")
		}
		if _, ok := s.Meta.Annotations["kubectl.kubernetes.io/last-applied-configuration"]; ok {
			t.Error("a Secret kept the last-applied annotation, which holds its values")
		}
	}
	for _, o := range objs {
		if o.Kind == "Event" {
			t.Fatal("events are read")
		}
	}
}

// TestViewerSeesNotVisible: the built-in view role cannot list Secrets or
// RBAC: those are gaps of kind not-visible, and everything else is read.
func TestViewerSeesNotVisible(t *testing.T) {
	objs, gaps := read(t, live.Options{Context: "viewer"})
	notVisible := map[string]bool{}
	for _, g := range gaps {
		if g.Kind != finding.GapNotVisible {
			t.Errorf("gap %+v, want only not-visible ones", g)
		}
		notVisible[g.Resource] = true
	}
	for _, r := range []string{"secrets", "roles.rbac.authorization.k8s.io", "clusterrolebindings.rbac.authorization.k8s.io", "nodes"} {
		if !notVisible[r] {
			t.Errorf("%s is not reported as not visible (gaps: %v)", r, gaps)
		}
	}
	if find(objs, "Deployment", "shop", "storefront") == nil {
		t.Error("the viewer did not read Deployments")
	}
}

// TestNamespaces: -n reads only those namespaces, as a user who may see
// only one.
func TestNamespaces(t *testing.T) {
	objs, gaps := read(t, live.Options{Context: "narrow", Namespaces: []string{"shop"}, Kinds: []string{"deployments", "pods", "Namespace"}})
	for _, o := range objs {
		if o.Kind != "Namespace" && o.Meta.Namespace != "shop" {
			t.Errorf("read %s outside namespace shop", o)
		}
	}
	if find(objs, "Deployment", "shop", "storefront") == nil {
		t.Error("the storefront Deployment was not read")
	}
	// The narrow user may not list Namespaces: one gap.
	if len(gaps) != 1 || gaps[0].Resource != "namespaces" || gaps[0].Kind != finding.GapNotVisible {
		t.Errorf("gaps = %+v, want namespaces not visible", gaps)
	}
}

// TestNobody: a user with no rights gets no object, and every resource is a
// not-visible gap: never an empty, clean-looking result.
func TestNobody(t *testing.T) {
	objs, gaps := read(t, live.Options{Context: "nobody"})
	if len(objs) != 0 {
		t.Errorf("read %d objects with no rights", len(objs))
	}
	if len(gaps) < 20 {
		t.Errorf("only %d gaps", len(gaps))
	}
	for _, g := range gaps {
		if g.Kind != finding.GapNotVisible || !strings.Contains(g.Reason, "forbidden") {
			t.Errorf("gap %+v", g)
			break
		}
	}
}
