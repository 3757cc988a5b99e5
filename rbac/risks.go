package rbac

import (
	"cmp"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/dozor-dev/dozor/finding"
)

// Pattern is a kind of dangerous access: what it lets a subject do, the
// Microsoft Threat Matrix for Kubernetes techniques it serves, and the
// requests that grant it (any one of them).
type Pattern struct {
	ID       string           `json:"id"`
	Name     string           `json:"name"`
	Title    string           `json:"title"`
	Severity finding.Severity `json:"severity"`
	// Techniques are Threat Matrix technique IDs (MS-TA90xx).
	Techniques []string `json:"techniques"`
	Why        string   `json:"why"`
	asks       []ask
	// special patterns look at subjects and rules rather than requests.
	special func(b *Binding, s rbacv1.Subject, rules []rbacv1.PolicyRule) bool
}

// ask is a request a pattern looks for. cluster: only a ClusterRoleBinding
// grants it (the resource is cluster-scoped); namespace: only in that
// namespace (or cluster-wide).
type ask struct {
	verb, group, resource, subresource string
	cluster                            bool
	namespace                          string
}

func asks(verbs []string, group string, resources ...string) []ask {
	var out []ask
	for _, r := range resources {
		res, sub, _ := strings.Cut(r, "/")
		for _, v := range verbs {
			out = append(out, ask{verb: v, group: group, resource: res, subresource: sub})
		}
	}
	return out
}

func clusterScoped(as []ask) []ask {
	for i := range as {
		as[i].cluster = true
	}
	return as
}

func inNamespace(ns string, as []ask) []ask {
	for i := range as {
		as[i].namespace = ns
	}
	return as
}

var (
	write = []string{"create", "update", "patch"}
	read  = []string{"get", "list", "watch"}
)

// Patterns are the dangerous accesses Dozor looks for, in a fixed order.
// Their IDs never change.
var Patterns = []*Pattern{
	{ID: "DZ-ACC-001", Name: "full-control", Title: "Every verb on every resource", Severity: finding.Critical, Techniques: []string{"MS-TA9019"},
		Why: "A rule with the verb * on the resource * in every API group is cluster-admin in all but name (in a namespace: admin of the namespace, and of its secrets and service accounts).",
		special: func(_ *Binding, _ rbacv1.Subject, rules []rbacv1.PolicyRule) bool {
			return slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool {
				return has(r.Verbs, "*") && slices.Contains(r.Resources, "*") && slices.Contains(r.APIGroups, "*")
			})
		}},
	{ID: "DZ-ACC-002", Name: "read-secrets", Title: "Reads secrets", Severity: finding.High, Techniques: []string{"MS-TA9025"},
		Why:  "Secrets hold service account tokens, registry credentials, TLS keys and application passwords: reading them is taking them.",
		asks: asks(read, "", "secrets")},
	{ID: "DZ-ACC-003", Name: "create-pods", Title: "Creates pods", Severity: finding.High, Techniques: []string{"MS-TA9008", "MS-TA9016"},
		Why:  "A pod may run as any service account of its namespace (and so hold its token), mount hostPath volumes or run privileged where Pod Security allows it: creating pods is becoming any of those.",
		asks: asks([]string{"create"}, "", "pods")},
	{ID: "DZ-ACC-004", Name: "create-workloads", Title: "Creates or changes workloads", Severity: finding.High, Techniques: []string{"MS-TA9008", "MS-TA9012"},
		Why: "A Deployment, DaemonSet, StatefulSet, ReplicaSet or Job makes pods with whatever service account and volumes its template says: as good as creating pods, and a DaemonSet lands on every node.",
		asks: append(append(asks(write, "apps", "deployments", "daemonsets", "statefulsets", "replicasets"), asks(write, "batch", "jobs")...),
			asks(write, "", "replicationcontrollers")...)},
	{ID: "DZ-ACC-005", Name: "create-cronjobs", Title: "Creates or changes CronJobs", Severity: finding.High, Techniques: []string{"MS-TA9014"},
		Why:  "A CronJob runs pods on a schedule: persistence that survives the deletion of everything else the attacker made.",
		asks: asks(write, "batch", "cronjobs")},
	{ID: "DZ-ACC-006", Name: "exec-pods", Title: "Executes commands in pods", Severity: finding.High, Techniques: []string{"MS-TA9006"},
		Why:  "pods/exec runs a command in any container of the namespace, with its service account token, its secrets and its network position.",
		asks: asks([]string{"create", "get"}, "", "pods/exec")},
	{ID: "DZ-ACC-007", Name: "attach-pods", Title: "Attaches to pods", Severity: finding.High, Techniques: []string{"MS-TA9006"},
		Why:  "pods/attach connects to a running container's console: where a shell runs, that is a shell in the container.",
		asks: asks([]string{"create", "get"}, "", "pods/attach")},
	{ID: "DZ-ACC-008", Name: "port-forward", Title: "Port-forwards into pods", Severity: finding.Medium, Techniques: []string{"MS-TA9034"},
		Why:  "pods/portforward reaches any port of any pod of the namespace from outside the cluster, past network policies and ingress controls.",
		asks: asks([]string{"create", "get"}, "", "pods/portforward")},
	{ID: "DZ-ACC-009", Name: "ephemeral-containers", Title: "Adds ephemeral containers to pods", Severity: finding.High, Techniques: []string{"MS-TA9006", "MS-TA9011"},
		Why:  "An ephemeral container (kubectl debug) joins a running pod, with its namespaces, volumes and service account: exec without the exec permission.",
		asks: asks([]string{"update", "patch"}, "", "pods/ephemeralcontainers")},
	{ID: "DZ-ACC-010", Name: "escalate", Title: "Escalates roles", Severity: finding.Critical, Techniques: []string{"MS-TA9019"},
		Why:  "The escalate verb lets a subject write roles with permissions it does not hold itself: any permission, then.",
		asks: asks([]string{"escalate"}, "rbac.authorization.k8s.io", "roles", "clusterroles")},
	{ID: "DZ-ACC-011", Name: "bind", Title: "Binds roles it does not hold", Severity: finding.Critical, Techniques: []string{"MS-TA9019"},
		Why:  "The bind verb lets a subject bind roles with permissions it does not hold, cluster-admin included, to itself.",
		asks: asks([]string{"bind"}, "rbac.authorization.k8s.io", "roles", "clusterroles")},
	{ID: "DZ-ACC-012", Name: "impersonate", Title: "Impersonates users, groups or service accounts", Severity: finding.Critical, Techniques: []string{"MS-TA9019"},
		Why: "Impersonation makes every request as someone else: impersonating the group system:masters is cluster-admin.",
		asks: append(asks([]string{"impersonate"}, "", "users", "groups", "serviceaccounts"),
			asks([]string{"impersonate"}, "authentication.k8s.io", "userextras", "uids")...)},
	{ID: "DZ-ACC-013", Name: "create-tokens", Title: "Creates service account tokens", Severity: finding.High, Techniques: []string{"MS-TA9016"},
		Why:  "serviceaccounts/token mints a token for any service account of the namespace: becoming it, without any pod.",
		asks: asks([]string{"create"}, "", "serviceaccounts/token")},
	{ID: "DZ-ACC-014", Name: "approve-csr", Title: "Approves certificate signing requests", Severity: finding.High, Techniques: []string{"MS-TA9019"},
		Why:  "Approving a CSR for a client certificate with the organisation system:masters (or a node's name) makes a credential of that identity.",
		asks: clusterScoped(asks([]string{"update", "patch"}, "certificates.k8s.io", "certificatesigningrequests/approval"))},
	{ID: "DZ-ACC-015", Name: "sign-csr", Title: "Signs certificate signing requests", Severity: finding.High, Techniques: []string{"MS-TA9019"},
		Why:  "Writing a CSR's status is issuing its certificate: with a signer's key at hand, any identity.",
		asks: clusterScoped(asks([]string{"update", "patch"}, "certificates.k8s.io", "certificatesigningrequests/status"))},
	{ID: "DZ-ACC-016", Name: "nodes-proxy", Title: "Reaches the kubelet API through nodes/proxy", Severity: finding.Critical, Techniques: []string{"MS-TA9030", "MS-TA9006"},
		Why:  "nodes/proxy reaches every kubelet's API: run commands in any container on the node, read logs, bypassing audit of pods/exec.",
		asks: clusterScoped(asks([]string{"get", "create"}, "", "nodes/proxy"))},
	{ID: "DZ-ACC-017", Name: "write-admission-webhooks", Title: "Writes admission webhook configurations", Severity: finding.Critical, Techniques: []string{"MS-TA9015"},
		Why: "A mutating webhook sees and rewrites every object created, secrets included; a validating one can block the cluster. Both are classic persistence.",
		asks: clusterScoped(asks(write, "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "validatingwebhookconfigurations",
			"validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"))},
	{ID: "DZ-ACC-018", Name: "write-crds", Title: "Writes custom resource definitions", Severity: finding.High, Techniques: []string{"MS-TA9015"},
		Why:  "A CRD's conversion webhook receives every object of the type; changing a CRD operators rely on changes what they do.",
		asks: clusterScoped(asks(write, "apiextensions.k8s.io", "customresourcedefinitions"))},
	{ID: "DZ-ACC-019", Name: "write-rbac", Title: "Writes roles or bindings", Severity: finding.High, Techniques: []string{"MS-TA9019"},
		Why:  "Writing roles and bindings grants whatever the subject already holds to anyone (and with escalate or bind, more).",
		asks: asks(write, "rbac.authorization.k8s.io", "roles", "rolebindings", "clusterroles", "clusterrolebindings")},
	{ID: "DZ-ACC-020", Name: "relabel-namespaces", Title: "Changes namespaces (their Pod Security labels)", Severity: finding.High, Techniques: []string{"MS-TA9018"},
		Why:  "Pod Security is enforced by namespace labels: whoever may update a namespace may set it to privileged and run privileged pods there.",
		asks: clusterScoped(asks([]string{"update", "patch"}, "", "namespaces"))},
	{ID: "DZ-ACC-021", Name: "delete-events", Title: "Deletes events", Severity: finding.Medium, Techniques: []string{"MS-TA9022"},
		Why:  "Deleting events erases the traces an attack leaves in the cluster.",
		asks: append(asks([]string{"delete", "deletecollection"}, "", "events"), asks([]string{"delete", "deletecollection"}, "events.k8s.io", "events")...)},
	{ID: "DZ-ACC-022", Name: "write-nodes", Title: "Changes nodes", Severity: finding.High, Techniques: []string{"MS-TA9019"},
		Why:  "Labels and taints decide where pods run: changing them draws sensitive pods onto a node the attacker holds.",
		asks: clusterScoped(asks([]string{"update", "patch"}, "", "nodes"))},
	{ID: "DZ-ACC-023", Name: "create-persistentvolumes", Title: "Creates persistent volumes", Severity: finding.High, Techniques: []string{"MS-TA9013"},
		Why:  "A hostPath PersistentVolume bound to a claim mounts a node's file system into a pod, past Pod Security's hostPath ban.",
		asks: clusterScoped(asks([]string{"create"}, "", "persistentvolumes"))},
	{ID: "DZ-ACC-024", Name: "delete-data", Title: "Deletes namespaces or volumes", Severity: finding.Medium, Techniques: []string{"MS-TA9038"},
		Why: "Deleting a namespace deletes everything in it; deleting persistent volumes and claims deletes data.",
		asks: append(clusterScoped(asks([]string{"delete"}, "", "namespaces", "persistentvolumes")),
			asks([]string{"delete", "deletecollection"}, "", "persistentvolumeclaims")...)},
	{ID: "DZ-ACC-025", Name: "write-coredns", Title: "Changes CoreDNS's configuration", Severity: finding.High, Techniques: []string{"MS-TA9035"},
		Why:  "The coredns ConfigMap in kube-system decides how every name in the cluster resolves: changing it redirects traffic.",
		asks: inNamespace("kube-system", asks([]string{"update", "patch"}, "", "configmaps"))},
	{ID: "DZ-ACC-026", Name: "read-logs", Title: "Reads pod logs", Severity: finding.Low, Techniques: []string{"MS-TA9027"},
		Why:  "Applications log credentials more often than they should; logs also map the workloads.",
		asks: asks([]string{"get"}, "", "pods/log")},
	{ID: "DZ-ACC-027", Name: "anonymous-access", Title: "Grants to anonymous requests", Severity: finding.Critical, Techniques: []string{"MS-TA9005"},
		Why: "The user system:anonymous and the group system:unauthenticated are whoever reaches the API server without credentials.",
		special: func(b *Binding, s rbacv1.Subject, _ []rbacv1.PolicyRule) bool {
			return !b.Default && ((s.Kind == rbacv1.UserKind && s.Name == "system:anonymous") || (s.Kind == rbacv1.GroupKind && s.Name == "system:unauthenticated"))
		}},
	{ID: "DZ-ACC-028", Name: "all-authenticated", Title: "Grants to every authenticated identity", Severity: finding.High, Techniques: []string{"MS-TA9005"},
		Why: "system:authenticated is every user and every service account of every namespace: a grant to it is a grant to all, a compromised pod's token included.",
		special: func(b *Binding, s rbacv1.Subject, _ []rbacv1.PolicyRule) bool {
			return !b.Default && s.Kind == rbacv1.GroupKind && (s.Name == "system:authenticated" || s.Name == "system:serviceaccounts")
		}},
	{ID: "DZ-ACC-029", Name: "default-service-account-bound", Title: "A default service account holds a role", Severity: finding.Medium, Techniques: []string{"MS-TA9016"},
		Why: "Every pod that names no service account runs as its namespace's default one: a role bound to it is held by all those pods.",
		special: func(b *Binding, s rbacv1.Subject, _ []rbacv1.PolicyRule) bool {
			return !b.Default && s.Kind == rbacv1.ServiceAccountKind && s.Name == "default"
		}},
}

// Risk is a pattern a subject matches, and the bindings that grant it.
type Risk struct {
	Pattern *Pattern `json:"-"`
	Subject Subject  `json:"subject"`
	// Namespaces are where it holds: "" for every namespace.
	Namespaces []string `json:"namespaces"`
	Bindings   []string `json:"bindings"`
	// Implied are the patterns a full-control risk (DZ-ACC-001) holds
	// too, and that are not listed again for the same subject and places.
	Implied []string `json:"implied,omitempty"`
}

// Risks finds every pattern every subject matches. Bindings the API server
// makes itself (the controllers' and system components') are left out
// unless defaults is set.
func (m *Model) Risks(defaults bool) []Risk {
	m.aggregate()
	type key struct {
		p *Pattern
		s Subject
	}
	found := map[key]*Risk{}
	var order []key
	for _, b := range m.bindings {
		if b.Default && !defaults {
			continue
		}
		rules := m.rulesOf(b)
		for _, p := range Patterns {
			if !p.matchesBinding(b, rules) && p.special == nil {
				continue
			}
			for _, s := range b.Subjects {
				if p.special != nil && !p.special(b, s, rules) {
					continue
				}
				sub := Subject{Kind: s.Kind, Name: s.Name}
				if s.Kind == rbacv1.ServiceAccountKind {
					if sub.Namespace = subjectNamespace(b, s); sub.Namespace == "" {
						continue
					}
				}
				k := key{p, sub}
				r := found[k]
				if r == nil {
					r = &Risk{Pattern: p, Subject: sub}
					found[k] = r
					order = append(order, k)
				}
				if !slices.Contains(r.Namespaces, b.Namespace) {
					r.Namespaces = append(r.Namespaces, b.Namespace)
				}
				if name := bindingName(b); !slices.Contains(r.Bindings, name) {
					r.Bindings = append(r.Bindings, name)
				}
			}
		}
	}
	out := make([]Risk, 0, len(order))
	for _, k := range order {
		r := found[k]
		if slices.Contains(r.Namespaces, "") {
			r.Namespaces = []string{""}
		}
		slices.Sort(r.Namespaces)
		out = append(out, *r)
	}
	out = collapse(out)
	slices.SortStableFunc(out, func(a, b Risk) int {
		return cmp.Or(-cmp.Compare(a.Pattern.Severity, b.Pattern.Severity), cmp.Compare(a.Pattern.ID, b.Pattern.ID),
			cmp.Compare(a.Subject.Kind, b.Subject.Kind), cmp.Compare(a.Subject.Namespace, b.Subject.Namespace), cmp.Compare(a.Subject.Name, b.Subject.Name))
	})
	return out
}

// matchesBinding reports whether a rule of the binding's role grants one
// of the pattern's requests where the binding applies.
func (p *Pattern) matchesBinding(b *Binding, rules []rbacv1.PolicyRule) bool {
	if p.special != nil {
		return true
	}
	for _, a := range p.asks {
		if a.cluster && b.Namespace != "" {
			continue
		}
		if a.namespace != "" && b.Namespace != "" && b.Namespace != a.namespace {
			continue
		}
		attrs := Attributes{Verb: a.verb, APIGroup: a.group, Resource: a.resource, Subresource: a.subresource, Namespace: b.Namespace}
		for i := range rules {
			if RuleAllows(&rules[i], &attrs) {
				return true
			}
		}
	}
	return false
}

// collapse folds into a subject's full-control risk (every verb on every
// resource) the permission risks it implies in the same places: a
// cluster-admin is one line, not thirty. Risks about the subject itself
// (anonymous, every authenticated identity, a default service account)
// stay.
func collapse(risks []Risk) []Risk {
	full := map[Subject]int{}
	for i, r := range risks {
		if r.Pattern == Patterns[0] {
			full[r.Subject] = i
		}
	}
	if len(full) == 0 {
		return risks
	}
	out := risks[:0:0]
	for _, r := range risks {
		i, ok := full[r.Subject]
		if ok && r.Pattern != Patterns[0] && r.Pattern.special == nil && covers(risks[i].Namespaces, r.Namespaces) {
			risks[i].Implied = append(risks[i].Implied, r.Pattern.ID)
			continue
		}
		out = append(out, r)
	}
	for i := range out {
		if j, ok := full[out[i].Subject]; ok && out[i].Pattern == Patterns[0] {
			out[i].Implied = risks[j].Implied
		}
	}
	return out
}

// covers reports whether the places of a hold those of b ("" is every
// namespace).
func covers(a, b []string) bool {
	if slices.Contains(a, "") {
		return true
	}
	for _, ns := range b {
		if !slices.Contains(a, ns) {
			return false
		}
	}
	return true
}
