package consistency

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	policyv1beta1 "k8s.io/api/policy/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

func serviceSelectsNothing() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-REF-001", Name: "service-selects-nothing",
			Title:    "Service selector matches no pods",
			Severity: finding.Medium,
			Description: "A Service sends traffic to the pods its selector matches. When no workload's pod template carries " +
				"those labels, the Service has no endpoints and every connection to it fails: usually a typo in a label, or a " +
				"label changed on one side only. Services without a selector (backed by EndpointSlices managed by hand) are " +
				"left out, and so are namespaces with custom resources whose operators may make the pods." + partial,
			Remediation: "Make spec.selector match the labels of the pod template of the workload the Service fronts.",
			References:  []string{"https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service"},
			Tags:        []string{"consistency", "network"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			operated := operatorNamespaces(ix)
			for _, o := range ix.Kind("Service") {
				s, ok := o.Typed.(*corev1.Service)
				if !ok || len(s.Spec.Selector) == 0 || s.Spec.Type == corev1.ServiceTypeExternalName || operated[o.Namespace()] {
					continue
				}
				if len(ix.PodMakersMatchingMap(o.Namespace(), s.Spec.Selector)) == 0 {
					ctx.Report(o, "spec.selector", "Service %q selects %s, which no pod template in namespace %q carries",
						o.Name(), labels.Set(s.Spec.Selector), o.Namespace())
				}
			}
		},
	}
}

func pdbSelectsNothing() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-REF-002", Name: "pdb-selects-nothing",
			Title:    "PodDisruptionBudget selects no pods",
			Severity: finding.Low,
			Description: "A PodDisruptionBudget protects the pods its selector matches from voluntary evictions such as node " +
				"drains. When its selector matches no workload's pod template, the workload it was meant for has no protection, " +
				"and a drain can take all its replicas down at once. Namespaces with custom resources whose operators may make " +
				"the pods are left out." + partial,
			Remediation: "Make spec.selector match the labels of the pod template of the workload to protect.",
			References:  []string{"https://kubernetes.io/docs/tasks/run-application/configure-pdb/"},
			Tags:        []string{"consistency", "availability"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			operated := operatorNamespaces(ix)
			for _, o := range ix.Kind("PodDisruptionBudget") {
				var sel *metav1.LabelSelector
				switch p := o.Typed.(type) {
				case *policyv1.PodDisruptionBudget:
					sel = p.Spec.Selector
				case *policyv1beta1.PodDisruptionBudget:
					sel = p.Spec.Selector
					if sel != nil && len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
						// In policy/v1beta1 an empty selector selects nothing.
						ctx.Report(o, "spec.selector", "PodDisruptionBudget %q has an empty selector, which selects no pods in policy/v1beta1", o.Name())
						continue
					}
				default:
					continue
				}
				switch {
				case sel == nil:
					ctx.Report(o, "spec", "PodDisruptionBudget %q has no selector and so selects no pods", o.Name())
				case operated[o.Namespace()]:
				case len(ix.PodMakersMatching(o.Namespace(), sel)) == 0:
					ctx.Report(o, "spec.selector", "PodDisruptionBudget %q selects %s, which no pod template in namespace %q carries",
						o.Name(), selectorString(sel), o.Namespace())
				}
			}
		},
	}
}

func policySelectsNothing() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-REF-004", Name: "network-policy-selects-nothing",
			Title:    "NetworkPolicy selects no pods",
			Severity: finding.Low,
			Description: "A NetworkPolicy applies to the pods its podSelector matches. A non-empty podSelector that matches no " +
				"workload's pod template protects nothing, and the pods it was meant for stay open (or stay blocked, for an " +
				"allow policy). Namespaces with custom resources whose operators may make the pods are left out." + partial,
			Remediation: "Make spec.podSelector match the labels of the pod templates the policy is meant for.",
			References:  []string{"https://kubernetes.io/docs/concepts/services-networking/network-policies/"},
			Tags:        []string{"consistency", "network", "network-policy"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			operated := operatorNamespaces(ix)
			for _, o := range ix.Kind("NetworkPolicy") {
				p, ok := o.Typed.(*networkingv1.NetworkPolicy)
				if !ok || operated[o.Namespace()] {
					continue
				}
				sel := &p.Spec.PodSelector
				if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
					continue // every pod
				}
				if len(ix.PodMakersMatching(o.Namespace(), sel)) == 0 {
					ctx.Report(o, "spec.podSelector", "NetworkPolicy %q selects %s, which no pod template in namespace %q carries",
						o.Name(), selectorString(sel), o.Namespace())
				}
			}
		},
	}
}

func selectorString(sel *metav1.LabelSelector) string {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return "an invalid selector"
	}
	return s.String()
}

func targetPortMissing() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-REF-009", Name: "service-target-port-missing",
			Title:    "Service targets a port name its pods do not declare",
			Severity: finding.Medium,
			Description: "A Service whose targetPort is a name sends traffic to the container port of that name. When no " +
				"container of the pods the Service selects declares a port with that name, the Service has no usable endpoints " +
				"and connections to it fail." + partial,
			Remediation: "Name the container port in the pod template (ports[].name) as the Service's targetPort says, or " +
				"use the port number.",
			References: []string{"https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports"},
			Tags:       []string{"consistency", "network"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			for _, o := range ix.Kind("Service") {
				s, ok := o.Typed.(*corev1.Service)
				if !ok || len(s.Spec.Selector) == 0 {
					continue
				}
				pods := ix.PodMakersMatchingMap(o.Namespace(), s.Spec.Selector)
				if len(pods) == 0 {
					continue // DZ-REF-001
				}
				for i, p := range s.Spec.Ports {
					if p.TargetPort.Type != intstr.String || p.TargetPort.StrVal == "" || declaresPort(pods, p.TargetPort.StrVal) {
						continue
					}
					ctx.Report(o, k8s.Path("spec.ports").Index(i).Field("targetPort"),
						"Service %q targets port %q, but no container of %s, which it selects, declares a port of that name", o.Name(), p.TargetPort.StrVal, workloads(pods))
				}
			}
		},
	}
}

func declaresPort(pods []*k8s.Object, name string) bool {
	for _, o := range pods {
		for _, c := range o.Pod.Containers() {
			for _, p := range c.Ports {
				if p.Name == name {
					return true
				}
			}
		}
	}
	return false
}

// workloads names the objects of a list: `Deployment "web"`, or
// `Deployment "web" and 2 other workloads`.
func workloads(objs []*k8s.Object) string {
	s := fmt.Sprintf("%s %q", objs[0].Kind, objs[0].Name())
	switch n := len(objs) - 1; {
	case n == 1:
		s += " and 1 other workload"
	case n > 1:
		s += fmt.Sprintf(" and %d other workloads", n)
	}
	return s
}

// selectorRequired lists the kinds whose apps/v1 form requires a non-empty
// selector.
func selectorRequired(obj *k8s.Object) bool {
	switch obj.Typed.(type) {
	case *appsv1.Deployment, *appsv1.ReplicaSet, *appsv1.StatefulSet, *appsv1.DaemonSet:
		return true
	}
	return false
}

func selectorTemplateMismatch() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-REF-011", Name: "selector-template-mismatch",
			Title:    "Workload selector does not match its own pod template",
			Severity: finding.High,
			Description: "A Deployment, ReplicaSet, StatefulSet, DaemonSet, ReplicationController or Job finds its pods by " +
				"spec.selector. The API server rejects a workload whose selector does not match the labels of its own pod " +
				"template (and, in apps/v1, one without a selector or with an empty one), so the manifest cannot be applied.",
			Remediation: "Make spec.selector match spec.template.metadata.labels; keep the selector minimal and stable, since " +
				"it cannot be changed after creation in apps/v1.",
			References: []string{
				"https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#selector",
				"https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
			},
			Tags: []string{"consistency", "workload"},
		},
		Kinds: []string{"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController", "Job"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			if obj.Pod == nil {
				return
			}
			sel, at := k8s.WorkloadSelector(obj)
			if sel == nil {
				if selectorRequired(obj) {
					ctx.Report(obj, "spec", "%s %q has no spec.selector, which apps/v1 requires", obj.Kind, obj.Name())
				}
				return // defaulted from the template labels
			}
			if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
				if selectorRequired(obj) {
					ctx.Report(obj, at, "%s %q has an empty selector, which apps/v1 rejects", obj.Kind, obj.Name())
				}
				return
			}
			s, err := metav1.LabelSelectorAsSelector(sel)
			if err != nil {
				ctx.Report(obj, at, "%s %q has an invalid selector: %v", obj.Kind, obj.Name(), err)
				return
			}
			if !s.Matches(labels.Set(obj.Pod.Meta.Labels)) {
				ctx.Report(obj, at, "the selector of %s %q (%s) does not match the labels of its pod template", obj.Kind, obj.Name(), s)
			}
		},
	}
}
