// Package probes checks the liveness and readiness probes of containers that
// serve for the life of their pod. Run-to-completion workloads (Jobs,
// CronJobs, and Pods whose restartPolicy is not Always) are not expected to
// have probes.
package probes

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Checks returns the probe checks.
func Checks() []*check.Check {
	return []*check.Check{readinessMissing(), livenessMissing(), livenessSameAsReadiness(), portNotDeclared()}
}

const docProbes = "https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/"

// longRunningKinds are the workload kinds whose pods run until replaced.
var longRunningKinds = []string{"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"}

// serving returns the regular containers of a long-running workload; none
// for a Pod that runs to completion.
func serving(obj *k8s.Object) []k8s.Container {
	pt := obj.Pod
	if pt == nil {
		return nil
	}
	if obj.Kind == "Pod" && pt.Spec.RestartPolicy != "" && pt.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		return nil
	}
	var out []k8s.Container
	for _, c := range pt.Containers() {
		if c.Type == k8s.RegularContainer {
			out = append(out, c)
		}
	}
	return out
}

func readinessMissing() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-PRB-001", Name: "readiness-probe-missing",
			Title:    "Container that serves a port has no readiness probe",
			Severity: finding.Low,
			Description: "Without a readiness probe, Kubernetes sends a container traffic as soon as its process starts, before it can answer, " +
				"and keeps sending it traffic while it is overloaded or has lost a dependency; a rolling update also counts the new pods " +
				"as available at once and goes on replacing working pods with broken ones. Containers that declare no port are taken for " +
				"workers that receive no traffic and are not flagged.",
			Remediation: "Add a readinessProbe (httpGet on a health endpoint, tcpSocket or grpc) that succeeds only when the container can serve requests.",
			References:  []string{docProbes, "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#define-readiness-probes"},
			Tags:        []string{"workload", "probes", "reliability"},
		},
		Kinds: longRunningKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			for _, c := range serving(obj) {
				if c.ReadinessProbe == nil && len(c.Ports) > 0 {
					ctx.ReportContainer(obj, c, "readinessProbe", "container %q declares ports but has no readiness probe", c.Name)
				}
			}
		},
	}
}

func livenessMissing() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-PRB-002", Name: "liveness-probe-missing",
			Title:    "Container has no liveness probe",
			Severity: finding.Low,
			Description: "A container whose process hangs without exiting (a deadlock, an exhausted thread pool) stays in place until someone notices: " +
				"Kubernetes restarts containers whose process exits, and, with a liveness probe, those that stop answering. A liveness probe must " +
				"test the process itself, not its dependencies, or an outage of a database restarts every client.",
			Remediation: "Add a livenessProbe that checks only that the process is responsive, with a failureThreshold and periodSeconds " +
				"generous enough to ride out load spikes. Add a startupProbe if the container starts slowly.",
			References: []string{docProbes, "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/"},
			Tags:       []string{"workload", "probes", "reliability"},
		},
		Kinds: longRunningKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			for _, c := range serving(obj) {
				if c.LivenessProbe == nil {
					ctx.ReportContainer(obj, c, "livenessProbe", "container %q has no liveness probe", c.Name)
				}
			}
		},
	}
}

func livenessSameAsReadiness() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-PRB-003", Name: "liveness-same-as-readiness",
			Title:    "Liveness probe runs the same check as the readiness probe",
			Severity: finding.Low,
			Description: "Readiness answers \"can this container take traffic now?\", liveness \"is it beyond recovery?\". When both probes run the same " +
				"check with the same timing, a container that is merely busy fails both at once: instead of being taken out of rotation until it " +
				"catches up, it is restarted, its load moves to the other replicas, which then fail too, and the restarts cascade through the " +
				"whole workload. A liveness probe that shares the readiness check but takes longer to fail (a higher failureThreshold or " +
				"periodSeconds) is the pattern the Kubernetes documentation recommends, and is not flagged.",
			Remediation: "Give the liveness probe its own, cheaper check of the process alone (for example /livez instead of /readyz), " +
				"or at least a higher failureThreshold than the readiness probe, so that it fires only after readiness has had time to shed load.",
			References: []string{docProbes},
			Tags:       []string{"workload", "probes", "reliability"},
		},
		Kinds: longRunningKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			for _, c := range serving(obj) {
				l, r := c.LivenessProbe, c.ReadinessProbe
				if l != nil && r != nil && reflect.DeepEqual(l.ProbeHandler, r.ProbeHandler) && !laxer(l, r) {
					ctx.ReportContainer(obj, c, "livenessProbe", "container %q: livenessProbe runs the same check as readinessProbe and fails as soon as it", c.Name)
				}
			}
		},
	}
}

// laxer reports whether liveness takes longer to fail than readiness, the
// pattern the Kubernetes documentation recommends for probes that share an
// endpoint: the container is out of rotation for a while before it is
// restarted.
func laxer(liveness, readiness *corev1.Probe) bool {
	return failAfter(liveness) > failAfter(readiness)
}

// failAfter is about how long a failing probe takes to fail, in seconds,
// with the API's defaults.
func failAfter(p *corev1.Probe) int32 {
	period, threshold := p.PeriodSeconds, p.FailureThreshold
	if period <= 0 {
		period = 10
	}
	if threshold <= 0 {
		threshold = 3
	}
	return period * threshold
}

func portNotDeclared() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-PRB-004", Name: "probe-port-not-declared",
			Title:    "Probe refers to a named port the container does not declare",
			Severity: finding.Medium,
			Description: "An httpGet or tcpSocket probe may name its port instead of giving its number; the kubelet then looks the name up among " +
				"the ports of the same container. If the container declares no port of that name, the probe can never succeed: a liveness " +
				"probe restarts the container forever, a readiness probe keeps it out of every Service, a startup probe does both. " +
				"A number written as a string (\"8080\") is not a name either, and the API server rejects it.",
			Remediation: "Declare the port under the container's ports with that name, fix the name's spelling, or give the port number unquoted.",
			References:  []string{docProbes, "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#use-a-named-port"},
			Tags:        []string{"workload", "probes", "validity"},
		},
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			if obj.Pod == nil {
				return
			}
			for _, c := range obj.Pod.Containers() {
				names := map[string]bool{}
				for _, p := range c.Ports {
					if p.Name != "" {
						names[p.Name] = true
					}
				}
				for _, pr := range []struct {
					field string
					probe *corev1.Probe
				}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
					if pr.probe == nil {
						continue
					}
					var port *intstr.IntOrString
					var handler string
					switch {
					case pr.probe.HTTPGet != nil:
						port, handler = &pr.probe.HTTPGet.Port, "httpGet"
					case pr.probe.TCPSocket != nil:
						port, handler = &pr.probe.TCPSocket.Port, "tcpSocket"
					default:
						continue // exec, and grpc whose port is always a number
					}
					if port.Type != intstr.String || names[port.StrVal] {
						continue
					}
					at := k8s.Path(pr.field).Field(handler).Field("port")
					if numeric(port.StrVal) {
						ctx.ReportContainer(obj, c, at, "container %q: %s gives port %q as a string, which is read as a name: write the number unquoted", c.Name, pr.field, port.StrVal)
						continue
					}
					ctx.ReportContainer(obj, c, at, "container %q: %s uses port %q, which the container does not declare", c.Name, pr.field, port.StrVal)
				}
			}
		},
	}
}

// numeric reports whether s is all digits.
func numeric(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
