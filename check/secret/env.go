package secret

import (
	"fmt"
	"strings"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

func envLiteral() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-SCR-001", Name: "env-literal-credential",
			Title:    "Environment variable holds a literal credential",
			Severity: finding.High,
			Description: "A password, token or key written as the value of an environment variable is stored in the manifest, " +
				"and so in version control, in CI logs, in Helm release history, and in the object every user who can read the " +
				"workload can see. Anyone with that access can use the credential, and rotating it means changing every copy.",
			Remediation: "Put the credential in a Secret (created from an external secret store, or encrypted in the repository with " +
				"Sealed Secrets or SOPS) and mount it as a file, or reference it with valueFrom.secretKeyRef. Rotate the exposed credential.",
			References: []string{
				"https://kubernetes.io/docs/concepts/configuration/secret/",
				"https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
			},
			Mappings: finding.Mappings{NSA: []string{check.NSASecrets}, ThreatMatrix: []string{check.MSAppCredentials}},
			Tags:     []string{"workload", "secrets"},
		},
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			if obj.Pod == nil {
				return
			}
			for _, c := range obj.Pod.Containers() {
				for i, e := range c.Env {
					if e.ValueFrom != nil || e.Value == "" {
						continue
					}
					at := k8s.Path("env").Index(i).Field("value")
					if kind := nameKind(e.Name); kind != "" && literal(e.Value) {
						ctx.ReportContainer(obj, c, at, "environment variable %q of container %q holds a literal %s", e.Name, c.Name, kind)
						continue
					}
					if kinds := valueKinds(e.Value); len(kinds) > 0 {
						ctx.ReportContainer(obj, c, at, "environment variable %q of container %q holds what looks like %s %s",
							e.Name, c.Name, article(kinds[0]), strings.Join(kinds, " and "))
					}
				}
			}
		},
	}
}

func secretInEnv() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-SCR-003", Name: "secret-in-env",
			Title:    "Secret passed to a container as environment variables",
			Severity: finding.Low,
			Description: "Environment variables are easy to leak: applications print them in error pages, debug endpoints and crash " +
				"dumps, child processes inherit them, and they can be read from /proc by processes of the same user. A Secret mounted as " +
				"a file leaks less, and the kubelet updates the file when the Secret changes.",
			Remediation: "Mount the Secret as a volume (secret or projected) and have the application read the file; for tools that " +
				"only read variables, set a *_FILE variable where they support one.",
			References: []string{
				"https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod",
				"https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
			},
			Mappings: finding.Mappings{CIS: []string{"5.4.1"}, NSA: []string{check.NSASecrets}},
			Tags:     []string{"workload", "secrets"},
		},
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			if obj.Pod == nil {
				return
			}
			for _, c := range obj.Pod.Containers() {
				var first k8s.Path
				var what []string
				for i, e := range c.Env {
					if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
						if first == "" {
							first = k8s.Path("env").Index(i).Field("valueFrom").Field("secretKeyRef")
						}
						what = append(what, fmt.Sprintf("%q", e.Name))
					}
				}
				for i, e := range c.EnvFrom {
					if e.SecretRef != nil {
						if first == "" {
							first = k8s.Path("envFrom").Index(i).Field("secretRef")
						}
						what = append(what, fmt.Sprintf("every key of Secret %q", e.SecretRef.Name))
					}
				}
				if first == "" {
					continue
				}
				ctx.ReportContainer(obj, c, first, "container %q reads Secrets into environment variables: %s", c.Name, list(what, 5))
			}
		},
	}
}

// list joins up to max items and says how many more there are.
func list(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}
