// Package inventory tells what a cluster is made of: its Kubernetes version
// and distribution, nodes with their kernels, runtimes and kubelets, the
// control-plane components and their versions, namespaces with their Pod
// Security labels, workloads, the images pods run (with the digests they
// really run), service accounts and who uses them, what is exposed
// (NodePort and LoadBalancer services, external IPs, ingresses), custom
// resource definitions with the count of their objects, and what could not
// be read.
//
// Collect reads a live cluster; Build makes the same Inventory from objects
// at hand, which is how tests and other sources feed it. The types are the
// JSON schema (apiVersion dozor.io/v1, kind Inventory), documented field by
// field in docs/inventory-json.md; other analyzers (component
// vulnerabilities, images, access rights) read them as they are.
package inventory

import (
	"time"

	"github.com/dozor-dev/dozor/finding"
)

// APIVersion and Kind identify the inventory's JSON schema. Within one
// APIVersion, fields are only added, never renamed, removed or given
// another meaning.
const (
	APIVersion = "dozor.io/v1"
	Kind       = "Inventory"
)

// Inventory is what a cluster is made of. Lists are sorted (see each type)
// and never nil, so that the same cluster gives the same JSON.
type Inventory struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Tool names the program that made the inventory; set by the caller.
	Tool Tool `json:"tool"`
	// GeneratedAt is when reading began.
	GeneratedAt time.Time `json:"generatedAt"`
	Cluster     Cluster   `json:"cluster"`
	// Scope says what part of the cluster was read.
	Scope        Scope        `json:"scope"`
	Kubernetes   Kubernetes   `json:"kubernetes"`
	Distribution Distribution `json:"distribution"`
	Summary      Summary      `json:"summary"`
	// Nodes are sorted by name.
	Nodes []Node `json:"nodes"`
	// Components are the control-plane components, sorted by name, then
	// source, version and image.
	Components []Component `json:"components"`
	// Namespaces are sorted by name.
	Namespaces []Namespace `json:"namespaces"`
	Workloads  Workloads   `json:"workloads"`
	// Images are sorted by reference.
	Images []Image `json:"images"`
	// ServiceAccounts are sorted by namespace and name.
	ServiceAccounts []ServiceAccount `json:"serviceAccounts"`
	// Services are the exposed services only (NodePort, LoadBalancer, or
	// with external IPs), sorted by namespace and name.
	Services []Service `json:"services"`
	// Ingresses are sorted by namespace and name.
	Ingresses []Ingress `json:"ingresses"`
	// CustomResourceDefinitions are sorted by name.
	CustomResourceDefinitions []CustomResourceDefinition `json:"customResourceDefinitions"`
	// Gaps are what could not be read, sorted by resource and namespace.
	Gaps []finding.Gap `json:"gaps"`
}

// Tool names the program that made the inventory.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Cluster names the cluster read.
type Cluster struct {
	// Name is the kubeconfig context.
	Name string `json:"name"`
	// Server is the API server's URL.
	Server string `json:"server"`
}

// Scope is the part of the cluster an inventory covers.
type Scope struct {
	// Namespaces limits namespaced resources to these namespaces; empty
	// means every namespace. Nodes and custom resource definitions are
	// read in full either way; Inventory.Namespaces lists only these.
	Namespaces []string `json:"namespaces,omitempty"`
}

// Kubernetes is the API server's version, as /version reports it.
type Kubernetes struct {
	// GitVersion is the full version: "v1.29.3-eks-adc7111".
	GitVersion string `json:"gitVersion"`
	// Version is GitVersion without what a distribution adds: "v1.29.3".
	Version string `json:"version"`
	// Major and Minor are as the server reports them ("1", "29"; some
	// distributions write "29+").
	Major string `json:"major,omitempty"`
	Minor string `json:"minor,omitempty"`
	// Platform is "linux/amd64".
	Platform  string `json:"platform,omitempty"`
	BuildDate string `json:"buildDate,omitempty"`
	GoVersion string `json:"goVersion,omitempty"`
	GitCommit string `json:"gitCommit,omitempty"`
}

// Summary counts what the inventory holds.
type Summary struct {
	// Objects is the number of objects read.
	Objects         int `json:"objects"`
	Nodes           int `json:"nodes"`
	Namespaces      int `json:"namespaces"`
	Pods            int `json:"pods"`
	Images          int `json:"images"`
	ServiceAccounts int `json:"serviceAccounts"`
	ExposedServices int `json:"exposedServices"`
	Ingresses       int `json:"ingresses"`
	// CustomResourceDefinitions and CustomResources (the objects of every
	// custom resource definition that was counted).
	CustomResourceDefinitions int   `json:"customResourceDefinitions"`
	CustomResources           int64 `json:"customResources"`
}

// Node is one node: what it runs, and where.
type Node struct {
	Name string `json:"name"`
	// Ready is the status of the Ready condition: "True", "False" or
	// "Unknown" (also when the node reports no such condition).
	Ready string `json:"ready"`
	// Roles are the roles of node-role.kubernetes.io/ROLE labels (and of
	// the older kubernetes.io/role label), sorted.
	Roles         []string `json:"roles"`
	Unschedulable bool     `json:"unschedulable,omitempty"`
	// Zone, Region and InstanceType come from the well-known topology and
	// instance-type labels.
	Zone         string `json:"zone,omitempty"`
	Region       string `json:"region,omitempty"`
	InstanceType string `json:"instanceType,omitempty"`
	// ProviderID is the cloud's identity of the machine:
	// "aws:///eu-west-1a/i-0abc".
	ProviderID string `json:"providerID,omitempty"`
	// KubeletVersion is as the kubelet reports it: "v1.29.3-eks-adc7111".
	KubeletVersion   string  `json:"kubeletVersion"`
	ContainerRuntime Runtime `json:"containerRuntime"`
	KernelVersion    string  `json:"kernelVersion"`
	// OSImage is the operating system's name: "Ubuntu 22.04.4 LTS".
	OSImage string `json:"osImage"`
	// OperatingSystem and Architecture are "linux" and "amd64".
	OperatingSystem string            `json:"operatingSystem"`
	Architecture    string            `json:"architecture"`
	Addresses       []NodeAddress     `json:"addresses,omitempty"`
	Labels          map[string]string `json:"labels,omitempty"`
}

// Runtime is a container runtime and its version.
type Runtime struct {
	// Name is "containerd", "cri-o" or "docker"; what the node reports when
	// it is not of the form NAME://VERSION.
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// NodeAddress is one address of a node.
type NodeAddress struct {
	// Type is "InternalIP", "ExternalIP", "Hostname", "InternalDNS" or
	// "ExternalDNS".
	Type    string `json:"type"`
	Address string `json:"address"`
}

// Component sources.
const (
	// SourceVersion: the API server's /version.
	SourceVersion = "version"
	// SourcePods: pods running the component (static pods, DaemonSets,
	// Deployments).
	SourcePods = "pods"
	// SourceWorkload: a workload's pod template, when no pod of it was
	// read.
	SourceWorkload = "workload"
)

// Component is a control-plane component at one version: the API server as
// /version reports it, or a component seen running as pods in kube-system
// (kube-apiserver, kube-controller-manager, kube-scheduler, etcd,
// cloud-controller-manager, kube-proxy, coredns, kube-dns). Components that
// run as processes outside the cluster's API (a managed control plane, or
// components run by systemd) do not show, but for the API server.
type Component struct {
	// Name is "kube-apiserver", "etcd", "kube-proxy", "coredns", ...
	Name string `json:"name"`
	// Version is the version of the server, or of the image's tag
	// ("v1.29.0-minimal-eksbuild.1" is "v1.29.0", etcd's "3.5.12-0" is
	// "3.5.12"); empty when the image is pinned by digest alone.
	Version string `json:"version,omitempty"`
	// Source is SourceVersion, SourcePods or SourceWorkload.
	Source string `json:"source"`
	// Image is the image the component runs, as the pod spec names it.
	Image string `json:"image,omitempty"`
	// Workloads are the workloads that run it (a Deployment, a DaemonSet;
	// a static pod is its own workload), sorted.
	Workloads []ObjectRef `json:"workloads,omitempty"`
	// Pods are the pods running it, sorted.
	Pods []PodRef `json:"pods,omitempty"`
}

// Namespace is one namespace and its Pod Security labels.
type Namespace struct {
	Name string `json:"name"`
	// Phase is "Active" or "Terminating".
	Phase       string      `json:"phase,omitempty"`
	PodSecurity PodSecurity `json:"podSecurity"`
}

// PodSecurity are a namespace's pod-security.kubernetes.io labels. Empty
// fields are labels the namespace does not have: the API server's admission
// configuration decides those (by default, privileged and latest).
type PodSecurity struct {
	Enforce        string `json:"enforce,omitempty"`
	EnforceVersion string `json:"enforceVersion,omitempty"`
	Audit          string `json:"audit,omitempty"`
	AuditVersion   string `json:"auditVersion,omitempty"`
	Warn           string `json:"warn,omitempty"`
	WarnVersion    string `json:"warnVersion,omitempty"`
}

// Workloads count the objects of each workload kind: Deployment,
// StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob
// and Pod. Kinds with no object are left out.
type Workloads struct {
	// ByKind counts them in the whole scope.
	ByKind map[string]int `json:"byKind"`
	// ByNamespace counts them per namespace, then per kind.
	ByNamespace map[string]map[string]int `json:"byNamespace"`
}

// Image is one image reference that pod specs name, with the digests pods
// really run and who runs it.
type Image struct {
	// Reference is the reference, normalised as the container runtime
	// reads it: "busybox:1.36" is "docker.io/library/busybox:1.36", an image
	// without tag or digest is ":latest". A reference that does not parse
	// is kept as written.
	Reference string `json:"reference"`
	// Repository is the reference without tag and digest:
	// "docker.io/library/busybox".
	Repository string `json:"repository"`
	// Tag and Digest are those the reference names, if any.
	Tag    string `json:"tag,omitempty"`
	Digest string `json:"digest,omitempty"`
	// SpecReferences are the references as pod specs write them, when
	// they differ from Reference ("busybox:1.36"), sorted.
	SpecReferences []string `json:"specReferences,omitempty"`
	// Running are the digests containers of this reference run, as their
	// status reports (status.containerStatuses[].imageID), sorted by
	// digest. Empty when no container of it has started (or no pod was
	// read).
	Running []RunningImage `json:"running"`
	// Workloads are the workloads whose pods or pod templates name it:
	// the top controller (a Deployment, not its ReplicaSet; a CronJob, not
	// its Jobs), or the pod itself when it has none. Sorted.
	Workloads []ObjectRef `json:"workloads"`
	// Containers are the containers of pods that name it, sorted by
	// namespace, pod and container.
	Containers []ContainerRef `json:"containers"`
}

// RunningImage is one digest containers run.
type RunningImage struct {
	// Digest is the manifest digest: "sha256:…". When the runtime reports
	// only an image ID without repository ("sha256:…", images built or
	// loaded on the node), that ID.
	Digest string `json:"digest"`
	// Repository is the repository the runtime pulled it from, when it
	// says so: "docker.io/library/busybox". It may differ from the
	// reference's repository (a mirror).
	Repository string `json:"repository,omitempty"`
	// ImageID is what the runtime reports, as it reports it.
	ImageID string `json:"imageID"`
	// Containers is the number of containers running it.
	Containers int `json:"containers"`
}

// ServiceAccount is one service account and who uses it.
type ServiceAccount struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// AutomountServiceAccountToken is the service account's setting; pods
	// may override it. Absent when not set (tokens are then mounted).
	AutomountServiceAccountToken *bool `json:"automountServiceAccountToken,omitempty"`
	// Missing is set for a service account pods name that does not exist
	// in a namespace whose service accounts were read.
	Missing bool `json:"missing,omitempty"`
	// Workloads are the workloads whose pods or pod templates use it, as
	// for Image.Workloads.
	Workloads []ObjectRef `json:"workloads"`
	// Pods are the pods that run as it, sorted.
	Pods []PodRef `json:"pods"`
}

// Service is a Service reachable from outside the cluster's pod network: of
// type NodePort or LoadBalancer, or with external IPs.
type Service struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Type is "NodePort", "LoadBalancer", "ClusterIP" (with external IPs).
	Type  string        `json:"type"`
	Ports []ServicePort `json:"ports"`
	// ExternalIPs are spec.externalIPs.
	ExternalIPs []string `json:"externalIPs,omitempty"`
	// LoadBalancer are the addresses (IPs or host names) a load balancer
	// was given (status.loadBalancer.ingress).
	LoadBalancer []string `json:"loadBalancer,omitempty"`
	// SourceRanges are spec.loadBalancerSourceRanges: who may connect.
	SourceRanges []string `json:"sourceRanges,omitempty"`
	// Selector selects the pods the service sends traffic to.
	Selector map[string]string `json:"selector,omitempty"`
}

// ServicePort is one port of a Service.
type ServicePort struct {
	Name     string `json:"name,omitempty"`
	Protocol string `json:"protocol"`
	Port     int32  `json:"port"`
	// NodePort is the port opened on every node, for NodePort and
	// LoadBalancer services.
	NodePort int32 `json:"nodePort,omitempty"`
	// TargetPort is the pod's port, a number or a name.
	TargetPort string `json:"targetPort,omitempty"`
}

// Ingress is one Ingress: the hosts it serves, and whether with TLS.
type Ingress struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Class is spec.ingressClassName, or the older kubernetes.io/ingress.class
	// annotation.
	Class string `json:"class,omitempty"`
	// Hosts are the hosts of its rules, sorted.
	Hosts []IngressHost `json:"hosts"`
	// DefaultBackend is set when it sends requests no rule matches to a
	// backend.
	DefaultBackend bool `json:"defaultBackend,omitempty"`
	// Addresses are the load balancer's addresses
	// (status.loadBalancer.ingress).
	Addresses []string `json:"addresses,omitempty"`
}

// IngressHost is one host an Ingress serves.
type IngressHost struct {
	// Host is the host name; "" is a rule without host, which serves every
	// host.
	Host string `json:"host"`
	// TLS is set when a TLS section names the host.
	TLS bool `json:"tls"`
}

// CustomResourceDefinition is one custom resource definition, with the
// number of its objects.
type CustomResourceDefinition struct {
	// Name is "backuppolicies.backup.dozor.dev".
	Name   string `json:"name"`
	Group  string `json:"group"`
	Kind   string `json:"kind"`
	Plural string `json:"plural"`
	// Scope is "Namespaced" or "Cluster".
	Scope string `json:"scope"`
	// Versions are the served versions, in the definition's order.
	Versions []string `json:"versions"`
	// StorageVersion is the version objects are stored in.
	StorageVersion string `json:"storageVersion,omitempty"`
	// Objects is the number of its objects (in the namespaces of the scope,
	// for namespaced ones). Absent when they could not be counted (a gap
	// says why) or the definition is not established.
	Objects *int64 `json:"objects,omitempty"`
}

// ObjectRef names an object.
type ObjectRef struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String renders "Kind namespace/name".
func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// PodRef names a pod.
type PodRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Node is the node the pod is scheduled on; empty when not yet.
	Node string `json:"node,omitempty"`
}

// ContainerRef names one container of a pod, and what it runs.
type ContainerRef struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Container string `json:"container"`
	// Digest is the digest it runs, as in RunningImage.Digest; empty until
	// it has started.
	Digest string `json:"digest,omitempty"`
}
