// Package webhook checks admission webhook configurations: webhooks that
// fail open, enforce nothing, can be bypassed by the labels of the objects
// they guard, wait long, or can block the repair of the cluster itself.
package webhook

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	admissionregistrationv1beta1 "k8s.io/api/admissionregistration/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Checks returns the admission webhook checks.
func Checks() []*check.Check {
	return []*check.Check{failOpen(), matchesNothing(), objectSelectorBypass(), timeoutLong(), interceptsKubeSystem()}
}

var kinds = []string{"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}

const webhookDoc = "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/"

// webhook is one webhook of a configuration in any API version, with the
// defaults of that version applied.
type webhook struct {
	name string
	at   k8s.Path // webhooks[i]
	// failurePolicy is Fail or Ignore; failureSet tells whether it is
	// written or defaulted.
	failurePolicy string
	failureSet    bool
	timeout       int32
	timeoutSet    bool
	rules         []rule
	namespaceSelector,
	objectSelector *metav1.LabelSelector
	matchConditions []string
	mutating        bool
}

type rule struct {
	operations, apiGroups, apiVersions, resources []string
	scope                                         string
}

func webhooksOf(obj *k8s.Object) []webhook {
	var out []webhook
	add := func(w webhook, i int, fp *string, timeout *int32, defPolicy string, defTimeout int32) {
		w.at = k8s.Path("webhooks").Index(i)
		w.failurePolicy, w.failureSet = defPolicy, fp != nil
		if fp != nil {
			w.failurePolicy = *fp
		}
		w.timeout, w.timeoutSet = defTimeout, timeout != nil
		if timeout != nil {
			w.timeout = *timeout
		}
		out = append(out, w)
	}
	switch o := obj.Typed.(type) {
	case *admissionregistrationv1.ValidatingWebhookConfiguration:
		for i, h := range o.Webhooks {
			add(webhook{name: h.Name, rules: rulesV1(h.Rules), namespaceSelector: h.NamespaceSelector, objectSelector: h.ObjectSelector,
				matchConditions: conditionsV1(h.MatchConditions)}, i, (*string)(h.FailurePolicy), h.TimeoutSeconds, "Fail", 10)
		}
	case *admissionregistrationv1.MutatingWebhookConfiguration:
		for i, h := range o.Webhooks {
			add(webhook{name: h.Name, rules: rulesV1(h.Rules), namespaceSelector: h.NamespaceSelector, objectSelector: h.ObjectSelector,
				matchConditions: conditionsV1(h.MatchConditions), mutating: true}, i, (*string)(h.FailurePolicy), h.TimeoutSeconds, "Fail", 10)
		}
	case *admissionregistrationv1beta1.ValidatingWebhookConfiguration:
		for i, h := range o.Webhooks {
			add(webhook{name: h.Name, rules: rulesV1(h.Rules), namespaceSelector: h.NamespaceSelector, objectSelector: h.ObjectSelector,
				matchConditions: conditionsV1beta1(h.MatchConditions)}, i, (*string)(h.FailurePolicy), h.TimeoutSeconds, "Ignore", 30)
		}
	case *admissionregistrationv1beta1.MutatingWebhookConfiguration:
		for i, h := range o.Webhooks {
			add(webhook{name: h.Name, rules: rulesV1(h.Rules), namespaceSelector: h.NamespaceSelector, objectSelector: h.ObjectSelector,
				matchConditions: conditionsV1beta1(h.MatchConditions), mutating: true}, i, (*string)(h.FailurePolicy), h.TimeoutSeconds, "Ignore", 30)
		}
	}
	return out
}

// rulesV1 converts rules; admissionregistration v1beta1 uses the v1 type.
func rulesV1(rs []admissionregistrationv1.RuleWithOperations) []rule {
	out := make([]rule, 0, len(rs))
	for _, r := range rs {
		nr := rule{apiGroups: r.APIGroups, apiVersions: r.APIVersions, resources: r.Resources}
		for _, op := range r.Operations {
			nr.operations = append(nr.operations, string(op))
		}
		if r.Scope != nil {
			nr.scope = string(*r.Scope)
		}
		out = append(out, nr)
	}
	return out
}

func conditionsV1(cs []admissionregistrationv1.MatchCondition) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Expression)
	}
	return out
}

func conditionsV1beta1(cs []admissionregistrationv1beta1.MatchCondition) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Expression)
	}
	return out
}

// webhookCheck builds a check that calls fn for every webhook of a
// configuration.
func webhookCheck(r finding.Rule, fn func(ctx *check.Context, obj *k8s.Object, w webhook)) *check.Check {
	r.Tags = append([]string{"admission"}, r.Tags...)
	r.References = append([]string{webhookDoc}, r.References...)
	return &check.Check{
		Rule:  r,
		Kinds: kinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			for _, w := range webhooksOf(obj) {
				fn(ctx, obj, w)
			}
		},
	}
}

func failOpen() *check.Check {
	return webhookCheck(finding.Rule{
		ID: "DZ-WH-001", Name: "webhook-fail-open",
		Title:    "Admission webhook fails open",
		Severity: finding.Medium,
		Description: "With failurePolicy Ignore, the API server admits a request unchecked whenever the webhook cannot " +
			"answer: when it is down, slow, overloaded, or made unreachable on purpose (a NetworkPolicy, a deleted Service, a " +
			"crashing pod). A policy enforced by such a webhook is not enforced when it matters most. Ignore is the default " +
			"of admissionregistration.k8s.io/v1beta1.",
		Remediation: "Set failurePolicy: Fail on webhooks that enforce policy, run the webhook highly available, and " +
			"exempt kube-system with a namespaceSelector so that the cluster can still repair itself.",
		References: []string{webhookDoc + "#failure-policy"},
	}, func(ctx *check.Context, obj *k8s.Object, w webhook) {
		if w.failurePolicy != "Ignore" {
			return
		}
		if w.failureSet {
			ctx.Report(obj, w.at.Field("failurePolicy"), "webhook %q admits requests unchecked when it cannot answer (failurePolicy Ignore)", w.name)
			return
		}
		ctx.Report(obj, w.at, "webhook %q admits requests unchecked when it cannot answer (failurePolicy defaults to Ignore in %s)", w.name, obj.APIVersion)
	})
}

func matchesNothing() *check.Check {
	return webhookCheck(finding.Rule{
		ID: "DZ-WH-002", Name: "webhook-matches-nothing",
		Title:    "Admission webhook matches no request",
		Severity: finding.Medium,
		Description: "A webhook is called only for requests its rules match: with no rules, or only rules that lack " +
			"operations, API groups, versions or resources, or with a namespace or object selector that no object can " +
			"satisfy, it is never called, and whatever it was deployed to enforce is not enforced.",
		Remediation: "Give the webhook rules that list the operations, API groups, versions and resources it must see, " +
			"and selectors that match the objects it guards.",
		References: []string{webhookDoc + "#matching-requests-rules"},
	}, func(ctx *check.Context, obj *k8s.Object, w webhook) {
		if len(w.rules) == 0 {
			ctx.Report(obj, w.at, "webhook %q has no rules and is never called", w.name)
			return
		}
		useful := slices.ContainsFunc(w.rules, func(r rule) bool {
			return len(r.operations) > 0 && len(r.apiGroups) > 0 && len(r.apiVersions) > 0 && len(r.resources) > 0
		})
		if !useful {
			ctx.Report(obj, w.at.Field("rules"), "webhook %q is never called: none of its rules lists operations, API groups, versions and resources", w.name)
			return
		}
		for _, s := range []struct {
			field string
			sel   *metav1.LabelSelector
		}{{"namespaceSelector", w.namespaceSelector}, {"objectSelector", w.objectSelector}} {
			if why := unsatisfiable(s.sel); why != "" {
				ctx.Report(obj, w.at.Field(s.field), "webhook %q is never called: its %s cannot match (%s)", w.name, s.field, why)
			}
		}
	})
}

// unsatisfiable says why no label set can satisfy a selector, or "".
func unsatisfiable(sel *metav1.LabelSelector) string {
	if sel == nil {
		return ""
	}
	type constraint struct {
		present, absent bool
		allowed         map[string]bool // nil: any value
		excluded        map[string]bool
	}
	cs := map[string]*constraint{}
	get := func(k string) *constraint {
		if cs[k] == nil {
			cs[k] = &constraint{excluded: map[string]bool{}}
		}
		return cs[k]
	}
	restrict := func(c *constraint, vals []string) {
		next := map[string]bool{}
		for _, v := range vals {
			if c.allowed == nil || c.allowed[v] {
				next[v] = true
			}
		}
		c.allowed = next
	}
	for k, v := range sel.MatchLabels {
		c := get(k)
		c.present = true
		restrict(c, []string{v})
	}
	for _, e := range sel.MatchExpressions {
		c := get(e.Key)
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			c.present = true
			restrict(c, e.Values)
		case metav1.LabelSelectorOpNotIn:
			for _, v := range e.Values {
				c.excluded[v] = true
			}
		case metav1.LabelSelectorOpExists:
			c.present = true
		case metav1.LabelSelectorOpDoesNotExist:
			c.absent = true
		}
	}
	keys := make([]string, 0, len(cs))
	for k := range cs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c := cs[k]
		if c.present && c.absent {
			return fmt.Sprintf("label %q must both exist and not exist", k)
		}
		if c.allowed != nil {
			left := 0
			for v := range c.allowed {
				if !c.excluded[v] {
					left++
				}
			}
			if left == 0 {
				return fmt.Sprintf("no value of label %q is allowed", k)
			}
		}
	}
	return ""
}

// injectionOptOut reports whether a label lets objects opt out of a
// mutating webhook that injects sidecars or settings (Istio, Datadog, and
// the *inject* labels of others): opting out of an injection removes no
// security control.
func injectionOptOut(key string) bool {
	return strings.Contains(strings.ToLower(key), "inject") || key == "istio.io/rev" ||
		key == "admission.datadoghq.com/enabled"
}

func objectSelectorBypass() *check.Check {
	return webhookCheck(finding.Rule{
		ID: "DZ-WH-003", Name: "webhook-object-selector-bypass",
		Title:    "Admission webhook lets objects opt out by label",
		Severity: finding.Medium,
		Description: "An objectSelector that skips objects carrying a label (NotIn or DoesNotExist) leaves the choice to " +
			"whoever writes the object: anyone allowed to create a pod can add the label and escape the policy the webhook " +
			"enforces. Opt-out labels of mutating webhooks that only inject sidecars (Istio, Datadog, *inject* labels) are " +
			"left out.",
		Remediation: "Remove the exemption from objectSelector; exempt trusted workloads by namespace (namespaceSelector on " +
			"kubernetes.io/metadata.name, which only cluster administrators can set) or with matchConditions on the " +
			"requesting user.",
		References: []string{webhookDoc + "#matching-requests-objectselector"},
	}, func(ctx *check.Context, obj *k8s.Object, w webhook) {
		if w.objectSelector == nil {
			return
		}
		for j, e := range w.objectSelector.MatchExpressions {
			if w.mutating && injectionOptOut(e.Key) {
				continue
			}
			at := w.at.Field("objectSelector").Field("matchExpressions").Index(j)
			switch e.Operator {
			case metav1.LabelSelectorOpNotIn:
				ctx.Report(obj, at, "webhook %q skips objects whose label %q is %s: whoever creates an object can set it and opt out",
					w.name, e.Key, strings.Join(quoteAll(e.Values), " or "))
			case metav1.LabelSelectorOpDoesNotExist:
				ctx.Report(obj, at, "webhook %q skips objects that carry label %q: whoever creates an object can add it and opt out", w.name, e.Key)
			}
		}
	})
}

func quoteAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

func timeoutLong() *check.Check {
	return webhookCheck(finding.Rule{
		ID: "DZ-WH-004", Name: "webhook-timeout-long",
		Title:    "Failing-closed admission webhook with a long timeout",
		Severity: finding.Low,
		Description: "A webhook with failurePolicy Fail holds every matching request for up to timeoutSeconds when it is " +
			"slow or unreachable, then rejects it. Above 10 seconds (the default of admissionregistration.k8s.io/v1), " +
			"clients time out first, controllers pile up retries, and one slow webhook slows the whole API server; " +
			"v1beta1 defaults to 30 seconds.",
		Remediation: "Set timeoutSeconds to 10 or less and make the webhook answer quickly; move slow work out of the " +
			"admission path.",
		References: []string{webhookDoc + "#timeouts"},
	}, func(ctx *check.Context, obj *k8s.Object, w webhook) {
		if w.failurePolicy != "Fail" || w.timeout <= 10 {
			return
		}
		if w.timeoutSet {
			ctx.Report(obj, w.at.Field("timeoutSeconds"), "webhook %q holds requests up to %ds before rejecting them (failurePolicy Fail)", w.name, w.timeout)
			return
		}
		ctx.Report(obj, w.at, "webhook %q holds requests up to %ds, the default of %s, before rejecting them (failurePolicy Fail)",
			w.name, w.timeout, obj.APIVersion)
	})
}

// kubeSystem is the label set of the kube-system namespace since
// Kubernetes 1.21, which sets kubernetes.io/metadata.name on every
// namespace.
var kubeSystem = labels.Set{"kubernetes.io/metadata.name": "kube-system"}

func matches(sel *metav1.LabelSelector, set labels.Set) bool {
	if sel == nil {
		return true
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(set)
}

func interceptsKubeSystem() *check.Check {
	return webhookCheck(finding.Rule{
		ID: "DZ-WH-005", Name: "webhook-intercepts-kube-system",
		Title:    "Failing-closed admission webhook intercepts kube-system",
		Severity: finding.Low,
		Description: "A webhook with failurePolicy Fail that matches every resource, kube-system included, rejects every " +
			"change while it is down: the pods of the network plugin, DNS, or the webhook itself cannot be recreated, and " +
			"the cluster cannot heal without an administrator deleting the configuration.",
		Remediation: "Exempt kube-system (and the webhook's own namespace) with a namespaceSelector such as " +
			"kubernetes.io/metadata.name NotIn [kube-system], and match only the resources the webhook needs.",
		References: []string{webhookDoc + "#avoiding-operating-on-the-kube-system-namespace"},
	}, func(ctx *check.Context, obj *k8s.Object, w webhook) {
		if w.failurePolicy != "Fail" || !matches(w.namespaceSelector, kubeSystem) || !matches(w.objectSelector, labels.Set{}) {
			return
		}
		for _, c := range w.matchConditions {
			if strings.Contains(c, "kube-system") {
				return
			}
		}
		all := slices.ContainsFunc(w.rules, func(r rule) bool {
			return len(r.operations) > 0 && slices.Contains(r.apiGroups, "*") && r.scope != "Cluster" &&
				(slices.Contains(r.resources, "*") || slices.Contains(r.resources, "*/*"))
		})
		if !all {
			return
		}
		at := w.at
		if w.namespaceSelector != nil {
			at = at.Field("namespaceSelector")
		}
		ctx.Report(obj, at, "webhook %q rejects changes to every resource, kube-system included, whenever it is down", w.name)
	})
}
