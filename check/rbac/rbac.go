// Package rbac checks Roles, ClusterRoles and their bindings for
// permissions that lead to privilege escalation, credential theft or
// loss of audit trail, rule by rule: wildcards, reading Secrets, creating
// workloads, exec into pods, the node proxy, token creation, changing RBAC or
// admission control, approving certificates, and bindings to cluster-admin,
// system:masters, anonymous or all authenticated users.
//
// Rules are matched as the RBAC authorizer matches them: "*" covers every
// verb, group and resource, "*/exec" covers that subresource of every
// resource, and "pods/*" covers nothing. Rules limited by resourceNames, the
// roles and bindings Kubernetes creates itself (labelled
// kubernetes.io/bootstrapping: rbac-defaults), and the rules of aggregated
// ClusterRoles (which the controller fills in) are left out.
package rbac

import (
	"fmt"
	"strings"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Checks returns the RBAC checks.
func Checks() []*check.Check {
	return []*check.Check{
		wildcard(), clusterAdminBinding(), anonymousBinding(), allAuthenticatedBinding(), escalate(),
		readSecrets(), createWorkloads(), execPods(), nodeProxy(), createTokens(), modifyRBAC(),
		approveCertificates(), deleteEvents(), createPersistentVolumes(), systemMastersBinding(),
		defaultServiceAccountBinding(), modifyNamespaces(),
	}
}

const (
	rbacDoc       = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/"
	goodPractices = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"
)

var (
	roleKinds    = []string{"Role", "ClusterRole"}
	bindingKinds = []string{"RoleBinding", "ClusterRoleBinding"}
)

const (
	groupRBAC      = "rbac.authorization.k8s.io"
	groupAdmission = "admissionregistration.k8s.io"
)

var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

// ruleCheck builds a check that reports every rule of a Role or
// ClusterRole that grants one of the asks: the permission lets the role's
// subjects do what (a phrase such as "read Secrets").
func ruleCheck(r finding.Rule, what string, asks func(ctx *check.Context) []ask) *check.Check {
	r.Tags = append([]string{"rbac"}, r.Tags...)
	r.References = append([]string{rbacDoc, goodPractices}, r.References...)
	r.Mappings.NSA = []string{check.NSARBAC}
	return &check.Check{
		Rule:  r,
		Kinds: roleKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			rules, ok := rulesOf(obj)
			if !ok || bootstrapped(obj) {
				return
			}
			as := asks(ctx)
			for i, rl := range rules {
				if len(rl.ResourceNames) > 0 || rl.everything() {
					continue // narrowed to named objects; or DZ-RBAC-001's
				}
				granted := grants(rl, as, obj.Kind == "Role")
				if granted == "" {
					continue
				}
				ctx.Report(obj, k8s.Path("rules").Index(i), "%s %q lets its subjects %s: rule %d grants %s",
					obj.Kind, obj.Name(), what, i+1, granted)
			}
		},
	}
}

// grants describes what of the asks a rule grants, or "" for nothing:
// "get, list on secrets; create on deployments, statefulsets (apps)". A
// Role cannot grant cluster-scoped resources.
func grants(rl rule, as []ask, namespaced bool) string {
	type grant struct {
		verbs, group string
		resources    []string
	}
	var gs []grant
	for _, a := range as {
		if a.cluster && namespaced {
			continue
		}
		vs := rl.granted(a)
		if len(vs) == 0 {
			continue
		}
		res := a.resource
		if a.prefix {
			res += "/*"
		}
		g := grant{verbs: strings.Join(vs, ", "), group: a.group}
		if n := len(gs); n > 0 && gs[n-1].verbs == g.verbs && gs[n-1].group == g.group {
			gs[n-1].resources = append(gs[n-1].resources, res)
			continue
		}
		g.resources = []string{res}
		gs = append(gs, g)
	}
	parts := make([]string, len(gs))
	for j, g := range gs {
		parts[j] = g.verbs + " on " + strings.Join(g.resources, ", ")
		if g.group != "" {
			parts[j] += " (" + g.group + ")"
		}
	}
	return strings.Join(parts, "; ")
}

// asks builds the asks of verbs on resources of one group.
func asks(verbs []string, group string, cluster bool, resources ...string) []ask {
	out := make([]ask, 0, len(resources))
	for _, r := range resources {
		out = append(out, ask{verbs: verbs, group: group, resource: r, cluster: cluster})
	}
	return out
}

func fixed(as ...[]ask) func(*check.Context) []ask {
	var all []ask
	for _, a := range as {
		all = append(all, a...)
	}
	return func(*check.Context) []ask { return all }
}

func wildcard() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-RBAC-001", Name: "wildcard",
			Title:    "Role grants wildcard permissions",
			Severity: finding.High,
			Description: "A \"*\" in a rule's verbs, resources or API groups grants everything that matches, including " +
				"verbs, subresources and resources added later by Kubernetes or by custom resource definitions: secrets, " +
				"pods/exec, escalate and impersonate among them. Such roles grant far more than their authors meant.",
			Remediation: "List the verbs, API groups and resources the subjects need explicitly.",
			References:  []string{rbacDoc, goodPractices},
			Mappings:    finding.Mappings{CIS: []string{"5.1.3"}, NSA: []string{check.NSARBAC}},
			Tags:        []string{"rbac"},
		},
		Kinds: roleKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			rules, ok := rulesOf(obj)
			if !ok || bootstrapped(obj) {
				return
			}
			for i, rl := range rules {
				var fields []string
				var at k8s.Path
				for _, f := range []struct {
					name  string
					items []string
				}{{"verbs", rl.Verbs}, {"apiGroups", rl.APIGroups}, {"resources", rl.Resources}} {
					for _, it := range f.items {
						if strings.HasPrefix(it, "*") {
							if at == "" {
								at = k8s.Path("rules").Index(i).Field(f.name)
							}
							fields = append(fields, fmt.Sprintf("%s %q", f.name, it))
							break
						}
					}
				}
				switch {
				case rl.everything():
					ctx.Report(obj, at, "%s %q: rule %d grants every verb on every resource", obj.Kind, obj.Name(), i+1)
				case len(fields) > 0:
					ctx.Report(obj, at, "%s %q: rule %d uses wildcards: %s", obj.Kind, obj.Name(), i+1, strings.Join(fields, ", "))
				}
			}
		},
	}
}

func escalate() *check.Check {
	return ruleCheck(finding.Rule{
		ID: "DZ-RBAC-005", Name: "escalate-bind-impersonate",
		Title:    "Role grants escalate, bind or impersonate",
		Severity: finding.High,
		Description: "RBAC stops users from granting permissions they do not have, except for holders of escalate (edit " +
			"roles beyond one's own permissions), bind (bind any role, cluster-admin included) and impersonate (act as " +
			"another user, group or service account). Each is a direct path to cluster-admin.",
		Remediation: "Remove these verbs; where a controller needs bind, restrict it with resourceNames to the roles it " +
			"manages. Impersonation belongs to a few administrators, not to workloads.",
		References: []string{"https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping"},
		Mappings:   finding.Mappings{CIS: []string{"5.1.8"}},
	}, "escalate their privileges", fixed(
		asks([]string{"escalate", "bind"}, groupRBAC, false, "roles"),
		asks([]string{"escalate", "bind"}, groupRBAC, true, "clusterroles"),
		asks([]string{"impersonate"}, "", true, "users", "groups"),
		asks([]string{"impersonate"}, "", false, "serviceaccounts"),
		asks([]string{"impersonate"}, "authentication.k8s.io", true, "uids"),
		[]ask{{verbs: []string{"impersonate"}, group: "authentication.k8s.io", resource: "userextras", prefix: true, cluster: true}},
	))
}

func readSecrets() *check.Check {
	return ruleCheck(finding.Rule{
		ID: "DZ-RBAC-006", Name: "read-secrets",
		Title:    "Role can read Secrets",
		Severity: finding.High,
		Description: "Reading Secrets gives their content: passwords, API keys, TLS keys and the tokens of service " +
			"accounts, some of which hold more privileges than the reader. list and watch return every Secret with its " +
			"data, not just names.",
		Remediation: "Mount the Secrets a workload needs instead of reading them through the API; where reading is needed, " +
			"grant get only, limited with resourceNames to the Secrets concerned.",
		Mappings: finding.Mappings{CIS: []string{"5.1.2"}, ThreatMatrix: []string{check.MSListSecrets}},
	}, "read Secrets", fixed(asks([]string{"get", "list", "watch"}, "", false, "secrets")))
}

func createWorkloads() *check.Check {
	return ruleCheck(finding.Rule{
		ID: "DZ-RBAC-007", Name: "create-workloads",
		Title:    "Role can create pods or workloads",
		Severity: finding.Medium,
		Description: "Whoever can create a pod, directly or through a Deployment, Job or other controller, can run it " +
			"with any service account of the namespace and mount any Secret, ConfigMap or volume of the namespace; where " +
			"admission allows, a privileged pod takes over the node.",
		Remediation: "Grant pod and workload creation only to deployment tooling and the controllers that need it, and " +
			"enforce the Pod Security Standards in the namespace.",
		References: []string{"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation"},
		Mappings:   finding.Mappings{CIS: []string{"5.1.4"}, ThreatMatrix: []string{check.MSNewContainer}},
	}, "create pods or workloads", fixed(
		asks([]string{"create"}, "", false, "pods", "replicationcontrollers"),
		asks([]string{"create"}, "apps", false, "deployments", "replicasets", "statefulsets", "daemonsets"),
		asks([]string{"create"}, "batch", false, "jobs", "cronjobs"),
	))
}

func execPods() *check.Check {
	return ruleCheck(finding.Rule{
		ID: "DZ-RBAC-008", Name: "exec-attach-portforward",
		Title:    "Role can exec into, attach to or port-forward pods",
		Severity: finding.High,
		Description: "pods/exec and pods/attach run commands in, or take over the terminal of, any pod of the namespace, " +
			"with that pod's service account token and Secrets; pods/portforward reaches its ports past network policies; " +
			"adding an ephemeral container does the same as exec. Before Kubernetes 1.30, get on these subresources was " +
			"enough over WebSocket connections.",
		Remediation: "Grant these subresources to administrators for break-glass access only, not to workloads or CI.",
		References:  []string{"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalation-paths"},
		Mappings:    finding.Mappings{ThreatMatrix: []string{check.MSExecIntoContainer}},
	}, "run commands in pods", func(ctx *check.Context) []ask {
		verbs := []string{"create"}
		if t := ctx.Options().KubeVersion; t.Major != 0 && t.Before(check.Version{Major: 1, Minor: 30}) {
			verbs = append(verbs, "get")
		}
		out := asks(verbs, "", false, "pods/exec", "pods/attach", "pods/portforward")
		return append(out, asks([]string{"update", "patch"}, "", false, "pods/ephemeralcontainers")...)
	})
}

func nodeProxy() *check.Check {
	return ruleCheck(finding.Rule{
		ID: "DZ-RBAC-009", Name: "node-proxy",
		Title:    "Role can use the node proxy",
		Severity: finding.High,
		Description: "The nodes/proxy subresource reaches the kubelet API of every node through the API server, with the " +
			"kubelet's authority: it can run commands in any container of the node (get alone suffices over WebSocket) " +
			"and read its logs and metrics, past admission control, and the audit log records only proxy requests.",
		Remediation: "Do not grant nodes/proxy; monitoring agents can read metrics through nodes/metrics and nodes/stats.",
		References:  []string{"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#access-to-proxy-subresource-of-nodes"},
		Mappings:    finding.Mappings{CIS: []string{"5.1.10"}, ThreatMatrix: []string{check.MSAccessKubelet}},
	}, "reach the kubelet API", fixed(asks([]string{"get", "create", "update", "patch", "delete", "list", "watch"}, "", true, "nodes/proxy")))
}

func createTokens() *check.Check {
	return ruleCheck(finding.Rule{
		ID: "DZ-RBAC-010", Name: "create-tokens",
		Title:    "Role can create service account tokens",
		Severity: finding.High,
		Description: "create on serviceaccounts/token issues tokens for any service account in scope, with lifetimes up to " +
			"the API server's maximum: the holder can act as the most privileged service account of the namespace, or " +
			"of the cluster for a ClusterRole.",
		Remediation: "Do not grant serviceaccounts/token to workloads; where a component must request tokens, limit it with " +
			"resourceNames to the service accounts concerned.",
		References: []string{"https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#token-request-api"},
		Mappings:   finding.Mappings{CIS: []string{"5.1.13"}},
	}, "create service account tokens", fixed(asks([]string{"create"}, "", false, "serviceaccounts/token")))
}

func modifyRBAC() *check.Check {
	return ruleCheck(finding.Rule{
		ID: "DZ-RBAC-011", Name: "modify-rbac-or-admission",
		Title:    "Role can change RBAC or admission control",
		Severity: finding.High,
		Description: "Writing roles and bindings changes who may do what (bounded by escalation prevention, unless " +
			"escalate or bind are granted too); writing webhook configurations and admission policies can switch off the " +
			"policies that guard the cluster, or send every object, Secrets included, to a webhook of the writer's choice.",
		Remediation: "Leave RBAC and admission configuration to cluster administrators and the deployment pipeline; grant " +
			"controllers only the verbs and resourceNames they need.",
		References: []string{"https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/"},
		Mappings:   finding.Mappings{CIS: []string{"5.1.12"}, ThreatMatrix: []string{check.MSAdmissionControl}},
	}, "change RBAC or admission control", fixed(
		asks(writeVerbs, groupRBAC, false, "roles", "rolebindings"),
		asks(writeVerbs, groupRBAC, true, "clusterroles", "clusterrolebindings"),
		asks(writeVerbs, groupAdmission, true, "mutatingwebhookconfigurations", "validatingwebhookconfigurations",
			"validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies",
			"mutatingadmissionpolicybindings"),
	))
}

func approveCertificates() *check.Check {
	return ruleCheck(finding.Rule{
		ID: "DZ-RBAC-012", Name: "approve-certificates",
		Title:    "Role can approve certificate signing requests",
		Severity: finding.High,
		Description: "Approving CertificateSigningRequests (with approve on the signer) lets the holder have the cluster's CA sign " +
			"client certificates for any user or group it names, system:masters included: a login as cluster-admin that no RBAC change can revoke " +
			"before the certificate expires.",
		Remediation: "Leave approval to the control plane's approvers and to administrators; never grant it to workloads.",
		References:  []string{"https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#approval-rejection"},
		Mappings:    finding.Mappings{CIS: []string{"5.1.11"}},
	}, "approve certificates", fixed(asks([]string{"update", "patch"}, "certificates.k8s.io", true, "certificatesigningrequests/approval")))
}

func deleteEvents() *check.Check {
	return ruleCheck(finding.Rule{
		ID: "DZ-RBAC-013", Name: "delete-events",
		Title:    "Role can delete events",
		Severity: finding.Low,
		Description: "Events record what happened in the cluster (pods started, images pulled, probes failed); deleting " +
			"them hides an attacker's actions from operators and from tools that watch events.",
		Remediation: "Do not grant delete or deletecollection on events; Kubernetes expires them on its own.",
		Mappings:    finding.Mappings{ThreatMatrix: []string{check.MSDeleteEvents}},
	}, "delete events", fixed(
		asks([]string{"delete", "deletecollection"}, "", false, "events"),
		asks([]string{"delete", "deletecollection"}, "events.k8s.io", false, "events"),
	))
}

func createPersistentVolumes() *check.Check {
	return ruleCheck(finding.Rule{
		ID: "DZ-RBAC-014", Name: "create-persistent-volumes",
		Title:    "Role can create PersistentVolumes",
		Severity: finding.Medium,
		Description: "A PersistentVolume may be a hostPath volume: whoever can create one, and a claim that binds it, " +
			"mounts any directory of the node into a pod, past the Pod Security Standards that forbid hostPath in pods.",
		Remediation: "Let a StorageClass provision volumes dynamically, and keep PersistentVolume creation to administrators.",
		References:  []string{"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#persistent-volume-creation"},
		Mappings:    finding.Mappings{CIS: []string{"5.1.9"}},
	}, "create PersistentVolumes", fixed(asks([]string{"create"}, "", true, "persistentvolumes")))
}

func modifyNamespaces() *check.Check {
	return ruleCheck(finding.Rule{
		ID: "DZ-RBAC-017", Name: "modify-namespaces",
		Title:    "Role can change namespaces",
		Severity: finding.Medium,
		Description: "Pod Security Admission reads its level from the labels of the namespace: whoever may update or patch " +
			"a namespace can set pod-security.kubernetes.io/enforce: privileged and then run privileged pods in it. A Role " +
			"grants this on its own namespace.",
		Remediation: "Keep namespace updates to administrators and the deployment pipeline.",
		References:  []string{"https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces"},
	}, "change namespace labels", fixed(asks([]string{"update", "patch"}, "", false, "namespaces")))
}
