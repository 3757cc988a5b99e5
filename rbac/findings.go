package rbac

import (
	"fmt"
	"strings"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
)

// RuleCarriesAdminPath is the scan finding of a workload whose pods carry
// a path to cluster-admin.
var RuleCarriesAdminPath = &finding.Rule{
	ID: "DZ-ACC-030", Name: "workload-carries-admin-path",
	Title:    "Workload's pods carry a path to cluster-admin",
	Severity: finding.Critical,
	Description: "The pods of this workload hold a service account token that is, or leads to, power equal to cluster-admin " +
		"(through the escalation graph of `dozor access paths`: minting tokens, exec into other pods, creating pods, bind, " +
		"escalate, impersonate, ...), or a container can take its node, where the tokens of other pods lead there. Whoever " +
		"compromises one of its containers (a vulnerable dependency, a leaked credential, an exposed debug port) gets the " +
		"cluster for free. Critical when the token is cluster-admin's power or one step from it, high when further.",
	Remediation: "Give the workload a service account of its own with only what it needs; set automountServiceAccountToken: false " +
		"where it needs no API access; remove privileged, host-path and capability settings that let it take its node; and " +
		"break the steps `dozor access paths --subject serviceaccount:NS:NAME` shows.",
	References: []string{"https://kubernetes.io/docs/concepts/security/rbac-good-practices/",
		"https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"},
	Mappings: finding.Mappings{ThreatMatrix: []string{"MS-TA9016", "MS-TA9019"}},
	Tags:     []string{"access", "escalation", "workload"},
}

// Rules lists the rules of the access analysis's scan findings.
func Rules() []*finding.Rule { return []*finding.Rule{RuleCarriesAdminPath} }

// Checks returns the rules as checks, for selection (--checks, --skip,
// --tags), the catalogue and the reports' passed checks. They look at no
// object one by one: a scan builds the graph of all of them.
func Checks() []*check.Check {
	return []*check.Check{{Rule: *RuleCarriesAdminPath,
		Kinds: []string{"Pod", "ReplicationController", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"}}}
}

// CarrierFinding is a scan finding about a workload (Kind, Namespace,
// Name of the object).
type CarrierFinding struct {
	Kind, Namespace, Name string
	Finding               finding.Finding
}

// CarrierFindings are the findings of RuleCarriesAdminPath: one per
// workload in Carriers.
func (g *Graph) CarrierFindings() []CarrierFinding {
	var out []CarrierFinding
	for _, c := range g.Carriers() {
		kind, rest, _ := strings.Cut(c.Workload, " ")
		ns, name, _ := strings.Cut(rest, "/")
		sev := finding.High
		if c.Steps <= 2 {
			sev = finding.Critical
		}
		out = append(out, CarrierFinding{Kind: kind, Namespace: ns, Name: name, Finding: finding.Finding{
			Rule: RuleCarriesAdminPath, Severity: sev, Message: carrierMessage(&c),
		}})
	}
	return out
}

func carrierMessage(c *Carrier) string {
	var steps []string
	for _, s := range c.Path {
		if !s.Free {
			steps = append(steps, s.How)
		}
	}
	how := strings.Join(steps, " → ")
	pods := ""
	if n := len(c.Pods); n > 1 {
		pods = fmt.Sprintf(" (%d pods)", n)
	}
	if c.ServiceAccount != "" {
		if c.Steps == 2 {
			return fmt.Sprintf("its pods%s hold the token of service account %s, which has cluster-admin's power (%s)", pods, c.ServiceAccount, how)
		}
		return fmt.Sprintf("its pods%s hold the token of service account %s, which reaches cluster-admin in %d more steps (%s)", pods, c.ServiceAccount, c.Steps-1, how)
	}
	first := "a container can take its node"
	if len(c.Path) > 0 {
		first = c.Path[0].Why
	}
	return fmt.Sprintf("%s; from there cluster-admin is %d more steps (%s)", first, c.Steps-1, how)
}
