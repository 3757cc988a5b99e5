// Package resources checks that long-running containers declare CPU, memory
// and ephemeral-storage requests and limits, and that no request exceeds its
// limit.
//
// A value counts as declared wherever Kubernetes would take it from: the
// container itself (a limit without a request makes the request equal to the
// limit), the pod-level resources of the pod (cpu and memory), or the
// defaults of a LimitRange deployed in the same namespace.
package resources

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Checks returns the resource checks.
func Checks() []*check.Check {
	return []*check.Check{
		cpuRequest(), cpuLimit(), memoryRequest(), memoryLimit(), ephemeralStorageLimit(), requestExceedsLimit(),
	}
}

const (
	docManage     = "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"
	docLimitRange = "https://kubernetes.io/docs/concepts/policy/limit-range/"
)

// kind says whether a check wants a request or a limit.
type kind uint8

const (
	request kind = iota
	limit
)

func (k kind) String() string {
	if k == limit {
		return "limit"
	}
	return "request"
}

func (k kind) field() string {
	if k == limit {
		return "limits"
	}
	return "requests"
}

// missing builds a check that flags long-running containers without a
// request or limit for one resource.
func missing(rule finding.Rule, res corev1.ResourceName, want kind, label string) *check.Check {
	rule.Tags = append([]string{"workload", "resources"}, rule.Tags...)
	rule.References = append([]string{docManage, docLimitRange}, rule.References...)
	rule.Description += " Values the container gets anyway count: a limit also sets the request, and so do pod-level resources " +
		"(spec.resources) and the defaults of a LimitRange deployed in the same namespace. Init containers that run to completion are not flagged."
	return &check.Check{
		Rule: rule,
		Index: func(ctx *check.Context, ix *k8s.Index) {
			defaults := namespaceDefaults(ix)
			for _, obj := range ix.Objects() {
				pt := obj.Pod
				if pt == nil || podLevel(pt.Spec.Resources, res, want) {
					continue
				}
				if defaults[obj.Namespace()].has(res, want) {
					continue
				}
				for _, c := range pt.Containers() {
					if !c.LongRunning() || declared(&c.Resources, res, want) {
						continue
					}
					ctx.ReportContainer(obj, c, k8s.Path("resources").Field(want.field()).Key(string(res)),
						"container %q has no %s %s", c.Name, label, want)
				}
			}
		},
	}
}

// declared reports whether a container's own requirements give it a value
// for res. The API server sets a missing request to the limit.
func declared(rr *corev1.ResourceRequirements, res corev1.ResourceName, want kind) bool {
	if _, ok := rr.Limits[res]; ok {
		return true
	}
	if want == request {
		_, ok := rr.Requests[res]
		return ok
	}
	return false
}

// podLevel reports whether pod-level resources (spec.resources) cover res
// for all containers together.
func podLevel(rr *corev1.ResourceRequirements, res corev1.ResourceName, want kind) bool {
	return rr != nil && declared(rr, res, want)
}

// defaults are the container defaults of the LimitRanges of one namespace.
type defaults struct {
	requests, limits map[corev1.ResourceName]bool
}

func (d defaults) has(res corev1.ResourceName, want kind) bool {
	if want == limit {
		return d.limits[res]
	}
	return d.requests[res]
}

// namespaceDefaults returns, per namespace, the resources for which a
// LimitRange gives containers a default request or limit. As the API server
// defaults a LimitRange, a default limit comes from default or max, and a
// default request from defaultRequest, default or min.
func namespaceDefaults(ix *k8s.Index) map[string]defaults {
	out := map[string]defaults{}
	for _, obj := range ix.Kind("LimitRange") {
		lr, ok := obj.Typed.(*corev1.LimitRange)
		if !ok {
			continue
		}
		ns := obj.Namespace()
		d, ok := out[ns]
		if !ok {
			d = defaults{requests: map[corev1.ResourceName]bool{}, limits: map[corev1.ResourceName]bool{}}
			out[ns] = d
		}
		for _, item := range lr.Spec.Limits {
			if item.Type != corev1.LimitTypeContainer {
				continue
			}
			for _, l := range []corev1.ResourceList{item.Default, item.Max} {
				for r := range l {
					d.limits[r] = true
					d.requests[r] = true
				}
			}
			for _, l := range []corev1.ResourceList{item.DefaultRequest, item.Min} {
				for r := range l {
					d.requests[r] = true
				}
			}
		}
	}
	return out
}

func cpuRequest() *check.Check {
	return missing(finding.Rule{
		ID: "DZ-RES-001", Name: "cpu-request-missing",
		Title:    "Container has no CPU request",
		Severity: finding.Low,
		Description: "The scheduler places a pod by the CPU its containers request. A container without a CPU request counts as needing none: " +
			"pods pile onto nodes that cannot serve them, and under contention the container gets the smallest share of CPU, " +
			"so its latency becomes unpredictable. Requests also drive the Horizontal Pod Autoscaler's CPU utilisation.",
		Remediation: "Set resources.requests.cpu on the container to what it uses under normal load (for example from its usage metrics), " +
			"or give the namespace a default with a LimitRange (defaultRequest).",
		Mappings: finding.Mappings{NSA: []string{check.NSAResources}},
	}, corev1.ResourceCPU, request, "CPU")
}

func cpuLimit() *check.Check {
	return missing(finding.Rule{
		ID: "DZ-RES-002", Name: "cpu-limit-missing",
		Title:    "Container has no CPU limit",
		Severity: finding.Low,
		Description: "Without a CPU limit a container may use every idle CPU of its node: a busy loop, a bug or a cryptominer planted through it " +
			"takes CPU from the other pods there. A CPU limit does not kill a container; the kernel throttles it once it uses its quota, " +
			"which can add latency even while the node is idle. Some teams therefore omit CPU limits on purpose and rely on requests " +
			"alone; if that is your policy, record it with an exception for this check rather than ignoring the finding case by case.",
		Remediation: "Set resources.limits.cpu on the container (or a namespace default with a LimitRange), leaving headroom above its request, " +
			"or add an exception for DZ-RES-002 that states the policy of running without CPU limits.",
		References: []string{"https://kubernetes.io/docs/tasks/configure-pod-container/assign-cpu-resource/"},
		Mappings:   finding.Mappings{NSA: []string{check.NSAResources}, ThreatMatrix: []string{check.MSResourceHijacking, check.MSDenialOfService}},
	}, corev1.ResourceCPU, limit, "CPU")
}

func memoryRequest() *check.Check {
	return missing(finding.Rule{
		ID: "DZ-RES-003", Name: "memory-request-missing",
		Title:    "Container has no memory request",
		Severity: finding.Low,
		Description: "The scheduler places a pod by the memory its containers request. A container without a memory request counts as needing none, " +
			"so nodes get overcommitted; when a node runs short of memory, the kubelet evicts first the pods that use more than they requested.",
		Remediation: "Set resources.requests.memory on the container to its usual working set, or give the namespace a default with a LimitRange (defaultRequest).",
		Mappings:    finding.Mappings{NSA: []string{check.NSAResources}},
	}, corev1.ResourceMemory, request, "memory")
}

func memoryLimit() *check.Check {
	return missing(finding.Rule{
		ID: "DZ-RES-004", Name: "memory-limit-missing",
		Title:    "Container has no memory limit",
		Severity: finding.Medium,
		Description: "Memory, unlike CPU, cannot be taken back once given. A container without a memory limit that leaks, or is made to allocate " +
			"by a hostile request, can use all of its node's memory; the kernel's out-of-memory killer and the kubelet's evictions then kill " +
			"other pods on that node too, and the node itself may become unresponsive.",
		Remediation: "Set resources.limits.memory on the container, a little above its peak working set, or give the namespace a default with a LimitRange (default).",
		References:  []string{"https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/"},
		Mappings:    finding.Mappings{NSA: []string{check.NSAResources}, ThreatMatrix: []string{check.MSDenialOfService}},
	}, corev1.ResourceMemory, limit, "memory")
}

func ephemeralStorageLimit() *check.Check {
	return missing(finding.Rule{
		ID: "DZ-RES-005", Name: "ephemeral-storage-limit-missing",
		Title:    "Container has no ephemeral-storage limit",
		Severity: finding.Low,
		Description: "A container writes its logs, its writable layer and its emptyDir volumes to the node's disk. Without an ephemeral-storage limit, " +
			"one container can fill that disk; the kubelet then marks the node under disk pressure and evicts pods from it, other workloads' included.",
		Remediation: "Set resources.limits.ephemeral-storage on the container (and sizeLimit on its emptyDir volumes), or give the namespace a default with a LimitRange.",
		References:  []string{"https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/"},
		Mappings:    finding.Mappings{NSA: []string{check.NSAResources}, ThreatMatrix: []string{check.MSDenialOfService}},
	}, corev1.ResourceEphemeralStorage, limit, "ephemeral-storage")
}

func requestExceedsLimit() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-RES-006", Name: "request-exceeds-limit",
			Title:    "Resource request greater than its limit",
			Severity: finding.Medium,
			Description: "A request may not exceed the limit of the same resource. The API server rejects such a pod, and a workload with such a " +
				"template never gets its pods created: the rollout stalls with the error only in the controller's events.",
			Remediation: "Lower the request to at most the limit, or raise the limit.",
			References:  []string{docManage},
			Tags:        []string{"workload", "resources", "validity"},
		},
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			pt := obj.Pod
			if pt == nil {
				return
			}
			if rr := pt.Spec.Resources; rr != nil {
				exceeding(rr, func(res corev1.ResourceName, req, lim resource.Quantity) {
					ctx.Report(obj, pt.SpecPath.Field("resources").Field("requests").Key(string(res)),
						"pod: %s request %q is greater than its limit %q", res, req.String(), lim.String())
				})
			}
			for _, c := range pt.Containers() {
				exceeding(&c.Resources, func(res corev1.ResourceName, req, lim resource.Quantity) {
					ctx.ReportContainer(obj, c, k8s.Path("resources").Field("requests").Key(string(res)),
						"container %q: %s request %q is greater than its limit %q", c.Name, res, req.String(), lim.String())
				})
			}
		},
	}
}

// exceeding calls fn, in resource name order, for each request greater than
// its limit.
func exceeding(rr *corev1.ResourceRequirements, fn func(res corev1.ResourceName, req, lim resource.Quantity)) {
	names := make([]corev1.ResourceName, 0, len(rr.Requests))
	for res := range rr.Requests {
		names = append(names, res)
	}
	slices.Sort(names)
	for _, res := range names {
		lim, ok := rr.Limits[res]
		if req := rr.Requests[res]; ok && req.Cmp(lim) > 0 {
			fn(res, req, lim)
		}
	}
}
