package scan_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dozor-dev/dozor/scan"
)

// A Deployment, its ReplicaSet and its Pod as a cluster has them (the Pod
// with a sidecar an admission webhook injected before the app container),
// a bare Pod, and a Pod whose owner was not read.
const owned = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, uid: d-1}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: web:1, securityContext: {privileged: true}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d4f
  namespace: shop
  uid: r-1
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d-1, controller: true}]
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: web:1, securityContext: {privileged: true}}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-5d4f-x1
  namespace: shop
  uid: p-1
  labels: {app: web}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d4f, uid: r-1, controller: true}]
spec:
  containers:
  - {name: proxy, image: proxy:1, securityContext: {privileged: true}}
  - {name: app, image: web:1, securityContext: {privileged: true}}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop, uid: p-2}
spec:
  containers:
  - {name: c, image: busybox:1, securityContext: {privileged: true}}
---
apiVersion: v1
kind: Pod
metadata:
  name: orphan-x1
  namespace: shop
  uid: p-3
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: gone, uid: r-9, controller: true}]
spec:
  containers:
  - {name: app, image: web:1, securityContext: {privileged: true}}
`

// TestRepeatedFindings: the findings of owned objects that their
// controller has too are dropped and counted; what only the owned object
// has (the injected sidecar), bare pods, and pods whose owner is not in
// the scan keep theirs; KeepRepeated keeps everything.
func TestRepeatedFindings(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{"cluster.yaml": owned})
	privileged := func(keep bool) ([]string, int) {
		t.Helper()
		res, err := scan.Run(context.Background(), scan.Options{Paths: []string{root}, Checks: checks(), Now: now, KeepRepeated: keep})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) > 0 {
			t.Fatalf("input errors: %v", res.Errors)
		}
		var got []string
		for _, f := range res.Findings {
			if strings.HasSuffix(f.Path, "securityContext.privileged") {
				got = append(got, f.Object.Kind+" "+f.Object.Name+" "+f.Container)
			}
		}
		slices.Sort(got)
		return got, res.Stats.Repeated
	}
	got, repeated := privileged(false)
	want := []string{"Deployment web app", "Pod debug c", "Pod orphan-x1 app", "Pod web-5d4f-x1 proxy"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("privileged containers reported (-want +got):\n%s", diff)
	}
	if repeated == 0 {
		t.Error("no finding counted as repeated")
	}
	got, repeated = privileged(true)
	want = []string{"Deployment web app", "Pod debug c", "Pod orphan-x1 app", "Pod web-5d4f-x1 app", "Pod web-5d4f-x1 proxy", "ReplicaSet web-5d4f app"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("with KeepRepeated (-want +got):\n%s", diff)
	}
	if repeated != 0 {
		t.Errorf("with KeepRepeated, %d counted as repeated", repeated)
	}
}
