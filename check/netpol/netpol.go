// Package netpol checks NetworkPolicy coverage: namespaces whose pods no
// policy isolates, namespaces without a default-deny policy, and rules that
// admit traffic from everywhere.
package netpol

import (
	"fmt"
	"net/netip"

	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Checks returns the NetworkPolicy checks.
func Checks() []*check.Check {
	return []*check.Check{namespaceWithoutPolicy(), noDefaultDeny(), allowsAll()}
}

const policyDoc = "https://kubernetes.io/docs/concepts/services-networking/network-policies/"

// clusterWidePolicyKinds are policies of network plugins and of the
// AdminNetworkPolicy API that apply across namespaces: where any is present,
// a namespace may be isolated without a NetworkPolicy of its own.
var clusterWidePolicyKinds = []string{
	"AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy",
	"CiliumClusterwideNetworkPolicy", "GlobalNetworkPolicy",
}

// namespacedPolicyKinds are namespaced policies of network plugins other
// than the Kubernetes NetworkPolicy (Calico and Antrea name theirs
// NetworkPolicy too, in their own API groups).
var namespacedPolicyKinds = []string{"CiliumNetworkPolicy"}

func clusterWidePolicies(ix *k8s.Index) bool {
	for _, k := range clusterWidePolicyKinds {
		if len(ix.Kind(k)) > 0 {
			return true
		}
	}
	return false
}

// policy is a NetworkPolicy in either API version, reduced to what the
// checks need.
type policy struct {
	podSelector metav1.LabelSelector
	policyTypes []string
	ingress     []ingressRule
}

type ingressRule struct {
	from []peer
}

type peer struct {
	podSelector, namespaceSelector *metav1.LabelSelector
	cidr                           string
}

// policyOf returns the Kubernetes NetworkPolicy in obj, or nil for other
// kinds and for the NetworkPolicy kinds of network plugins.
func policyOf(obj *k8s.Object) *policy {
	switch o := obj.Typed.(type) {
	case *networkingv1.NetworkPolicy:
		p := &policy{podSelector: o.Spec.PodSelector}
		for _, t := range o.Spec.PolicyTypes {
			p.policyTypes = append(p.policyTypes, string(t))
		}
		for _, r := range o.Spec.Ingress {
			var ir ingressRule
			for _, f := range r.From {
				pr := peer{podSelector: f.PodSelector, namespaceSelector: f.NamespaceSelector}
				if f.IPBlock != nil {
					pr.cidr = f.IPBlock.CIDR
				}
				ir.from = append(ir.from, pr)
			}
			p.ingress = append(p.ingress, ir)
		}
		return p
	case *extensionsv1beta1.NetworkPolicy:
		p := &policy{podSelector: o.Spec.PodSelector}
		for _, t := range o.Spec.PolicyTypes {
			p.policyTypes = append(p.policyTypes, string(t))
		}
		for _, r := range o.Spec.Ingress {
			var ir ingressRule
			for _, f := range r.From {
				pr := peer{podSelector: f.PodSelector, namespaceSelector: f.NamespaceSelector}
				if f.IPBlock != nil {
					pr.cidr = f.IPBlock.CIDR
				}
				ir.from = append(ir.from, pr)
			}
			p.ingress = append(p.ingress, ir)
		}
		return p
	}
	return nil
}

// governsIngress reports whether the policy restricts ingress: policyTypes
// lists Ingress, or, when policyTypes is unset, always (the API server
// defaults it to Ingress, plus Egress when there are egress rules).
func (p *policy) governsIngress() bool {
	if len(p.policyTypes) == 0 {
		return true
	}
	for _, t := range p.policyTypes {
		if t == "Ingress" {
			return true
		}
	}
	return false
}

func emptySelector(s *metav1.LabelSelector) bool {
	return s != nil && len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}

// namespacePolicies groups the Kubernetes NetworkPolicies of an index by
// effective namespace, and notes namespaces with policies of network
// plugins.
func namespacePolicies(ix *k8s.Index) (k8sPolicies map[string][]*k8s.Object, pluginPolicies map[string]bool) {
	k8sPolicies, pluginPolicies = map[string][]*k8s.Object{}, map[string]bool{}
	for _, o := range ix.Kind("NetworkPolicy") {
		if policyOf(o) != nil {
			k8sPolicies[o.Namespace()] = append(k8sPolicies[o.Namespace()], o)
		} else {
			pluginPolicies[o.Namespace()] = true
		}
	}
	for _, k := range namespacedPolicyKinds {
		for _, o := range ix.Kind(k) {
			pluginPolicies[o.Namespace()] = true
		}
	}
	return k8sPolicies, pluginPolicies
}

// reportNamespace reports a finding about a namespace on its Namespace
// object when the index has it, else on fallback.
func reportNamespace(ctx *check.Context, ix *k8s.Index, ns string, fallback *k8s.Object, format string, args ...any) {
	if n := ix.Get("Namespace", "", ns); len(n) > 0 {
		ctx.Report(n[0], "metadata.name", format, args...)
		return
	}
	ctx.Report(fallback, "metadata.name", format, args...)
}

func namespaceWithoutPolicy() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-NET-001", Name: "namespace-without-network-policy",
			Title:    "Namespace with workloads but no NetworkPolicy",
			Severity: finding.Medium,
			Description: "Pods that no NetworkPolicy selects accept connections from every pod in the cluster and from " +
				"everywhere the cluster network reaches: one compromised workload can reach all others, their databases and " +
				"their admin ports. This check looks at the objects scanned together (a chart, a kustomization, or the files " +
				"of one scan): scan the whole application with its policies to avoid noise, or skip the check for partial " +
				"scans. Namespaces are left out when the scan holds cluster-wide policies (AdminNetworkPolicy, Calico " +
				"GlobalNetworkPolicy, Cilium clusterwide policies) or Cilium policies in the namespace.",
			Remediation: "Add a default-deny NetworkPolicy to the namespace (podSelector: {}, policyTypes: [Ingress, Egress]) " +
				"and policies that allow the traffic each workload needs. The network plugin must enforce NetworkPolicy.",
			References: []string{policyDoc, "https://kubernetes.io/docs/tasks/administer-cluster/declare-network-policy/"},
			Mappings: finding.Mappings{CIS: []string{"5.3.2"}, NSA: []string{check.NSANetworkPolicies},
				ThreatMatrix: []string{check.MSInternalNetworking}},
			Tags: []string{"network", "network-policy"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			if clusterWidePolicies(ix) {
				return
			}
			policies, plugin := namespacePolicies(ix)
			for _, ns := range ix.Namespaces() {
				pods := ix.PodMakers(ns)
				if len(pods) == 0 || len(policies[ns]) > 0 || plugin[ns] {
					continue
				}
				workloads := fmt.Sprintf("%s %q", pods[0].Kind, pods[0].Name())
				switch len(pods) {
				case 1:
				case 2:
					workloads += " and 1 other workload"
				default:
					workloads += fmt.Sprintf(" and %d other workloads", len(pods)-1)
				}
				reportNamespace(ctx, ix, ns, pods[0], "namespace %q has no NetworkPolicy: the pods of %s accept traffic from everywhere", ns, workloads)
			}
		},
	}
}

func noDefaultDeny() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-NET-002", Name: "no-default-deny",
			Title:    "Namespace without a default-deny ingress policy",
			Severity: finding.Low,
			Description: "NetworkPolicies allow traffic only to the pods they select; every other pod of the namespace still " +
				"accepts connections from everywhere. A default-deny policy (an empty podSelector, Ingress in policyTypes and no " +
				"ingress rules) makes isolation the rule, so that a new workload, or one whose labels change, is not left open. " +
				"Like DZ-NET-001, this check looks at the objects scanned together: skip it for partial scans.",
			Remediation: "Add a NetworkPolicy with podSelector: {} and policyTypes: [Ingress] (and Egress) and no rules to the " +
				"namespace, next to the policies that allow the traffic each workload needs.",
			References: []string{policyDoc + "#default-deny-all-ingress-traffic"},
			Mappings:   finding.Mappings{NSA: []string{check.NSANetworkPolicies}},
			Tags:       []string{"network", "network-policy"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			if clusterWidePolicies(ix) {
				return
			}
			policies, plugin := namespacePolicies(ix)
			for _, ns := range ix.Namespaces() {
				objs := policies[ns]
				if len(objs) == 0 || plugin[ns] {
					continue
				}
				deny := false
				for _, o := range objs {
					p := policyOf(o)
					if emptySelector(&p.podSelector) && p.governsIngress() && len(p.ingress) == 0 {
						deny = true
						break
					}
				}
				if !deny {
					reportNamespace(ctx, ix, ns, objs[0], "namespace %q has NetworkPolicies but none denies ingress to all its pods by default", ns)
				}
			}
		},
	}
}

func allowsAll() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-NET-003", Name: "network-policy-allows-all",
			Title:    "NetworkPolicy admits traffic from everywhere",
			Severity: finding.Medium,
			Description: "An ingress rule without from, with an empty peer, with a namespaceSelector of {} and no podSelector " +
				"that narrows it, or with an ipBlock of 0.0.0.0/0 or ::/0, admits every pod of every namespace (and, for an " +
				"empty rule or a whole-Internet ipBlock, every outside address) to the selected pods: the policy looks like " +
				"isolation but isolates nothing on those ports.",
			Remediation: "List the sources that need access: a podSelector for pods of the same namespace, a namespaceSelector " +
				"on kubernetes.io/metadata.name together with a podSelector for other namespaces, narrow ipBlocks for outside " +
				"clients. If a service really is public, say so in a dozor.io/ignore annotation.",
			References: []string{policyDoc + "#behavior-of-to-and-from-selectors"},
			Mappings:   finding.Mappings{NSA: []string{check.NSANetworkPolicies}},
			Tags:       []string{"network", "network-policy"},
		},
		Kinds: []string{"NetworkPolicy"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			p := policyOf(obj)
			if p == nil || !p.governsIngress() {
				return
			}
			for i, r := range p.ingress {
				at := k8s.Path("spec.ingress").Index(i)
				if len(r.from) == 0 {
					ctx.Report(obj, at, "NetworkPolicy %q: ingress rule %d has no from and admits traffic from every source", obj.Name(), i+1)
					continue
				}
				for j, f := range r.from {
					fat := at.Field("from").Index(j)
					switch {
					case f.podSelector == nil && f.namespaceSelector == nil && f.cidr == "":
						ctx.Report(obj, fat, "NetworkPolicy %q: ingress rule %d has an empty peer, which admits every source", obj.Name(), i+1)
					case emptySelector(f.namespaceSelector) && (f.podSelector == nil || emptySelector(f.podSelector)):
						ctx.Report(obj, fat.Field("namespaceSelector"), "NetworkPolicy %q: ingress rule %d admits every pod of every namespace", obj.Name(), i+1)
					case f.cidr != "" && wholeInternet(f.cidr):
						ctx.Report(obj, fat.Field("ipBlock").Field("cidr"), "NetworkPolicy %q: ingress rule %d admits %s, every address", obj.Name(), i+1, f.cidr)
					}
				}
			}
		},
	}
}

func wholeInternet(cidr string) bool {
	p, err := netip.ParsePrefix(cidr)
	return err == nil && p.Bits() == 0
}
