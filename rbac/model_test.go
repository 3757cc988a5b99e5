package rbac

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestRuleAllows(t *testing.T) {
	rule := rbacv1.PolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{"", "apps"}, Resources: []string{"pods", "deployments/scale", "*/status"}}
	named := rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"secrets"}, ResourceNames: []string{"tls"}}
	urls := rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz", "/api/*"}}
	for _, c := range []struct {
		rule rbacv1.PolicyRule
		a    Attributes
		want bool
	}{
		{rule, Attributes{Verb: "get", Resource: "pods"}, true},
		{rule, Attributes{Verb: "get", Resource: "pods", Subresource: "log"}, false}, // pods does not cover pods/log
		{rule, Attributes{Verb: "list", APIGroup: "apps", Resource: "deployments", Subresource: "scale"}, true},
		{rule, Attributes{Verb: "list", APIGroup: "apps", Resource: "deployments"}, false},
		{rule, Attributes{Verb: "get", APIGroup: "apps", Resource: "deployments", Subresource: "status"}, true}, // */status
		{rule, Attributes{Verb: "delete", Resource: "pods"}, false},
		{rule, Attributes{Verb: "get", APIGroup: "batch", Resource: "pods"}, false},
		{named, Attributes{Verb: "get", Resource: "secrets", Name: "tls"}, true},
		{named, Attributes{Verb: "list", Resource: "secrets"}, false}, // a list names nothing
		{named, Attributes{Verb: "get", Resource: "secrets", Name: "other"}, false},
		{urls, Attributes{Verb: "get", Path: "/healthz"}, true},
		{urls, Attributes{Verb: "get", Path: "/api/v1/pods"}, true},
		{urls, Attributes{Verb: "get", Path: "/apis"}, false},
		{urls, Attributes{Verb: "get", Resource: "pods"}, false},
		{rule, Attributes{Verb: "get", Path: "/healthz"}, false},
	} {
		if got := RuleAllows(&c.rule, &c.a); got != c.want {
			t.Errorf("%+v allows %+v = %v, want %v", c.rule, c.a, got, c.want)
		}
	}
}

func TestModel(t *testing.T) {
	m := New()
	m.AddClusterRole(&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "read-pods", Labels: map[string]string{"agg": "yes"}},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}})
	m.AddClusterRole(&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "agg"},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"agg": "yes"}}}}})
	m.AddRole(&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "edit-cm"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"update"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}}})
	m.AddRoleBinding(&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "rb"},
		RoleRef:  rbacv1.RoleRef{Kind: "Role", Name: "edit-cm"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: "shop", Name: "web"}, {Kind: "ServiceAccount", Name: "local"}}})
	m.AddClusterRoleBinding(&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "crb"},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "agg"}, Subjects: []rbacv1.Subject{{Kind: "Group", Name: "devs"}}})
	m.AddClusterRoleBinding(&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "to-a-role"},
		RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "edit-cm"}, Subjects: []rbacv1.Subject{{Kind: "User", Name: "eve"}}})
	for _, c := range []struct {
		a    Attributes
		want bool
	}{
		// Aggregation: "agg" has read-pods' rule.
		{Attributes{User: "ann", Groups: []string{"devs"}, Verb: "get", Resource: "pods", Namespace: "x"}, true},
		{Attributes{User: "ann", Verb: "get", Resource: "pods", Namespace: "x"}, false},
		// A RoleBinding grants in its namespace only, to a service account by its user name.
		{Attributes{User: "system:serviceaccount:shop:web", Verb: "update", Resource: "configmaps", Namespace: "shop"}, true},
		{Attributes{User: "system:serviceaccount:shop:web", Verb: "update", Resource: "configmaps", Namespace: "other"}, false},
		{Attributes{User: "system:serviceaccount:shop:web", Verb: "update", Resource: "configmaps"}, false},
		// A ClusterRoleBinding to a Role grants nothing.
		{Attributes{User: "eve", Verb: "update", Resource: "configmaps", Namespace: "shop"}, false},
		// system:masters may do anything.
		{Attributes{User: "root", Groups: []string{SuperuserGroup}, Verb: "delete", Resource: "nodes"}, true},
	} {
		if got, _, _ := m.Allowed(&c.a); got != c.want {
			t.Errorf("Allowed(%+v) = %v, want %v", c.a, got, c.want)
		}
	}
	// A RoleBinding's service account without a namespace is in the binding's.
	if got, _, _ := m.Allowed(&Attributes{User: "system:serviceaccount:shop:local", Verb: "update", Resource: "configmaps", Namespace: "shop"}); !got {
		t.Error("the RoleBinding's service account without a namespace is not granted")
	}
	who := m.WhoCan(&Attributes{Verb: "update", Resource: "configmaps", Namespace: "shop"})
	if len(who) != 2 || who[0].Subject != (Subject{Kind: "ServiceAccount", Namespace: "shop", Name: "web"}) || who[0].Binding.Name != "rb" ||
		who[1].Subject != (Subject{Kind: "ServiceAccount", Namespace: "shop", Name: "local"}) {
		t.Errorf("WhoCan = %+v", who)
	}
	// A ClusterRoleBinding's service account without a namespace matches nobody.
	m.AddClusterRoleBinding(&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "sa-no-ns"},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "read-pods"}, Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "x"}}})
	if who := m.WhoCan(&Attributes{Verb: "get", Resource: "pods", Namespace: "x"}); len(who) != 1 || who[0].Subject.Kind != "Group" {
		t.Errorf("WhoCan = %+v, want only the group devs", who)
	}
}
