package placement

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

func nodeName() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-PLC-006", Name: "node-name-set",
			Title:    "Pod bound to a node by name",
			Severity: finding.Low,
			Description: "spec.nodeName hands the pod straight to that node's kubelet, bypassing the scheduler: its resource accounting, " +
				"node selectors, affinity and NoSchedule taints, which keep workloads off control-plane and dedicated nodes. The pod " +
				"fails if the node is full or gone, and a node name in a template ties the workload to one machine. Pods read from a live " +
				"cluster are not reported: the scheduler sets the node name of every pod it binds.",
			Remediation: "Remove spec.nodeName and select nodes with nodeSelector or node affinity on their labels (kubernetes.io/hostname for one node).",
			References:  []string{"https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename"},
			Tags:        []string{"workload", "scheduling"},
		},
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			if obj.Kind == "Pod" && obj.Source.Cluster != "" {
				// The scheduler sets spec.nodeName of every pod it binds:
				// in a cluster, who set it cannot be told (bare pods are
				// DZ-LIVE-001's).
				return
			}
			if pt := obj.Pod; pt != nil && pt.Spec.NodeName != "" {
				ctx.Report(obj, pt.SpecPath.Field("nodeName"), "pod is bound to node %q, bypassing the scheduler", pt.Spec.NodeName)
			}
		},
	}
}

func toleratesAll() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-PLC-007", Name: "tolerates-all-taints",
			Title:    "Pod tolerates every taint",
			Severity: finding.Medium,
			Description: "A toleration with operator Exists and no key matches every taint (of its effect, or of any effect when none is " +
				"given). Taints are how control-plane nodes, nodes dedicated to other tenants or to sensitive workloads, and unhealthy " +
				"nodes keep pods away; a pod that tolerates them all can run on a control-plane node beside etcd's and the API server's " +
				"credentials, and is never evicted from an unreachable node. Node agents run by a DaemonSet often need this on purpose, " +
				"and are reported as Low.",
			Remediation: "Tolerate only the taints the pod needs, by key (for example node-role.kubernetes.io/control-plane for a component that must run there).",
			References:  []string{"https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/"},
			Tags:        []string{"workload", "scheduling"},
		},
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			pt := obj.Pod
			if pt == nil {
				return
			}
			for i, t := range pt.Spec.Tolerations {
				if t.Operator != corev1.TolerationOpExists || t.Key != "" || t.Effect == corev1.TaintEffectPreferNoSchedule {
					continue
				}
				what := "every taint"
				if t.Effect != "" {
					what = "every " + string(t.Effect) + " taint"
				}
				at := pt.SpecPath.Field("tolerations").Index(i)
				if obj.Kind == "DaemonSet" {
					ctx.ReportSeverity(finding.Low, obj, at, "DaemonSet %q tolerates %s", obj.Name(), what)
					continue
				}
				ctx.Report(obj, at, "pod tolerates %s", what)
			}
		},
	}
}

// systemPriorityClasses are the built-in classes meant for the cluster's
// own critical components.
var systemPriorityClasses = map[string]bool{"system-node-critical": true, "system-cluster-critical": true}

func systemPriority() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-PLC-008", Name: "system-priority-class",
			Title:    "System priority class used outside kube-system",
			Severity: finding.Medium,
			Description: "system-node-critical and system-cluster-critical are the highest priorities, meant for the components the " +
				"cluster cannot run without (DNS, networking, the kubelet's static pods). A pod with them preempts any other pod to " +
				"get scheduled and is the last one evicted when its node runs short of memory or disk: a runaway or hostile workload " +
				"with them pushes everything else off its nodes. A namespace other than kube-system is a sign it is not such a component; " +
				"networking and storage agents installed in their own namespace can be given an exception.",
			Remediation: "Create a PriorityClass for the application with a value below 1000000000 and use it instead; restrict the system " +
				"classes with a ResourceQuota scoped to them in every namespace but kube-system.",
			References: []string{
				"https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/",
				"https://kubernetes.io/docs/tasks/administer-cluster/guaranteed-scheduling-critical-addon-pods/",
				"https://kubernetes.io/docs/concepts/policy/resource-quotas/#limit-priority-class-consumption-by-default",
			},
			Mappings: finding.Mappings{ThreatMatrix: []string{check.MSDenialOfService}},
			Tags:     []string{"workload", "scheduling"},
		},
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			pt := obj.Pod
			if pt == nil || !systemPriorityClasses[pt.Spec.PriorityClassName] {
				return
			}
			if ns := obj.Namespace(); ns != "kube-system" {
				ctx.Report(obj, pt.SpecPath.Field("priorityClassName"), "pod uses priority class %q in namespace %q", pt.Spec.PriorityClassName, ns)
			}
		},
	}
}
