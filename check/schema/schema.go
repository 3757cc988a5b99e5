// Package schema checks objects for fields that are not part of their
// kind's schema, which the decoder finds when it reads an object into its
// Kubernetes Go type.
package schema

import (
	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Checks returns the schema checks.
func Checks() []*check.Check {
	return []*check.Check{unknownField()}
}

func unknownField() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-SCH-001", Name: "unknown-field",
			Title:    "Field not part of the schema",
			Severity: finding.Medium,
			Description: "A field the kind's schema does not have is a misspelt or misplaced field: kubectl refuses the object " +
				"(it validates fields strictly by default), or, with validation off or through other tools, the API server " +
				"drops the field without a word. A securityContext at the wrong " +
				"level, or a resources block indented one step too far, then silently does nothing.",
			Remediation: "Move the field to where the kind's schema has it, or fix its spelling; kubectl explain shows the " +
				"schema (kubectl explain deployment.spec.template.spec.containers).",
			References: []string{
				"https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation",
				"https://kubernetes.io/docs/reference/kubernetes-api/",
			},
			Tags: []string{"schema"},
		},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			for _, fe := range obj.FieldErrors {
				if fe.Path == "" {
					ctx.Report(obj, "", "%s %q: %s", obj.Kind, obj.Name(), fe.Message)
					continue
				}
				ctx.Report(obj, fe.Path, "field %q is not part of the %s schema (%s)", string(fe.Path), obj.Kind, obj.APIVersion)
			}
		},
	}
}
