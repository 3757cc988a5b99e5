// Package hostpath checks hostPath volumes for the node paths that give a pod
// the node: container runtime sockets, the root file system, /etc, kernel
// interfaces, the kubelet's directory, logs and home directories.
package hostpath

import (
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Checks returns the hostPath checks.
func Checks() []*check.Check {
	return []*check.Check{
		runtimeSocket(), hostRoot(), hostEtc(), kernelInterfaces(), kubeletDir(), hostLogs(), homeDirs(), writable(),
	}
}

// sensitive builds a check that flags hostPath volumes whose path is one of
// prefixes or lies below one of them.
func sensitive(rule finding.Rule, prefixes ...string) *check.Check {
	rule.Tags = append([]string{"workload", "host-path"}, rule.Tags...)
	if rule.References == nil {
		rule.References = []string{"https://kubernetes.io/docs/concepts/storage/volumes/#hostpath"}
	}
	return &check.Check{
		Rule:  rule,
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			forEachHostPath(obj, func(v *corev1.Volume, at k8s.Path) {
				p := clean(v.HostPath.Path)
				if p == "/" {
					return // DZ-HP-002 says it
				}
				for _, pre := range prefixes {
					switch {
					case within(p, pre):
						ctx.Report(obj, at.Field("hostPath").Field("path"), "volume %q mounts %s from the node", v.Name, p)
					case within(pre, p):
						ctx.Report(obj, at.Field("hostPath").Field("path"), "volume %q mounts %s from the node, which holds %s", v.Name, p, pre)
					default:
						continue
					}
					return
				}
			})
		},
	}
}

// forEachHostPath calls fn for every hostPath volume of a workload.
func forEachHostPath(obj *k8s.Object, fn func(v *corev1.Volume, at k8s.Path)) {
	if obj.Pod == nil {
		return
	}
	for i := range obj.Pod.Spec.Volumes {
		v := &obj.Pod.Spec.Volumes[i]
		if v.HostPath != nil {
			fn(v, obj.Pod.SpecPath.Field("volumes").Index(i))
		}
	}
}

// clean normalises a host path: "/var/run/../run/" is "/run".
func clean(p string) string {
	if p == "" {
		return "/"
	}
	return path.Clean("/" + p)
}

// within reports whether p is dir or lies below it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}

func runtimeSocket() *check.Check {
	return sensitive(finding.Rule{
		ID: "DZ-HP-001", Name: "container-runtime-socket",
		Title:    "Container runtime socket mounted",
		Severity: finding.Critical,
		Description: "A pod that mounts the socket of the container runtime (Docker, containerd, CRI-O, Podman) " +
			"can start a privileged container on the node, read every container's file system and secrets, " +
			"and so take over the node and every workload on it.",
		Remediation: "Do not mount runtime sockets. Build images with a daemonless builder (BuildKit rootless, Kaniko), " +
			"and collect container metadata through the Kubernetes API.",
		Mappings: finding.Mappings{CIS: []string{"5.2.11"}, NSA: []string{check.NSAHardening}, ThreatMatrix: []string{check.MSWritableHostPath, check.MSNewContainer}},
	},
		"/var/run/docker.sock", "/run/docker.sock", "/var/run/docker", "/run/docker",
		"/var/run/containerd", "/run/containerd", "/var/run/crio", "/run/crio",
		"/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock", "/var/run/podman", "/run/podman",
		"/var/lib/docker", "/var/lib/containerd",
	)
}

func hostRoot() *check.Check {
	c := sensitive(finding.Rule{
		ID: "DZ-HP-002", Name: "host-root-mounted",
		Title:       "Node's root file system mounted",
		Severity:    finding.Critical,
		Description: "A hostPath volume of / gives the pod every file of the node: credentials, the kubelet's configuration, and binaries it can replace to run code as root on the node.",
		Remediation: "Mount only the specific node directory the workload needs, read-only, or use a CSI driver.",
		Mappings:    finding.Mappings{CIS: []string{"5.2.11"}, NSA: []string{check.NSAHardening}, ThreatMatrix: []string{check.MSWritableHostPath}},
	})
	c.Object = func(ctx *check.Context, obj *k8s.Object) {
		forEachHostPath(obj, func(v *corev1.Volume, at k8s.Path) {
			if clean(v.HostPath.Path) == "/" {
				ctx.Report(obj, at.Field("hostPath").Field("path"), "volume %q mounts the node's root file system", v.Name)
			}
		})
	}
	return c
}

func hostEtc() *check.Check {
	return sensitive(finding.Rule{
		ID: "DZ-HP-003", Name: "host-etc-mounted",
		Title:       "Node's /etc mounted",
		Severity:    finding.High,
		Description: "The node's /etc holds its users and password hashes, SSH keys, sudoers, cron tables and the Kubernetes configuration (/etc/kubernetes): read, it leaks credentials; written, it gives root on the node.",
		Remediation: "Mount a ConfigMap or Secret instead, or only the single file needed, read-only.",
		Mappings:    finding.Mappings{CIS: []string{"5.2.11"}, NSA: []string{check.NSAHardening}, ThreatMatrix: []string{check.MSWritableHostPath}},
	}, "/etc")
}

func kernelInterfaces() *check.Check {
	return sensitive(finding.Rule{
		ID: "DZ-HP-004", Name: "host-kernel-interfaces-mounted",
		Title:       "Node's /proc, /sys, /dev or /boot mounted",
		Severity:    finding.High,
		Description: "/proc and /sys expose every process and kernel setting of the node (core_pattern and uevent_helper run programs as root on the node); /dev gives raw access to its disks; /boot holds its kernel.",
		Remediation: "Do not mount kernel interfaces. Node agents that need them belong in a dedicated, reviewed namespace with an exception that says why.",
		Mappings:    finding.Mappings{CIS: []string{"5.2.11"}, NSA: []string{check.NSAHardening}, ThreatMatrix: []string{check.MSWritableHostPath, check.MSPrivileged}},
	}, "/proc", "/sys", "/dev", "/boot")
}

func kubeletDir() *check.Check {
	return sensitive(finding.Rule{
		ID: "DZ-HP-005", Name: "kubelet-directory-mounted",
		Title:       "Kubelet or Kubernetes directory mounted",
		Severity:    finding.Critical,
		Description: "/var/lib/kubelet holds the service account tokens and secrets of every pod on the node and the kubelet's own credentials; /etc/kubernetes and /var/lib/etcd hold cluster credentials and data. A pod that mounts them can act as any workload on the node, or as the node.",
		Remediation: "Do not mount these directories. CSI drivers and node agents that need part of them should mount only that part.",
		Mappings:    finding.Mappings{CIS: []string{"5.2.11"}, NSA: []string{check.NSAHardening}, ThreatMatrix: []string{check.MSWritableHostPath, check.MSContainerSA}},
	}, "/var/lib/kubelet", "/etc/kubernetes", "/var/lib/etcd", "/var/lib/kube-proxy", "/var/lib/rancher", "/var/lib/k0s")
}

func hostLogs() *check.Check {
	return sensitive(finding.Rule{
		ID: "DZ-HP-006", Name: "host-logs-mounted",
		Title:       "Node's /var/log mounted",
		Severity:    finding.High,
		Description: "With write access to the node's /var/log, a pod can replace a container's log file by a symbolic link, and the kubelet then serves any file of the node through the logs API. Logs also hold other workloads' data.",
		Remediation: "Mount /var/log read-only, and only in log collectors that run in a dedicated namespace; better, ship logs from stdout through the runtime.",
		References:  []string{"https://kubernetes.io/docs/concepts/storage/volumes/#hostpath", "https://www.aquasec.com/blog/kubernetes-security-pod-escape-log-mounts/"},
		Mappings:    finding.Mappings{CIS: []string{"5.2.11"}, NSA: []string{check.NSAHardening}, ThreatMatrix: []string{check.MSWritableHostPath, check.MSClearLogs}},
	}, "/var/log")
}

func homeDirs() *check.Check {
	return sensitive(finding.Rule{
		ID: "DZ-HP-007", Name: "host-home-mounted",
		Title:       "Node's /root or /home mounted",
		Severity:    finding.High,
		Description: "Home directories on the node hold SSH keys, shell histories and cloud and kubeconfig credentials of its administrators.",
		Remediation: "Do not mount home directories of the node.",
		Mappings:    finding.Mappings{CIS: []string{"5.2.11"}, NSA: []string{check.NSAHardening}, ThreatMatrix: []string{check.MSWritableHostPath}},
	}, "/root", "/home")
}

func writable() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-HP-008", Name: "writable-host-path",
			Title:    "hostPath volume mounted writable",
			Severity: finding.Medium,
			Description: "A container that can write to a directory of the node can plant files the node or other pods will run or trust, " +
				"and fill the node's disk. Read-only mounts remove most of that risk.",
			Remediation: "Set readOnly: true on every volumeMount of a hostPath volume.",
			References:  []string{"https://kubernetes.io/docs/concepts/storage/volumes/#hostpath"},
			Mappings:    finding.Mappings{CIS: []string{"5.2.11"}, NSA: []string{check.NSAHardening}, ThreatMatrix: []string{check.MSWritableHostPath}},
			Tags:        []string{"workload", "host-path"},
		},
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			hostVolumes := map[string]bool{}
			forEachHostPath(obj, func(v *corev1.Volume, _ k8s.Path) { hostVolumes[v.Name] = true })
			if len(hostVolumes) == 0 {
				return
			}
			for _, c := range obj.Pod.Containers() {
				for i, m := range c.VolumeMounts {
					if hostVolumes[m.Name] && !m.ReadOnly {
						ctx.ReportContainer(obj, c, k8s.Path("volumeMounts").Index(i),
							"container %q mounts hostPath volume %q writable at %s", c.Name, m.Name, m.MountPath)
					}
				}
			}
		},
	}
}
