package placement

import (
	"fmt"
	"strings"

	policyv1 "k8s.io/api/policy/v1"
	policyv1beta1 "k8s.io/api/policy/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

const (
	docDisruptions = "https://kubernetes.io/docs/concepts/workloads/pods/disruptions/"
	docConfigPDB   = "https://kubernetes.io/docs/tasks/run-application/configure-pdb/"
)

// budget is a PodDisruptionBudget in any served version.
type budget struct {
	obj                          *k8s.Object
	selector                     *metav1.LabelSelector
	minAvailable, maxUnavailable *intstr.IntOrString
}

// budgets returns the PodDisruptionBudgets of the index.
func budgets(ix *k8s.Index) []budget {
	var out []budget
	for _, o := range ix.Kind("PodDisruptionBudget") {
		switch p := o.Typed.(type) {
		case *policyv1.PodDisruptionBudget:
			out = append(out, budget{o, p.Spec.Selector, p.Spec.MinAvailable, p.Spec.MaxUnavailable})
		case *policyv1beta1.PodDisruptionBudget:
			sel := p.Spec.Selector
			if sel != nil && len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
				sel = nil // in policy/v1beta1 an empty selector selects no pod
			}
			out = append(out, budget{o, sel, p.Spec.MinAvailable, p.Spec.MaxUnavailable})
		}
	}
	return out
}

// selected returns the pod-making objects a budget selects.
func (b budget) selected(ix *k8s.Index) []*k8s.Object {
	return ix.PodMakersMatching(b.obj.Namespace(), b.selector)
}

func noDisruptionBudget() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-PLC-004", Name: "no-disruption-budget",
			Title:    "Replicated workload has no PodDisruptionBudget",
			Severity: finding.Low,
			Description: "Node drains, cluster upgrades and the cluster autoscaler evict pods through the eviction API, which respects " +
				"PodDisruptionBudgets. Without one, a drain may evict every replica of a Deployment or StatefulSet at once, and the " +
				"workload is down until they are rescheduled and ready, replicas notwithstanding.",
			Remediation: "Deploy a PodDisruptionBudget whose selector matches the workload's pod labels, with maxUnavailable: 1 (or a minAvailable below the replica count).",
			References:  []string{docDisruptions, docConfigPDB},
			Tags:        []string{"workload", "availability"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			covered := map[*k8s.Object]bool{}
			for _, b := range budgets(ix) {
				for _, o := range b.selected(ix) {
					covered[o] = true
				}
			}
			auto := autoscalers(ix)
			for _, obj := range ix.Objects() {
				if obj.Kind != "Deployment" && obj.Kind != "StatefulSet" || covered[obj] {
					continue
				}
				if s, ok := replicas(obj, auto); ok && s.max >= 2 {
					ctx.Report(obj, "spec.replicas", "%s %q runs up to %d replicas and no PodDisruptionBudget selects its pods", obj.Kind, obj.Name(), s.max)
				}
			}
		},
	}
}

func budgetBlocksEviction() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-PLC-005", Name: "disruption-budget-blocks-eviction",
			Title:    "PodDisruptionBudget allows no eviction",
			Severity: finding.Medium,
			Description: "A PodDisruptionBudget that never allows a pod to be evicted (maxUnavailable 0 or 0%, minAvailable 100%, or a " +
				"minAvailable as high as the replicas of the workloads it selects) makes every node drain wait on it forever: cluster " +
				"upgrades, node replacements and the cluster autoscaler's scale-downs hang until someone deletes the budget or the pods " +
				"by hand, bypassing the protection altogether.",
			Remediation: "Allow at least one disruption: maxUnavailable: 1, or a minAvailable below the number of replicas (and run at least two replicas).",
			References:  []string{docConfigPDB, docDisruptions},
			Tags:        []string{"availability"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			auto := autoscalers(ix)
			for _, b := range budgets(ix) {
				if v := b.maxUnavailable; v != nil && zero(*v) {
					ctx.Report(b.obj, "spec.maxUnavailable", "PodDisruptionBudget %q sets maxUnavailable to %s: no pod may ever be evicted", b.obj.Name(), v.String())
					continue
				}
				v := b.minAvailable
				if v == nil || b.maxUnavailable != nil {
					continue
				}
				if v.Type == intstr.String && strings.TrimSpace(v.StrVal) == "100%" {
					ctx.Report(b.obj, "spec.minAvailable", "PodDisruptionBudget %q sets minAvailable to 100%%: no pod may ever be evicted", b.obj.Name())
					continue
				}
				total, who, known := expectedPods(b.selected(ix), auto)
				if !known || total == 0 {
					continue
				}
				need, err := intstr.GetScaledValueFromIntOrPercent(v, int(total), true)
				if err == nil && need >= int(total) {
					ctx.Report(b.obj, "spec.minAvailable", "PodDisruptionBudget %q keeps %d of the %d pods it selects (%s) available: none may be evicted",
						b.obj.Name(), need, total, who)
				}
			}
		},
	}
}

// zero reports whether maxUnavailable is 0 or 0%.
func zero(v intstr.IntOrString) bool {
	if v.Type == intstr.Int {
		return v.IntVal == 0
	}
	s := strings.TrimSpace(v.StrVal)
	return s == "0" || s == "0%"
}

// expectedPods returns how many pods the selected objects run at their
// minimum scale, and names them; known is false when a selected workload's
// pod count cannot be told from its manifest (a DaemonSet, a Job).
func expectedPods(objs []*k8s.Object, auto map[k8s.Key]scale) (total int32, who string, known bool) {
	if len(objs) == 0 {
		return 0, "", false
	}
	var names []string
	for _, o := range objs {
		switch s, ok := replicas(o, auto); {
		case ok:
			total += s.min
		case o.Kind == "Pod":
			total++
		default:
			return 0, "", false
		}
		names = append(names, fmt.Sprintf("%s %q", o.Kind, o.Name()))
	}
	if len(names) > 3 {
		names = append(names[:3], fmt.Sprintf("%d more", len(names)-3))
	}
	return total, strings.Join(names, ", "), true
}
