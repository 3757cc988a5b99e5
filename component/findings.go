package component

import (
	"fmt"
	"strings"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/vuln"
)

// The rules of component findings. Their IDs never change.
var (
	RuleKubernetesVulnerable = &finding.Rule{
		ID: "DZ-CMP-001", Name: "kubernetes-component-vulnerable",
		Title:    "Kubernetes component version has known vulnerabilities",
		Severity: finding.High,
		Description: "The version of a Kubernetes component (API server, controller manager, scheduler, kubelet, kube-proxy, etcd, " +
			"CoreDNS) is affected by published vulnerabilities. The finding lists them worst first, with the version that fixes each " +
			"in the component's own minor line where one exists. Its severity is the worst of them; unscored advisories count as medium, " +
			"and any CVE in CISA's Known Exploited Vulnerabilities catalogue makes it at least high.",
		Remediation: "Upgrade to the newest patch release of the minor line (it carries the fixes), or to a supported minor.",
		References:  []string{"https://kubernetes.io/docs/reference/issues-security/official-cve-feed/", "https://kubernetes.io/releases/patch-releases/"},
		Tags:        []string{"component", "vulnerability", "live"},
	}
	RuleRuntimeVulnerable = &finding.Rule{
		ID: "DZ-CMP-002", Name: "container-runtime-vulnerable",
		Title:    "Container runtime version has known vulnerabilities",
		Severity: finding.High,
		Description: "The container runtime a node reports (containerd, CRI-O, Docker Engine) is affected by published vulnerabilities, " +
			"among them container escapes such as CVE-2024-21626 (runc's leaked file descriptors, fixed in the runc bundled by " +
			"containerd 1.6.28 and 1.7.13) where the runtime release ships the vulnerable runc.",
		Remediation: "Upgrade the runtime on the node (and the runc it uses) to a release that fixes them.",
		References:  []string{"https://github.com/opencontainers/runc/security/advisories", "https://github.com/containerd/containerd/security/advisories"},
		Tags:        []string{"component", "vulnerability", "node", "live"},
	}
	RuleKernelEscape = &finding.Rule{
		ID: "DZ-CMP-003", Name: "kernel-container-escape",
		Title:    "Node kernel version has container-escape vulnerabilities",
		Severity: finding.High,
		Description: "The node's kernel version is in the affected range of a kernel vulnerability that lets a process in a container " +
			"gain root on the node (Dirty Pipe, the cgroup release_agent escape, nf_tables use-after-free, ...). A kernel.org version is " +
			"judged with confidence; a distribution's kernel (Ubuntu's -generic, Amazon Linux, RHEL) often carries the fix backported " +
			"without a new upstream number, so a match there is reported at medium severity as possibly vulnerable: a vulnerability is " +
			"not the same as being vulnerable, and the vendor's advisory decides.",
		Remediation: "Check the distribution's advisory for each CVE; upgrade the node's kernel (or node image) and reboot.",
		References:  []string{"https://www.kernel.org/category/releases.html"},
		Tags:        []string{"component", "vulnerability", "node", "kernel", "live"},
	}
	RuleEndOfLife = &finding.Rule{
		ID: "DZ-CMP-004", Name: "component-end-of-life",
		Title:    "Component release is past its end of life",
		Severity: finding.High,
		Description: "The release cycle of a component (the Kubernetes minor, or the managed service's, a node's operating system, " +
			"the container runtime, etcd) is past the end of life its maintainers publish (endoflife.date): it gets no security fixes, " +
			"so its vulnerabilities published from now on will never be fixed.",
		Remediation: "Upgrade to a supported release cycle.",
		References:  []string{"https://endoflife.date/kubernetes", "https://kubernetes.io/releases/"},
		Tags:        []string{"component", "lifecycle", "live"},
	}
	RuleSupportEnding = &finding.Rule{
		ID: "DZ-CMP-005", Name: "component-support-ending",
		Title:    "Component release is near its end of life or past active support",
		Severity: finding.Low,
		Description: "The release cycle of a component reaches its end of life soon (within the warning period, 90 days unless set), " +
			"or is past the end of active support and gets security fixes only.",
		Remediation: "Plan the upgrade to a newer release cycle before the end of life.",
		References:  []string{"https://endoflife.date/"},
		Tags:        []string{"component", "lifecycle", "live"},
	}
	RuleVersionSkew = &finding.Rule{
		ID: "DZ-CMP-006", Name: "version-skew",
		Title:    "Component version outside Kubernetes' version skew policy",
		Severity: finding.Medium,
		Description: "A kubelet, kube-proxy, controller manager or scheduler is newer than the API server, or older by more minors " +
			"than the policy allows (kubelet and kube-proxy three since 1.28, two before; controller manager and scheduler one). " +
			"Such combinations are not tested upstream, and an old kubelet lacks the fixes of its newer API server.",
		Remediation: "Upgrade the API server first, then the nodes, keeping within the policy.",
		References:  []string{"https://kubernetes.io/releases/version-skew-policy/"},
		Tags:        []string{"component", "live"},
	}
)

// Rules lists the rules of component findings.
func Rules() []*finding.Rule {
	return []*finding.Rule{RuleKubernetesVulnerable, RuleRuntimeVulnerable, RuleKernelEscape, RuleEndOfLife, RuleSupportEnding, RuleVersionSkew}
}

// Target is an object a component finding is about: a Node for node
// components, the workload or pod that runs a control-plane component, or
// the cluster itself for the API server known from /version.
type Target struct {
	Ref  finding.ObjectRef
	Path string
}

// Finding is a finding and the object it is about.
type Finding struct {
	Target  Target
	Finding finding.Finding
}

// nodeFields are the status.nodeInfo fields node components come from.
var nodeFields = map[string]string{
	KindKubelet: "status.nodeInfo.kubeletVersion", KindRuntime: "status.nodeInfo.containerRuntimeVersion",
	KindKernel: "status.nodeInfo.kernelVersion", KindOS: "status.nodeInfo.osImage",
}

// targets lists the objects a component's findings go on.
func targets(c *Component, cluster string) []Target {
	if len(c.Nodes) > 0 {
		out := make([]Target, 0, len(c.Nodes))
		for _, n := range c.Nodes {
			out = append(out, Target{Ref: finding.ObjectRef{APIVersion: "v1", Kind: "Node", Name: n}, Path: nodeFields[c.Kind]})
		}
		return out
	}
	if len(c.Workloads) > 0 {
		out := make([]Target, 0, len(c.Workloads))
		for _, w := range c.Workloads {
			out = append(out, Target{Ref: finding.ObjectRef{APIVersion: apiVersionOf(w.Kind), Kind: w.Kind, Namespace: w.Namespace, Name: w.Name}})
		}
		return out
	}
	return []Target{{Ref: ClusterRef(cluster)}}
}

// ClusterRef names the cluster as an object, for what belongs to no
// object of its API (the API server's version).
func ClusterRef(cluster string) finding.ObjectRef {
	if cluster == "" {
		cluster = "cluster"
	}
	return finding.ObjectRef{APIVersion: "dozor.io/v1", Kind: "Cluster", Name: cluster}
}

func apiVersionOf(kind string) string {
	switch kind {
	case "Pod":
		return "v1"
	case "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet":
		return "apps/v1"
	}
	return ""
}

// Findings turns a report into findings: per component and object, one
// finding per rule that applies.
func Findings(r *Report, cluster string) []Finding {
	var out []Finding
	emit := func(c *Component, rule *finding.Rule, sev finding.Severity, msg string) {
		for _, t := range targets(c, cluster) {
			out = append(out, Finding{Target: t, Finding: finding.Finding{Rule: rule, Severity: sev, Object: t.Ref,
				Location: finding.Location{Cluster: cluster}, Path: t.Path, Message: msg}})
		}
	}
	for i := range r.Components {
		c := &r.Components[i]
		if len(c.Vulnerabilities) > 0 {
			rule := RuleKubernetesVulnerable
			switch c.Kind {
			case KindRuntime:
				rule = RuleRuntimeVulnerable
			case KindKernel:
				rule = RuleKernelEscape
			}
			emit(c, rule, worst(c), vulnMessage(c))
		}
		if l := c.Lifecycle; l != nil {
			switch l.Status {
			case LifeEOL:
				emit(c, RuleEndOfLife, RuleEndOfLife.Severity, fmt.Sprintf("%s: %s %s reached its end of life on %s", Label(c), l.Product, l.Cycle, l.EOL))
			case LifeEndingSoon:
				emit(c, RuleSupportEnding, RuleSupportEnding.Severity, fmt.Sprintf("%s: %s %s reaches its end of life on %s (%d days)", Label(c), l.Product, l.Cycle, l.EOL, *l.DaysLeft))
			case LifeSecurityOnly:
				emit(c, RuleSupportEnding, RuleSupportEnding.Severity, fmt.Sprintf("%s: %s %s is past its end of active support (%s); security fixes only until %s", Label(c), l.Product, l.Cycle, l.EOAS, l.EOL))
			}
		}
	}
	for _, s := range r.Skew {
		c := &Component{Kind: s.Kind, Nodes: s.Nodes}
		if len(s.Nodes) == 0 {
			for i := range r.Components {
				if r.Components[i].Kind == s.Kind && r.Components[i].Version == s.Version {
					c.Workloads = r.Components[i].Workloads
				}
			}
		}
		emit(c, RuleVersionSkew, RuleVersionSkew.Severity, s.Problem)
	}
	return out
}

func kindName(c *Component) string {
	switch c.Kind {
	case KindRuntime, KindOS:
		return c.Name
	}
	return c.Kind
}

// Label names a component and its version for people: "kubelet
// v1.29.6", "containerd 1.7.13", "Ubuntu 22.04.4 LTS".
func Label(c *Component) string {
	if c.Kind == KindOS {
		return c.Name
	}
	return kindName(c) + " " + c.Version
}

// worst is the severity of a component's finding: its worst
// vulnerability's; unknown counts as medium, a known exploited one as at
// least high, a possible match on a distribution's kernel as medium.
func worst(c *Component) finding.Severity {
	var s finding.Severity
	for _, v := range c.Vulnerabilities {
		sev := finding.Medium
		if parsed, err := finding.ParseSeverity(v.Severity); err == nil {
			sev = parsed
		}
		if v.KEV != nil && sev < finding.High {
			sev = finding.High
		}
		if v.Status == StatusPossiblyVulnerable && sev > finding.Medium {
			sev = finding.Medium
		}
		s = max(s, sev)
	}
	return s
}

// maxListed is how many vulnerabilities a finding's message names.
const maxListed = 5

func vulnMessage(c *Component) string {
	var b strings.Builder
	verb := "is affected by"
	if c.Vulnerabilities[0].Status == StatusPossiblyVulnerable {
		verb = "is possibly vulnerable (a distribution kernel: check the vendor's advisory) to"
	}
	fmt.Fprintf(&b, "%s %s %d known vulnerabilit%s: ", Label(c), verb, len(c.Vulnerabilities), plural(len(c.Vulnerabilities), "y", "ies"))
	for i, v := range c.Vulnerabilities {
		if i == maxListed {
			fmt.Fprintf(&b, "; and %d more", len(c.Vulnerabilities)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.ID)
		var tags []string
		tags = append(tags, v.Severity)
		if v.KEV != nil {
			tags = append(tags, "known exploited")
		}
		if v.Escape {
			tags = append(tags, "container escape")
		}
		switch {
		case v.FixedInLine != "":
			tags = append(tags, "fixed in "+v.FixedInLine)
		case len(v.Fixed) > 0:
			tags = append(tags, "no fix in "+vuln.MinorOf(c.Version)+" (fixed in "+strings.Join(v.Fixed[max(0, len(v.Fixed)-2):], ", ")+")")
		default:
			tags = append(tags, "no fixed version published")
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(tags, ", "))
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Checks returns the rules as checks, for selection (--checks, --skip,
// --tags) and for reports that list the checks that ran. They look at no
// object themselves: a cluster scan runs Analyze over its inventory.
func Checks() []*check.Check {
	var out []*check.Check
	for _, r := range Rules() {
		out = append(out, &check.Check{Rule: *r, Kinds: []string{}})
	}
	return out
}
