// Package live checks what only a running cluster shows: pods without a
// controller, and the image digests pods really run (their status). They
// apply to objects read from a cluster, which have a metadata.uid; files
// written by people have none.
package live

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Checks returns the live-only checks.
func Checks() []*check.Check {
	return []*check.Check{barePod(), digestNotPinned(), digestDrift()}
}

// fromCluster reports whether an object was read from a cluster.
func fromCluster(obj *k8s.Object) bool { return obj.Meta.UID != "" }

func barePod() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-LIVE-001", Name: "bare-pod",
			Title:    "Pod runs without a controller",
			Severity: finding.Medium,
			Description: "A Pod that no controller owns (no Deployment, StatefulSet, DaemonSet, Job...) is not recreated when it fails " +
				"or its node goes away, and is often what is left of `kubectl run` or `kubectl debug`: an interactive shell in the " +
				"cluster, with the service account token of its namespace, that nobody reviewed.",
			Remediation: "Run workloads through a controller, and delete debugging pods when done (kubectl delete pod NAME).",
			References:  []string{"https://kubernetes.io/docs/concepts/configuration/overview/#naked-pods-vs-replicasets-deployments-and-jobs"},
			Mappings:    finding.Mappings{ThreatMatrix: []string{check.MSNewContainer, check.MSBackdoorContainer}},
			Tags:        []string{"workload", "live"},
		},
		Kinds: []string{"Pod"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			if !fromCluster(obj) || metav1.GetControllerOf(obj.Meta) != nil {
				return
			}
			if _, static := obj.Meta.Annotations["kubernetes.io/config.mirror"]; static {
				return // a static pod's mirror: the kubelet owns it
			}
			ctx.Report(obj, "metadata", "pod %q has no controller: nothing recreates it, and nothing reviewed it", obj.Name())
		},
	}
}

// runningDigest returns the digest a container status says runs, or "".
func runningDigest(st corev1.ContainerStatus) string {
	if i := strings.Index(st.ImageID, "@sha256:"); i >= 0 {
		return st.ImageID[i+1:]
	}
	if strings.HasPrefix(st.ImageID, "sha256:") {
		return st.ImageID
	}
	return ""
}

func digestNotPinned() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-LIVE-002", Name: "running-digest-not-pinned",
			Title:    "Pod runs an image its spec does not pin",
			Severity: finding.Low,
			Description: "The pod's spec names its image by tag, and the node resolved the tag to the digest in the pod's status. " +
				"The next pod made from the same spec may get another image if the tag moves: what runs is not what was reviewed.",
			Remediation: "Pin the image by the digest that runs (image: NAME@sha256:...), as reported in the finding.",
			References:  []string{"https://kubernetes.io/docs/concepts/containers/images/#image-names"},
			Mappings:    finding.Mappings{ThreatMatrix: []string{check.MSCompromisedImage}},
			Tags:        []string{"workload", "image", "live"},
		},
		Kinds: []string{"Pod"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			pod, ok := obj.Typed.(*corev1.Pod)
			if !ok || !fromCluster(obj) {
				return
			}
			statuses := map[string]corev1.ContainerStatus{}
			for _, st := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
				statuses[st.Name] = st
			}
			for _, c := range obj.Pod.Containers() {
				st, ok := statuses[c.Name]
				if !ok || strings.Contains(c.Image, "@sha256:") {
					continue
				}
				if d := runningDigest(st); d != "" {
					ctx.ReportContainer(obj, c, "image", "container %q asks for %q and runs %s: pin that digest", c.Name, c.Image, d)
				}
			}
		},
	}
}

func digestDrift() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-LIVE-003", Name: "replicas-run-different-images",
			Title:    "Replicas of one workload run different images",
			Severity: finding.Medium,
			Description: "Pods made from the same template run different image digests for the same container: the tag moved " +
				"between their starts, or a node held a stale or tampered image. Which code serves a request depends on the replica.",
			Remediation: "Pin the image by digest in the workload, then roll it out so that every replica runs that digest.",
			References:  []string{"https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy"},
			Mappings:    finding.Mappings{ThreatMatrix: []string{check.MSCompromisedImage}},
			Tags:        []string{"workload", "image", "live"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			type key struct{ owner, container string }
			digests := map[key]map[string][]*k8s.Object{}
			var order []key
			for _, o := range ix.Kind("Pod") {
				pod, ok := o.Typed.(*corev1.Pod)
				owner := metav1.GetControllerOf(o.Meta)
				if !ok || owner == nil {
					continue
				}
				for _, st := range pod.Status.ContainerStatuses {
					d := runningDigest(st)
					if d == "" {
						continue
					}
					k := key{o.Namespace() + "/" + owner.Kind + "/" + owner.Name, st.Name}
					if digests[k] == nil {
						digests[k] = map[string][]*k8s.Object{}
						order = append(order, k)
					}
					digests[k][d] = append(digests[k][d], o)
				}
			}
			for _, k := range order {
				if len(digests[k]) < 2 {
					continue
				}
				var ds []string
				for d := range digests[k] {
					ds = append(ds, d)
				}
				sort.Strings(ds)
				first := digests[k][ds[0]][0]
				ctx.Report(first, "status.containerStatuses", "the replicas of %s run %d different digests of container %q: %s",
					k.owner, len(ds), k.container, strings.Join(ds, ", "))
			}
		},
	}
}
