package rbac

import "testing"

func TestRuleMatching(t *testing.T) {
	exec := ask{verbs: []string{"create"}, resource: "pods/exec"}
	secrets := ask{verbs: []string{"get", "list", "watch"}, resource: "secrets"}
	tests := []struct {
		name string
		r    rule
		a    ask
		want int // verbs granted
	}{
		{"exact", rule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods/exec"}}, exec, 1},
		{"all resources", rule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"*"}}, exec, 1},
		{"all verbs", rule{Verbs: []string{"*"}, APIGroups: []string{""}, Resources: []string{"pods/exec"}}, exec, 1},
		{"subresource of every resource", rule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"*/exec"}}, exec, 1},
		{"pods/* is no wildcard", rule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods/*"}}, exec, 0},
		{"pods is not pods/exec", rule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods"}}, exec, 0},
		{"*/exec is not pods", rule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"*/exec"}}, secrets, 0},
		{"other group", rule{Verbs: []string{"get"}, APIGroups: []string{"apps"}, Resources: []string{"secrets"}}, secrets, 0},
		{"all groups", rule{Verbs: []string{"get", "list"}, APIGroups: []string{"*"}, Resources: []string{"secrets"}}, secrets, 2},
	}
	for _, tt := range tests {
		if got := len(tt.r.granted(tt.a)); got != tt.want {
			t.Errorf("%s: granted %d verbs, want %d", tt.name, got, tt.want)
		}
	}
}
