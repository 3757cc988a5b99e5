// Package security checks container security contexts beyond what the Pod
// Security Standards (package pss) enforce: writable root file systems, low
// user and group IDs, dangerous capabilities, shared process namespaces and
// missing security contexts.
//
// Where a setting exists at both levels, the container's securityContext
// overrides the pod's, and checks judge the effective value. Windows pods,
// to which these Linux settings do not apply, are skipped.
package security

import (
	"fmt"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Checks returns the security context checks.
func Checks() []*check.Check {
	return []*check.Check{
		writableRootFS(), lowUserID(), lowGroupID(), dangerousCapabilities(), shareProcessNamespace(), noSecurityContext(),
	}
}

const docSecurityContext = "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"

// windows reports whether a pod runs on Windows nodes, where Linux security
// context fields do not apply.
func windows(spec *corev1.PodSpec) bool {
	return spec.OS != nil && spec.OS.Name == corev1.Windows || spec.NodeSelector[corev1.LabelOSStable] == string(corev1.Windows)
}

// linuxPod returns the pod template of a Linux workload, or nil.
func linuxPod(obj *k8s.Object) *k8s.PodTemplate {
	if obj.Pod == nil || windows(obj.Pod.Spec) {
		return nil
	}
	return obj.Pod
}

func rule(r finding.Rule) finding.Rule {
	r.Tags = append([]string{"workload", "security-context"}, r.Tags...)
	r.References = append([]string{docSecurityContext}, r.References...)
	return r
}

func writableRootFS() *check.Check {
	return &check.Check{
		Rule: rule(finding.Rule{
			ID: "DZ-SEC-001", Name: "root-filesystem-writable",
			Title:    "Container's root file system is writable",
			Severity: finding.Low,
			Description: "A container whose root file system is writable lets an intruder change its binaries and libraries, drop tools " +
				"and persist there until the container is replaced. A read-only root file system, with writable emptyDir volumes mounted " +
				"only where the application writes (such as /tmp), takes that away.",
			Remediation: "Set securityContext.readOnlyRootFilesystem: true on the container, and mount emptyDir volumes on the directories it must write to.",
			Mappings:    finding.Mappings{NSA: []string{check.NSAImmutable}},
		}),
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			pt := linuxPod(obj)
			if pt == nil {
				return
			}
			for _, c := range pt.Containers() {
				if !c.LongRunning() {
					continue
				}
				if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
					ctx.ReportContainer(obj, c, "securityContext.readOnlyRootFilesystem", "container %q has a writable root file system", c.Name)
				}
			}
		},
	}
}

// minID is the lowest user or group ID that does not overlap with the
// accounts of a typical node.
const minID = 10000

// idField describes runAsUser or runAsGroup.
type idField struct {
	field     string // runAsUser
	what      string // user
	root      string // how ID 0 is called
	container func(*corev1.SecurityContext) *int64
	pod       func(*corev1.PodSecurityContext) *int64
}

func idCheck(r finding.Rule, f idField) *check.Check {
	return &check.Check{
		Rule:  rule(r),
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			pt := linuxPod(obj)
			if pt == nil {
				return
			}
			judge := func(id int64, report func(sev finding.Severity, msg string)) {
				switch {
				case id == 0:
					report(finding.High, fmt.Sprintf("as %s (%s 0)", f.root, f.what))
				case id < minID:
					report(r.Severity, fmt.Sprintf("as %s %d, below %d", f.what, id, minID))
				}
			}
			// Containers that set the field are judged alone; those that
			// inherit it from the pod are judged once, at the pod.
			var inherit []string
			for _, c := range pt.Containers() {
				var id *int64
				if c.SecurityContext != nil {
					id = f.container(c.SecurityContext)
				}
				if id == nil {
					inherit = append(inherit, c.Name)
					continue
				}
				judge(*id, func(sev finding.Severity, msg string) {
					rel := k8s.Path("securityContext").Field(f.field)
					if sev != r.Severity {
						ctx.ReportContainerSeverity(sev, obj, c, rel, "container %q runs %s", c.Name, msg)
						return
					}
					ctx.ReportContainer(obj, c, rel, "container %q runs %s", c.Name, msg)
				})
			}
			if len(inherit) == 0 {
				return
			}
			at := pt.SpecPath.Field("securityContext").Field(f.field)
			var podID *int64
			if pt.Spec.SecurityContext != nil {
				podID = f.pod(pt.Spec.SecurityContext)
			}
			if podID == nil {
				ctx.Report(obj, at, "%s: %s is set neither on the container nor on the pod, so the image decides the %s", containers(inherit), f.field, f.what)
				return
			}
			judge(*podID, func(sev finding.Severity, msg string) {
				ctx.ReportSeverity(sev, obj, at, "pod runs %s %s", containers(inherit), msg)
			})
		},
	}
}

// containers names one or more containers: container "a", containers "a", "b".
func containers(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return "container " + q[0]
	}
	return "containers " + strings.Join(q, ", ")
}

func lowUserID() *check.Check {
	return idCheck(finding.Rule{
		ID: "DZ-SEC-002", Name: "low-user-id",
		Title:    "Container runs with a user ID below 10000",
		Severity: finding.Low,
		Description: "User IDs are shared between containers and their node: a process that escapes its container keeps its user ID, " +
			"and IDs below 10000 are those of the node's own accounts and services, whose files it can then read or change. Without " +
			"runAsUser, the image's USER decides, which is often root. User ID 0 is root, and is reported as High.",
		Remediation: "Set securityContext.runAsUser to an ID of 10000 or more (at pod level, or on each container) and runAsNonRoot: true, " +
			"and build the image to run as that user.",
		Mappings: finding.Mappings{CIS: []string{"5.2.7"}, NSA: []string{check.NSANonRoot}},
	}, idField{
		field: "runAsUser", what: "user", root: "root",
		container: func(sc *corev1.SecurityContext) *int64 { return sc.RunAsUser },
		pod:       func(sc *corev1.PodSecurityContext) *int64 { return sc.RunAsUser },
	})
}

func lowGroupID() *check.Check {
	return idCheck(finding.Rule{
		ID: "DZ-SEC-003", Name: "low-group-id",
		Title:    "Container runs with a group ID below 10000",
		Severity: finding.Low,
		Description: "Group IDs are shared between containers and their node: group IDs below 10000 are those of the node's own groups, " +
			"whose files a process that escapes its container can read or change. Without runAsGroup, the image decides, and a user " +
			"ID the image does not list gets group 0. Group 0 is the root group, which owns many files on the node, and is reported as High.",
		Remediation: "Set securityContext.runAsGroup to an ID of 10000 or more, at pod level or on each container.",
		Mappings:    finding.Mappings{NSA: []string{check.NSANonRoot}},
	}, idField{
		field: "runAsGroup", what: "group", root: "the root group",
		container: func(sc *corev1.SecurityContext) *int64 { return sc.RunAsGroup },
		pod:       func(sc *corev1.PodSecurityContext) *int64 { return sc.RunAsGroup },
	})
}

// escapes are the capabilities that are the usual ways out of a container.
var escapes = map[string]string{
	"ALL":             "every capability, as good as privileged",
	"SYS_ADMIN":       "mounts, namespaces and most administration: the most common container escape",
	"SYS_MODULE":      "loading kernel modules, that is code in the node's kernel",
	"SYS_PTRACE":      "tracing other processes, reading their memory and injecting code",
	"SYS_RAWIO":       "raw access to devices, memory and I/O ports",
	"DAC_READ_SEARCH": "opening any file of the node by handle (the \"shocker\" escape)",
	"BPF":             "loading eBPF programs into the kernel",
}

// dangerous are other capabilities that reach beyond the container.
var dangerous = map[string]string{
	"NET_ADMIN":     "reconfiguring interfaces, routes and firewall rules, and sniffing traffic",
	"NET_RAW":       "raw sockets, for ARP and DNS spoofing of other pods",
	"SYS_BOOT":      "rebooting the node and loading a new kernel",
	"SYS_TIME":      "setting the node's clock, which is not namespaced",
	"SYS_RESOURCE":  "overriding resource limits and quotas",
	"PERFMON":       "kernel performance monitoring, a source of kernel information leaks",
	"MAC_ADMIN":     "changing the AppArmor or SELinux policy",
	"MAC_OVERRIDE":  "overriding the AppArmor or SELinux policy",
	"SYSLOG":        "reading kernel logs and addresses, which defeats kernel address randomisation",
	"AUDIT_CONTROL": "changing or disabling the kernel's audit rules",
}

// capName normalises a capability name: "cap_sys_admin" is "SYS_ADMIN".
func capName(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	return strings.TrimPrefix(s, "CAP_")
}

func dangerousCapabilities() *check.Check {
	return &check.Check{
		Rule: rule(finding.Rule{
			ID: "DZ-SEC-004", Name: "dangerous-capabilities",
			Title:    "Container adds a dangerous capability",
			Severity: finding.High,
			Description: "Linux capabilities split root's powers. Some of them reach beyond the container: SYS_ADMIN, SYS_MODULE, SYS_PTRACE, " +
				"SYS_RAWIO, DAC_READ_SEARCH, BPF and ALL are the usual container escapes and are reported as Critical; NET_ADMIN, NET_RAW, " +
				"SYS_BOOT, SYS_TIME, SYS_RESOURCE, PERFMON, MAC_ADMIN, MAC_OVERRIDE, SYSLOG and AUDIT_CONTROL let it tamper with the network, " +
				"the node or its defences. Names are matched with or without the CAP_ prefix, in any case.",
			Remediation: "Remove the capability from securityContext.capabilities.add and drop ALL. If a component really needs one (a CNI " +
				"plugin needs NET_ADMIN), run it in a dedicated, restricted namespace and record an exception that says why.",
			References: []string{"https://man7.org/linux/man-pages/man7/capabilities.7.html"},
			Mappings:   finding.Mappings{CIS: []string{"5.2.8", "5.2.9"}, NSA: []string{check.NSAHardening}, ThreatMatrix: []string{check.MSPrivileged}},
		}),
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			pt := linuxPod(obj)
			if pt == nil {
				return
			}
			for _, c := range pt.Containers() {
				if c.SecurityContext == nil || c.SecurityContext.Capabilities == nil {
					continue
				}
				for i, raw := range c.SecurityContext.Capabilities.Add {
					name := capName(string(raw))
					at := k8s.Path("securityContext.capabilities.add").Index(i)
					if why, ok := escapes[name]; ok {
						ctx.ReportContainerSeverity(finding.Critical, obj, c, at, "container %q adds capability %q: %s", c.Name, string(raw), why)
					} else if why, ok := dangerous[name]; ok {
						ctx.ReportContainer(obj, c, at, "container %q adds capability %q: %s", c.Name, string(raw), why)
					}
				}
			}
		},
	}
}

func shareProcessNamespace() *check.Check {
	return &check.Check{
		Rule: rule(finding.Rule{
			ID: "DZ-SEC-005", Name: "share-process-namespace",
			Title:    "Containers share one process namespace",
			Severity: finding.Medium,
			Description: "With shareProcessNamespace: true, every container of the pod sees the processes of the others, and through /proc " +
				"their command lines, environment variables (often credentials) and, as the same user, their memory and files " +
				"(/proc/PID/root). A compromise of the weakest container becomes a compromise of all. Pods with a single container are not flagged.",
			Remediation: "Remove shareProcessNamespace, or set it to false; debug with an ephemeral container targeted at one container (kubectl debug --target) instead.",
			References:  []string{"https://kubernetes.io/docs/tasks/configure-pod-container/share-process-namespace/"},
			Mappings:    finding.Mappings{NSA: []string{check.NSAHardening}},
		}),
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			pt := obj.Pod
			if pt == nil || pt.Spec.ShareProcessNamespace == nil || !*pt.Spec.ShareProcessNamespace || len(pt.Containers()) < 2 {
				return
			}
			ctx.Report(obj, pt.SpecPath.Field("shareProcessNamespace"), "the pod's %d containers share one process namespace", len(pt.Containers()))
		},
	}
}

func noSecurityContext() *check.Check {
	return &check.Check{
		Rule: rule(finding.Rule{
			ID: "DZ-SEC-006", Name: "no-security-context",
			Title:    "Neither pod nor container sets a security context",
			Severity: finding.Low,
			Description: "A container without any securityContext, in a pod without one, runs with every default of its runtime: as the " +
				"image's user (often root), with a writable root file system, privilege escalation allowed and the runtime's default " +
				"capabilities. It is a sign that nobody has looked at what the workload needs.",
			Remediation: "Set a pod securityContext (runAsNonRoot: true, runAsUser, seccompProfile: RuntimeDefault) and a container securityContext " +
				"(allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: drop: [ALL]).",
			Mappings: finding.Mappings{CIS: []string{"5.6.3"}, NSA: []string{check.NSAPodSecurity}},
		}),
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			pt := obj.Pod
			if pt == nil || !emptyPod(pt.Spec.SecurityContext) {
				return
			}
			all := pt.Containers()
			var bare []k8s.Container
			for _, c := range all {
				if emptyContainer(c.SecurityContext) {
					bare = append(bare, c)
				}
			}
			if len(bare) > 0 && len(bare) == len(all) {
				ctx.Report(obj, pt.SpecPath.Field("securityContext"), "neither the pod nor any of its containers sets a security context")
				return
			}
			for _, c := range bare {
				ctx.ReportContainer(obj, c, "securityContext", "container %q sets no security context, and the pod none either", c.Name)
			}
		},
	}
}

// emptyContainer and emptyPod report whether a security context sets no
// field at all.
func emptyContainer(sc *corev1.SecurityContext) bool {
	return sc == nil || reflect.ValueOf(*sc).IsZero()
}

func emptyPod(sc *corev1.PodSecurityContext) bool {
	return sc == nil || reflect.ValueOf(*sc).IsZero()
}
