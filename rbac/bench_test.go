package rbac

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/dozor-dev/dozor/k8s"
)

// benchModel is a cluster of 500 namespaces with 10 Roles and 10
// RoleBindings each (10,000 roles and bindings), 5,000 service accounts
// bound, 200 ClusterRoles and ClusterRoleBindings.
func benchModel() *Model {
	m := New()
	verbs := [][]string{{"get", "list", "watch"}, {"create", "update", "patch", "delete"}, {"*"}}
	res := [][]string{{"pods", "pods/log"}, {"deployments", "replicasets"}, {"secrets"}, {"configmaps"}, {"*"}}
	for i := range 200 {
		m.AddClusterRole(&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cr%d", i)},
			Rules: []rbacv1.PolicyRule{{Verbs: verbs[i%3], APIGroups: []string{"", "apps"}, Resources: res[i%5]}}})
		m.AddClusterRoleBinding(&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("crb%d", i)},
			RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: fmt.Sprintf("cr%d", i)}, Subjects: []rbacv1.Subject{{Kind: "Group", Name: fmt.Sprintf("g%d", i%20)}}})
	}
	for n := range 500 {
		ns := fmt.Sprintf("ns%d", n)
		for i := range 10 {
			m.AddRole(&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("r%d", i)},
				Rules: []rbacv1.PolicyRule{{Verbs: verbs[(n+i)%3], APIGroups: []string{""}, Resources: res[(n+i)%5], ResourceNames: nil}}})
			m.AddRoleBinding(&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("rb%d", i)},
				RoleRef:  rbacv1.RoleRef{Kind: "Role", Name: fmt.Sprintf("r%d", i)},
				Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns, Name: fmt.Sprintf("sa%d", i)}}})
		}
	}
	return m
}

// BenchmarkWhoCan asks one who-can question of the model (the issue's
// target is under 10 ms).
func BenchmarkWhoCan(b *testing.B) {
	m := benchModel()
	a := &Attributes{Verb: "get", Resource: "secrets", Namespace: "ns250"}
	m.WhoCan(a)
	b.ResetTimer()
	for b.Loop() {
		m.WhoCan(a)
	}
}

// BenchmarkAllowed asks whether one service account may do something.
func BenchmarkAllowed(b *testing.B) {
	m := benchModel()
	a := &Attributes{User: ServiceAccountUser("ns250", "sa3"), Groups: []string{"system:serviceaccounts", "g3"}, Verb: "delete", Resource: "secrets", Namespace: "ns250"}
	m.Allowed(a)
	b.ResetTimer()
	for b.Loop() {
		m.Allowed(a)
	}
}

// BenchmarkBuild builds the model.
func BenchmarkBuild(b *testing.B) {
	for b.Loop() {
		benchModel()
	}
}

// BenchmarkRisks finds every dangerous access of every subject.
func BenchmarkRisks(b *testing.B) {
	m := benchModel()
	b.ResetTimer()
	for b.Loop() {
		m.Risks(false)
	}
}

// benchObjects is benchModel's cluster as objects, with what the graph
// reads beside RBAC: the 500 namespaces (every fifth with Pod Security
// enforced), their 5,000 service accounts, a pod of each on one of 100
// nodes (a tenth privileged), legacy token Secrets, and 10 service
// accounts bound to cluster-admin.
func benchObjects() []*k8s.Object {
	m := benchModel()
	var objs []*k8s.Object
	add := func(kind string, o interface {
		runtime.Object
		metav1.Object
	}, meta *metav1.ObjectMeta) {
		obj := &k8s.Object{Kind: kind, Meta: meta, Typed: o}
		obj.Pod = k8s.PodTemplateOf(o)
		objs = append(objs, obj)
	}
	for k, r := range m.roles {
		if k.namespace == "" {
			cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: k.name}, Rules: r.rules}
			add("ClusterRole", cr, &cr.ObjectMeta)
		} else {
			ro := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: k.namespace, Name: k.name}, Rules: r.rules}
			add("Role", ro, &ro.ObjectMeta)
		}
	}
	cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin"}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}}
	add("ClusterRole", cr, &cr.ObjectMeta)
	for _, b := range m.bindings {
		if b.Namespace == "" {
			crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: b.Name}, RoleRef: b.RoleRef, Subjects: b.Subjects}
			add("ClusterRoleBinding", crb, &crb.ObjectMeta)
		} else {
			rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: b.Namespace, Name: b.Name}, RoleRef: b.RoleRef, Subjects: b.Subjects}
			add("RoleBinding", rb, &rb.ObjectMeta)
		}
	}
	for i := range 10 {
		crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("admins%d", i)},
			RoleRef:  rbacv1.RoleRef{Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: fmt.Sprintf("ns%d", i*50), Name: "sa0"}}}
		add("ClusterRoleBinding", crb, &crb.ObjectMeta)
	}
	for i := range 100 {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node%d", i)}}
		add("Node", n, &n.ObjectMeta)
	}
	for n := range 500 {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ns%d", n)}}
		if n%5 == 0 {
			ns.Labels = map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}
		}
		add("Namespace", ns, &ns.ObjectMeta)
		for i := range 10 {
			sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: fmt.Sprintf("sa%d", i)}}
			add("ServiceAccount", sa, &sa.ObjectMeta)
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: fmt.Sprintf("pod%d", i)},
				Spec: corev1.PodSpec{NodeName: fmt.Sprintf("node%d", (n*10+i)%100), ServiceAccountName: sa.Name,
					Containers: []corev1.Container{{Name: "c", Image: "example/app:1", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To((n+i)%10 == 0)}}},
					Volumes:    []corev1.Volume{{Name: "token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}}}}}}}}
			add("Pod", pod, &pod.ObjectMeta)
		}
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "sa1-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: "sa1"}}, Type: corev1.SecretTypeServiceAccountToken}
		add("Secret", s, &s.ObjectMeta)
	}
	return objs
}

// BenchmarkAnalysis is the whole access analysis of 10,000 roles and
// bindings, 5,000 service accounts and their pods: the model, every
// dangerous access, the escalation graph with every subject's shortest
// path to cluster-admin, and the workloads that carry one (the issue's
// target is under 2 s).
func BenchmarkAnalysis(b *testing.B) {
	objs := benchObjects()
	var paths, carriers, vertices, edges int
	for b.Loop() {
		m := FromObjects(objs, true)
		m.Risks(false)
		g := m.Graph(objs)
		paths = len(g.SubjectPaths(false, true))
		carriers = len(g.Carriers())
		vertices, edges = len(g.Vertices), len(g.Edges)
	}
	b.ReportMetric(float64(paths), "paths")
	b.ReportMetric(float64(carriers), "carriers")
	b.ReportMetric(float64(vertices), "vertices")
	b.ReportMetric(float64(edges), "edges")
}
