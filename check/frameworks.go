package check

// Sections of the NSA/CISA Kubernetes Hardening Guide (v1.2, August 2022)
// that checks map onto. Use these constants, not free text, so that
// compliance reports can group by section.
const (
	NSANonRoot         = "Pod security: non-root containers"
	NSAImmutable       = "Pod security: immutable container file systems"
	NSAPodSecurity     = "Pod security: pod security enforcement"
	NSATokens          = "Pod security: protecting pod service account tokens"
	NSAHardening       = "Pod security: hardening container environments"
	NSANamespaces      = "Network separation: namespaces"
	NSANetworkPolicies = "Network separation: network policies"
	NSAResources       = "Network separation: resource policies"
	NSAControlPlane    = "Network separation: control plane hardening"
	NSASecrets         = "Network separation: Kubernetes Secrets"
	NSARBAC            = "Authentication and authorization: role-based access control"
	NSAUpgrading       = "Upgrading and application security practices"
)

// NSASections lists the sections above, in the guide's order.
var NSASections = []string{
	NSANonRoot, NSAImmutable, NSAPodSecurity, NSATokens, NSAHardening, NSANamespaces,
	NSANetworkPolicies, NSAResources, NSAControlPlane, NSASecrets, NSARBAC, NSAUpgrading,
}

// Techniques of the Microsoft Threat Matrix for Kubernetes that checks map onto.
const (
	MSExposedInterfaces  = "MS-TA9005" // Exposed sensitive interfaces
	MSExecIntoContainer  = "MS-TA9006" // Exec into container
	MSNewContainer       = "MS-TA9008" // New container
	MSBackdoorContainer  = "MS-TA9012" // Backdoor container
	MSWritableHostPath   = "MS-TA9013" // Writable hostPath mount
	MSCronJob            = "MS-TA9014" // Kubernetes CronJob
	MSAdmissionControl   = "MS-TA9015" // Malicious admission controller
	MSContainerSA        = "MS-TA9016" // Container service account
	MSStaticPods         = "MS-TA9017" // Static pods
	MSPrivileged         = "MS-TA9018" // Privileged container
	MSClusterAdmin       = "MS-TA9019" // Cluster-admin binding
	MSClearLogs          = "MS-TA9021" // Clear container logs
	MSDeleteEvents       = "MS-TA9022" // Delete Kubernetes events
	MSListSecrets        = "MS-TA9025" // List Kubernetes secrets
	MSAppCredentials     = "MS-TA9027" // Application credentials in configuration files
	MSAccessKubelet      = "MS-TA9030" // Access Kubelet API
	MSInstanceMetadata   = "MS-TA9033" // Instance Metadata API
	MSInternalNetworking = "MS-TA9034" // Cluster internal networking
	MSARPPoisoning       = "MS-TA9036" // ARP poisoning and IP spoofing
	MSCompromisedImage   = "MS-TA9002" // Compromised image in registry
	MSDenialOfService    = "MS-TA9040" // Denial of service
	MSResourceHijacking  = "MS-TA9039" // Resource hijacking
)
