package rbac

import (
	"fmt"
	"strings"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// harmlessRoles are built-in ClusterRoles made to be bound to everyone:
// they grant discovery, self-review, version and health endpoints, and the
// service account issuer's public keys.
var harmlessRoles = map[string]bool{
	"system:basic-user": true, "system:discovery": true, "system:public-info-viewer": true,
	"system:service-account-issuer-discovery": true,
}

// subjectCheck builds a check that reports every subject of a binding that
// match accepts; match returns what the subject is, for the message.
func subjectCheck(r finding.Rule, match func(obj *k8s.Object, s subject, ref roleRef) string) *check.Check {
	r.Tags = append([]string{"rbac"}, r.Tags...)
	r.References = append([]string{rbacDoc, goodPractices}, r.References...)
	r.Mappings.NSA = []string{check.NSARBAC}
	return &check.Check{
		Rule:  r,
		Kinds: bindingKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			subs, ref, ok := bindingOf(obj)
			if !ok || bootstrapped(obj) {
				return
			}
			for i, s := range subs {
				if what := match(obj, s, ref); what != "" {
					ctx.Report(obj, k8s.Path("subjects").Index(i).Field("name"), "%s %q grants %s %q to %s",
						obj.Kind, obj.Name(), ref.Kind, ref.Name, what)
				}
			}
		},
	}
}

func clusterAdminBinding() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-RBAC-002", Name: "cluster-admin-binding",
			Title:    "Binding to cluster-admin",
			Severity: finding.High,
			Description: "The cluster-admin ClusterRole grants every action on every resource. Bound cluster-wide it owns the " +
				"cluster; bound in a namespace it owns the namespace, its Secrets and its RBAC. Whoever compromises a subject " +
				"of the binding (a workload's service account, a CI token) gets all of that.",
			Remediation: "Bind a role with the permissions the subjects need; keep cluster-admin for break-glass accounts.",
			References:  []string{rbacDoc + "#user-facing-roles", goodPractices},
			Mappings: finding.Mappings{CIS: []string{"5.1.1"}, NSA: []string{check.NSARBAC},
				ThreatMatrix: []string{check.MSClusterAdmin}},
			Tags: []string{"rbac"},
		},
		Kinds: bindingKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			subs, ref, ok := bindingOf(obj)
			if !ok || bootstrapped(obj) || ref.Kind != "ClusterRole" || ref.Name != "cluster-admin" {
				return
			}
			ctx.Report(obj, "roleRef.name", "%s %q grants cluster-admin to %s", obj.Kind, obj.Name(), subjects(subs))
		},
	}
}

// subjects describes a binding's subjects for messages.
func subjects(subs []subject) string {
	if len(subs) == 0 {
		return "no subject"
	}
	var out []string
	for i, s := range subs {
		if i == 3 {
			out = append(out, fmt.Sprintf("%d more", len(subs)-3))
			break
		}
		out = append(out, describeSubject(s))
	}
	return strings.Join(out, ", ")
}

func describeSubject(s subject) string {
	if s.Kind == "ServiceAccount" && s.Namespace != "" {
		return fmt.Sprintf("ServiceAccount %q", s.Namespace+"/"+s.Name)
	}
	return fmt.Sprintf("%s %q", s.Kind, s.Name)
}

func anonymousBinding() *check.Check {
	return subjectCheck(finding.Rule{
		ID: "DZ-RBAC-003", Name: "anonymous-binding",
		Title:    "Binding grants permissions to anonymous users",
		Severity: finding.Critical,
		Description: "The user system:anonymous and the group system:unauthenticated are every request without " +
			"credentials: anyone who can reach the API server, from the Internet where it is exposed. Whatever the bound " +
			"role grants, they get it without logging in. The built-in discovery and health roles made for this are left out.",
		Remediation: "Remove the subject; give the permission to authenticated users or groups that need it, and disable " +
			"anonymous authentication (--anonymous-auth=false, or its AuthenticationConfiguration) where possible.",
		References: []string{"https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests"},
	}, func(obj *k8s.Object, s subject, ref roleRef) string {
		if harmlessRoles[ref.Name] || obj.Namespace() == "kube-public" && ref.Name == "kubeadm:bootstrap-signer-clusterinfo" {
			return ""
		}
		switch {
		case s.Kind == "User" && s.Name == "system:anonymous":
			return "anonymous users (User \"system:anonymous\")"
		case s.Kind == "Group" && (s.Name == "system:unauthenticated" || s.Name == "system:anonymous"):
			return fmt.Sprintf("unauthenticated users (Group %q)", s.Name)
		}
		return ""
	})
}

func allAuthenticatedBinding() *check.Check {
	return subjectCheck(finding.Rule{
		ID: "DZ-RBAC-004", Name: "all-authenticated-binding",
		Title:    "Binding grants permissions to every authenticated user",
		Severity: finding.High,
		Description: "The group system:authenticated holds every user and service account that can log in, including " +
			"every pod's service account and, on some managed platforms, any account of the cloud provider; " +
			"system:serviceaccounts holds every service account of the cluster. A role bound to either is granted to all " +
			"of them. The built-in discovery and health roles made for this are left out.",
		Remediation: "Bind the role to the users, groups or service accounts that need it.",
		References:  []string{"https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-subjects"},
	}, func(_ *k8s.Object, s subject, ref roleRef) string {
		if harmlessRoles[ref.Name] || s.Kind != "Group" {
			return ""
		}
		switch s.Name {
		case "system:authenticated":
			return "every authenticated user (Group \"system:authenticated\")"
		case "system:serviceaccounts":
			return "every service account of the cluster (Group \"system:serviceaccounts\")"
		}
		return ""
	})
}

func systemMastersBinding() *check.Check {
	return subjectCheck(finding.Rule{
		ID: "DZ-RBAC-015", Name: "system-masters-binding",
		Title:    "Binding to the system:masters group",
		Severity: finding.High,
		Description: "Members of system:masters bypass RBAC and webhook authorization altogether: a certificate with that " +
			"organisation is cluster-admin for as long as it is valid, and no binding can be removed to revoke it. " +
			"Binding more roles to the group is pointless, and signals that credentials in that group are being handed out.",
		Remediation: "Do not use system:masters for users or workloads; create a group of your own bound to the roles it needs.",
		References:  []string{"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege"},
		Mappings:    finding.Mappings{CIS: []string{"5.1.7"}},
	}, func(_ *k8s.Object, s subject, _ roleRef) string {
		if s.Kind == "Group" && s.Name == "system:masters" {
			return "the system:masters group"
		}
		return ""
	})
}

func defaultServiceAccountBinding() *check.Check {
	return subjectCheck(finding.Rule{
		ID: "DZ-RBAC-016", Name: "default-service-account-binding",
		Title:    "Binding grants permissions to a default service account",
		Severity: finding.Low,
		Description: "Every pod that names no service account runs as its namespace's default service account: a role " +
			"bound to it is granted to all of them, including pods that need no API access at all.",
		Remediation: "Create a dedicated ServiceAccount for the workload that needs the permissions, bind the role to it, " +
			"and leave the default service account without bindings.",
		References: []string{"https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"},
		Mappings:   finding.Mappings{CIS: []string{"5.1.5"}, ThreatMatrix: []string{check.MSContainerSA}},
	}, func(obj *k8s.Object, s subject, _ roleRef) string {
		if s.Kind != "ServiceAccount" || s.Name != "default" {
			return ""
		}
		ns := s.Namespace
		if ns == "" {
			ns = obj.Namespace()
		}
		return fmt.Sprintf("the default service account of namespace %q", ns)
	})
}
