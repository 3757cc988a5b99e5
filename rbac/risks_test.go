package rbac

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPatternsComplete(t *testing.T) {
	if len(Patterns) < 25 {
		t.Errorf("%d patterns, want at least 25", len(Patterns))
	}
	known := map[string]bool{}
	if data, err := os.ReadFile("../../shared/data/threat-matrix/techniques.json"); err == nil {
		var ts []struct{ ID string }
		if err := json.Unmarshal(data, &ts); err != nil {
			t.Fatal(err)
		}
		for _, x := range ts {
			known[x.ID] = true
		}
	} else {
		t.Log("../shared/data/threat-matrix is missing: technique IDs are not checked")
	}
	ids := map[string]bool{}
	for _, p := range Patterns {
		if ids[p.ID] || p.Name == "" || p.Title == "" || p.Why == "" || !p.Severity.Valid() || len(p.Techniques) == 0 || (len(p.asks) == 0 && p.special == nil) {
			t.Errorf("pattern %s is incomplete or repeated", p.ID)
		}
		ids[p.ID] = true
		for _, tech := range p.Techniques {
			if len(known) > 0 && !known[tech] {
				t.Errorf("%s: %s is no Threat Matrix technique", p.ID, tech)
			}
		}
	}
}

func TestRisks(t *testing.T) {
	m := New()
	m.AddClusterRole(&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "ops"}, Rules: []rbacv1.PolicyRule{
		{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"nodes/proxy", "secrets"}},
		{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods/exec"}},
	}})
	m.AddClusterRole(&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "everything"}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}})
	m.AddClusterRole(&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "one-secret"}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"tls"}}}})
	// A RoleBinding to ops: nodes/proxy is cluster-scoped, so only the
	// namespaced parts hold.
	m.AddRoleBinding(&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "ops-in-shop"},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "ops"}, Subjects: []rbacv1.Subject{{Kind: "User", Name: "alice"}, {Kind: "ServiceAccount", Name: "default"}}})
	m.AddClusterRoleBinding(&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "ops-everywhere"},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "ops"}, Subjects: []rbacv1.Subject{{Kind: "Group", Name: "sre"}}})
	m.AddClusterRoleBinding(&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "all-of-it"},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "everything"}, Subjects: []rbacv1.Subject{{Kind: "Group", Name: "system:authenticated"}}})
	m.AddClusterRoleBinding(&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "named", Labels: nil},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "one-secret"}, Subjects: []rbacv1.Subject{{Kind: "User", Name: "bob"}}})
	m.AddClusterRoleBinding(&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "system:controller:x", Labels: map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "everything"}, Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: "kube-system", Name: "x"}}})
	got := map[string][]string{}
	for _, r := range m.Risks(false) {
		got[r.Pattern.Name] = append(got[r.Pattern.Name], r.Subject.Kind+":"+r.Subject.Namespace+"/"+r.Subject.Name)
	}
	// system:authenticated holds everything: one full-control risk, with
	// the rest implied, not listed again.
	want := map[string][]string{
		"nodes-proxy":                   {"Group:/sre"},
		"read-secrets":                  {"Group:/sre", "ServiceAccount:shop/default", "User:/alice"},
		"exec-pods":                     {"Group:/sre", "ServiceAccount:shop/default", "User:/alice"},
		"full-control":                  {"Group:/system:authenticated"},
		"all-authenticated":             {"Group:/system:authenticated"},
		"default-service-account-bound": {"ServiceAccount:shop/default"},
	}
	for name, subjects := range want {
		slices.Sort(got[name])
		if !slices.Equal(got[name], subjects) {
			t.Errorf("%s: %v, want %v", name, got[name], subjects)
		}
	}
	// bob reads one named secret only; the default binding is left out.
	for name, subjects := range got {
		for _, s := range subjects {
			if s == "User:/bob" || s == "ServiceAccount:kube-system/x" {
				t.Errorf("%s reported for %s", name, s)
			}
		}
	}
	for _, r := range m.Risks(false) {
		if r.Pattern.Name == "full-control" && (!slices.Contains(r.Implied, "DZ-ACC-016") || !slices.Contains(r.Implied, "DZ-ACC-002")) {
			t.Errorf("full control implies %v", r.Implied)
		}
	}
	if with := m.Risks(true); len(with) <= len(m.Risks(false)) {
		t.Error("defaults=true adds nothing")
	}
}

// Every pattern is in docs/access.md.
func TestPatternsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/access.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Patterns {
		if !strings.Contains(string(doc), "| "+p.ID+" | "+p.Name+" |") {
			t.Errorf("docs/access.md lacks %s (%s)", p.ID, p.Name)
		}
	}
}
