// Package apiversion checks objects against the lifecycle of Kubernetes API
// versions at the target Kubernetes version (check.Options.KubeVersion):
// deprecated versions, versions no longer served, and alpha versions.
//
// The lifecycle comes from the Kubernetes project itself: the typed objects
// of k8s.io/api carry the release that introduced, deprecated and removed
// their version, and its replacement (the API server stops serving a version
// from that data). Versions whose types k8s.io/api no longer has are kept in
// a small table in this package, with their sources.
package apiversion

import (
	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Checks returns the API version checks.
func Checks() []*check.Check {
	return []*check.Check{deprecated(), removed(), alphaAPI()}
}

const migrationGuide = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"

func deprecated() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-API-001", Name: "api-deprecated",
			Title:    "Deprecated API version",
			Severity: finding.Low,
			Description: "The object uses an API version that is deprecated at the target Kubernetes version: the API server " +
				"still serves it but warns, and a later release stops serving it, at which point applying the manifest fails " +
				"and upgrades of the cluster break the deployment. Alpha versions are left to DZ-API-003.",
			Remediation: "Move the manifest to the version the message names (kubectl convert helps), checking the field " +
				"changes listed in the deprecated API migration guide.",
			References: []string{migrationGuide, "https://kubernetes.io/docs/reference/using-api/deprecation-policy/"},
			Mappings:   finding.Mappings{NSA: []string{check.NSAUpgrading}},
			Tags:       []string{"api-version", "upgrade"},
		},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			l, ok := objectLifecycle(obj)
			t := target(ctx)
			gvk := obj.GVK()
			if !ok || alpha(gvk.GroupVersion()) || !atOrBefore(l.deprecated, t) || atOrBefore(l.removed, t) {
				return
			}
			if set(l.removed) {
				ctx.Report(obj, "apiVersion", "%s is deprecated since Kubernetes %s and no longer served from %s: %s",
					describe(gvk), l.deprecated, l.removed, successor(l, gvk, t))
				return
			}
			ctx.Report(obj, "apiVersion", "%s is deprecated since Kubernetes %s: %s", describe(gvk), l.deprecated, successor(l, gvk, t))
		},
	}
}

func removed() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-API-002", Name: "api-removed",
			Title:    "API version no longer served",
			Severity: finding.High,
			Description: "The object uses an API version that the API server of the target Kubernetes version no longer " +
				"serves: applying the manifest fails with \"no matches for kind\", and a chart or pipeline that ships it breaks " +
				"on upgrade.",
			Remediation: "Move the manifest to the version the message names (kubectl convert helps), checking the field " +
				"changes listed in the deprecated API migration guide; for PodSecurityPolicy, use Pod Security Admission.",
			References: []string{migrationGuide},
			Mappings:   finding.Mappings{NSA: []string{check.NSAUpgrading}},
			Tags:       []string{"api-version", "upgrade"},
		},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			l, ok := objectLifecycle(obj)
			t := target(ctx)
			if !ok || !atOrBefore(l.removed, t) {
				return
			}
			gvk := obj.GVK()
			ctx.Report(obj, "apiVersion", "%s is no longer served since Kubernetes %s: %s", describe(gvk), l.removed, successor(l, gvk, t))
		},
	}
}

func alphaAPI() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-API-003", Name: "api-alpha",
			Title:    "Alpha API version",
			Severity: finding.Low,
			Description: "Alpha versions of Kubernetes APIs are disabled unless the cluster enables them (--runtime-config " +
				"and often a feature gate), may change incompatibly or disappear in any release without a deprecation period, " +
				"and are not meant for production. Managed clusters usually cannot enable them at all.",
			Remediation: "Use a beta or stable version of the API if there is one; otherwise document that the workload needs " +
				"an alpha API and pin the Kubernetes version it is tested with.",
			References: []string{
				"https://kubernetes.io/docs/reference/using-api/#api-versioning",
				"https://kubernetes.io/docs/reference/using-api/#enabling-or-disabling",
			},
			Tags: []string{"api-version"},
		},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			gvk := obj.GVK()
			if !alpha(gvk.GroupVersion()) {
				return
			}
			if l, ok := objectLifecycle(obj); ok && atOrBefore(l.removed, target(ctx)) {
				return // DZ-API-002
			}
			ctx.Report(obj, "apiVersion", "%s is an alpha API: disabled unless the cluster enables it, and it may change or go away in any release", describe(gvk))
		},
	}
}
