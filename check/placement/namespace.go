package placement

import (
	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

func defaultNamespace() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-PLC-001", Name: "default-namespace",
			Title:    "Object placed in the default namespace",
			Severity: finding.Low,
			Description: "Namespaces are the boundary that RBAC roles, network policies, resource quotas and Pod Security admission " +
				"apply to. The default namespace is where everything lands that names no other: workloads put there deliberately " +
				"share it with every mistake, and with any permissions granted in it. Only objects that name the default namespace " +
				"explicitly are flagged: a manifest without a namespace is left to the namespace it is applied to, and an object of a " +
				"Helm chart to the namespace the release is installed in.",
			Remediation: "Create a namespace for the application, with its own roles, network policies and quota, and set metadata.namespace to it.",
			References: []string{
				"https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
				"https://kubernetes.io/docs/concepts/security/multi-tenancy/#namespaces",
			},
			Mappings: finding.Mappings{CIS: []string{"5.6.4"}, NSA: []string{check.NSANamespaces}},
			Tags:     []string{"namespace"},
		},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			if obj.Meta.Namespace != "default" || !obj.Namespaced() {
				return
			}
			// A chart that writes {{ .Release.Namespace }} gets the namespace
			// the release is installed in, which the chart does not choose.
			if obj.Source.Chart != "" && obj.Source.DefaultNamespace == "default" {
				return
			}
			ctx.Report(obj, "metadata.namespace", "%s %q is in the default namespace", obj.Kind, obj.Name())
		},
	}
}
