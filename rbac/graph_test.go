package rbac

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/manifest"
)

// readObjects decodes a YAML file of the test data.
func readObjects(t testing.TB, path string) []*k8s.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var objs []*k8s.Object
	for i, doc := range manifest.Split(data) {
		d := manifest.Decode(doc, k8s.Source{File: path}, k8s.Seq{Doc: i}, manifest.Options{})
		if len(d.Errors) > 0 {
			t.Fatalf("%s: %v", path, d.Errors[0])
		}
		objs = append(objs, d.Objects...)
	}
	return objs
}

// hows is a path as the techniques of its steps that are not free.
func hows(steps []Step) string {
	var out []string
	for _, s := range steps {
		if !s.Free {
			out = append(out, s.How)
		}
	}
	return strings.Join(out, " ")
}

func TestEscalationPaths(t *testing.T) {
	objs := readObjects(t, "testdata/escalation.yaml")
	g := FromObjects(objs, false).Graph(objs)
	want := map[string]string{ // subject -> techniques of its shortest path
		"ServiceAccount:kube-system/admin-sa": "full-control",
		"ServiceAccount:monitoring/agent":     "full-control",
		"ServiceAccount:web/admin-runner":     "full-control",
		"User:dave":                           "impersonate",
		"User:erin":                           "bind",
		"User:frank":                          "escalate",
		"User:grace":                          "approve-csr",
		"ServiceAccount:payments/backup":      "read-token-secret full-control",
		"ServiceAccount:web/frontend-sa":      "create-token full-control",
		"User:alice":                          "create-pods read-token-secret full-control",
		"User:bob":                            "create-pods-privileged token-on-node full-control",
		"User:carol":                          "exec token-in-pod create-token full-control",
	}
	got := map[string]SubjectPath{}
	for _, p := range g.SubjectPaths(false, false) {
		got[p.Subject.ID()] = p
	}
	for id, path := range want {
		p, ok := got[id]
		if !ok {
			t.Errorf("%s: no path, want %q", id, path)
			continue
		}
		if h := hows(p.Path); h != path || p.Steps != len(strings.Fields(path)) {
			t.Errorf("%s: %d steps %q, want %q", id, p.Steps, h, path)
		}
		if last := p.Path[len(p.Path)-1]; last.To != "cluster-admin" {
			t.Errorf("%s: the path ends at %s", id, last.To)
		}
		for _, s := range p.Path {
			if !s.Free && (s.Why == "" || (s.How != "token-in-pod" && s.How != "token-on-node" && s.How != "escape" && len(s.Bindings) == 0)) {
				t.Errorf("%s: step %+v is not explained", id, s)
			}
		}
	}
	// Group sre execs anywhere: into the agent, whose token is admin.
	if p, ok := got["Group:sre"]; !ok || hows(p.Path) != "exec token-in-pod full-control" {
		t.Errorf("Group:sre: %+v", p)
	}
	for _, id := range []string{"User:heidi", "User:ivan", "Group:system:authenticated", "ServiceAccount:shop/default"} {
		if p, ok := got[id]; ok {
			t.Errorf("%s has a path: %+v", id, p.Path)
		}
	}
	if n := len(got); n != len(want)+1 {
		t.Errorf("%d subjects with paths, want %d", n, len(want)+1)
	}

	carriers := map[string]Carrier{}
	for _, c := range g.Carriers() {
		carriers[c.Workload] = c
	}
	for wl, path := range map[string]string{
		"DaemonSet monitoring/agent": "token-in-pod full-control",
		"Deployment web/frontend":    "token-in-pod create-token full-control",
		"Deployment shop/debug":      "escape token-on-node full-control",
	} {
		if c, ok := carriers[wl]; !ok || hows(c.Path) != path {
			t.Errorf("carrier %s: %+v, want %q", wl, c, path)
		}
	}
	if _, ok := carriers["Deployment web/runner"]; ok || len(carriers) != 3 {
		t.Errorf("carriers: %v (web/runner mounts no token)", carriers)
	}

	// The drawing's subgraph is the union of the paths: a tree.
	var starts []int
	for _, p := range g.SubjectPaths(false, false) {
		starts = append(starts, p.Vertex())
	}
	vs, es := g.Subgraph(starts)
	if len(es) != len(vs)-1 {
		t.Errorf("subgraph: %d vertices, %d edges: not a tree", len(vs), len(es))
	}
}

// TestEscalationLive: pods read from a cluster are where their tokens and
// nodes are; a control-plane node is cluster-admin.
func TestEscalationLive(t *testing.T) {
	objs := readObjects(t, "testdata/escalation-live.yaml")
	g := FromObjects(objs, true).Graph(objs)
	got := map[string]SubjectPath{}
	for _, p := range g.SubjectPaths(false, true) {
		got[p.Subject.ID()] = p
	}
	for id, path := range map[string]string{
		// exec into the privileged pod on cp-1, a control-plane node.
		"User:ops": "exec escape control-plane-node",
		// create pods anywhere: privileged in kube-system, on any node.
		"User:builder": "create-pods-privileged control-plane-node",
		// nodes/proxy: any pod's container, the privileged one.
		"User:kubelet-debugger": "nodes-proxy escape control-plane-node",
		// Every service account is in system:serviceaccounts, which may
		// exec in ns1: through the group.
		"ServiceAccount:ns1/default": "exec escape control-plane-node",
	} {
		p, ok := got[id]
		if !ok || hows(p.Path) != path {
			t.Errorf("%s: %q, want %q", id, hows(p.Path), path)
		}
	}
	if p := got["ServiceAccount:ns1/default"]; p.ViaGroup != "system:serviceaccounts" {
		t.Errorf("ns1/default: via %q", p.ViaGroup)
	}
	// The web pod takes its control-plane node; the pod "other" holds the
	// default token, which reaches it through the group; the pod without a
	// token volume holds none.
	carriers := map[string]Carrier{}
	for _, c := range g.Carriers() {
		carriers[c.Workload] = c
	}
	if c, ok := carriers["Deployment ns1/web"]; !ok || c.ServiceAccount != "" || len(c.Pods) != 1 || c.Pods[0] != "web-7d9-abcde" || c.Steps != 2 {
		t.Errorf("web: %+v", c)
	}
	if c, ok := carriers["Pod ns1/other"]; !ok || c.ServiceAccount != "ns1/default" || c.Steps != 4 {
		t.Errorf("other: %+v", c)
	}
	if len(carriers) != 2 {
		t.Errorf("carriers: %+v", carriers)
	}
}

// TestEdgeKindsDocumented: every technique an edge of the test graphs uses
// is listed, and every listed one is explained in docs/access.md.
func TestEdgeKindsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/access.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range EdgeKinds {
		if k != "choice" && !strings.Contains(string(doc), "`"+k+"`") {
			t.Errorf("edge kind %s is not explained in docs/access.md", k)
		}
	}
	for _, f := range []string{"testdata/escalation.yaml", "testdata/escalation-live.yaml"} {
		objs := readObjects(t, f)
		g := FromObjects(objs, false).Graph(objs)
		for _, e := range g.Edges {
			if !slices.Contains(EdgeKinds, e.How) {
				t.Errorf("%s: edge %s → %s of kind %q, which EdgeKinds lacks", f, g.Vertices[e.From].ID(), g.Vertices[e.To].ID(), e.How)
			}
			if e.Free != (e.How == "choice" || e.How == "member") {
				t.Errorf("%s: edge of kind %s free=%v", f, e.How, e.Free)
			}
		}
	}
}

// TestEscalationTechniques: one small cluster per technique, and the same
// permission one piece short, which must give no path.
func TestEscalationTechniques(t *testing.T) {
	const admin = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: root, namespace: prod}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: root}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: root, namespace: prod}]
---
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {pod-security.kubernetes.io/enforce: restricted}}
`
	// grant binds rules to user u: cluster-wide, or in a namespace.
	grant := func(ns string, rules string) string {
		if ns == "" {
			return `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: granted}
rules: ` + rules + `
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: granted}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: granted}
subjects: [{kind: User, name: u}]
`
		}
		return `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: granted, namespace: ` + ns + `}
rules: ` + rules + `
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: granted, namespace: ` + ns + `}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: granted}
subjects: [{kind: User, name: u}]
`
	}
	const tokenSecret = `
apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata: {name: root-token, namespace: prod, annotations: {kubernetes.io/service-account.name: root}}
`
	const openNS = `
apiVersion: v1
kind: Namespace
metadata: {name: dev}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: cni, namespace: prod}
spec:
  selector: {matchLabels: {app: cni}}
  template:
    metadata: {labels: {app: cni}}
    spec: {serviceAccountName: root, containers: [{name: c, image: example/cni:1}]}
`
	// locked is a namespace where Pod Security forbids privileged pods,
	// and where nobody powerful runs; the CNI DaemonSet's token is on
	// every node.
	locked := `
apiVersion: v1
kind: Namespace
metadata: {name: locked, labels: {pod-security.kubernetes.io/enforce: baseline}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: cni, namespace: prod}
spec:
  selector: {matchLabels: {app: cni}}
  template:
    metadata: {labels: {app: cni}}
    spec: {serviceAccountName: root, containers: [{name: c, image: example/cni:1}]}
`
	// clusterWide binds more rules to user u, cluster-wide.
	clusterWide := func(name, rules string) string {
		return strings.ReplaceAll(grant("", rules), "granted", name)
	}
	cases := []struct {
		name, yaml, want string
	}{
		{"namespace admin", grant("prod", `[{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]`), "namespace-admin full-control"},
		{"create pods in prod", grant("prod", `[{apiGroups: [""], resources: [pods], verbs: [create]}]`), "create-pods full-control"},
		{"create pods elsewhere", grant("other", `[{apiGroups: [""], resources: [pods], verbs: [create]}]`), ""},
		{"deployments in prod", grant("prod", `[{apiGroups: [apps], resources: [deployments], verbs: [patch]}]`), "write-workloads full-control"},
		{"token for root", grant("prod", `[{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create], resourceNames: [root]}]`), "create-token full-control"},
		{"token for root, cluster-wide", grant("", `[{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create], resourceNames: [root]}]`), "create-token full-control"},
		{"token for one only a binding names", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ghost}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: ghost, namespace: elsewhere}]
---` + grant("", `[{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create], resourceNames: [ghost]}]`), "create-token full-control"},
		{"create pods by name", grant("prod", `[{apiGroups: [""], resources: [pods], verbs: [create], resourceNames: [p]}]`), ""},
		{"token for another", grant("prod", `[{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create], resourceNames: [other]}]`), ""},
		{"read the token secret", tokenSecret + "---" + grant("prod", `[{apiGroups: [""], resources: [secrets], verbs: [get], resourceNames: [root-token]}]`), "read-token-secret full-control"},
		{"read another secret", tokenSecret + "---" + grant("prod", `[{apiGroups: [""], resources: [secrets], verbs: [get], resourceNames: [tls]}]`), ""},
		{"create and read secrets", grant("prod", `[{apiGroups: [""], resources: [secrets], verbs: [create, get]}]`), "token-secret full-control"},
		{"create secrets only", grant("prod", `[{apiGroups: [""], resources: [secrets], verbs: [create]}]`), ""},
		{"impersonate root", grant("prod", `[{apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate], resourceNames: [root]}]`), "impersonate full-control"},
		{"impersonate any group", grant("", `[{apiGroups: [""], resources: [groups], verbs: [impersonate]}]`), "impersonate"},
		{"impersonate groups in a namespace", grant("prod", `[{apiGroups: [""], resources: [groups], verbs: [impersonate]}]`), ""},
		{"bind in prod", grant("prod", `[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}, {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}]`), "bind full-control"},
		{"bind without creating bindings", grant("", `[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}]`), ""},
		{"escalate roles in prod", grant("prod", `[{apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [escalate, create]}, {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}]`), "escalate full-control"},
		{"escalate without writing", grant("", `[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate]}, {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}]`), ""},
		{"CSR for system:masters", grant("", `[{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create]}, {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}, {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [kubernetes.io/kube-apiserver-client]}]`), "approve-csr"},
		{"CSR for kubelets only", grant("", `[{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create]}, {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}, {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [kubernetes.io/kubelet-serving]}]`), ""},
		{"mutating webhooks", grant("", `[{apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [create]}]`), "mutating-webhook"},
		{"validating webhooks", grant("", `[{apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations], verbs: [create]}]`), ""},
		{"pods in an open namespace", openNS + "---" + grant("dev", `[{apiGroups: [""], resources: [pods], verbs: [create]}]`), "create-pods-privileged token-on-node full-control"},
		{"pods in a locked namespace", locked + "---" + grant("locked", `[{apiGroups: [""], resources: [pods], verbs: [create]}]`), ""},
		{"relabel a namespace", locked + "---" + grant("locked", `[{apiGroups: [""], resources: [pods], verbs: [create]}]`) + "---" + clusterWide("relabel", `[{apiGroups: [""], resources: [namespaces], verbs: [patch]}]`), "relabel-namespace token-on-node full-control"},
		{"hostPath persistent volume", locked + "---" + grant("locked", `[{apiGroups: [""], resources: [pods, persistentvolumeclaims], verbs: [create]}]`) + "---" + clusterWide("pv", `[{apiGroups: [""], resources: [persistentvolumes], verbs: [create]}]`), "hostpath-volume token-on-node full-control"},
		{"nodes/proxy", openNS + "---" + grant("", `[{apiGroups: [""], resources: [nodes/proxy], verbs: [get]}]`), "nodes-proxy token-in-pod full-control"},
		{"update pods", openNS + "---" + grant("prod", `[{apiGroups: [""], resources: [pods], verbs: [update]}]`), "update-pods token-in-pod full-control"},
		{"system:masters", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: masters}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: Group, name: "system:masters"}]
`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := dir + "/c.yaml"
			if err := os.WriteFile(path, []byte(admin+"---"+c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			objs := readObjects(t, path)
			g := FromObjects(objs, false).Graph(objs)
			got := ""
			if v := g.Lookup("User:u"); v >= 0 {
				got = hows(g.Steps(v))
			}
			if got != c.want {
				t.Errorf("user u: %q, want %q", got, c.want)
			}
		})
	}
}
