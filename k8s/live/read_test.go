package live_test

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/live"
	"github.com/dozor-dev/dozor/test/harness"
)

// TestCount: as a user of the real test cluster, the seeded custom
// resources are counted in all namespaces and in one; what the user may
// not list is a not-visible gap.
func TestCount(t *testing.T) {
	cl := harness.Get(t)
	ctx := context.Background()
	policies := live.Resource{Group: "backup.dozor.dev", Version: "v1", Kind: "BackupPolicy", Name: "backuppolicies", Namespaced: true}
	c, err := live.Connect(ctx, live.Options{Kubeconfig: cl.Kubeconfig, Context: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	for ns, want := range map[string]int64{"": 4, "shop": 2, "legacy": 0} {
		if n, gap := c.Count(ctx, policies, ns); gap != nil || n != want {
			t.Errorf("Count(backuppolicies, %q) = %d, %+v; want %d", ns, n, gap, want)
		}
	}
	nobody, err := live.Connect(ctx, live.Options{Kubeconfig: cl.Kubeconfig, Context: "nobody"})
	if err != nil {
		t.Fatal(err)
	}
	if _, gap := nobody.Count(ctx, policies, ""); gap == nil || gap.Kind != finding.GapNotVisible || gap.Resource != "backuppolicies.backup.dozor.dev" {
		t.Errorf("Count as nobody: gap %+v, want not-visible", gap)
	}
}

// TestExcludeNamespaces: namespaces left out are not counted, listed or
// read, with the server's field selector where the resource takes one and
// by filtering where it does not (podcertificaterequests refuses
// metadata.namespace); the Namespace objects themselves are left out too.
func TestExcludeNamespaces(t *testing.T) {
	cl := harness.Get(t)
	ctx := context.Background()
	c, err := live.Connect(ctx, live.Options{Kubeconfig: cl.Kubeconfig, Context: "admin", ExcludeNamespaces: []string{"shop"}})
	if err != nil {
		t.Fatal(err)
	}
	policies := live.Resource{Group: "backup.dozor.dev", Version: "v1", Kind: "BackupPolicy", Name: "backuppolicies", Namespaced: true}
	if n, gap := c.Count(ctx, policies, ""); gap != nil || n != 2 {
		t.Errorf("Count(backuppolicies) without shop = %d, %+v; want 2", n, gap)
	}
	resources, _, err := c.Resources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range resources {
		if r.Name == "podcertificaterequests" {
			found = true
			if _, gap := c.Count(ctx, r, ""); gap != nil {
				t.Errorf("Count(podcertificaterequests): %+v", gap)
			}
		}
	}
	if !found {
		t.Error("the cluster serves no podcertificaterequests: the fallback is not tested")
	}
	objects := 0
	gaps, err := c.Objects(ctx, func(o *k8s.Object) {
		objects++
		if o.Namespace() == "shop" || (o.Kind == "Namespace" && o.Name() == "shop") {
			t.Errorf("%s %s/%s read, in a namespace left out", o.Kind, o.Namespace(), o.Name())
		}
	})
	if err != nil || len(gaps) > 0 || objects == 0 {
		t.Errorf("Objects: %d objects, gaps %+v, error %v", objects, gaps, err)
	}
	for _, bad := range [][]string{{"shop,metadata.name=x"}, {"Shop"}} {
		if _, err := live.Connect(ctx, live.Options{Kubeconfig: cl.Kubeconfig, Context: "admin", ExcludeNamespaces: bad}); err == nil {
			t.Errorf("Connect with ExcludeNamespaces %q: no error", bad)
		}
	}
}

// TestCountWithoutRemainingItemCount: a server that does not say how many
// items remain (older servers, some storage backends) is counted page by
// page. The test cluster always says, so this server is a fake: it serves
// /version and seven items, two a page, as such a server would.
func TestCountWithoutRemainingItemCount(t *testing.T) {
	const items = 7
	var requests int
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/version" {
			fmt.Fprint(w, `{"major":"1","minor":"12","gitVersion":"v1.12.10"}`)
			return
		}
		requests++
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		start, _ := strconv.Atoi(r.URL.Query().Get("continue"))
		end := min(start+limit, items)
		cont := ""
		if end < items {
			cont = strconv.Itoa(end)
		}
		fmt.Fprintf(w, `{"kind":"PartialObjectMetadataList","metadata":{"continue":%q},"items":[`, cont)
		for i := start; i < end; i++ {
			if i > start {
				fmt.Fprint(w, ",")
			}
			fmt.Fprintf(w, `{"metadata":{"name":"w%d","namespace":"default","uid":"u%d"}}`, i, i)
		}
		fmt.Fprint(w, "]}")
	}))
	defer srv.Close()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	ca := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: c
clusters: [{name: c, cluster: {server: %q, certificate-authority-data: %s}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
`, srv.URL, ca)
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := live.Connect(ctx, live.Options{Kubeconfig: kc, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	n, gap := c.Count(ctx, live.Resource{Group: "apps", Version: "v1", Kind: "Widget", Name: "widgets", Namespaced: true}, "")
	if gap != nil || n != items {
		t.Errorf("Count() = %d, %+v; want %d", n, gap, items)
	}
	if requests != 1+(items+1)/2 {
		t.Errorf("%d requests, want one for the count and %d pages", requests, (items+1)/2)
	}
}
