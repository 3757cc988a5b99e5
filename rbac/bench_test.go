package rbac

import (
	"fmt"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
