// Package rbac is Dozor's model of Kubernetes RBAC: the roles and
// bindings of a cluster or of manifests, and the questions asked of them.
// Can a subject do something (Allowed, as the API server's RBAC authorizer
// decides)? Who can do something (WhoCan)? The model is held to the real
// authorizer by a property test that asks the API server's
// SubjectAccessReview the same questions.
//
// The authorizer's rules, which the model follows:
//   - a request is allowed if any rule of any role bound to the user, one
//     of its groups or (for "system:serviceaccount:NS:NAME") its service
//     account allows it: ClusterRoleBindings everywhere, RoleBindings in
//     their namespace (to a Role of that namespace or to a ClusterRole);
//     a service account subject of a RoleBinding without a namespace is
//     in the binding's;
//   - a rule allows a resource request when its verbs, API groups and
//     resources (RESOURCE, RESOURCE/SUBRESOURCE, "*", "*/SUBRESOURCE")
//     match, and its resourceNames are empty or hold the name asked;
//     a non-resource request when its verbs match and a nonResourceURL
//     is the path, or a prefix of it ending in "*";
//   - an aggregated ClusterRole has the rules of the ClusterRoles its
//     selectors match (the controller writes them into the role in a live
//     cluster; for manifests the model unions them itself);
//   - the group system:masters may do anything (the authorizer allows it
//     before RBAC is asked).
package rbac

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dozor-dev/dozor/k8s"
	"k8s.io/apimachinery/pkg/labels"
)

// SuperuserGroup may do anything.
const SuperuserGroup = "system:masters"

// Attributes are a request, as SubjectAccessReview's spec has them.
type Attributes struct {
	User   string
	Groups []string
	Verb   string
	// Resource requests.
	Namespace, APIGroup, Resource, Subresource, Name string
	// Path is set for non-resource requests ("/healthz").
	Path string
}

// ResourceRequest reports whether a is about a resource (not a path).
func (a *Attributes) ResourceRequest() bool { return a.Path == "" }

// roleKey names a role: namespace "" for ClusterRoles.
type roleKey struct{ namespace, name string }

type role struct {
	rules       []rbacv1.PolicyRule
	labels      map[string]string
	aggregation *rbacv1.AggregationRule
}

// Binding is a RoleBinding or ClusterRoleBinding.
type Binding struct {
	// Namespace is "" for a ClusterRoleBinding.
	Namespace, Name string
	RoleRef         rbacv1.RoleRef
	Subjects        []rbacv1.Subject
	// Default is set for the bindings the API server creates itself
	// (labelled kubernetes.io/bootstrapping=rbac-defaults).
	Default bool
}

func isDefault(labels map[string]string) bool {
	return labels["kubernetes.io/bootstrapping"] == "rbac-defaults"
}

// Model holds roles and bindings. Add everything, then ask.
type Model struct {
	roles    map[roleKey]*role
	bindings []*Binding
	// Indexes of bindings by subject: users (service accounts by their
	// user name) and groups.
	byUser, byGroup map[string][]*Binding
	aggregated      bool
	// live: the roles were read from a cluster, where the aggregation
	// controller has written aggregated rules into the roles, and those
	// are what the authorizer uses.
	live bool
}

// New returns an empty model for roles written by people (manifests):
// aggregated ClusterRoles get the rules of the roles they select.
func New() *Model {
	return &Model{roles: map[roleKey]*role{}, byUser: map[string][]*Binding{}, byGroup: map[string][]*Binding{}}
}

// NewLive returns an empty model for roles read from a cluster: their
// rules are taken as stored, aggregated ones included.
func NewLive() *Model {
	m := New()
	m.live = true
	return m
}

// AddRole adds a Role.
func (m *Model) AddRole(r *rbacv1.Role) {
	m.roles[roleKey{r.Namespace, r.Name}] = &role{rules: r.Rules, labels: r.Labels}
}

// AddClusterRole adds a ClusterRole.
func (m *Model) AddClusterRole(r *rbacv1.ClusterRole) {
	m.roles[roleKey{"", r.Name}] = &role{rules: r.Rules, labels: r.Labels, aggregation: r.AggregationRule}
	m.aggregated = false
}

// AddRoleBinding adds a RoleBinding.
func (m *Model) AddRoleBinding(b *rbacv1.RoleBinding) {
	m.addBinding(&Binding{Namespace: b.Namespace, Name: b.Name, RoleRef: b.RoleRef, Subjects: b.Subjects, Default: isDefault(b.Labels)})
}

// AddClusterRoleBinding adds a ClusterRoleBinding.
func (m *Model) AddClusterRoleBinding(b *rbacv1.ClusterRoleBinding) {
	m.addBinding(&Binding{Name: b.Name, RoleRef: b.RoleRef, Subjects: b.Subjects, Default: isDefault(b.Labels)})
}

func (m *Model) addBinding(b *Binding) {
	m.bindings = append(m.bindings, b)
	for _, s := range b.Subjects {
		switch s.Kind {
		case rbacv1.UserKind:
			m.byUser[s.Name] = append(m.byUser[s.Name], b)
		case rbacv1.GroupKind:
			m.byGroup[s.Name] = append(m.byGroup[s.Name], b)
		case rbacv1.ServiceAccountKind:
			if ns := subjectNamespace(b, s); ns != "" {
				u := ServiceAccountUser(ns, s.Name)
				m.byUser[u] = append(m.byUser[u], b)
			}
		}
	}
}

// subjectNamespace is a service account subject's namespace: its own, or
// in a RoleBinding the binding's (the authorizer defaults it so, and the
// API accepts RoleBindings without it); "" when it has none and matches
// nobody.
func subjectNamespace(b *Binding, s rbacv1.Subject) string {
	if s.Namespace != "" {
		return s.Namespace
	}
	return b.Namespace
}

// ServiceAccountUser is the user name of a service account.
func ServiceAccountUser(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// aggregate gives each aggregated ClusterRole the rules of the
// ClusterRoles its selectors match, as the aggregation controller does:
// its own rules are replaced.
func (m *Model) aggregate() {
	if m.aggregated || m.live {
		return
	}
	m.aggregated = true
	// Rounds until nothing changes, for aggregated roles that select
	// aggregated roles; as many rounds as roles at most.
	for range len(m.roles) {
		if !m.aggregateOnce() {
			return
		}
	}
}

// aggregateOnce is one round of aggregation; it reports a change.
func (m *Model) aggregateOnce() bool {
	changed := false
	var names []string
	for k := range m.roles {
		if k.namespace == "" {
			names = append(names, k.name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		r := m.roles[roleKey{"", name}]
		if r.aggregation == nil {
			continue
		}
		var rules []rbacv1.PolicyRule
		for _, sel := range r.aggregation.ClusterRoleSelectors {
			s, err := metav1.LabelSelectorAsSelector(&sel)
			if err != nil {
				continue
			}
			for _, other := range names {
				if other == name {
					continue
				}
				o := m.roles[roleKey{"", other}]
				if s.Matches(labels.Set(o.labels)) {
					for _, rl := range o.rules {
						if !slices.ContainsFunc(rules, func(x rbacv1.PolicyRule) bool { return samePolicyRule(x, rl) }) {
							rules = append(rules, rl)
						}
					}
				}
			}
		}
		if len(rules) != len(r.rules) || !slices.EqualFunc(rules, r.rules, samePolicyRule) {
			r.rules = rules
			changed = true
		}
	}
	return changed
}

func samePolicyRule(a, b rbacv1.PolicyRule) bool {
	return slices.Equal(a.Verbs, b.Verbs) && slices.Equal(a.APIGroups, b.APIGroups) && slices.Equal(a.Resources, b.Resources) &&
		slices.Equal(a.ResourceNames, b.ResourceNames) && slices.Equal(a.NonResourceURLs, b.NonResourceURLs)
}

// rulesOf returns the rules of the role a binding refers to; nil when the
// role does not exist (a binding may name a role not created yet).
func (m *Model) rulesOf(b *Binding) []rbacv1.PolicyRule {
	switch b.RoleRef.Kind {
	case "ClusterRole":
		if r := m.roles[roleKey{"", b.RoleRef.Name}]; r != nil {
			return r.rules
		}
	case "Role":
		if b.Namespace == "" {
			return nil // a ClusterRoleBinding may only refer to a ClusterRole
		}
		if r := m.roles[roleKey{b.Namespace, b.RoleRef.Name}]; r != nil {
			return r.rules
		}
	}
	return nil
}

// Allowed answers as the RBAC authorizer would, and returns the binding
// and rule that allow the request (nil for the superuser group).
func (m *Model) Allowed(a *Attributes) (bool, *Binding, *rbacv1.PolicyRule) {
	m.aggregate()
	if slices.Contains(a.Groups, SuperuserGroup) {
		return true, nil, nil
	}
	check := func(bs []*Binding) (*Binding, *rbacv1.PolicyRule) {
		for _, b := range bs {
			if b.Namespace != "" && b.Namespace != a.Namespace {
				continue
			}
			rules := m.rulesOf(b)
			for i := range rules {
				if RuleAllows(&rules[i], a) {
					return b, &rules[i]
				}
			}
		}
		return nil, nil
	}
	if b, r := check(m.byUser[a.User]); b != nil {
		return true, b, r
	}
	for _, g := range a.Groups {
		if b, r := check(m.byGroup[g]); b != nil {
			return true, b, r
		}
	}
	return false, nil, nil
}

// RuleAllows reports whether one policy rule allows a request.
func RuleAllows(r *rbacv1.PolicyRule, a *Attributes) bool {
	if !has(r.Verbs, a.Verb) {
		return false
	}
	if !a.ResourceRequest() {
		for _, u := range r.NonResourceURLs {
			if u == "*" || u == a.Path || (strings.HasSuffix(u, "*") && strings.HasPrefix(a.Path, strings.TrimRight(u, "*"))) {
				return true
			}
		}
		return false
	}
	if !has(r.APIGroups, a.APIGroup) || !resourceMatches(r.Resources, a.Resource, a.Subresource) {
		return false
	}
	return len(r.ResourceNames) == 0 || slices.Contains(r.ResourceNames, a.Name)
}

// ruleMatchesAnyName reports whether a rule allows a resource request for
// some name: its verbs, groups and resources match, whatever its
// resourceNames.
func ruleMatchesAnyName(r *rbacv1.PolicyRule, a *Attributes) bool {
	return has(r.Verbs, a.Verb) && has(r.APIGroups, a.APIGroup) && resourceMatches(r.Resources, a.Resource, a.Subresource)
}

// has reports whether list holds v or "*".
func has(list []string, v string) bool {
	for _, x := range list {
		if x == v || x == rbacv1.VerbAll {
			return true
		}
	}
	return false
}

func resourceMatches(list []string, resource, subresource string) bool {
	combined := resource
	if subresource != "" {
		combined += "/" + subresource
	}
	for _, x := range list {
		if x == rbacv1.ResourceAll || x == combined || (subresource != "" && x == "*/"+subresource) {
			return true
		}
	}
	return false
}

// Subject is whom a binding grants: a user, a group or a service account.
type Subject struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// WhoCan lists the subjects that bindings allow the request (not counting
// the superuser group, which may do anything), each with the binding
// that grants it, in the order of the bindings.
func (m *Model) WhoCan(a *Attributes) []Grant {
	m.aggregate()
	var out []Grant
	seen := map[Subject]bool{}
	for _, b := range m.bindings {
		if b.Namespace != "" && b.Namespace != a.Namespace {
			continue
		}
		rules := m.rulesOf(b)
		allowed := false
		for i := range rules {
			if RuleAllows(&rules[i], a) {
				allowed = true
				break
			}
		}
		if !allowed {
			continue
		}
		for _, s := range b.Subjects {
			sub := Subject{Kind: s.Kind, Name: s.Name}
			if s.Kind == rbacv1.ServiceAccountKind {
				if sub.Namespace = subjectNamespace(b, s); sub.Namespace == "" {
					continue // matches nobody
				}
			}
			if !seen[sub] {
				seen[sub] = true
				out = append(out, Grant{Subject: sub, Binding: b})
			}
		}
	}
	return out
}

// Grant is a subject and the binding that grants it something.
type Grant struct {
	Subject Subject
	Binding *Binding
}

// FromObjects builds a model of the RBAC objects among objs (others are
// left alone). live says they were read from a cluster (NewLive).
func FromObjects(objs []*k8s.Object, live bool) *Model {
	m := New()
	m.live = live
	for _, o := range objs {
		switch t := o.Typed.(type) {
		case *rbacv1.Role:
			m.AddRole(t)
		case *rbacv1.ClusterRole:
			m.AddClusterRole(t)
		case *rbacv1.RoleBinding:
			m.AddRoleBinding(t)
		case *rbacv1.ClusterRoleBinding:
			m.AddClusterRoleBinding(t)
		}
	}
	return m
}

// Groups returns the groups a subject is in without being named: every
// authenticated identity is in system:authenticated, and a service
// account in system:serviceaccounts and system:serviceaccounts:NS.
func (s Subject) Groups() []string {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		return []string{"system:authenticated", "system:serviceaccounts", "system:serviceaccounts:" + s.Namespace}
	case rbacv1.UserKind:
		if s.Name == "system:anonymous" {
			return []string{"system:unauthenticated"}
		}
		return []string{"system:authenticated"}
	}
	return nil
}

// Permission is a rule a subject holds, where, and through what.
type Permission struct {
	// Namespace is where the rule applies; "" for every namespace (a
	// ClusterRoleBinding).
	Namespace string            `json:"namespace,omitempty"`
	Rule      rbacv1.PolicyRule `json:"rule"`
	Binding   string            `json:"binding"`
	RoleRef   rbacv1.RoleRef    `json:"roleRef"`
	Via       Subject           `json:"via"`
}

// Can lists what a subject may do: every rule of every role bound to it,
// to a group it is in (implicit groups included), or, for a service
// account, to its user name; cluster-wide first, then by namespace.
func (m *Model) Can(s Subject) []Permission {
	m.aggregate()
	type via struct {
		bs  []*Binding
		sub Subject
	}
	var vias []via
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		vias = append(vias, via{m.byUser[ServiceAccountUser(s.Namespace, s.Name)], s})
	case rbacv1.UserKind:
		vias = append(vias, via{m.byUser[s.Name], s})
	case rbacv1.GroupKind:
		vias = append(vias, via{m.byGroup[s.Name], s})
	}
	for _, g := range s.Groups() {
		vias = append(vias, via{m.byGroup[g], Subject{Kind: rbacv1.GroupKind, Name: g}})
	}
	var out []Permission
	seen := map[*Binding]bool{}
	for _, v := range vias {
		for _, b := range v.bs {
			if seen[b] {
				continue
			}
			seen[b] = true
			for _, r := range m.rulesOf(b) {
				out = append(out, Permission{Namespace: b.Namespace, Rule: r, Binding: b.Name, RoleRef: b.RoleRef, Via: v.sub})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Permission) int { return strings.Compare(a.Namespace, b.Namespace) })
	return out
}
