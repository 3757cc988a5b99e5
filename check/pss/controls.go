package pss

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

func fixed(p k8s.Path) func(*corev1.PodSpec) k8s.Path {
	return func(*corev1.PodSpec) k8s.Path { return p }
}

func cfixed(p k8s.Path) func(*corev1.Container) k8s.Path {
	return func(*corev1.Container) k8s.Path { return p }
}

// controls lists the Pod Security Standards controls in the order of the
// standard: baseline first, then restricted.
var controls = []control{
	{
		psa: "windowsHostProcess", id: "DZ-PSS-001", name: "windows-host-process",
		title:    "Windows HostProcess container",
		severity: finding.Critical,
		desc:     "A Windows HostProcess container runs directly on the node with the node's privileges, outside any container isolation. The baseline policy forbids it.",
		fix:      "Remove securityContext.windowsOptions.hostProcess or set it to false, at pod and container level.",
		cis:      []string{"5.2.10"}, threat: []string{check.MSPrivileged},
		podField:       fixed("securityContext.windowsOptions.hostProcess"),
		containerField: cfixed("securityContext.windowsOptions.hostProcess"),
	},
	{
		psa: "hostNamespaces", id: "DZ-PSS-002", name: "host-namespaces",
		title:    "Pod shares the node's network, PID or IPC namespace",
		severity: finding.High,
		desc:     "hostNetwork lets the pod see and bind every interface of the node, sniff traffic and reach services bound to localhost; hostPID lets it see and signal every process on the node; hostIPC lets it read shared memory of every process. The baseline policy forbids all three.",
		fix:      "Remove hostNetwork, hostPID and hostIPC from the pod spec, or set them to false.",
		cis:      []string{"5.2.3", "5.2.4", "5.2.5"}, threat: []string{check.MSPrivileged, check.MSARPPoisoning},
		podField: func(s *corev1.PodSpec) k8s.Path {
			switch {
			case s.HostNetwork:
				return "hostNetwork"
			case s.HostPID:
				return "hostPID"
			}
			return "hostIPC"
		},
		containerField: cfixed(""),
	},
	{
		psa: "privileged", id: "DZ-PSS-003", name: "privileged-container",
		title:    "Privileged container",
		severity: finding.Critical,
		desc:     "A privileged container has every capability and every device of the node and no seccomp or AppArmor confinement: it can take over the node with a single mount or module load. The baseline policy forbids it.",
		fix:      "Remove securityContext.privileged or set it to false; grant the one capability the workload needs instead.",
		cis:      []string{"5.2.2"}, threat: []string{check.MSPrivileged},
		podField:       fixed(""),
		containerField: cfixed("securityContext.privileged"),
	},
	{
		psa: "capabilities_baseline", id: "DZ-PSS-004", name: "non-default-capabilities",
		title:    "Container adds capabilities beyond the default set",
		severity: finding.High,
		desc:     "Capabilities such as SYS_ADMIN, NET_ADMIN, SYS_PTRACE or SYS_MODULE give a container powers that lead to escape from it. The baseline policy allows adding only the capabilities container runtimes grant by default.",
		fix:      "Remove the capabilities from securityContext.capabilities.add, keeping only those in the default set the workload really needs.",
		cis:      []string{"5.2.9"}, threat: []string{check.MSPrivileged},
		podField:       fixed(""),
		containerField: cfixed("securityContext.capabilities.add"),
	},
	{
		psa: "hostPathVolumes", id: "DZ-PSS-005", name: "host-path-volume",
		title:    "Pod mounts a hostPath volume",
		severity: finding.High,
		desc:     "A hostPath volume exposes the node's file system to the pod: credentials of the kubelet and of other pods, the container runtime socket, or files an attacker can change to run code on the node. The baseline policy forbids hostPath volumes.",
		fix:      "Use a persistent volume, an emptyDir, a ConfigMap or a CSI driver instead of a hostPath volume.",
		cis:      []string{"5.2.11"}, threat: []string{check.MSWritableHostPath},
		podField:       fixed("volumes"),
		containerField: cfixed("volumeMounts"),
	},
	{
		psa: "hostPorts", id: "DZ-PSS-006", name: "host-port",
		title:    "Container binds a port on the node",
		severity: finding.Medium,
		desc:     "A hostPort binds the container's port on the node's address, bypassing Services and most network policies, and limits where the pod can be scheduled. The baseline policy forbids host ports.",
		fix:      "Remove hostPort from the container's ports and expose the port through a Service.",
		cis:      []string{"5.2.12"}, threat: []string{check.MSExposedInterfaces},
		podField: fixed(""),
		containerField: func(c *corev1.Container) k8s.Path {
			for i, p := range c.Ports {
				if p.HostPort != 0 {
					return k8s.Path("ports").Index(i).Field("hostPort")
				}
			}
			return "ports"
		},
	},
	{
		psa: "appArmorProfile", id: "DZ-PSS-007", name: "apparmor-unconfined",
		title:    "AppArmor profile overridden or disabled",
		severity: finding.Medium,
		desc:     "The AppArmor profile confines what a container may do on the node. Setting it to Unconfined, or to a custom profile the baseline policy does not allow, removes that confinement.",
		fix:      "Use the RuntimeDefault profile or a Localhost profile, or leave the profile unset.",
		cis:      nil, threat: []string{check.MSPrivileged},
		podField:       fixed("securityContext.appArmorProfile"),
		containerField: cfixed("securityContext.appArmorProfile"),
	},
	{
		psa: "seLinuxOptions", id: "DZ-PSS-008", name: "selinux-options",
		title:          "Custom SELinux user, role or type",
		severity:       finding.Medium,
		desc:           "Setting the SELinux user or role, or a type other than the container types, can give a container the label of a privileged process on the node. The baseline policy forbids it.",
		fix:            "Remove seLinuxOptions.user and role, and use only container_t, container_init_t, container_kvm_t or container_engine_t as type.",
		podField:       fixed("securityContext.seLinuxOptions"),
		containerField: cfixed("securityContext.seLinuxOptions"),
	},
	{
		psa: "procMount", id: "DZ-PSS-009", name: "unmasked-proc-mount",
		title:    "Container unmasks /proc",
		severity: finding.High,
		desc:     "procMount: Unmasked exposes the parts of /proc that runtimes hide from containers, such as kernel settings and other processes' details. The baseline policy forbids it.",
		fix:      "Remove securityContext.procMount or set it to Default.",
		threat:   []string{check.MSPrivileged},
		podField: fixed(""), containerField: cfixed("securityContext.procMount"),
	},
	{
		psa: "seccompProfile_baseline", id: "DZ-PSS-010", name: "seccomp-unconfined",
		title:    "Seccomp disabled",
		severity: finding.Medium,
		desc:     "A seccomp profile of Unconfined lets the container make every system call, including those behind most kernel exploits used to escape containers. The baseline policy forbids it.",
		fix:      "Set securityContext.seccompProfile.type to RuntimeDefault (or Localhost), at pod level.",
		cis:      []string{"5.6.2"},
		podField: fixed("securityContext.seccompProfile"), containerField: cfixed("securityContext.seccompProfile"),
	},
	{
		psa: "sysctls", id: "DZ-PSS-011", name: "unsafe-sysctls",
		title:    "Pod sets unsafe sysctls",
		severity: finding.High,
		desc:     "Sysctls outside the safe set change kernel settings that are shared with the node and every other pod on it. The baseline policy allows only the namespaced, safe sysctls.",
		fix:      "Remove the sysctls that are not in the safe set from securityContext.sysctls.",
		threat:   []string{check.MSPrivileged},
		podField: fixed("securityContext.sysctls"), containerField: cfixed(""),
	},
	{
		psa: "hostProbesAndHostLifecycle", id: "DZ-PSS-012", name: "probe-host",
		title:    "Probe or lifecycle hook targets another host",
		severity: finding.Medium,
		desc:     "A probe or lifecycle handler with a host field makes the kubelet connect to an arbitrary address from the node: a way to reach services the pod itself could not. The baseline policy forbids setting host.",
		fix:      "Remove the host field from httpGet and tcpSocket handlers of probes and lifecycle hooks.",
		podField: fixed(""),
		containerField: func(c *corev1.Container) k8s.Path {
			for _, p := range []struct {
				name  string
				probe *corev1.Probe
			}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
				if p.probe == nil {
					continue
				}
				if h := p.probe.HTTPGet; h != nil && h.Host != "" {
					return k8s.Path(p.name).Field("httpGet").Field("host")
				}
				if t := p.probe.TCPSocket; t != nil && t.Host != "" {
					return k8s.Path(p.name).Field("tcpSocket").Field("host")
				}
			}
			return "lifecycle"
		},
	},
	{
		psa: "restrictedVolumes", id: "DZ-PSS-013", name: "restricted-volume-types",
		title:    "Volume type not allowed by the restricted policy",
		severity: finding.Medium,
		desc:     "The restricted policy allows only volume types that cannot reach the node or network storage without an administrator's consent: configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret.",
		fix:      "Use a persistentVolumeClaim or one of the allowed volume types instead.",
		podField: fixed("volumes"), containerField: cfixed("volumeMounts"),
	},
	{
		psa: "allowPrivilegeEscalation", id: "DZ-PSS-014", name: "privilege-escalation-allowed",
		title:    "Container allows privilege escalation",
		severity: finding.Medium,
		desc:     "Unless allowPrivilegeEscalation is false, a process in the container can gain more privileges than its parent, through setuid binaries or file capabilities. The restricted policy requires false.",
		fix:      "Set securityContext.allowPrivilegeEscalation: false on every container.",
		cis:      []string{"5.2.6"}, threat: []string{check.MSPrivileged},
		podField: fixed(""), containerField: cfixed("securityContext.allowPrivilegeEscalation"),
	},
	{
		psa: "runAsNonRoot", id: "DZ-PSS-015", name: "run-as-non-root",
		title:    "Container may run as root",
		severity: finding.Medium,
		desc:     "Without runAsNonRoot: true, a container whose image has no USER runs as root: an escape or a writable host mount then acts as root on the node. The restricted policy requires runAsNonRoot: true.",
		fix:      "Set securityContext.runAsNonRoot: true at pod level (or on every container) and run the image as a non-root user.",
		cis:      []string{"5.2.7"},
		podField: fixed("securityContext.runAsNonRoot"), containerField: cfixed("securityContext.runAsNonRoot"),
	},
	{
		psa: "runAsUser", id: "DZ-PSS-016", name: "run-as-uid-0",
		title:    "Container runs as user ID 0",
		severity: finding.High,
		desc:     "runAsUser: 0 runs the container as root whatever the image says. The restricted policy forbids it.",
		fix:      "Set runAsUser to a non-zero user ID, or remove it and set runAsNonRoot: true.",
		cis:      []string{"5.2.7"},
		podField: fixed("securityContext.runAsUser"), containerField: cfixed("securityContext.runAsUser"),
	},
	{
		psa: "seccompProfile_restricted", id: "DZ-PSS-017", name: "seccomp-not-set",
		title:    "Seccomp profile not set",
		severity: finding.Medium,
		desc:     "Without a seccomp profile the container may make every system call the kernel offers. The restricted policy requires RuntimeDefault or Localhost.",
		fix:      "Set securityContext.seccompProfile.type: RuntimeDefault at pod level.",
		cis:      []string{"5.6.2"},
		podField: fixed("securityContext.seccompProfile"), containerField: cfixed("securityContext.seccompProfile"),
	},
	{
		psa: "capabilities_restricted", id: "DZ-PSS-018", name: "capabilities-not-dropped",
		title:    "Container does not drop all capabilities",
		severity: finding.Medium,
		desc:     "Container runtimes grant a default set of capabilities, NET_RAW among them (ARP and DNS spoofing inside the cluster network). The restricted policy requires dropping ALL and adds back at most NET_BIND_SERVICE.",
		fix:      "Set securityContext.capabilities.drop: [\"ALL\"] and add back only NET_BIND_SERVICE if needed.",
		cis:      []string{"5.2.8", "5.2.9"}, threat: []string{check.MSARPPoisoning},
		podField: fixed(""), containerField: cfixed("securityContext.capabilities"),
	},
	{
		psa: "procMount_restricted", id: "DZ-PSS-019", name: "proc-mount-restricted",
		title:    "Container sets a non-default procMount",
		severity: finding.Medium,
		desc:     "The restricted policy requires the default /proc mount; any other procMount type exposes kernel interfaces the runtime would otherwise mask.",
		fix:      "Remove securityContext.procMount or set it to Default.",
		podField: fixed(""), containerField: cfixed("securityContext.procMount"),
	},
}
