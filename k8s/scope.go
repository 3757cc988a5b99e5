package k8s

import "strings"

// clusterScoped lists the built-in kinds that live outside namespaces, by
// group and kind.
var clusterScoped = map[[2]string]bool{
	{"", "Namespace"}: true, {"", "Node"}: true, {"", "PersistentVolume"}: true, {"", "ComponentStatus"}: true,
	{"rbac.authorization.k8s.io", "ClusterRole"}: true, {"rbac.authorization.k8s.io", "ClusterRoleBinding"}: true,
	{"storage.k8s.io", "StorageClass"}: true, {"storage.k8s.io", "CSIDriver"}: true, {"storage.k8s.io", "CSINode"}: true,
	{"storage.k8s.io", "VolumeAttachment"}: true, {"storage.k8s.io", "VolumeAttributesClass"}: true,
	{"apiextensions.k8s.io", "CustomResourceDefinition"}:                 true,
	{"apiregistration.k8s.io", "APIService"}:                             true,
	{"admissionregistration.k8s.io", "MutatingWebhookConfiguration"}:     true,
	{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"}:   true,
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicy"}:        true,
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"}: true,
	{"admissionregistration.k8s.io", "MutatingAdmissionPolicy"}:          true,
	{"admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"}:   true,
	{"scheduling.k8s.io", "PriorityClass"}:                               true,
	{"node.k8s.io", "RuntimeClass"}:                                      true,
	{"certificates.k8s.io", "CertificateSigningRequest"}:                 true, {"certificates.k8s.io", "ClusterTrustBundle"}: true,
	{"flowcontrol.apiserver.k8s.io", "FlowSchema"}:                 true,
	{"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"}: true,
	{"policy", "PodSecurityPolicy"}:                                true, {"extensions", "PodSecurityPolicy"}: true,
	{"networking.k8s.io", "IngressClass"}: true, {"networking.k8s.io", "IPAddress"}: true,
	{"networking.k8s.io", "ServiceCIDR"}: true,
	{"resource.k8s.io", "DeviceClass"}:   true, {"resource.k8s.io", "ResourceSlice"}: true,
	{"authentication.k8s.io", "TokenReview"}: true, {"authentication.k8s.io", "SelfSubjectReview"}: true,
	{"authorization.k8s.io", "SubjectAccessReview"}:        true,
	{"authorization.k8s.io", "SelfSubjectAccessReview"}:    true,
	{"authorization.k8s.io", "SelfSubjectRulesReview"}:     true,
	{"internal.apiserver.k8s.io", "StorageVersion"}:        true,
	{"storagemigration.k8s.io", "StorageVersionMigration"}: true,
	{"gateway.networking.k8s.io", "GatewayClass"}:          true,
}

// IsClusterScoped reports whether a kind lives outside namespaces. It knows
// the built-in kinds; for custom resources it goes by the convention that
// cluster-wide kinds are named "Cluster..." (ClusterIssuer, ClusterPolicy).
func IsClusterScoped(group, kind string) bool {
	if clusterScoped[[2]string{group, kind}] {
		return true
	}
	if group == "" || strings.HasSuffix(group, ".k8s.io") || !strings.Contains(group, ".") {
		return false
	}
	return strings.HasPrefix(kind, "Cluster")
}
