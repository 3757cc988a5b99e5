package rbac

import (
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
)

// capability is a permission the escalation graph cares about. A binding
// grants it in its namespace (a ClusterRoleBinding: everywhere), for
// every object or for named ones.
type capability uint8

const (
	capFull capability = iota
	capCreatePods
	capWriteWorkloads
	capUpdatePods
	capExec
	capToken
	capReadSecrets
	capCreateSecrets
	capImpersonateUsers
	capImpersonateGroups
	capImpersonateSAs
	capBindClusterRoles
	capBindRoles
	capEscalateClusterRoles
	capEscalateRoles
	capWriteClusterRoles
	capWriteRoles
	capCreateClusterRoleBindings
	capCreateRoleBindings
	capNodesProxy
	capCreateCSR
	capApproveCSR
	capApproveSigner
	capMutatingAdmission
	capRelabelNamespaces
	capCreatePV
	capCreatePVC
	numCapabilities
)

// capAsks are the requests that grant each capability (any one of them).
// cluster marks requests only a ClusterRoleBinding can grant.
var capAsks = [numCapabilities][]ask{
	capFull:       nil, // a rule of * on * in every group; see grants
	capCreatePods: asks([]string{"create"}, "", "pods"),
	capWriteWorkloads: slices.Concat(asks(write, "apps", "deployments", "daemonsets", "statefulsets", "replicasets"),
		asks(write, "batch", "jobs", "cronjobs"), asks(write, "", "replicationcontrollers")),
	capUpdatePods:                asks([]string{"update", "patch"}, "", "pods"),
	capExec:                      slices.Concat(asks([]string{"create", "get"}, "", "pods/exec", "pods/attach"), asks([]string{"update", "patch"}, "", "pods/ephemeralcontainers")),
	capToken:                     asks([]string{"create"}, "", "serviceaccounts/token"),
	capReadSecrets:               asks([]string{"get", "list", "watch"}, "", "secrets"),
	capCreateSecrets:             asks([]string{"create"}, "", "secrets"),
	capImpersonateUsers:          clusterScoped(asks([]string{"impersonate"}, "", "users")),
	capImpersonateGroups:         clusterScoped(asks([]string{"impersonate"}, "", "groups")),
	capImpersonateSAs:            asks([]string{"impersonate"}, "", "serviceaccounts"),
	capBindClusterRoles:          asks([]string{"bind"}, "rbac.authorization.k8s.io", "clusterroles"),
	capBindRoles:                 asks([]string{"bind"}, "rbac.authorization.k8s.io", "roles"),
	capEscalateClusterRoles:      clusterScoped(asks([]string{"escalate"}, "rbac.authorization.k8s.io", "clusterroles")),
	capEscalateRoles:             asks([]string{"escalate"}, "rbac.authorization.k8s.io", "roles"),
	capWriteClusterRoles:         clusterScoped(asks([]string{"create", "update", "patch"}, "rbac.authorization.k8s.io", "clusterroles")),
	capWriteRoles:                asks([]string{"create", "update", "patch"}, "rbac.authorization.k8s.io", "roles"),
	capCreateClusterRoleBindings: clusterScoped(asks([]string{"create"}, "rbac.authorization.k8s.io", "clusterrolebindings")),
	capCreateRoleBindings:        asks([]string{"create"}, "rbac.authorization.k8s.io", "rolebindings"),
	capNodesProxy:                clusterScoped(asks([]string{"get", "create"}, "", "nodes/proxy")),
	capCreateCSR:                 clusterScoped(asks([]string{"create"}, "certificates.k8s.io", "certificatesigningrequests")),
	capApproveCSR:                clusterScoped(asks([]string{"update", "patch"}, "certificates.k8s.io", "certificatesigningrequests/approval")),
	capApproveSigner:             clusterScoped(asks([]string{"approve"}, "certificates.k8s.io", "signers")),
	capMutatingAdmission:         clusterScoped(asks([]string{"create", "update", "patch"}, "admissionregistration.k8s.io", "mutatingwebhookconfigurations")),
	capRelabelNamespaces:         clusterScoped(asks([]string{"update", "patch"}, "", "namespaces")),
	capCreatePV:                  clusterScoped(asks([]string{"create"}, "", "persistentvolumes")),
	capCreatePVC:                 asks([]string{"create"}, "", "persistentvolumeclaims"),
}

// capGrant is what one capability amounts to for a subject in one place:
// every object, or named ones, and the bindings that grant it.
type capGrant struct {
	all      bool
	names    []string
	bindings []string
}

// covers reports whether the grant holds for the object name.
func (g *capGrant) covers(name string) bool {
	return g != nil && (g.all || slices.Contains(g.names, name))
}

func (g *capGrant) merge(o *capGrant) *capGrant {
	if o == nil {
		return g
	}
	if g == nil {
		c := *o
		c.names, c.bindings = slices.Clone(o.names), slices.Clone(o.bindings)
		return &c
	}
	g.all = g.all || o.all
	for _, n := range o.names {
		if !slices.Contains(g.names, n) {
			g.names = append(g.names, n)
		}
	}
	for _, b := range o.bindings {
		if !slices.Contains(g.bindings, b) {
			g.bindings = append(g.bindings, b)
		}
	}
	return g
}

// roleCaps is what one role grants, per capability: nil for nothing.
type roleCaps [numCapabilities]*capGrant

// capsOfRules works out the capabilities rules grant, through a
// ClusterRoleBinding (cluster) or a RoleBinding.
func capsOfRules(rules []rbacv1.PolicyRule, cluster bool) *roleCaps {
	var rc roleCaps
	for c := range numCapabilities {
		if c == capFull {
			if slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool {
				return has(r.Verbs, "*") && slices.Contains(r.Resources, "*") && slices.Contains(r.APIGroups, "*") && len(r.ResourceNames) == 0
			}) {
				rc[c] = &capGrant{all: true}
			}
			continue
		}
		var g *capGrant
		for _, a := range capAsks[c] {
			if a.cluster && !cluster {
				continue
			}
			attrs := Attributes{Verb: a.verb, APIGroup: a.group, Resource: a.resource, Subresource: a.subresource}
			for i := range rules {
				r := &rules[i]
				if !ruleMatchesAnyName(r, &attrs) {
					continue
				}
				if g == nil {
					g = &capGrant{}
				}
				if len(r.ResourceNames) == 0 {
					g.all = true
				} else {
					g.merge(&capGrant{names: r.ResourceNames})
				}
			}
		}
		rc[c] = g
	}
	return &rc
}

// capKey is a capability in a place: namespace "" is every namespace.
type capKey struct {
	c         capability
	namespace string
}

// capSet is everything a subject holds that the graph cares about.
type capSet map[capKey]*capGrant

// add merges what a binding grants into the set.
func (cs capSet) add(b *Binding, rc *roleCaps) {
	name := bindingName(b)
	for c, g := range rc {
		if g == nil {
			continue
		}
		k := capKey{capability(c), b.Namespace}
		cs[k] = cs[k].merge(&capGrant{all: g.all, names: g.names, bindings: []string{name}})
	}
}

// at is the capability in a namespace: granted there or everywhere.
func (cs capSet) at(c capability, namespace string) *capGrant {
	var g *capGrant
	g = g.merge(cs[capKey{c, ""}])
	if namespace != "" {
		g = g.merge(cs[capKey{c, namespace}])
	}
	return g
}

// places lists where a capability is held: "" first when everywhere,
// then namespaces in sorted order.
func (cs capSet) places(c capability) []string {
	var out []string
	for k := range cs {
		if k.c == c {
			out = append(out, k.namespace)
		}
	}
	slices.Sort(out)
	return out
}

// bindingName is "NAMESPACE/NAME" for a RoleBinding, "NAME" for a
// ClusterRoleBinding.
func bindingName(b *Binding) string {
	if b.Namespace != "" {
		return b.Namespace + "/" + b.Name
	}
	return b.Name
}
