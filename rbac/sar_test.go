package rbac_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/rbac"
	"github.com/dozor-dev/dozor/test/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }

// envInt reads a positive integer from the environment, or def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// vocabulary of the generated configurations.
var (
	verbs        = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "impersonate", "bind", "escalate", "use", "*"}
	groups       = []string{"", "apps", "batch", "rbac.authorization.k8s.io", "*"}
	resources    = []string{"pods", "pods/log", "pods/exec", "pods/attach", "deployments", "deployments/scale", "secrets", "configmaps", "jobs", "roles", "serviceaccounts/token", "*", "*/scale", "*/status"}
	names        = []string{"n0", "n1", "sa0"}
	urls         = []string{"/healthz", "/metrics", "/api/*", "/apis/p*", "*", "/version"}
	askVerbs     = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "impersonate", "bind", "escalate", "use", "post"}
	askGroups    = []string{"", "apps", "batch", "rbac.authorization.k8s.io", "policy"}
	askRes       = []string{"pods", "deployments", "secrets", "configmaps", "jobs", "roles", "services"}
	askSubres    = []string{"", "", "", "log", "exec", "scale", "status"}
	askPaths     = []string{"/healthz", "/metrics", "/api/v1", "/apis/policy", "/version", "/livez", "/apis"}
	rulesPerRole = 3
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func some(r *rand.Rand, xs []string, max int) []string {
	n := 1 + r.IntN(max)
	var out []string
	for range n {
		x := pick(r, xs)
		if !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func contains(xs []string, v string) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}

func resourceRule(r *rand.Rand) rbacv1.PolicyRule {
	rule := rbacv1.PolicyRule{Verbs: some(r, verbs, 3), APIGroups: some(r, groups, 2), Resources: some(r, resources, 3)}
	if r.IntN(4) == 0 {
		rule.ResourceNames = some(r, names, 2)
	}
	return rule
}

func nonResourceRule(r *rand.Rand) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: some(r, []string{"get", "post", "*"}, 2), NonResourceURLs: some(r, urls, 2)}
}

// config is one generated RBAC configuration and its subjects.
type config struct {
	prefix     string
	namespaces []string
	users      []string
	groups     []string
}

// create writes a random configuration into the cluster and returns it;
// cleanup removes it.
func create(ctx context.Context, cs *kubernetes.Clientset, r *rand.Rand, prefix string) (config, error) {
	c := config{prefix: prefix, namespaces: []string{prefix + "-a", prefix + "-b"}}
	for i := range 4 {
		c.users = append(c.users, fmt.Sprintf("%s-u%d", prefix, i))
	}
	for i := range 3 {
		c.groups = append(c.groups, fmt.Sprintf("%s-g%d", prefix, i))
	}
	for _, ns := range c.namespaces {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			return c, err
		}
	}
	var clusterRoles []string
	for i := range 6 {
		cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-cr%d", prefix, i)}}
		for range 1 + r.IntN(rulesPerRole) {
			if r.IntN(4) == 0 {
				cr.Rules = append(cr.Rules, nonResourceRule(r))
			} else {
				cr.Rules = append(cr.Rules, resourceRule(r))
			}
		}
		if i < 2 {
			cr.Labels = map[string]string{prefix + "-agg": "true"}
		}
		if _, err := cs.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{}); err != nil {
			return c, err
		}
		clusterRoles = append(clusterRoles, cr.Name)
	}
	agg := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: prefix + "-aggregated"},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{prefix + "-agg": "true"}}}}}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, agg, metav1.CreateOptions{}); err != nil {
		return c, err
	}
	clusterRoles = append(clusterRoles, agg.Name, prefix+"-missing")
	subject := func() rbacv1.Subject {
		switch r.IntN(3) {
		case 0:
			return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: pick(r, c.users)}
		case 1:
			return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: pick(r, c.groups)}
		}
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: pick(r, c.namespaces), Name: pick(r, []string{"sa0", "sa1"})}
	}
	subjects := func() []rbacv1.Subject {
		var out []rbacv1.Subject
		for range 1 + r.IntN(3) {
			out = append(out, subject())
		}
		return out
	}
	// RoleBindings may leave a service account's namespace out.
	localSubjects := func() []rbacv1.Subject {
		out := subjects()
		if r.IntN(3) == 0 {
			out = append(out, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: pick(r, []string{"sa0", "sa1"})})
		}
		return out
	}
	for _, ns := range c.namespaces {
		var roles []string
		for i := range 3 {
			role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-r%d", prefix, i)}}
			for range 1 + r.IntN(rulesPerRole) {
				role.Rules = append(role.Rules, resourceRule(r))
			}
			if _, err := cs.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
				return c, err
			}
			roles = append(roles, role.Name)
		}
		for i := range 4 {
			ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: pick(r, roles)}
			if r.IntN(2) == 0 {
				ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: pick(r, clusterRoles)}
			}
			rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-rb%d", prefix, i)}, RoleRef: ref, Subjects: localSubjects()}
			if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
				return c, err
			}
		}
	}
	for i := range 3 {
		crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-crb%d", prefix, i)},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: pick(r, clusterRoles)}, Subjects: subjects()}
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
			return c, err
		}
	}
	return c, nil
}

func cleanup(cs *kubernetes.Clientset, prefix string) {
	ctx := context.Background()
	nss, _ := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	for _, ns := range nss.Items {
		if strings.HasPrefix(ns.Name, prefix) {
			_ = cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{})
		}
	}
	crs, _ := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	for _, cr := range crs.Items {
		if strings.HasPrefix(cr.Name, prefix) {
			_ = cs.RbacV1().ClusterRoles().Delete(ctx, cr.Name, metav1.DeleteOptions{})
		}
	}
	crbs, _ := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	for _, b := range crbs.Items {
		if strings.HasPrefix(b.Name, prefix) {
			_ = cs.RbacV1().ClusterRoleBindings().Delete(ctx, b.Name, metav1.DeleteOptions{})
		}
	}
}

// load reads every role and binding of the cluster into a live model.
func load(t *testing.T, cs *kubernetes.Clientset) (*rbac.Model, *rbac.Model) {
	t.Helper()
	ctx := context.Background()
	live, manifest := rbac.NewLive(), rbac.New()
	crs, err := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range crs.Items {
		live.AddClusterRole(&crs.Items[i])
		manifest.AddClusterRole(&crs.Items[i])
	}
	roles, err := cs.RbacV1().Roles("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range roles.Items {
		live.AddRole(&roles.Items[i])
		manifest.AddRole(&roles.Items[i])
	}
	crbs, err := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range crbs.Items {
		live.AddClusterRoleBinding(&crbs.Items[i])
		manifest.AddClusterRoleBinding(&crbs.Items[i])
	}
	rbs, err := cs.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rbs.Items {
		live.AddRoleBinding(&rbs.Items[i])
		manifest.AddRoleBinding(&rbs.Items[i])
	}
	return live, manifest
}

// waitAggregated waits until the aggregation controller has written the
// rules of the roles the aggregated role selects.
func waitAggregated(t *testing.T, cs *kubernetes.Clientset, prefix string) {
	t.Helper()
	ctx := context.Background()
	want := 0
	for i := range 2 {
		cr, err := cs.RbacV1().ClusterRoles().Get(ctx, fmt.Sprintf("%s-cr%d", prefix, i), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want += len(cr.Rules)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		agg, err := cs.RbacV1().ClusterRoles().Get(ctx, prefix+"-aggregated", metav1.GetOptions{})
		if err == nil && len(agg.Rules) > 0 && len(agg.Rules) <= want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("the aggregation controller did not fill the aggregated role in 30 s")
}

func question(r *rand.Rand, c config) rbac.Attributes {
	a := rbac.Attributes{}
	switch r.IntN(5) {
	case 0, 1:
		a.User = pick(r, c.users)
	case 2:
		ns := pick(r, c.namespaces)
		sa := pick(r, []string{"sa0", "sa1"})
		a.User = rbac.ServiceAccountUser(ns, sa)
		a.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + ns}
	case 3:
		a.User = c.prefix + "-stranger"
	default:
		a.User = pick(r, c.users)
		a.Groups = append(a.Groups, "system:authenticated")
	}
	for _, g := range c.groups {
		if r.IntN(3) == 0 {
			a.Groups = append(a.Groups, g)
		}
	}
	if r.IntN(200) == 0 {
		a.Groups = append(a.Groups, rbac.SuperuserGroup)
	}
	a.Verb = pick(r, askVerbs)
	if r.IntN(5) == 0 {
		a.Path = pick(r, askPaths)
		return a
	}
	a.Namespace = pick(r, append([]string{"", "default"}, c.namespaces...))
	a.APIGroup = pick(r, askGroups)
	a.Resource = pick(r, askRes)
	a.Subresource = pick(r, askSubres)
	if r.IntN(2) == 0 {
		a.Name = pick(r, append([]string{"other"}, names...))
	}
	return a
}

func sar(a rbac.Attributes) *authorizationv1.SubjectAccessReview {
	s := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: a.User, Groups: a.Groups}}
	if a.Path != "" {
		s.Spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: a.Path, Verb: a.Verb}
	} else {
		s.Spec.ResourceAttributes = &authorizationv1.ResourceAttributes{Namespace: a.Namespace, Verb: a.Verb, Group: a.APIGroup,
			Resource: a.Resource, Subresource: a.Subresource, Name: a.Name}
	}
	return s
}

// TestAgreesWithSubjectAccessReview generates random RBAC configurations
// (wildcards, resourceNames, subresources, non-resource URLs, aggregation,
// bindings to users, groups and service accounts, bindings to roles that
// do not exist), loads them into the real API server, and asks it and the
// model the same random questions: every answer must agree, with the
// model built from the live roles and, for manifests, aggregating itself.
// Each batch of configurations also holds the escalation graph to the
// API server (checkGraph). Configurations are independent (their own
// namespaces, users, groups and roles), so a batch of them is loaded at
// once. DOZOR_RBAC_CONFIGS, DOZOR_RBAC_BATCH and DOZOR_RBAC_QUESTIONS (per
// configuration) scale it; DOZOR_RBAC_SEED replays a run.
func TestAgreesWithSubjectAccessReview(t *testing.T) {
	cl := harness.Get(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", cl.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 2000, 2000
	cs := kubernetes.NewForConfigOrDie(cfg)
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("DOZOR_RBAC_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (DOZOR_RBAC_SEED=%d replays it)", seed, seed)
	configs, batch, questions := envInt("DOZOR_RBAC_CONFIGS", 120), envInt("DOZOR_RBAC_BATCH", 40), envInt("DOZOR_RBAC_QUESTIONS", 60)
	ctx := context.Background()
	total, allowed := 0, 0
	var graphStats graphCheck
	for first := 0; first < configs; first += batch {
		n := min(batch, configs-first)
		prefix := fmt.Sprintf("pt%d-b%d-", seed%100000, first/batch)
		cfgs := make([]config, n)
		rands := make([]*rand.Rand, n)
		var g errgroup.Group
		g.SetLimit(8)
		for j := range n {
			rands[j] = rand.New(rand.NewPCG(seed, uint64(first+j)))
			g.Go(func() error {
				c, err := create(ctx, cs, rands[j], fmt.Sprintf("%sc%d", prefix, j))
				cfgs[j] = c
				return err
			})
		}
		t.Cleanup(func() { cleanup(cs, prefix) })
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		for _, c := range cfgs {
			waitAggregated(t, cs, c.prefix)
		}
		live, manifest := load(t, cs)

		// Questions come from each configuration's own random stream, so a
		// seed replays them; they are asked in parallel.
		var qs []rbac.Attributes
		for j, c := range cfgs {
			for range questions {
				qs = append(qs, question(rands[j], c))
			}
		}
		answers := askAll(t, cs, qs)
		for i := range qs {
			a, res := &qs[i], answers[i]
			total++
			if res.Allowed {
				allowed++
			}
			if got := whoCanAnswers(live, a); got != (res.Allowed && !contains(a.Groups, rbac.SuperuserGroup)) && !contains(a.Groups, rbac.SuperuserGroup) {
				t.Errorf("WhoCan names the subject %v, the API server allows %v, for %+v", got, res.Allowed, *a)
			}
			for name, m := range map[string]*rbac.Model{"live": live, "manifest": manifest} {
				got, b, _ := m.Allowed(a)
				if got != res.Allowed {
					how := ""
					if b != nil {
						how = fmt.Sprintf(" (by %s/%s)", b.Namespace, b.Name)
					}
					t.Errorf("%s model says %v%s, the API server %v (%s) for %+v", name, got, how, res.Allowed, res.Reason, *a)
				}
			}
		}
		graphStats.add(checkGraph(t, cs, live, cfgs))
		cleanup(cs, prefix)
	}
	t.Logf("%d questions over %d configurations, %d allowed by the API server; escalation graph: %d edges confirmed, %d permissions found as edges",
		total, configs, allowed, graphStats.edges, graphStats.reached)
	if allowed == 0 || allowed == total {
		t.Errorf("%d of %d allowed: the questions do not tell the answers apart", allowed, total)
	}
	if graphStats.edges == 0 || graphStats.reached == 0 {
		t.Errorf("the escalation graph was not put to the test: %+v", graphStats)
	}
}

// askAll asks the API server a SubjectAccessReview per question, eight at
// a time, and returns the answers in order.
func askAll(t *testing.T, cs *kubernetes.Clientset, qs []rbac.Attributes) []authorizationv1.SubjectAccessReviewStatus {
	t.Helper()
	out := make([]authorizationv1.SubjectAccessReviewStatus, len(qs))
	var g errgroup.Group
	g.SetLimit(8)
	for i := range qs {
		g.Go(func() error {
			res, err := cs.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), sar(qs[i]), metav1.CreateOptions{})
			if err != nil {
				return fmt.Errorf("SubjectAccessReview %+v: %w", qs[i], err)
			}
			out[i] = res.Status
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	return out
}

type graphCheck struct{ edges, reached int }

func (g *graphCheck) add(o graphCheck) { g.edges += o.edges; g.reached += o.reached }

// edgeRequests are, per kind of edge, the requests of which the API server
// must allow one for the edge to be right; namespace and name are filled
// from the edge's target.
var edgeRequests = map[string][]rbac.Attributes{
	"full-control":    {{Verb: "*", APIGroup: "*", Resource: "*"}},
	"namespace-admin": {{Verb: "*", APIGroup: "*", Resource: "*"}},
	"create-pods":     {{Verb: "create", Resource: "pods"}},
	"write-workloads": writeRequests(map[string][]string{"apps": {"deployments", "daemonsets", "statefulsets", "replicasets"},
		"batch": {"jobs", "cronjobs"}, "": {"replicationcontrollers"}}),
	"exec": {{Verb: "create", Resource: "pods", Subresource: "exec"}, {Verb: "get", Resource: "pods", Subresource: "exec"},
		{Verb: "create", Resource: "pods", Subresource: "attach"}, {Verb: "get", Resource: "pods", Subresource: "attach"},
		{Verb: "update", Resource: "pods", Subresource: "ephemeralcontainers"}, {Verb: "patch", Resource: "pods", Subresource: "ephemeralcontainers"}},
	"update-pods":  {{Verb: "update", Resource: "pods"}, {Verb: "patch", Resource: "pods"}},
	"create-token": {{Verb: "create", Resource: "serviceaccounts", Subresource: "token"}},
}

// writeRequests are create, update and patch of each resource by group.
func writeRequests(byGroup map[string][]string) []rbac.Attributes {
	var out []rbac.Attributes
	for group, resources := range byGroup {
		for _, r := range resources {
			for _, v := range []string{"create", "update", "patch"} {
				out = append(out, rbac.Attributes{Verb: v, APIGroup: group, Resource: r})
			}
		}
	}
	return out
}

// subjectOf is who asks, for a subject vertex: its user name and groups,
// implicit ones included.
func subjectOf(v *rbac.Vertex) (user string, groups []string) {
	switch v.Kind {
	case rbac.VertexServiceAccount:
		return rbac.ServiceAccountUser(v.Namespace, v.Name), []string{"system:authenticated", "system:serviceaccounts", "system:serviceaccounts:" + v.Namespace}
	case rbac.VertexUser:
		return v.Name, []string{"system:authenticated"}
	}
	return "dozor-probe", []string{v.Name}
}

// checkGraph holds the escalation graph of a batch to the API server both
// ways. Every edge a subject of the batch has, of the kinds in
// edgeRequests, must be a permission the API server grants; and every
// such permission the API server grants, asked of each subject in each
// namespace of its configuration, must be reachable in the graph.
func checkGraph(t *testing.T, cs *kubernetes.Clientset, m *rbac.Model, cfgs []config) graphCheck {
	t.Helper()
	// The service accounts the configurations name, as a cluster has them.
	var objs []*k8s.Object
	for _, c := range cfgs {
		for _, ns := range c.namespaces {
			for _, name := range []string{"sa0", "sa1"} {
				sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
				objs = append(objs, &k8s.Object{APIVersion: "v1", Kind: "ServiceAccount", Meta: &sa.ObjectMeta, Typed: sa})
			}
		}
	}
	g := m.Graph(objs)
	inBatch := func(v *rbac.Vertex) bool {
		for _, c := range cfgs {
			if strings.HasPrefix(v.Name, c.prefix+"-") || strings.HasPrefix(v.Namespace, c.prefix+"-") {
				return true
			}
		}
		return false
	}
	// Soundness: every edge is a permission.
	type claim struct {
		edge rbac.Edge
		asks []rbac.Attributes
	}
	var claims []claim
	var qs []rbac.Attributes
	for _, e := range g.Edges {
		from, to := &g.Vertices[e.From], &g.Vertices[e.To]
		reqs, ok := edgeRequests[e.How]
		if !ok || !from.Subject() || !inBatch(from) {
			continue
		}
		user, groups := subjectOf(from)
		var asks []rbac.Attributes
		for _, r := range reqs {
			r.User, r.Groups, r.Namespace = user, groups, to.Namespace
			if to.Kind == rbac.VertexServiceAccount {
				r.Name = to.Name
			}
			asks = append(asks, r)
		}
		claims = append(claims, claim{e, asks})
		qs = append(qs, asks...)
	}
	answers := askAll(t, cs, qs)
	var out graphCheck
	i := 0
	for _, c := range claims {
		ok := false
		for range c.asks {
			ok = ok || answers[i].Allowed
			i++
		}
		if !ok {
			t.Errorf("edge %s → %s (%s: %s, by %v) is not a permission the API server grants: %+v", g.Vertices[c.edge.From].ID(), g.Vertices[c.edge.To].ID(), c.edge.How, c.edge.Why, c.edge.Bindings, c.asks)
			continue
		}
		out.edges++
	}

	// Completeness: what the API server grants is in the graph.
	type probe struct {
		from int
		ask  rbac.Attributes
		// found says whether what the permission makes one is reachable.
		found func(reach map[int]bool) bool
	}
	reaches := func(ids ...string) func(map[int]bool) bool {
		return func(reach map[int]bool) bool {
			for _, id := range ids {
				if j := g.Lookup(id); j >= 0 && reach[j] {
					return true
				}
			}
			return false
		}
	}
	id := func(kind, ns, name string) string { return (&rbac.Vertex{Kind: kind, Namespace: ns, Name: name}).ID() }
	var probes []probe
	for v := range g.Vertices {
		x := &g.Vertices[v]
		if !x.Subject() || !inBatch(x) {
			continue
		}
		user, groups := subjectOf(x)
		for _, c := range cfgs {
			if !strings.HasPrefix(x.Name, c.prefix+"-") && !strings.HasPrefix(x.Namespace, c.prefix+"-") {
				continue // another configuration's subject
			}
			for _, ns := range append([]string{""}, c.namespaces...) {
				ask := rbac.Attributes{User: user, Groups: groups, Namespace: ns}
				pods, exec, token := ask, ask, ask
				pods.Verb, pods.Resource = "create", "pods"
				exec.Verb, exec.Resource, exec.Subresource = "create", "pods", "exec"
				token.Verb, token.Resource, token.Subresource, token.Name = "create", "serviceaccounts", "token", "sa0"
				tokenFound := reaches(id(rbac.VertexServiceAccount, ns, "sa0"), id(rbac.VertexAnyServiceAccount, ns, ""), id(rbac.VertexAnyServiceAccount, "", ""))
				if ns == "" {
					// Any namespace: the sa0 of each of the configuration's.
					tokenFound = func(reach map[int]bool) bool {
						if reaches(id(rbac.VertexAnyServiceAccount, "", ""))(reach) {
							return true
						}
						for _, n := range c.namespaces {
							if !reaches(id(rbac.VertexServiceAccount, n, "sa0"))(reach) {
								return false
							}
						}
						return true
					}
				}
				probes = append(probes,
					probe{v, pods, reaches(id(rbac.VertexAnyServiceAccount, ns, ""), id(rbac.VertexAnyServiceAccount, "", ""))},
					probe{v, exec, reaches(id(rbac.VertexAnyPod, ns, ""), id(rbac.VertexAnyPod, "", ""))},
					probe{v, token, tokenFound})
			}
		}
	}
	qs = qs[:0]
	for _, p := range probes {
		qs = append(qs, p.ask)
	}
	answers = askAll(t, cs, qs)
	for i, p := range probes {
		if !answers[i].Allowed {
			continue
		}
		if !p.found(reachable(g, p.from)) {
			t.Errorf("the API server lets %s %+v, but the graph does not reach what that makes it", g.Vertices[p.from].ID(), p.ask)
			continue
		}
		out.reached++
	}
	return out
}

// reachable is the set of vertices a vertex reaches by edges.
func reachable(g *rbac.Graph, from int) map[int]bool {
	out := map[int][]int{}
	for _, e := range g.Edges {
		out[e.From] = append(out[e.From], e.To)
	}
	seen := map[int]bool{from: true}
	stack := []int{from}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range out[v] {
			if !seen[w] {
				seen[w] = true
				stack = append(stack, w)
			}
		}
	}
	return seen
}

// whoCanAnswers reports whether WhoCan names the user of a, one of its
// groups, or its service account.
func whoCanAnswers(m *rbac.Model, a *rbac.Attributes) bool {
	for _, g := range m.WhoCan(a) {
		s := g.Subject
		switch s.Kind {
		case rbacv1.UserKind:
			if s.Name == a.User {
				return true
			}
		case rbacv1.GroupKind:
			if contains(a.Groups, s.Name) {
				return true
			}
		case rbacv1.ServiceAccountKind:
			if rbac.ServiceAccountUser(s.Namespace, s.Name) == a.User {
				return true
			}
		}
	}
	return false
}
