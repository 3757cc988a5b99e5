package rbac

import (
	"cmp"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/dozor-dev/dozor/k8s"
)

// Vertex kinds of the escalation graph. Users, groups and service
// accounts are subjects; pods and nodes are where tokens are; the Any*
// kinds are choices ("any service account of shop": whoever can create
// pods there picks one), which cost no step; ClusterAdmin is the goal.
const (
	VertexUser              = "User"
	VertexGroup             = "Group"
	VertexServiceAccount    = "ServiceAccount"
	VertexPod               = "Pod"
	VertexNode              = "Node"
	VertexAnyServiceAccount = "AnyServiceAccount"
	VertexAnyPod            = "AnyPod"
	VertexAnyNode           = "AnyNode"
	VertexAnyUser           = "AnyUser"
	VertexClusterAdmin      = "ClusterAdmin"
)

// Vertex is a subject, a pod, a node, a choice, or cluster-admin.
type Vertex struct {
	Kind string `json:"kind"`
	// Namespace is "" for cluster-wide choices ("any pod of any
	// namespace") and cluster-scoped things.
	Namespace string `json:"namespace,omitempty"`
	// Name is "" for choices and for "a node" (the unknown node a
	// workload of manifests runs on).
	Name string `json:"name,omitempty"`
	// Workload is what made a pod ("Deployment shop/web"); for manifests
	// a pod vertex is the workload itself.
	Workload string `json:"workload,omitempty"`
	// Steps is the length of the shortest path to cluster-admin; -1
	// when there is none.
	Steps int `json:"steps"`
	// Default is set for subjects that only the API server's own
	// bindings name (its components and controllers).
	Default bool `json:"default,omitempty"`
}

// ID is a stable, unique name for the vertex: "ServiceAccount:shop/web".
func (v *Vertex) ID() string {
	switch {
	case v.Namespace != "":
		return v.Kind + ":" + v.Namespace + "/" + v.Name
	case v.Name != "":
		return v.Kind + ":" + v.Name
	}
	return v.Kind
}

// String says what the vertex is, for people.
func (v *Vertex) String() string {
	in := func(what string) string {
		if v.Namespace == "" {
			return what + " of any namespace"
		}
		return what + " of namespace " + v.Namespace
	}
	switch v.Kind {
	case VertexAnyServiceAccount:
		return in("any service account")
	case VertexAnyPod:
		return in("any pod")
	case VertexAnyNode:
		return "any node"
	case VertexAnyUser:
		return "any user"
	case VertexClusterAdmin:
		return "cluster-admin"
	case VertexNode:
		if v.Name == "" {
			return "a node"
		}
		return "Node " + v.Name
	case VertexPod:
		pod := "Pod " + v.Namespace + "/" + v.Name
		switch {
		case v.Workload == "" || v.Workload == pod:
			return pod
		case strings.Contains(v.Name, "/"): // a workload of manifests
			return v.Workload
		}
		return pod + " (" + v.Workload + ")"
	}
	if v.Namespace != "" {
		return v.Kind + " " + v.Namespace + "/" + v.Name
	}
	return v.Kind + " " + v.Name
}

// Subject reports whether the vertex is a user, group or service account.
func (v *Vertex) Subject() bool {
	return v.Kind == VertexUser || v.Kind == VertexGroup || v.Kind == VertexServiceAccount
}

// EdgeKinds are the techniques of the graph's edges (Edge.How), each
// explained in docs/access.md. "choice" and "member" are free.
var EdgeKinds = []string{
	"full-control", "superuser", "namespace-admin", "create-pods", "write-workloads",
	"create-pods-privileged", "write-workloads-privileged", "relabel-namespace", "hostpath-volume",
	"exec", "update-pods", "nodes-proxy", "create-token", "impersonate", "read-token-secret", "token-secret",
	"bind", "escalate", "approve-csr", "mutating-webhook", "token-in-pod", "escape", "token-on-node",
	"control-plane-node", "member", "choice",
}

// Edge says that From can become To, how, and through which bindings.
type Edge struct {
	From, To int
	// How is a short name of the technique: "create-pods", "exec",
	// "token-in-pod", ...
	How string
	// Why explains the step.
	Why      string
	Bindings []string
	// Free edges cost no step: picking one of a choice, or being a
	// member of a group.
	Free bool
}

// Graph is the escalation graph: an edge means "can become". Build it
// with Model.Graph; every vertex's shortest path to cluster-admin is
// computed with it.
type Graph struct {
	Vertices []Vertex
	Edges    []Edge
	// next is the first edge of a vertex's shortest path; -1 if none.
	next []int
	ids  map[string]int
}

// Lookup returns the index of a vertex by ID, or -1.
func (g *Graph) Lookup(id string) int {
	if i, ok := g.ids[id]; ok {
		return i
	}
	return -1
}

// Path is the shortest path from a vertex to cluster-admin: its edges in
// order, nil when there is none.
func (g *Graph) Path(v int) []Edge {
	var out []Edge
	for g.next[v] >= 0 {
		e := g.Edges[g.next[v]]
		out = append(out, e)
		v = e.To
	}
	return out
}

// AdminVertex is the index of the goal, cluster-admin.
const AdminVertex = 0

// graphInput is what the graph is built from, beyond RBAC.
type graphInput struct {
	namespaces map[string]*k8s.Object
	sas        map[[2]string]*corev1.ServiceAccount // namespace, name; nil value for SAs known only by name
	pods       []*k8s.Object                        // Pods, or for manifests the workloads
	live       bool                                 // Pods were found: a cluster
	nodes      []*k8s.Object
	tokens     []tokenSecret
	owners     map[types.UID]*k8s.Object
}

type tokenSecret struct{ namespace, name, sa string }

// readInput sorts out the objects the graph needs.
func readInput(objs []*k8s.Object) *graphInput {
	in := &graphInput{namespaces: map[string]*k8s.Object{}, sas: map[[2]string]*corev1.ServiceAccount{}, owners: map[types.UID]*k8s.Object{}}
	var workloads []*k8s.Object
	for _, o := range objs {
		if o.Meta.UID != "" {
			in.owners[o.Meta.UID] = o
		}
		switch o.Kind {
		case "Namespace":
			in.namespaces[o.Name()] = o
		case "ServiceAccount":
			sa, _ := o.Typed.(*corev1.ServiceAccount)
			if sa == nil {
				sa = &corev1.ServiceAccount{}
			}
			in.sas[[2]string{o.Namespace(), o.Name()}] = sa
		case "Node":
			in.nodes = append(in.nodes, o)
		case "Secret":
			if sa := o.Meta.Annotations[corev1.ServiceAccountNameKey]; sa != "" {
				if s, ok := o.Typed.(*corev1.Secret); !ok || s.Type == corev1.SecretTypeServiceAccountToken {
					in.tokens = append(in.tokens, tokenSecret{o.Namespace(), o.Name(), sa})
				}
			}
		case "Pod":
			in.pods = append(in.pods, o)
			in.live = true
		default:
			if o.Pod != nil && o.Kind != "PodTemplate" {
				workloads = append(workloads, o)
			}
		}
	}
	if !in.live {
		// Manifests: each workload stands for its pods, unless a
		// controller among them owns it.
		for _, w := range workloads {
			if ref := metav1.GetControllerOfNoCopy(w.Meta); ref != nil && in.owners[ref.UID] != nil {
				continue
			}
			in.pods = append(in.pods, w)
		}
	}
	return in
}

// workloadOf names what made a pod: its top controller, as "Kind
// namespace/name".
func (in *graphInput) workloadOf(o *k8s.Object) string {
	top := o
	for range 8 {
		ref := metav1.GetControllerOfNoCopy(top.Meta)
		if ref == nil {
			break
		}
		owner := in.owners[ref.UID]
		if owner == nil {
			return ref.Kind + " " + o.Namespace() + "/" + ref.Name
		}
		top = owner
	}
	return top.Kind + " " + top.Namespace() + "/" + top.Name()
}

// PrivilegedAllowed reports whether Pod Security lets a namespace run
// privileged pods: its enforce label is privileged or missing (the API
// server's default, unless its admission configuration sets another).
func (in *graphInput) privilegedAllowed(namespace string) bool {
	o := in.namespaces[namespace]
	if o == nil {
		return true
	}
	switch o.Meta.Labels["pod-security.kubernetes.io/enforce"] {
	case "baseline", "restricted":
		return false
	}
	return true
}

type builder struct {
	m  *Model
	in *graphInput
	g  *Graph
	// out and seen keep edges unique per (from, to).
	seen map[[2]int]bool
	// roleCaps caches what each role grants, per scope.
	roleCaps map[roleCapsKey]*roleCaps
	// groupTargets are the vertices a group's own edges reach, so that a
	// member does not repeat them.
	groupTargets map[int]map[int]bool
	// powerful ClusterRoles: binding them is holding full control.
	fullRoles map[string]bool
	// saByName are the service account vertices of each name, in the
	// order they were made.
	saByName map[string][]int
}

type roleCapsKey struct {
	role    roleKey
	cluster bool
}

// Graph builds the escalation graph of the model and the objects beside
// it (service accounts, pods or workloads, nodes, namespaces, the
// metadata of Secrets), and works out every vertex's shortest path to
// cluster-admin.
func (m *Model) Graph(objs []*k8s.Object) *Graph {
	m.aggregate()
	b := &builder{m: m, in: readInput(objs), g: &Graph{ids: map[string]int{}}, seen: map[[2]int]bool{},
		roleCaps: map[roleCapsKey]*roleCaps{}, groupTargets: map[int]map[int]bool{}, fullRoles: map[string]bool{"cluster-admin": true},
		saByName: map[string][]int{}}
	b.vertex(Vertex{Kind: VertexClusterAdmin})
	for k, r := range m.roles {
		if k.namespace == "" && capsOfRules(r.rules, true)[capFull] != nil {
			b.fullRoles[k.name] = true
		}
	}
	b.subjects()
	b.workloads()
	b.nodes()
	b.capabilities()
	b.g.shortestPaths()
	return b.g
}

func (b *builder) vertex(v Vertex) int {
	id := v.ID()
	if i, ok := b.g.ids[id]; ok {
		return i
	}
	v.Steps = -1
	b.g.Vertices = append(b.g.Vertices, v)
	b.g.ids[id] = len(b.g.Vertices) - 1
	return len(b.g.Vertices) - 1
}

func (b *builder) edge(from, to int, how, why string, bindings []string, free bool) {
	k := [2]int{from, to}
	if from == to || b.seen[k] {
		return
	}
	b.seen[k] = true
	b.g.Edges = append(b.g.Edges, Edge{From: from, To: to, How: how, Why: why, Bindings: bindings, Free: free})
}

func (b *builder) anySA(namespace string) int {
	i := b.vertex(Vertex{Kind: VertexAnyServiceAccount, Namespace: namespace})
	if namespace != "" {
		b.edge(b.vertex(Vertex{Kind: VertexAnyServiceAccount}), i, "choice", "", nil, true)
	}
	return i
}

func (b *builder) anyPod(namespace string) int {
	i := b.vertex(Vertex{Kind: VertexAnyPod, Namespace: namespace})
	if namespace != "" {
		b.edge(b.vertex(Vertex{Kind: VertexAnyPod}), i, "choice", "", nil, true)
	}
	return i
}

func (b *builder) serviceAccount(namespace, name string) int {
	n := len(b.g.Vertices)
	i := b.vertex(Vertex{Kind: VertexServiceAccount, Namespace: namespace, Name: name})
	if i == n { // new
		b.saByName[name] = append(b.saByName[name], i)
		b.edge(b.anySA(namespace), i, "choice", "", nil, true)
	}
	return i
}

// subjects makes a vertex of every subject: those bindings name, every
// service account (and each namespace's default one), and the implicit
// groups.
func (b *builder) subjects() {
	namespaces := map[string]bool{}
	for ns := range b.in.namespaces {
		namespaces[ns] = true
	}
	for k := range b.in.sas {
		namespaces[k[0]] = true
	}
	for _, p := range b.in.pods {
		namespaces[p.Namespace()] = true
	}
	for _, ns := range slices.Sorted(maps.Keys(namespaces)) {
		b.serviceAccount(ns, "default")
	}
	for _, k := range slices.SortedFunc(maps.Keys(b.in.sas), func(a, c [2]string) int { return cmp.Or(strings.Compare(a[0], c[0]), strings.Compare(a[1], c[1])) }) {
		b.serviceAccount(k[0], k[1])
	}
	nonDefault := map[int]bool{}
	for _, bd := range b.m.bindings {
		for _, s := range bd.Subjects {
			v := -1
			switch s.Kind {
			case rbacv1.UserKind:
				v = b.vertex(Vertex{Kind: VertexUser, Name: s.Name})
			case rbacv1.GroupKind:
				v = b.vertex(Vertex{Kind: VertexGroup, Name: s.Name})
			case rbacv1.ServiceAccountKind:
				if ns := subjectNamespace(bd, s); ns != "" {
					v = b.serviceAccount(ns, s.Name)
				}
			}
			if v < 0 {
				continue
			}
			if bd.Default && !nonDefault[v] {
				b.g.Vertices[v].Default = true
			} else if !bd.Default {
				nonDefault[v] = true
				b.g.Vertices[v].Default = false
			}
		}
	}
	if i := b.g.Lookup("Group:" + SuperuserGroup); i >= 0 {
		b.edge(i, AdminVertex, "superuser", "members of "+SuperuserGroup+" may do anything: the API server allows them before RBAC is asked", nil, false)
	}
	if b.g.Lookup("Group:system:unauthenticated") >= 0 {
		b.vertex(Vertex{Kind: VertexUser, Name: "system:anonymous"})
	}
}

// memberships are the free edges from a subject to the implicit groups it
// is in (when a binding names the group).
func (b *builder) memberships(v int) []int {
	x := &b.g.Vertices[v]
	s := Subject{Kind: x.Kind, Namespace: x.Namespace, Name: x.Name}
	var out []int
	for _, grp := range s.Groups() {
		if i := b.g.Lookup("Group:" + grp); i >= 0 {
			out = append(out, i)
		}
	}
	return out
}

// workloads makes a vertex of every pod (for manifests: every workload),
// with edges to the service account whose token it holds and to its node
// when it can take the node.
func (b *builder) workloads() {
	for _, o := range b.in.pods {
		ns := o.Namespace()
		v := Vertex{Kind: VertexPod, Namespace: ns, Name: o.Name()}
		if b.in.live {
			v.Workload = b.in.workloadOf(o)
		} else {
			// A workload stands for its pods; kinds may share a name.
			v.Name = o.Kind + "/" + o.Name()
			v.Workload = o.Kind + " " + ns + "/" + o.Name()
		}
		p := b.vertex(v)
		b.edge(b.anyPod(ns), p, "choice", "", nil, true)
		spec := o.Pod.Spec
		saName := cmp.Or(spec.ServiceAccountName, spec.DeprecatedServiceAccount, "default")
		if b.tokenMounted(o, saName) {
			b.edge(p, b.serviceAccount(ns, saName), "token-in-pod",
				fmt.Sprintf("the pod holds the token of service account %s/%s: any process in it can read it", ns, saName), nil, false)
		}
		if why := nodeAccess(spec); why != "" {
			node := Vertex{Kind: VertexNode, Name: spec.NodeName}
			if !b.in.live {
				node.Name = ""
			}
			if b.in.live && spec.NodeName == "" {
				continue // not scheduled: on no node yet
			}
			b.edge(p, b.vertex(node), "escape", why, nil, false)
		}
	}
}

// tokenMounted reports whether a pod holds its service account's token:
// for a pod read from a cluster, whether a projected token volume is
// there; otherwise as automountServiceAccountToken says (the pod's, else
// the service account's; true when neither says).
func (b *builder) tokenMounted(o *k8s.Object, sa string) bool {
	spec := o.Pod.Spec
	if b.in.live {
		for _, v := range spec.Volumes {
			if v.Projected != nil {
				for _, s := range v.Projected.Sources {
					if s.ServiceAccountToken != nil {
						return true
					}
				}
			}
			if v.Secret != nil && strings.HasPrefix(v.Secret.SecretName, sa+"-token-") {
				return true
			}
		}
		return false
	}
	if spec.AutomountServiceAccountToken != nil {
		return *spec.AutomountServiceAccountToken
	}
	if s := b.in.sas[[2]string{o.Namespace(), sa}]; s != nil && s.AutomountServiceAccountToken != nil {
		return *s.AutomountServiceAccountToken
	}
	return true
}

// nodeAccess says how a pod with this spec takes its node, or "".
func nodeAccess(spec *corev1.PodSpec) string {
	for _, c := range allContainers(spec) {
		sc := c.SecurityContext
		if sc == nil {
			continue
		}
		if sc.Privileged != nil && *sc.Privileged {
			return fmt.Sprintf("container %q is privileged: it can mount the node's disks and load kernel modules, so it is root on the node", c.Name)
		}
		if sc.Capabilities != nil {
			for _, cp := range sc.Capabilities.Add {
				switch strings.TrimPrefix(strings.ToUpper(string(cp)), "CAP_") {
				case "SYS_ADMIN", "SYS_MODULE":
					return fmt.Sprintf("container %q has the capability %s, enough to break out to the node", c.Name, cp)
				case "SYS_PTRACE":
					if spec.HostPID {
						return fmt.Sprintf("container %q has SYS_PTRACE in the node's process namespace (hostPID): it can enter any process of the node", c.Name)
					}
				}
			}
		}
	}
	for _, v := range spec.Volumes {
		if v.HostPath == nil {
			continue
		}
		if what := hostPathGivesNode(v.HostPath.Path); what != "" {
			return fmt.Sprintf("volume %q mounts %s from the node", v.Name, what)
		}
	}
	return ""
}

func allContainers(spec *corev1.PodSpec) []corev1.Container {
	out := slices.Concat(spec.InitContainers, spec.Containers)
	for _, e := range spec.EphemeralContainers {
		out = append(out, corev1.Container(e.EphemeralContainerCommon))
	}
	return out
}

// nodePaths are node directories a hostPath volume of which gives the
// node (or every token on it): runtime sockets, the root file system,
// /etc, kernel interfaces, the kubelet's and Kubernetes' directories, and
// home directories.
var nodePaths = []struct{ path, what string }{
	{"/var/run/docker.sock", "the Docker socket"}, {"/run/docker.sock", "the Docker socket"},
	{"/var/run/containerd", "containerd's socket"}, {"/run/containerd", "containerd's socket"},
	{"/var/run/crio", "CRI-O's socket"}, {"/run/crio", "CRI-O's socket"},
	{"/var/run/cri-dockerd.sock", "cri-dockerd's socket"}, {"/run/cri-dockerd.sock", "cri-dockerd's socket"},
	{"/var/run", "/var/run (the container runtime's socket)"}, {"/run", "/run (the container runtime's socket)"},
	{"/var/lib/docker", "Docker's data"}, {"/var/lib/containerd", "containerd's data"},
	{"/var/lib/kubelet", "the kubelet's directory (every pod's tokens and secrets)"},
	{"/etc/kubernetes", "the Kubernetes configuration (credentials)"},
	{"/var/lib/etcd", "etcd's data (every secret of the cluster)"},
	{"/etc", "/etc (users, sudoers, cron, credentials)"},
	{"/proc", "/proc"}, {"/sys", "/sys"}, {"/dev", "/dev (the node's disks)"}, {"/boot", "/boot"},
	{"/root", "/root"}, {"/home", "/home"},
}

func hostPathGivesNode(p string) string {
	if p == "" {
		return ""
	}
	p = path.Clean("/" + p)
	if p == "/" {
		return "its root file system"
	}
	for _, np := range nodePaths {
		if p == np.path || strings.HasPrefix(p, np.path+"/") {
			return p + ", " + np.what
		}
	}
	return ""
}

// nodes links every node to the tokens of the pods on it, and a
// control-plane node to cluster-admin; "any node" to every node.
func (b *builder) nodes() {
	named := 0
	for _, n := range b.in.nodes {
		v := b.vertex(Vertex{Kind: VertexNode, Name: n.Name()})
		named++
		if _, cp := n.Meta.Labels["node-role.kubernetes.io/control-plane"]; cp {
			b.edge(v, AdminVertex, "control-plane-node", "a control-plane node holds the cluster's administrator credentials and CA keys (/etc/kubernetes)", nil, false)
		} else if _, master := n.Meta.Labels["node-role.kubernetes.io/master"]; master {
			b.edge(v, AdminVertex, "control-plane-node", "a control-plane node holds the cluster's administrator credentials and CA keys (/etc/kubernetes)", nil, false)
		}
	}
	// Tokens on nodes: root on a node reads every token the kubelet
	// mounted there.
	for _, o := range b.in.pods {
		spec := o.Pod.Spec
		saName := cmp.Or(spec.ServiceAccountName, spec.DeprecatedServiceAccount, "default")
		if !b.tokenMounted(o, saName) {
			continue
		}
		var node int
		switch {
		case b.in.live && spec.NodeName != "":
			node = b.vertex(Vertex{Kind: VertexNode, Name: spec.NodeName})
		case !b.in.live && o.Kind == "DaemonSet":
			node = b.vertex(Vertex{Kind: VertexNode})
		default:
			continue
		}
		what := "pod " + o.Namespace() + "/" + o.Name()
		if !b.in.live {
			what = "DaemonSet " + o.Namespace() + "/" + o.Name() + ", which runs on every node"
		}
		b.edge(node, b.serviceAccount(o.Namespace(), saName), "token-on-node",
			fmt.Sprintf("root on the node reads the token of service account %s/%s from the kubelet's directory (mounted in %s)", o.Namespace(), saName, what), nil, false)
	}
	if i := b.g.Lookup(VertexNode); i >= 0 || named > 0 {
		anyNode := b.vertex(Vertex{Kind: VertexAnyNode})
		for v := range b.g.Vertices {
			if b.g.Vertices[v].Kind == VertexNode {
				b.edge(anyNode, v, "choice", "", nil, true)
			}
		}
	}
}

func (b *builder) capsOf(bd *Binding) *roleCaps {
	var k roleCapsKey
	switch bd.RoleRef.Kind {
	case "ClusterRole":
		k = roleCapsKey{roleKey{"", bd.RoleRef.Name}, bd.Namespace == ""}
	case "Role":
		k = roleCapsKey{roleKey{bd.Namespace, bd.RoleRef.Name}, false}
	default:
		return &roleCaps{}
	}
	if rc, ok := b.roleCaps[k]; ok {
		return rc
	}
	rc := capsOfRules(b.m.rulesOf(bd), k.cluster)
	b.roleCaps[k] = rc
	return rc
}

// bindingsOf are the bindings naming a subject vertex directly.
func (b *builder) bindingsOf(v *Vertex) []*Binding {
	switch v.Kind {
	case VertexUser:
		return b.m.byUser[v.Name]
	case VertexGroup:
		return b.m.byGroup[v.Name]
	case VertexServiceAccount:
		return b.m.byUser[ServiceAccountUser(v.Namespace, v.Name)]
	}
	return nil
}

// capabilities adds every subject's edges. Groups go first: a member does
// not repeat what its group already reaches, but gets a free edge to it.
func (b *builder) capabilities() {
	groupCaps := map[int]capSet{}
	n := len(b.g.Vertices)
	for v := range n {
		if b.g.Vertices[v].Kind != VertexGroup {
			continue
		}
		cs := capSet{}
		for _, bd := range b.bindingsOf(&b.g.Vertices[v]) {
			cs.add(bd, b.capsOf(bd))
		}
		groupCaps[v] = cs
		before := len(b.g.Edges)
		b.subjectEdges(v, cs)
		targets := map[int]bool{}
		for _, e := range b.g.Edges[before:] {
			targets[e.To] = true
		}
		b.groupTargets[v] = targets
	}
	for v := range n {
		x := &b.g.Vertices[v]
		if x.Kind != VertexUser && x.Kind != VertexServiceAccount {
			continue
		}
		own := b.bindingsOf(x)
		groups := b.memberships(v)
		useful := groups[:0:0]
		for _, gv := range groups {
			if len(b.groupTargets[gv]) > 0 {
				useful = append(useful, gv)
			}
		}
		if len(own) == 0 && len(useful) == 0 {
			continue
		}
		cs := capSet{}
		for _, bd := range own {
			cs.add(bd, b.capsOf(bd))
		}
		// What the subject holds with its groups' grants: a combination
		// (bind from one, create bindings from another) is an edge the
		// group alone lacks.
		if len(own) > 0 {
			for _, gv := range useful {
				for k, g := range groupCaps[gv] {
					cs[k] = cs[k].merge(g)
				}
			}
		}
		for _, gv := range useful {
			b.edge(v, gv, "member", "a member of group "+b.g.Vertices[gv].Name+" holds its permissions", nil, true)
		}
		if len(own) == 0 {
			continue
		}
		before := len(b.g.Edges)
		b.subjectEdges(v, cs)
		// Drop what a group already gives.
		kept := b.g.Edges[:before]
		for _, e := range b.g.Edges[before:] {
			dup := false
			for _, gv := range useful {
				if b.groupTargets[gv][e.To] {
					dup = true
					break
				}
			}
			if !dup {
				kept = append(kept, e)
			}
		}
		b.g.Edges = kept
	}
}

// subjectEdges adds the edges of one subject holding cs.
func (b *builder) subjectEdges(v int, cs capSet) {
	scope := func(ns string) string {
		if ns == "" {
			return "in every namespace"
		}
		return "in namespace " + ns
	}
	bindings := func(gs ...*capGrant) []string {
		var out []string
		for _, g := range gs {
			if g == nil {
				continue
			}
			for _, x := range g.bindings {
				if !slices.Contains(out, x) {
					out = append(out, x)
				}
			}
		}
		return out
	}
	// Full control.
	for _, ns := range cs.places(capFull) {
		g := cs[capKey{capFull, ns}]
		if ns == "" {
			b.edge(v, AdminVertex, "full-control", "holds every verb on every resource in every namespace: cluster-admin in all but name", g.bindings, false)
			continue
		}
		b.edge(v, b.anySA(ns), "namespace-admin", "holds every verb on every resource in namespace "+ns+": it runs pods as any of its service accounts", g.bindings, false)
	}
	// Pods and workloads: any service account of the namespace, and the
	// node where Pod Security lets pods be privileged.
	relabel := cs[capKey{capRelabelNamespaces, ""}]
	pv := cs[capKey{capCreatePV, ""}]
	for _, c := range []capability{capCreatePods, capWriteWorkloads} {
		what := "creates pods"
		how := "create-pods"
		if c == capWriteWorkloads {
			what, how = "creates or changes workloads (Deployments, DaemonSets, Jobs, ...)", "write-workloads"
		}
		for _, ns := range cs.places(c) {
			g := cs[capKey{c, ns}]
			if !g.all {
				// Rules naming objects cannot create any (a create request
				// has no name), and change only those named.
				continue
			}
			b.edge(v, b.anySA(ns), how, what+" "+scope(ns)+", which run as any service account there", g.bindings, false)
			privNS := ns
			if ns == "" {
				privNS = b.privilegedNamespace()
			}
			switch {
			case privNS != "" && b.in.privilegedAllowed(privNS):
				b.edge(v, b.anyNode(), how+"-privileged", what+" "+scope(ns)+"; Pod Security lets namespace "+privNS+" run privileged pods, and a pod may name the node it runs on (spec.nodeName)", g.bindings, false)
			case relabel != nil:
				b.edge(v, b.anyNode(), "relabel-namespace", what+" "+scope(ns)+", and may change namespaces' Pod Security labels to privileged, then run a privileged pod on any node", bindings(g, relabel), false)
			case pv != nil && cs.at(capCreatePVC, ns) != nil:
				b.edge(v, b.anyNode(), "hostpath-volume", what+" "+scope(ns)+", and creates PersistentVolumes and claims: a hostPath volume mounts a node's disk past Pod Security", bindings(g, pv, cs.at(capCreatePVC, ns)), false)
			}
		}
	}
	// Exec, attach, ephemeral containers, changing pods.
	for _, c := range []capability{capExec, capUpdatePods} {
		what, how := "runs commands in pods (exec, attach or ephemeral containers)", "exec"
		if c == capUpdatePods {
			what, how = "changes pods (a container's image)", "update-pods"
		}
		for _, ns := range cs.places(c) {
			g := cs[capKey{c, ns}]
			if g.all {
				b.edge(v, b.anyPod(ns), how, what+" "+scope(ns), g.bindings, false)
				continue
			}
			for _, name := range g.names {
				for p := range b.podsNamed(ns, name) {
					b.edge(v, p, how, what+": "+name, g.bindings, false)
				}
			}
		}
	}
	// Tokens: minted, impersonated, or read from legacy token Secrets.
	for _, ns := range cs.places(capToken) {
		b.saEdges(v, cs[capKey{capToken, ns}], ns, "create-token", "creates service account tokens "+scope(ns))
	}
	for _, ns := range cs.places(capImpersonateSAs) {
		b.saEdges(v, cs[capKey{capImpersonateSAs, ns}], ns, "impersonate", "impersonates service accounts "+scope(ns))
	}
	for _, t := range b.in.tokens {
		if g := cs.at(capReadSecrets, t.namespace); g.covers(t.name) {
			b.edge(v, b.serviceAccount(t.namespace, t.sa), "read-token-secret",
				fmt.Sprintf("reads Secret %s/%s, the long-lived token of service account %s/%s", t.namespace, t.name, t.namespace, t.sa), g.bindings, false)
		}
	}
	for _, ns := range cs.places(capCreateSecrets) {
		read := cs.at(capReadSecrets, ns)
		if read == nil {
			continue
		}
		b.edge(v, b.anySA(ns), "token-secret", "creates and reads Secrets "+scope(ns)+
			": a Secret of type kubernetes.io/service-account-token is filled with a token of the service account it names", bindings(cs[capKey{capCreateSecrets, ns}], read), false)
	}
	// Impersonating users and groups.
	if g := cs[capKey{capImpersonateGroups, ""}]; g != nil {
		if g.covers(SuperuserGroup) {
			b.edge(v, AdminVertex, "impersonate", "impersonates the group "+SuperuserGroup+", which may do anything", g.bindings, false)
		} else {
			for _, name := range g.names {
				if i := b.g.Lookup("Group:" + name); i >= 0 {
					b.edge(v, i, "impersonate", "impersonates group "+name, g.bindings, false)
				}
			}
		}
	}
	if g := cs[capKey{capImpersonateUsers, ""}]; g != nil {
		if g.all {
			b.edge(v, b.vertex(Vertex{Kind: VertexAnyUser}), "impersonate", "impersonates any user", g.bindings, false)
		} else {
			for _, name := range g.names {
				b.edge(v, b.vertex(Vertex{Kind: VertexUser, Name: name}), "impersonate", "impersonates user "+name, g.bindings, false)
			}
		}
	}
	// Bind and escalate.
	crb := cs[capKey{capCreateClusterRoleBindings, ""}]
	if g := cs[capKey{capBindClusterRoles, ""}]; g != nil && crb != nil && b.bindsFull(g) {
		b.edge(v, AdminVertex, "bind", "binds any ClusterRole, cluster-admin included (the bind verb), and creates ClusterRoleBindings", bindings(g, crb), false)
	}
	if esc, w := cs[capKey{capEscalateClusterRoles, ""}], cs[capKey{capWriteClusterRoles, ""}]; esc != nil && w != nil {
		if crb != nil {
			b.edge(v, AdminVertex, "escalate", "writes ClusterRoles with permissions it does not hold (the escalate verb) and creates ClusterRoleBindings", bindings(esc, w, crb), false)
		} else if b.holdsClusterRole(v) {
			b.edge(v, AdminVertex, "escalate", "adds any permission to the ClusterRoles bound to it (the escalate verb)", bindings(esc, w), false)
		}
	}
	for _, ns := range cs.places(capCreateRoleBindings) {
		rb := cs[capKey{capCreateRoleBindings, ns}]
		targets := []string{ns}
		if ns == "" {
			targets = []string{""}
		}
		for _, t := range targets {
			if g := cs.at(capBindClusterRoles, t); g != nil && b.bindsFull(g) {
				b.edge(v, b.anySA(t), "bind", "binds any ClusterRole (the bind verb) with RoleBindings "+scope(t)+": admin of the namespace, so any of its service accounts", bindings(g, rb), false)
				continue
			}
			esc, w := cs.at(capEscalateRoles, t), cs.at(capWriteRoles, t)
			if esc != nil && w != nil {
				b.edge(v, b.anySA(t), "escalate", "writes Roles with permissions it does not hold (the escalate verb) and binds them "+scope(t), bindings(esc, w, rb), false)
			}
		}
	}
	// nodes/proxy: the kubelet API of every node.
	if g := cs[capKey{capNodesProxy, ""}]; g != nil {
		b.edge(v, b.anyPod(""), "nodes-proxy", "reaches every kubelet's API through nodes/proxy, which runs commands in any container", g.bindings, false)
	}
	// Certificates: approve a CSR for the group system:masters.
	if create, approve, signer := cs[capKey{capCreateCSR, ""}], cs[capKey{capApproveCSR, ""}], cs[capKey{capApproveSigner, ""}]; create != nil && approve != nil &&
		(signer.covers("kubernetes.io/kube-apiserver-client") || signer.covers("kubernetes.io/*")) {
		b.edge(v, AdminVertex, "approve-csr", "creates and approves a certificate signing request for signer kubernetes.io/kube-apiserver-client with organisation "+SuperuserGroup+": a client certificate of a superuser", bindings(create, approve, signer), false)
	}
	// Mutating admission: rewrite every pod created from now on.
	if g := cs[capKey{capMutatingAdmission, ""}]; g != nil {
		b.edge(v, AdminVertex, "mutating-webhook", "writes mutating webhook configurations: its webhook rewrites every object created, so pods the controllers make in kube-system run what it says", g.bindings, false)
	}
}

// saEdges links a subject to the service accounts a grant covers in ns.
func (b *builder) saEdges(v int, g *capGrant, ns, how, why string) {
	if g.all {
		b.edge(v, b.anySA(ns), how, why, g.bindings, false)
		return
	}
	for _, name := range g.names {
		if ns != "" {
			b.edge(v, b.serviceAccount(ns, name), how, why+": "+name, g.bindings, false)
			continue
		}
		for _, sa := range b.saByName[name] {
			b.edge(v, sa, how, why+": "+name, g.bindings, false)
		}
	}
}

// bindsFull reports whether a bind grant covers a ClusterRole with full
// control.
func (b *builder) bindsFull(g *capGrant) bool {
	if g.all {
		return true
	}
	for _, n := range g.names {
		if b.fullRoles[n] {
			return true
		}
	}
	return false
}

// holdsClusterRole reports whether a ClusterRoleBinding names the subject.
func (b *builder) holdsClusterRole(v int) bool {
	for _, bd := range b.bindingsOf(&b.g.Vertices[v]) {
		if bd.Namespace == "" && bd.RoleRef.Kind == "ClusterRole" {
			return true
		}
	}
	return false
}

func (b *builder) anyNode() int {
	i := b.vertex(Vertex{Kind: VertexAnyNode})
	if len(b.in.nodes) == 0 {
		b.edge(i, b.vertex(Vertex{Kind: VertexNode}), "choice", "", nil, true)
	}
	return i
}

// privilegedNamespace is a namespace where Pod Security allows privileged
// pods, for subjects that create pods everywhere: kube-system if so, else
// the first in order; "" if none.
func (b *builder) privilegedNamespace() string {
	if b.in.privilegedAllowed("kube-system") {
		return "kube-system"
	}
	for _, ns := range slices.Sorted(maps.Keys(b.in.namespaces)) {
		if b.in.privilegedAllowed(ns) {
			return ns
		}
	}
	return ""
}

// podsNamed yields the pod vertices of a namespace with a name.
func (b *builder) podsNamed(ns, name string) map[int]bool {
	out := map[int]bool{}
	if i := b.g.Lookup(VertexPod + ":" + ns + "/" + name); i >= 0 {
		out[i] = true
	}
	return out
}

// shortestPaths computes every vertex's distance to cluster-admin and the
// first edge of a shortest path, by a breadth-first search backwards from
// cluster-admin in which free edges cost nothing (0-1 BFS): linear in the
// size of the graph.
func (g *Graph) shortestPaths() {
	n := len(g.Vertices)
	in := make([][]int, n)
	for i, e := range g.Edges {
		in[e.To] = append(in[e.To], i)
	}
	g.next = make([]int, n)
	for i := range g.next {
		g.next[i] = -1
	}
	dist := make([]int, n)
	for i := range dist {
		dist[i] = -1
	}
	dist[AdminVertex] = 0
	// A deque as two stacks would reorder; a ring buffer keeps FIFO.
	deque := make([]int, 0, n)
	front := []int{AdminVertex}
	for len(front) > 0 || len(deque) > 0 {
		var u int
		if len(front) > 0 {
			u, front = front[len(front)-1], front[:len(front)-1]
		} else {
			u, deque = deque[0], deque[1:]
		}
		for _, ei := range in[u] {
			e := &g.Edges[ei]
			w := 1
			if e.Free {
				w = 0
			}
			d := dist[u] + w
			if dist[e.From] >= 0 && dist[e.From] <= d {
				continue
			}
			dist[e.From] = d
			g.next[e.From] = ei
			if w == 0 {
				front = append(front, e.From)
			} else {
				deque = append(deque, e.From)
			}
		}
	}
	for i := range g.Vertices {
		g.Vertices[i].Steps = dist[i]
	}
}
