package secret

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

func configMapCredential() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-SCR-002", Name: "configmap-credential",
			Title:    "ConfigMap holds a credential",
			Severity: finding.High,
			Description: "ConfigMaps are meant for configuration that is not secret: they are usually not encrypted at rest even where Secrets " +
				"are, many roles that may not read Secrets may read ConfigMaps (view, monitoring and backup tools), and their content " +
				"is printed by kubectl describe. A password, token or private key in a ConfigMap, or in a configuration file kept " +
				"in one, is readable by all of them, and lives in version control with the manifest.",
			Remediation: "Move the credential to a Secret backed by an external secret store (or encrypted in the repository), and have " +
				"the application read it from a mounted file or an environment variable the configuration file refers to. Rotate " +
				"the exposed credential.",
			References: []string{
				"https://kubernetes.io/docs/concepts/configuration/configmap/",
				"https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
			},
			Mappings: finding.Mappings{NSA: []string{check.NSASecrets}, ThreatMatrix: []string{check.MSAppCredentials}},
			Tags:     []string{"secrets", "configmap"},
		},
		Kinds: []string{"ConfigMap"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			cm, ok := obj.Typed.(*corev1.ConfigMap)
			if !ok {
				return
			}
			for _, key := range sortedKeys(cm.Data) {
				if msg := configMapValue(key, cm.Data[key]); msg != "" {
					ctx.Report(obj, k8s.Path("data").Key(key), "ConfigMap key %q %s", key, msg)
				}
			}
			for _, key := range sortedKeys(cm.BinaryData) {
				b := cm.BinaryData[key]
				if !utf8.Valid(b) {
					continue
				}
				if msg := configMapValue(key, string(b)); msg != "" {
					ctx.Report(obj, k8s.Path("binaryData").Key(key), "ConfigMap key %q %s", key, msg)
				}
			}
		},
	}
}

// configMapValue says what credentials the value of a ConfigMap key holds,
// or "" when none: the value as a whole for a credential-like key, else the
// assignments of the configuration file it holds, and credentials
// recognised by their form anywhere in it.
func configMapValue(key, v string) string {
	if !strings.Contains(strings.TrimSpace(v), "\n") {
		if kind := nameKind(key); kind != "" && literal(v) {
			return "holds a literal " + kind
		}
	}
	var parts []string
	as := assignments(v)
	for i, a := range as {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more assignments", len(as)-3))
			break
		}
		part := fmt.Sprintf("sets %q to a literal %s", a.Key, a.Kind)
		if strings.Contains(v, "\n") {
			part += fmt.Sprintf(" on line %d", a.Line)
		}
		parts = append(parts, part)
	}
	if kinds := valueKinds(v); len(kinds) > 0 {
		parts = append(parts, fmt.Sprintf("contains what looks like %s %s", article(kinds[0]), strings.Join(kinds, " and ")))
	}
	return strings.Join(parts, "; ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
