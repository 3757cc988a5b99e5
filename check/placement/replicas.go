package placement

import (
	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

func singleReplica() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-PLC-002", Name: "single-replica",
			Title:    "Workload runs a single replica",
			Severity: finding.Low,
			Description: "A workload with one replica is down whenever its only pod is: during every rollout of a StatefulSet, every " +
				"node drain or upgrade, every crash and every eviction. An unset replicas field means one replica. Workloads that a " +
				"HorizontalPodAutoscaler or KEDA ScaledObject deployed with them keeps at two replicas or more are not flagged; " +
				"those scaled to 0 are left alone.",
			Remediation: "Set spec.replicas to 2 or more (or minReplicas of its autoscaler), with a PodDisruptionBudget and spreading across nodes. " +
				"If the application cannot run more than one instance, record an exception that says so.",
			References: []string{
				"https://kubernetes.io/docs/concepts/workloads/controllers/deployment/",
				"https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/",
			},
			Tags: []string{"workload", "availability"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			auto := autoscalers(ix)
			for _, obj := range ix.Objects() {
				s, ok := replicas(obj, auto)
				if !ok || s.min != 1 {
					continue
				}
				switch {
				case s.by != "":
					ctx.Report(obj, "spec.replicas", "%s %q can run a single replica: %s scales it down to 1", obj.Kind, obj.Name(), s.by)
				default:
					ctx.Report(obj, "spec.replicas", "%s %q runs a single replica", obj.Kind, obj.Name())
				}
			}
		},
	}
}

func noSpreading() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-PLC-003", Name: "no-pod-spreading",
			Title:    "Replicas not spread across nodes or zones",
			Severity: finding.Low,
			Description: "Replicas protect availability only if they do not fail together. Without pod anti-affinity or topology spread " +
				"constraints, the scheduler spreads a workload's pods only as a soft preference weighed against everything else, and " +
				"may put all of them on one node or in one zone, which then takes the whole workload down when it fails or is drained.",
			Remediation: "Add topologySpreadConstraints on kubernetes.io/hostname (and topology.kubernetes.io/zone) with a labelSelector matching " +
				"the workload's pods, or a preferred podAntiAffinity on the same labels.",
			References: []string{
				"https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/",
				"https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity",
			},
			Tags: []string{"workload", "availability"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			auto := autoscalers(ix)
			for _, obj := range ix.Objects() {
				s, ok := replicas(obj, auto)
				if !ok || s.max < 2 || obj.Pod == nil {
					continue
				}
				spec := obj.Pod.Spec
				if len(spec.TopologySpreadConstraints) > 0 {
					continue
				}
				if a := spec.Affinity; a != nil && a.PodAntiAffinity != nil &&
					(len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0 || len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) > 0) {
					continue
				}
				ctx.Report(obj, obj.Pod.SpecPath.Field("topologySpreadConstraints"),
					"%s %q runs up to %d replicas with neither topologySpreadConstraints nor podAntiAffinity", obj.Kind, obj.Name(), s.max)
			}
		},
	}
}
