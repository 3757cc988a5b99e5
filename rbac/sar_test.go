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

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

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
	resources    = []string{"pods", "pods/log", "pods/exec", "deployments", "deployments/scale", "secrets", "configmaps", "jobs", "roles", "*", "*/scale", "*/status"}
	names        = []string{"n0", "n1"}
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
func create(t *testing.T, cs *kubernetes.Clientset, r *rand.Rand, prefix string) config {
	t.Helper()
	ctx := context.Background()
	c := config{prefix: prefix, namespaces: []string{prefix + "-a", prefix + "-b"}}
	for i := range 4 {
		c.users = append(c.users, fmt.Sprintf("%s-u%d", prefix, i))
	}
	for i := range 3 {
		c.groups = append(c.groups, fmt.Sprintf("%s-g%d", prefix, i))
	}
	for _, ns := range c.namespaces {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
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
			t.Fatal(err)
		}
		clusterRoles = append(clusterRoles, cr.Name)
	}
	agg := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: prefix + "-aggregated"},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{prefix + "-agg": "true"}}}}}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, agg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
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
				t.Fatal(err)
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
				t.Fatal(err)
			}
		}
	}
	for i := range 3 {
		crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-crb%d", prefix, i)},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: pick(r, clusterRoles)}, Subjects: subjects()}
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { cleanup(cs, prefix, c.namespaces) })
	return c
}

func cleanup(cs *kubernetes.Clientset, prefix string, namespaces []string) {
	ctx := context.Background()
	for _, ns := range namespaces {
		_ = cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	}
	crs, _ := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	for _, cr := range crs.Items {
		if strings.HasPrefix(cr.Name, prefix+"-") {
			_ = cs.RbacV1().ClusterRoles().Delete(ctx, cr.Name, metav1.DeleteOptions{})
		}
	}
	crbs, _ := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	for _, b := range crbs.Items {
		if strings.HasPrefix(b.Name, prefix+"-") {
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
// DOZOR_RBAC_CONFIGS and DOZOR_RBAC_QUESTIONS scale it; DOZOR_RBAC_SEED
// replays a run.
func TestAgreesWithSubjectAccessReview(t *testing.T) {
	cl := harness.Get(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", cl.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 1000, 1000
	cs := kubernetes.NewForConfigOrDie(cfg)
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("DOZOR_RBAC_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (DOZOR_RBAC_SEED=%d replays it)", seed, seed)
	configs, questions := envInt("DOZOR_RBAC_CONFIGS", 4), envInt("DOZOR_RBAC_QUESTIONS", 400)
	total, allowed := 0, 0
	for i := range configs {
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		prefix := fmt.Sprintf("pt%d-%d", seed%100000, i)
		c := create(t, cs, r, prefix)
		waitAggregated(t, cs, prefix)
		live, manifest := load(t, cs)
		ctx := context.Background()
		for range questions {
			a := question(r, c)
			res, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar(a), metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("SubjectAccessReview %+v: %v", a, err)
			}
			total++
			if res.Status.Allowed {
				allowed++
			}
			if got := whoCanAnswers(live, &a); got != (res.Status.Allowed && !contains(a.Groups, rbac.SuperuserGroup)) && !contains(a.Groups, rbac.SuperuserGroup) {
				t.Errorf("WhoCan names the subject %v, the API server allows %v, for %+v", got, res.Status.Allowed, a)
			}
			for name, m := range map[string]*rbac.Model{"live": live, "manifest": manifest} {
				got, b, _ := m.Allowed(&a)
				if got != res.Status.Allowed {
					how := ""
					if b != nil {
						how = fmt.Sprintf(" (by %s/%s)", b.Namespace, b.Name)
					}
					t.Errorf("%s model says %v%s, the API server %v (%s) for %+v", name, got, how, res.Status.Allowed, res.Status.Reason, a)
				}
			}
		}
	}
	t.Logf("%d questions over %d configurations, %d allowed by the API server", total, configs, allowed)
	if allowed == 0 || allowed == total {
		t.Errorf("%d of %d allowed: the questions do not tell the answers apart", allowed, total)
	}
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
