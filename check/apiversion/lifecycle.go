package apiversion

import (
	"math"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/k8s"
)

// lifecycle is when an API version of a kind was deprecated and stops being
// served, and what replaces it. Zero versions mean never.
type lifecycle struct {
	introduced, deprecated, removed check.Version
	// replacement is the kind's successor, when known.
	replacement schema.GroupVersionKind
	// note replaces replacement in messages for kinds with no successor.
	note string
}

// The interfaces the typed objects of k8s.io/api implement from their
// +k8s:prerelease-lifecycle-gen tags: the same data the API server uses to
// stop serving removed versions and to warn about deprecated ones.
type (
	introducedAPI  interface{ APILifecycleIntroduced() (major, minor int) }
	deprecatedAPI  interface{ APILifecycleDeprecated() (major, minor int) }
	removedAPI     interface{ APILifecycleRemoved() (major, minor int) }
	replacementAPI interface {
		APILifecycleReplacement() schema.GroupVersionKind
	}
)

// lifecycleOf returns the lifecycle of a typed object's API version, from
// k8s.io/api.
func lifecycleOf(obj runtime.Object) (lifecycle, bool) {
	var l lifecycle
	d, ok := obj.(deprecatedAPI)
	if !ok {
		return l, false
	}
	l.deprecated = version(d.APILifecycleDeprecated())
	if i, ok := obj.(introducedAPI); ok {
		l.introduced = version(i.APILifecycleIntroduced())
	}
	if r, ok := obj.(removedAPI); ok {
		l.removed = version(r.APILifecycleRemoved())
	}
	if r, ok := obj.(replacementAPI); ok {
		l.replacement = r.APILifecycleReplacement()
	}
	return l, true
}

func version(major, minor int) check.Version { return check.Version{Major: major, Minor: minor} }

func v(minor int) check.Version { return check.Version{Major: 1, Minor: minor} }

// deleted is the lifecycle of API versions whose Go types are no longer in
// k8s.io/api, by "apiVersion kind". Sources: the Kubernetes deprecated API
// migration guide (https://kubernetes.io/docs/reference/using-api/deprecation-guide/),
// the prerelease lifecycle of the last k8s.io/api release that had each type
// (v0.32 for autoscaling/v2beta1 and v2beta2, networking.k8s.io/v1alpha1,
// resource.k8s.io/v1alpha3 and storagemigration.k8s.io/v1alpha1), and the
// release notes of 1.20 (settings.k8s.io/v1alpha1 removed) and 1.21
// (batch/v2alpha1 removed).
var deleted = map[string]lifecycle{
	"extensions/v1beta1 PodSecurityPolicy": {deprecated: v(11), removed: v(16),
		note: "PodSecurityPolicy is gone altogether since 1.25; enforce the Pod Security Standards with Pod Security Admission"},
	"policy/v1beta1 PodSecurityPolicy": {deprecated: v(21), removed: v(25),
		note: "PodSecurityPolicy has no successor; enforce the Pod Security Standards with Pod Security Admission"},
	"autoscaling/v2beta1 HorizontalPodAutoscaler": {introduced: v(8), deprecated: v(22), removed: v(25),
		replacement: schema.GroupVersionKind{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}},
	"autoscaling/v2beta2 HorizontalPodAutoscaler": {introduced: v(12), deprecated: v(23), removed: v(26),
		replacement: schema.GroupVersionKind{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}},
	"apiextensions.k8s.io/v1beta1 CustomResourceDefinition": {deprecated: v(16), removed: v(22),
		replacement: schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}},
	"apiregistration.k8s.io/v1beta1 APIService": {deprecated: v(19), removed: v(22),
		replacement: schema.GroupVersionKind{Group: "apiregistration.k8s.io", Version: "v1", Kind: "APIService"}},
	"batch/v2alpha1 CronJob": {removed: v(21),
		replacement: schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "CronJob"}},
	"settings.k8s.io/v1alpha1 PodPreset": {removed: v(20),
		note: "PodPreset has no successor; inject settings with a mutating admission policy or webhook"},
	"networking.k8s.io/v1alpha1 IPAddress": {introduced: v(27), deprecated: v(30), removed: v(33),
		replacement: schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "IPAddress"}},
	"networking.k8s.io/v1alpha1 ServiceCIDR": {introduced: v(27), deprecated: v(30), removed: v(33),
		replacement: schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "ServiceCIDR"}},
	"resource.k8s.io/v1alpha3 DeviceClass": {introduced: v(31), deprecated: v(34), removed: v(37),
		replacement: schema.GroupVersionKind{Group: "resource.k8s.io", Version: "v1", Kind: "DeviceClass"}},
	"resource.k8s.io/v1alpha3 ResourceClaim": {introduced: v(31), deprecated: v(34), removed: v(37),
		replacement: schema.GroupVersionKind{Group: "resource.k8s.io", Version: "v1", Kind: "ResourceClaim"}},
	"resource.k8s.io/v1alpha3 ResourceClaimTemplate": {introduced: v(31), deprecated: v(34), removed: v(37),
		replacement: schema.GroupVersionKind{Group: "resource.k8s.io", Version: "v1", Kind: "ResourceClaimTemplate"}},
	"resource.k8s.io/v1alpha3 ResourceSlice": {introduced: v(31), deprecated: v(34), removed: v(37),
		replacement: schema.GroupVersionKind{Group: "resource.k8s.io", Version: "v1", Kind: "ResourceSlice"}},
	"storagemigration.k8s.io/v1alpha1 StorageVersionMigration": {introduced: v(30), deprecated: v(33), removed: v(36),
		replacement: schema.GroupVersionKind{Group: "storagemigration.k8s.io", Version: "v1", Kind: "StorageVersionMigration"}},
}

// objectLifecycle returns the lifecycle of an object's API version and kind.
func objectLifecycle(obj *k8s.Object) (lifecycle, bool) {
	if l, ok := deleted[obj.APIVersion+" "+obj.Kind]; ok {
		return l, true
	}
	if obj.Typed == nil {
		return lifecycle{}, false
	}
	return lifecycleOf(obj.Typed)
}

// newest stands for "the newest release" when no target version is given.
var newest = check.Version{Major: 1, Minor: math.MaxInt32}

func target(ctx *check.Context) check.Version {
	if t := ctx.Options().KubeVersion; t.Major != 0 {
		return t
	}
	return newest
}

// set reports whether a lifecycle version is given.
func set(v check.Version) bool { return v.Major != 0 }

// atOrBefore reports whether v is set and not after t.
func atOrBefore(v, t check.Version) bool { return set(v) && !t.Before(v) }

// served reports whether a lifecycle lets the API server of release t serve
// the version: introduced by then, and not removed.
func (l lifecycle) served(t check.Version) bool {
	return !atOrBefore(l.removed, t) && (!set(l.introduced) || !t.Before(l.introduced))
}

// successor names what to use instead of gvk at release t: the declared
// replacement, followed while it is itself no longer served, else the first
// version of the same kind the scheme prefers that is served and not
// deprecated at t.
func successor(l lifecycle, gvk schema.GroupVersionKind, t check.Version) string {
	if l.note != "" {
		return l.note
	}
	r := l.replacement
	for range 4 {
		if r.Empty() {
			break
		}
		if strings.HasSuffix(r.Kind, "List") && !strings.HasSuffix(gvk.Kind, "List") {
			r.Kind = gvk.Kind // k8s.io/api names IngressClassList as IngressClass's replacement
		}
		next, ok := typedLifecycle(r)
		if !ok || next.served(t) && !atOrBefore(next.deprecated, t) {
			return "use " + describe(r)
		}
		if next.replacement.Empty() || next.replacement == r {
			break
		}
		r = next.replacement
	}
	for _, ver := range scheme.Scheme.VersionsForGroupKind(gvk.GroupKind()) {
		cand := ver.WithKind(gvk.Kind)
		if cand == gvk {
			continue
		}
		next, ok := typedLifecycle(cand)
		if !ok || next.served(t) && !atOrBefore(next.deprecated, t) {
			return "use " + describe(cand)
		}
	}
	if !r.Empty() {
		return "use " + describe(r)
	}
	return "no successor is known"
}

// typedLifecycle returns the lifecycle of a kind's API version in
// k8s.io/api; false for stable versions and unknown kinds.
func typedLifecycle(gvk schema.GroupVersionKind) (lifecycle, bool) {
	if l, ok := deleted[gvk.GroupVersion().String()+" "+gvk.Kind]; ok {
		return l, true
	}
	obj, err := scheme.Scheme.New(gvk)
	if err != nil {
		return lifecycle{}, false
	}
	return lifecycleOf(obj)
}

// describe writes a kind's API version as in a manifest: "apps/v1 Deployment".
func describe(gvk schema.GroupVersionKind) string {
	return gvk.GroupVersion().String() + " " + gvk.Kind
}

// builtinGroups are the API groups Kubernetes serves itself: those of
// client-go's scheme and the groups of removed or aggregated built-in APIs.
var builtinGroups = func() map[string]bool {
	m := map[string]bool{"apiextensions.k8s.io": true, "apiregistration.k8s.io": true, "settings.k8s.io": true}
	for gvk := range scheme.Scheme.AllKnownTypes() {
		m[gvk.Group] = true
	}
	return m
}()

// alpha reports whether an apiVersion is an alpha version of a built-in
// group: "scheduling.k8s.io/v1alpha1", not "cert-manager.io/v1alpha2".
func alpha(gv schema.GroupVersion) bool {
	return strings.Contains(gv.Version, "alpha") && builtinGroups[gv.Group]
}
