package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/test/harness"
)

func TestAccessLive(t *testing.T) {
	cl := harness.Get(t)
	r := dozor(t, "", "access", "who-can", "create", "pods", "-n", "shop", "--kubeconfig", cl.Kubeconfig, "-o", "json")
	if r.code != 0 {
		t.Fatalf("who-can: exit %d: %s", r.code, r.stderr)
	}
	var grants []struct {
		Subject struct{ Kind, Name, Namespace string }
		Binding string
		RoleRef struct{ Kind, Name string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &grants); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, g := range grants {
		found[g.Subject.Kind+" "+g.Subject.Namespace+"/"+g.Subject.Name] = true
	}
	// The seed binds ci/deployer to cluster-admin; the viewer may only read.
	if !found["ServiceAccount ci/deployer"] || found["User /dozor-viewer"] {
		t.Errorf("who-can create pods -n shop: %v", found)
	}
	r = dozor(t, "", "access", "can", "serviceaccount:ci:deployer", "--kubeconfig", cl.Kubeconfig, "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"cluster-admin"`) || !strings.Contains(r.stdout, `"system:authenticated"`) {
		t.Errorf("can serviceaccount:ci:deployer: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	r = dozor(t, "", "access", "can", "user:dozor-viewer", "--kubeconfig", cl.Kubeconfig)
	if r.code != 0 || !strings.Contains(r.stdout, "ClusterRole view") {
		t.Errorf("can user:dozor-viewer: exit %d: %s", r.code, r.stdout)
	}
	if r := dozor(t, "", "access", "can", "serviceaccount:nonamespace", "--kubeconfig", cl.Kubeconfig); r.code != 2 {
		t.Errorf("a malformed subject: exit %d", r.code)
	}
	// The seed binds ci/deployer to cluster-admin: full control, secrets,
	// pods, escalation. The controllers' default bindings are left out.
	r = dozor(t, "", "access", "risks", "--kubeconfig", cl.Kubeconfig, "-o", "json")
	var risks []struct {
		ID, Name, Severity string
		Techniques         []string
		Subject            struct{ Kind, Name, Namespace string }
		Namespaces         []string
		Bindings           []string
	}
	if err := json.Unmarshal([]byte(r.stdout), &risks); err != nil || r.code != 0 {
		t.Fatalf("risks: exit %d, %v: %s", r.code, err, r.stderr)
	}
	got := map[string]bool{}
	for _, x := range risks {
		got[x.Name+" "+x.Subject.Kind+" "+x.Subject.Namespace+"/"+x.Subject.Name] = true
		if x.Subject.Namespace == "kube-system" && strings.HasSuffix(x.Subject.Name, "-controller") {
			t.Errorf("a default binding reported: %+v", x)
		}
	}
	for _, want := range []string{"full-control ServiceAccount ci/deployer", "read-secrets Group /system:authenticated", "all-authenticated Group /system:authenticated"} {
		if !got[want] {
			t.Errorf("risks lack %s", want)
		}
	}
	// What full control implies is folded into it, not listed again.
	if got["read-secrets ServiceAccount ci/deployer"] || got["nodes-proxy ServiceAccount ci/deployer"] {
		t.Error("ci/deployer's implied risks listed again")
	}
	if got["full-control User /dozor-viewer"] || got["read-secrets User /dozor-viewer"] {
		t.Error("the viewer (ClusterRole view) reported as dangerous")
	}
}

func TestAccessManifests(t *testing.T) {
	dir := writeFiles(t, map[string]string{"rbac.yaml": `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec, namespace: shop}
rules:
- apiGroups: [""]
  resources: [pods/exec]
  verbs: [create]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: oncall-exec, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec}
subjects:
- {kind: Group, name: oncall, apiGroup: rbac.authorization.k8s.io}
- {kind: ServiceAccount, name: debugger}
`})
	r := dozor(t, "", "access", "who-can", "create", "pods/exec", "-n", "shop", "-f", dir)
	if r.code != 0 || !regexp.MustCompile(`Group\s+oncall`).MatchString(r.stdout) || !strings.Contains(r.stdout, "shop/debugger") {
		t.Errorf("who-can create pods/exec: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := dozor(t, "", "access", "who-can", "create", "pods/exec", "-n", "other", "-f", dir); r.code != 0 || !strings.Contains(r.stdout, "0 subjects") {
		t.Errorf("another namespace: %s", r.stdout)
	}
	if r := dozor(t, "", "access", "who-can", "create", "pods", "-n", "shop", "-f", dir); !strings.Contains(r.stdout, "0 subjects") {
		t.Errorf("pods is not pods/exec: %s", r.stdout)
	}
}
