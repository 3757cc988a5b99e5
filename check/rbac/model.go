package rbac

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	rbacv1alpha1 "k8s.io/api/rbac/v1alpha1"
	rbacv1beta1 "k8s.io/api/rbac/v1beta1"

	"github.com/dozor-dev/dozor/k8s"
)

// rule is a PolicyRule of any RBAC API version.
type rule struct {
	Verbs, APIGroups, Resources, ResourceNames []string
}

// subject is a binding subject of any RBAC API version.
type subject struct {
	Kind, Name, Namespace string
}

// roleRef is a binding's role of any RBAC API version.
type roleRef struct {
	Kind, Name string
}

// bootstrapped reports whether Kubernetes itself created the object: the
// default roles and bindings carry kubernetes.io/bootstrapping:
// rbac-defaults, and are only in the input when a cluster is dumped.
func bootstrapped(obj *k8s.Object) bool {
	return obj.Meta.Labels["kubernetes.io/bootstrapping"] == "rbac-defaults"
}

// rulesOf returns the rules of a Role or ClusterRole, and whether the
// object is one. Aggregated ClusterRoles return no rules: the controller
// overwrites them with the rules of the roles they aggregate.
func rulesOf(obj *k8s.Object) ([]rule, bool) {
	var out []rule
	switch o := obj.Typed.(type) {
	case *rbacv1.Role:
		for _, r := range o.Rules {
			out = append(out, rule{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames})
		}
	case *rbacv1.ClusterRole:
		if o.AggregationRule != nil {
			return nil, true
		}
		for _, r := range o.Rules {
			out = append(out, rule{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames})
		}
	case *rbacv1beta1.Role:
		for _, r := range o.Rules {
			out = append(out, rule{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames})
		}
	case *rbacv1beta1.ClusterRole:
		if o.AggregationRule != nil {
			return nil, true
		}
		for _, r := range o.Rules {
			out = append(out, rule{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames})
		}
	case *rbacv1alpha1.Role:
		for _, r := range o.Rules {
			out = append(out, rule{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames})
		}
	case *rbacv1alpha1.ClusterRole:
		if o.AggregationRule != nil {
			return nil, true
		}
		for _, r := range o.Rules {
			out = append(out, rule{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames})
		}
	default:
		return nil, false
	}
	return out, true
}

// bindingOf returns the subjects and role of a RoleBinding or
// ClusterRoleBinding, and whether the object is one.
func bindingOf(obj *k8s.Object) ([]subject, roleRef, bool) {
	var subs []subject
	var ref roleRef
	switch o := obj.Typed.(type) {
	case *rbacv1.RoleBinding:
		for _, s := range o.Subjects {
			subs = append(subs, subject{s.Kind, s.Name, s.Namespace})
		}
		ref = roleRef{o.RoleRef.Kind, o.RoleRef.Name}
	case *rbacv1.ClusterRoleBinding:
		for _, s := range o.Subjects {
			subs = append(subs, subject{s.Kind, s.Name, s.Namespace})
		}
		ref = roleRef{o.RoleRef.Kind, o.RoleRef.Name}
	case *rbacv1beta1.RoleBinding:
		for _, s := range o.Subjects {
			subs = append(subs, subject{s.Kind, s.Name, s.Namespace})
		}
		ref = roleRef{o.RoleRef.Kind, o.RoleRef.Name}
	case *rbacv1beta1.ClusterRoleBinding:
		for _, s := range o.Subjects {
			subs = append(subs, subject{s.Kind, s.Name, s.Namespace})
		}
		ref = roleRef{o.RoleRef.Kind, o.RoleRef.Name}
	case *rbacv1alpha1.RoleBinding:
		for _, s := range o.Subjects {
			subs = append(subs, subject{s.Kind, s.Name, s.Namespace})
		}
		ref = roleRef{o.RoleRef.Kind, o.RoleRef.Name}
	case *rbacv1alpha1.ClusterRoleBinding:
		for _, s := range o.Subjects {
			subs = append(subs, subject{s.Kind, s.Name, s.Namespace})
		}
		ref = roleRef{o.RoleRef.Kind, o.RoleRef.Name}
	default:
		return nil, roleRef{}, false
	}
	return subs, ref, true
}

// The matching below is the RBAC authorizer's (k8s.io/kubernetes
// pkg/apis/rbac/v1 evaluation_helpers.go): "*" matches every verb, group
// and resource, a subresource is requested as "pods/exec", and the only
// wildcard inside a resource is "*/exec", which matches that subresource
// of every resource. "pods/*" matches only a subresource named "*", that
// is nothing.

func (r rule) verb(v string) bool {
	return slices.Contains(r.Verbs, "*") || slices.Contains(r.Verbs, v)
}

func (r rule) group(g string) bool {
	return slices.Contains(r.APIGroups, "*") || slices.Contains(r.APIGroups, g)
}

// resource reports whether the rule covers a resource, written with its
// subresource as in a rule ("pods/exec").
func (r rule) resource(res string) bool {
	_, sub, hasSub := strings.Cut(res, "/")
	for _, rr := range r.Resources {
		if rr == "*" || rr == res || hasSub && rr == "*/"+sub {
			return true
		}
	}
	return false
}

// everything reports whether the rule grants every verb on every resource
// of every group.
func (r rule) everything() bool {
	return slices.Contains(r.Verbs, "*") && slices.Contains(r.APIGroups, "*") && slices.Contains(r.Resources, "*")
}

// An ask is a permission the checks look for: any of verbs on a resource.
type ask struct {
	verbs    []string
	group    string
	resource string // "pods", "pods/exec"
	// prefix matches every subresource of resource: userextras/<key>.
	prefix bool
	// cluster marks cluster-scoped resources, which a Role cannot grant.
	cluster bool
}

// granted returns the verbs of a the rule grants.
func (r rule) granted(a ask) []string {
	if !r.group(a.group) || !r.covers(a) {
		return nil
	}
	var out []string
	for _, v := range a.verbs {
		if r.verb(v) {
			out = append(out, v)
		}
	}
	return out
}

func (r rule) covers(a ask) bool {
	if !a.prefix {
		return r.resource(a.resource)
	}
	for _, rr := range r.Resources {
		if rr == "*" || strings.HasPrefix(rr, a.resource+"/") || strings.HasPrefix(rr, "*/") {
			return true
		}
	}
	return false
}
