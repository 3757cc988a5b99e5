package inventory

import (
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Well-known node labels.
const (
	labelRolePrefix = "node-role.kubernetes.io/"
	labelRoleLegacy = "kubernetes.io/role"
)

var (
	zoneLabels         = []string{"topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"}
	regionLabels       = []string{"topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region"}
	instanceTypeLabels = []string{"node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type"}
)

// NewNode describes a Node object.
func NewNode(n *corev1.Node) Node {
	info := n.Status.NodeInfo
	out := Node{
		Name:             n.Name,
		Ready:            string(corev1.ConditionUnknown),
		Roles:            Roles(n.Labels),
		Unschedulable:    n.Spec.Unschedulable,
		Zone:             firstLabel(n.Labels, zoneLabels),
		Region:           firstLabel(n.Labels, regionLabels),
		InstanceType:     firstLabel(n.Labels, instanceTypeLabels),
		ProviderID:       n.Spec.ProviderID,
		KubeletVersion:   info.KubeletVersion,
		ContainerRuntime: ParseRuntime(info.ContainerRuntimeVersion),
		KernelVersion:    info.KernelVersion,
		OSImage:          info.OSImage,
		OperatingSystem:  info.OperatingSystem,
		Architecture:     info.Architecture,
		Labels:           n.Labels,
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status != "" {
			out.Ready = string(c.Status)
		}
	}
	for _, a := range n.Status.Addresses {
		out.Addresses = append(out.Addresses, NodeAddress{Type: string(a.Type), Address: a.Address})
	}
	return out
}

// Roles returns the roles node labels give: ROLE of each
// node-role.kubernetes.io/ROLE label, and the value of the older
// kubernetes.io/role label, sorted, without repeats; never nil.
func Roles(labels map[string]string) []string {
	roles := []string{}
	for k, v := range labels {
		if r, ok := strings.CutPrefix(k, labelRolePrefix); ok && r != "" {
			roles = append(roles, r)
		} else if k == labelRoleLegacy && v != "" {
			roles = append(roles, v)
		}
	}
	slices.Sort(roles)
	return slices.Compact(roles)
}

func firstLabel(labels map[string]string, keys []string) string {
	for _, k := range keys {
		if v := labels[k]; v != "" {
			return v
		}
	}
	return ""
}

// ParseRuntime splits a node's container runtime version,
// "containerd://1.7.13", "cri-o://1.29.1" or "docker://24.0.7", into name
// and version. A value without "://" is returned as the name.
func ParseRuntime(s string) Runtime {
	name, version, ok := strings.Cut(strings.TrimSpace(s), "://")
	if !ok {
		return Runtime{Name: name}
	}
	return Runtime{Name: name, Version: version}
}

// versionCore matches the release a version string starts with: "v1.29.3"
// of "v1.29.3-eks-adc7111", "3.5.12" of "3.5.12-0".
var versionCore = regexp.MustCompile(`^v?\d+\.\d+(\.\d+)?`)

// VersionCore returns the release a version or image tag starts with,
// without what a build or distribution adds: "v1.29.3" of
// "v1.29.3-eks-adc7111" or "v1.29.3+k3s1", "3.5.12" of etcd's "3.5.12-0".
// It returns "" when s does not start with a version.
func VersionCore(s string) string {
	return versionCore.FindString(s)
}
