// Package serviceaccount checks which service account pods run as, whether
// its API token is mounted into them, and long-lived token Secrets.
package serviceaccount

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	rbacv1beta1 "k8s.io/api/rbac/v1beta1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Checks returns the service account checks.
func Checks() []*check.Check {
	return []*check.Check{tokenAutomounted(), defaultServiceAccount(), serviceAccountAutomount(), legacyTokenSecret()}
}

const (
	docSA        = "https://kubernetes.io/docs/concepts/security/service-accounts/"
	docConfigure = "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"
)

// serviceAccountName returns the service account a pod runs as.
func serviceAccountName(spec *corev1.PodSpec) string {
	switch {
	case spec.ServiceAccountName != "":
		return spec.ServiceAccountName
	case spec.DeprecatedServiceAccount != "":
		return spec.DeprecatedServiceAccount
	}
	return "default"
}

func tokenAutomounted() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-SA-001", Name: "token-automounted",
			Title:    "Service account token mounted into a pod that may not need it",
			Severity: finding.Medium,
			Description: "Unless automountServiceAccountToken is false on the pod or on its ServiceAccount, Kubernetes mounts an API token of " +
				"the pod's service account into every container. Anyone who gets code execution in the container can read it and act " +
				"on the API with the account's permissions, which grow over time as roles get bound to it. Most applications never " +
				"call the API. The pod's setting wins over the ServiceAccount's; a ServiceAccount that is not deployed with the pod " +
				"counts as mounting. Pods whose service account is bound to a role in the same deployment are taken to need the API " +
				"and are not flagged.",
			Remediation: "Set automountServiceAccountToken: false in the pod spec (or on the ServiceAccount). A pod that does need the API " +
				"can mount a short-lived token through a projected serviceAccountToken volume in the one container that uses it.",
			References: []string{docConfigure + "#opt-out-of-api-credential-automounting", docSA},
			Mappings:   finding.Mappings{CIS: []string{"5.1.6"}, NSA: []string{check.NSATokens}, ThreatMatrix: []string{check.MSContainerSA}},
			Tags:       []string{"workload", "service-account"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			bound := boundAccounts(ix)
			for _, ns := range ix.Namespaces() {
				for _, obj := range ix.PodMakers(ns) {
					spec := obj.Pod.Spec
					at := obj.Pod.SpecPath.Field("automountServiceAccountToken")
					name := serviceAccountName(spec)
					if spec.AutomountServiceAccountToken != nil {
						if *spec.AutomountServiceAccountToken && !bound.has(ns, name) {
							ctx.Report(obj, at, "pod sets automountServiceAccountToken: true and gets the API token of service account %q", name)
						}
						continue
					}
					if bound.has(ns, name) {
						continue
					}
					sa := serviceAccount(ix, ns, name)
					switch {
					case sa == nil:
						ctx.Report(obj, at, "pod gets the API token of service account %q: neither the pod nor a ServiceAccount deployed with it sets automountServiceAccountToken: false", name)
					case sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken:
						ctx.Report(obj, at, "pod gets the API token of service account %q: neither the pod nor the ServiceAccount sets automountServiceAccountToken: false", name)
					}
				}
			}
		},
	}
}

// serviceAccount returns the ServiceAccount of that name in the index, or nil.
func serviceAccount(ix *k8s.Index, ns, name string) *corev1.ServiceAccount {
	for _, o := range ix.Get("ServiceAccount", ns, name) {
		if sa, ok := o.Typed.(*corev1.ServiceAccount); ok {
			return sa
		}
	}
	return nil
}

// accounts is a set of service accounts bound to a role.
type accounts struct {
	names      map[[2]string]bool // namespace, name
	namespaces map[string]bool    // every account of the namespace
	all        bool               // every account of the cluster
}

func (a accounts) has(ns, name string) bool {
	return a.all || a.namespaces[ns] || a.names[[2]string{ns, name}]
}

// boundAccounts returns the service accounts that a RoleBinding or
// ClusterRoleBinding in the index binds to a role, directly or through the
// system:serviceaccounts groups.
func boundAccounts(ix *k8s.Index) accounts {
	a := accounts{names: map[[2]string]bool{}, namespaces: map[string]bool{}}
	add := func(bindingNS, kind, ns, name string) {
		switch kind {
		case rbacv1.ServiceAccountKind:
			if ns == "" {
				ns = bindingNS
			}
			a.names[[2]string{ns, name}] = true
		case rbacv1.GroupKind:
			if name == "system:serviceaccounts" {
				a.all = true
			} else if ns, ok := strings.CutPrefix(name, "system:serviceaccounts:"); ok {
				a.namespaces[ns] = true
			}
		}
	}
	for _, kind := range []string{"RoleBinding", "ClusterRoleBinding"} {
		for _, o := range ix.Kind(kind) {
			ns := o.Namespace()
			switch b := o.Typed.(type) {
			case *rbacv1.RoleBinding:
				for _, s := range b.Subjects {
					add(ns, s.Kind, s.Namespace, s.Name)
				}
			case *rbacv1.ClusterRoleBinding:
				for _, s := range b.Subjects {
					add(ns, s.Kind, s.Namespace, s.Name)
				}
			case *rbacv1beta1.RoleBinding:
				for _, s := range b.Subjects {
					add(ns, s.Kind, s.Namespace, s.Name)
				}
			case *rbacv1beta1.ClusterRoleBinding:
				for _, s := range b.Subjects {
					add(ns, s.Kind, s.Namespace, s.Name)
				}
			}
		}
	}
	return a
}

func defaultServiceAccount() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-SA-002", Name: "default-service-account",
			Title:    "Pod runs as the namespace's default service account",
			Severity: finding.Low,
			Description: "Every namespace has a ServiceAccount named default, used by every pod that names no other. Permissions granted to it " +
				"for one workload go to all the others in the namespace, and an audit log cannot tell the workloads apart. Pods that " +
				"set automountServiceAccountToken: false carry no credentials of the account and are not flagged.",
			Remediation: "Create a ServiceAccount for the workload, with automountServiceAccountToken: false unless it calls the API, and name it in spec.serviceAccountName.",
			References:  []string{docConfigure, docSA},
			Mappings:    finding.Mappings{CIS: []string{"5.1.5"}, NSA: []string{check.NSATokens}},
			Tags:        []string{"workload", "service-account"},
		},
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			pt := obj.Pod
			if pt == nil || serviceAccountName(pt.Spec) != "default" {
				return
			}
			if a := pt.Spec.AutomountServiceAccountToken; a != nil && !*a {
				return
			}
			if pt.Spec.ServiceAccountName == "default" {
				ctx.Report(obj, pt.SpecPath.Field("serviceAccountName"), "pod runs as the default service account")
				return
			}
			ctx.Report(obj, pt.SpecPath.Field("serviceAccountName"), "pod names no service account and runs as the default one")
		},
	}
}

func serviceAccountAutomount() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-SA-003", Name: "service-account-automount",
			Title:    "ServiceAccount lets its token be mounted by default",
			Severity: finding.Low,
			Description: "Unless a ServiceAccount sets automountServiceAccountToken: false, every pod that runs as it gets its API token " +
				"mounted, unless the pod opts out itself. Setting it on the ServiceAccount makes not mounting the default, so that only " +
				"the pods that need the API, and opt in, carry the token.",
			Remediation: "Set automountServiceAccountToken: false on the ServiceAccount, and automountServiceAccountToken: true on the pods that need the token.",
			References:  []string{docConfigure + "#opt-out-of-api-credential-automounting"},
			Mappings:    finding.Mappings{CIS: []string{"5.1.5", "5.1.6"}, NSA: []string{check.NSATokens}, ThreatMatrix: []string{check.MSContainerSA}},
			Tags:        []string{"service-account"},
		},
		Kinds: []string{"ServiceAccount"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			sa, ok := obj.Typed.(*corev1.ServiceAccount)
			if !ok {
				return
			}
			switch a := sa.AutomountServiceAccountToken; {
			case a == nil:
				ctx.Report(obj, "automountServiceAccountToken", "ServiceAccount %q does not set automountServiceAccountToken: false", obj.Name())
			case *a:
				ctx.Report(obj, "automountServiceAccountToken", "ServiceAccount %q sets automountServiceAccountToken: true", obj.Name())
			}
		},
	}
}

func legacyTokenSecret() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-SA-004", Name: "legacy-token-secret",
			Title:    "Long-lived service account token Secret",
			Severity: finding.Medium,
			Description: "A Secret of type kubernetes.io/service-account-token makes the control plane issue a token for the service account " +
				"that never expires and is not bound to any pod: it stays valid until the Secret is deleted, wherever it has been copied " +
				"(CI variables, laptops, logs). Kubernetes itself stopped creating such Secrets in 1.24 and cleans up unused ones.",
			Remediation: "Delete the Secret. Give pods tokens through projected serviceAccountToken volumes (the default), and clients outside " +
				"the cluster short-lived tokens from the TokenRequest API (kubectl create token) or, better, their own identity.",
			References: []string{
				"https://kubernetes.io/docs/concepts/configuration/secret/#serviceaccount-token-secrets",
				"https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#legacy-serviceaccount-token-cleaner",
			},
			Mappings: finding.Mappings{NSA: []string{check.NSATokens}, ThreatMatrix: []string{check.MSContainerSA}},
			Tags:     []string{"service-account", "secret"},
		},
		Kinds: []string{"Secret"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			s, ok := obj.Typed.(*corev1.Secret)
			if !ok || s.Type != corev1.SecretTypeServiceAccountToken {
				return
			}
			if sa := s.Annotations[corev1.ServiceAccountNameKey]; sa != "" {
				ctx.Report(obj, "type", "Secret %q holds a long-lived token of service account %q", obj.Name(), sa)
				return
			}
			ctx.Report(obj, "type", "Secret %q is of type %q, a long-lived service account token", obj.Name(), string(s.Type))
		},
	}
}
