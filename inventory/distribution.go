package inventory

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Distribution is the Kubernetes distribution a cluster runs, and what told
// it.
type Distribution struct {
	// Name is one of the Distribution* constants.
	Name string `json:"name"`
	// Provider is the cloud or platform the nodes run on, from their
	// providerID ("aws", "gcp", "azure", ...), else the managed
	// distribution's cloud; empty when unknown.
	Provider string `json:"provider,omitempty"`
	// DecidedBy is the clue that decided Name.
	DecidedBy string `json:"decidedBy"`
	// Evidence lists every clue found, the deciding one first.
	Evidence []string `json:"evidence"`
}

// Distributions DetectDistribution tells apart.
const (
	DistributionUpstream      = "upstream"
	DistributionEKS           = "eks"
	DistributionGKE           = "gke"
	DistributionAKS           = "aks"
	DistributionOpenShift     = "openshift"
	DistributionK3s           = "k3s"
	DistributionRKE2          = "rke2"
	DistributionK0s           = "k0s"
	DistributionKind          = "kind"
	DistributionMinikube      = "minikube"
	DistributionMicroK8s      = "microk8s"
	DistributionDockerDesktop = "docker-desktop"
	DistributionTanzu         = "tanzu"
	DistributionACK           = "ack"
	DistributionDOKS          = "doks"
	DistributionLKE           = "lke"
	// DistributionUnknown: no distribution's mark, and no node could be
	// read to look for one (AKS, for one, marks only its nodes).
	DistributionUnknown = "unknown"
)

// DistributionTitles are the names people know distributions by.
var DistributionTitles = map[string]string{
	DistributionUpstream: "upstream Kubernetes", DistributionEKS: "Amazon EKS", DistributionGKE: "Google GKE",
	DistributionAKS: "Azure AKS", DistributionOpenShift: "Red Hat OpenShift", DistributionK3s: "K3s",
	DistributionRKE2: "RKE2", DistributionK0s: "k0s", DistributionKind: "kind", DistributionMinikube: "minikube",
	DistributionMicroK8s: "MicroK8s", DistributionDockerDesktop: "Docker Desktop", DistributionTanzu: "VMware Tanzu",
	DistributionACK: "Alibaba Cloud ACK", DistributionDOKS: "DigitalOcean Kubernetes", DistributionLKE: "Linode LKE",
	DistributionUnknown: "unknown",
}

// Clues are what a distribution is told from: the API server's version,
// the API groups it serves, and the nodes.
type Clues struct {
	// GitVersion is /version's gitVersion: "v1.29.3-eks-adc7111".
	GitVersion string
	// APIGroups are the names of the API groups served.
	APIGroups []string
	// Nodes are the nodes read; none when they could not be.
	Nodes []NodeClues
}

// NodeClues are what a node tells of the distribution.
type NodeClues struct {
	Name           string
	Labels         map[string]string
	ProviderID     string
	KubeletVersion string
}

// Kinds of clue, strongest first: a distribution's API group, a mark in the
// version, a node label, a providerID scheme, a node name.
const (
	clueGroup = iota
	clueVersion
	clueLabel
	clueProviderID
	clueNodeName
)

// distributionRule is one clue that names a distribution (or only a
// provider, when dist is empty).
type distributionRule struct {
	kind     int
	match    string // group; version substring; label key; providerID scheme; node name
	value    string // for labels: the value it must have; "" for any
	dist     string
	provider string
}

// distributionRules are the clues DetectDistribution knows, strongest first.
// A managed distribution is never decided by its cloud alone: a providerID
// of aws:// is as much kops or kubeadm on EC2 as EKS, which marks its
// version (-eks-) anyway.
var distributionRules = []distributionRule{
	{kind: clueGroup, match: "config.openshift.io", dist: DistributionOpenShift},
	{kind: clueGroup, match: "route.openshift.io", dist: DistributionOpenShift},

	{kind: clueVersion, match: "-eks-", dist: DistributionEKS, provider: "aws"},
	{kind: clueVersion, match: "-gke.", dist: DistributionGKE, provider: "gcp"},
	{kind: clueVersion, match: "+k3s", dist: DistributionK3s},
	{kind: clueVersion, match: "+rke2", dist: DistributionRKE2},
	{kind: clueVersion, match: "+k0s", dist: DistributionK0s},
	{kind: clueVersion, match: "+vmware", dist: DistributionTanzu},
	{kind: clueVersion, match: "-aliyun", dist: DistributionACK, provider: "alibaba"},

	{kind: clueLabel, match: "node.openshift.io/os_id", dist: DistributionOpenShift},
	{kind: clueLabel, match: "eks.amazonaws.com/nodegroup", dist: DistributionEKS, provider: "aws"},
	{kind: clueLabel, match: "eks.amazonaws.com/compute-type", dist: DistributionEKS, provider: "aws"},
	{kind: clueLabel, match: "cloud.google.com/gke-nodepool", dist: DistributionGKE, provider: "gcp"},
	{kind: clueLabel, match: "cloud.google.com/gke-os-distribution", dist: DistributionGKE, provider: "gcp"},
	{kind: clueLabel, match: "kubernetes.azure.com/cluster", dist: DistributionAKS, provider: "azure"},
	{kind: clueLabel, match: "kubernetes.azure.com/role", dist: DistributionAKS, provider: "azure"},
	{kind: clueLabel, match: "node.kubernetes.io/instance-type", value: "k3s", dist: DistributionK3s},
	{kind: clueLabel, match: "minikube.k8s.io/name", dist: DistributionMinikube},
	{kind: clueLabel, match: "microk8s.io/cluster", dist: DistributionMicroK8s},
	{kind: clueLabel, match: "doks.digitalocean.com/node-id", dist: DistributionDOKS, provider: "digitalocean"},
	{kind: clueLabel, match: "lke.linode.com/pool-id", dist: DistributionLKE, provider: "linode"},

	{kind: clueProviderID, match: "kind", dist: DistributionKind},
	{kind: clueProviderID, match: "k3s", dist: DistributionK3s},
	{kind: clueProviderID, match: "rke2", dist: DistributionRKE2},
	{kind: clueProviderID, match: "aws", provider: "aws"},
	{kind: clueProviderID, match: "gce", provider: "gcp"},
	{kind: clueProviderID, match: "azure", provider: "azure"},
	{kind: clueProviderID, match: "digitalocean", provider: "digitalocean"},
	{kind: clueProviderID, match: "linode", provider: "linode"},
	{kind: clueProviderID, match: "openstack", provider: "openstack"},
	{kind: clueProviderID, match: "vsphere", provider: "vsphere"},
	{kind: clueProviderID, match: "hcloud", provider: "hetzner"},
	{kind: clueProviderID, match: "ibm", provider: "ibm"},
	{kind: clueProviderID, match: "alicloud", provider: "alibaba"},

	{kind: clueNodeName, match: "docker-desktop", dist: DistributionDockerDesktop},
}

// DetectDistribution tells the distribution from the clues. The strongest
// clue decides (an OpenShift API group, then a mark in the API server's
// version, a node label, a providerID scheme, a node name); every clue is
// listed as evidence. With no clue it is upstream Kubernetes if nodes were
// read, and unknown if not.
func DetectDistribution(c Clues) Distribution {
	type found struct {
		rule distributionRule
		text string
	}
	var clues []found
	for _, r := range distributionRules {
		switch r.kind {
		case clueGroup:
			if slices.Contains(c.APIGroups, r.match) {
				clues = append(clues, found{r, fmt.Sprintf("API group %s served", r.match)})
			}
		case clueVersion:
			if strings.Contains(c.GitVersion, r.match) {
				clues = append(clues, found{r, fmt.Sprintf("API server version %s (%q)", c.GitVersion, r.match)})
			}
			// The kubelets carry the mark too (and say it where the API
			// server's version is masked, by a proxy in front of it).
			example := ""
			n := countNodes(c.Nodes, func(n NodeClues) bool {
				if strings.Contains(n.KubeletVersion, r.match) {
					example = cmp.Or(example, n.KubeletVersion)
					return true
				}
				return false
			})
			if n > 0 {
				clues = append(clues, found{r, fmt.Sprintf("kubelet version %s (%q) on %s", example, r.match, nodesText(n, len(c.Nodes)))})
			}
		case clueLabel:
			n := countNodes(c.Nodes, func(n NodeClues) bool {
				v, ok := n.Labels[r.match]
				return ok && (r.value == "" || v == r.value)
			})
			if n > 0 {
				label := r.match
				if r.value != "" {
					label += "=" + r.value
				}
				clues = append(clues, found{r, fmt.Sprintf("node label %s on %s", label, nodesText(n, len(c.Nodes)))})
			}
		case clueProviderID:
			if n := countNodes(c.Nodes, func(n NodeClues) bool { return providerScheme(n.ProviderID) == r.match }); n > 0 {
				clues = append(clues, found{r, fmt.Sprintf("providerID %s:// on %s", r.match, nodesText(n, len(c.Nodes)))})
			}
		case clueNodeName:
			if n := countNodes(c.Nodes, func(n NodeClues) bool { return n.Name == r.match }); n > 0 {
				clues = append(clues, found{r, fmt.Sprintf("node named %s", r.match)})
			}
		}
	}
	d := Distribution{Evidence: []string{}}
	for _, f := range clues {
		if d.Name == "" && f.rule.dist != "" {
			d.Name, d.DecidedBy = f.rule.dist, f.text
			d.Evidence = append([]string{f.text}, d.Evidence...)
			continue
		}
		d.Evidence = append(d.Evidence, f.text)
	}
	// The provider: the nodes' providerID first, which says where they
	// run, else the managed distribution's cloud.
	for _, f := range clues {
		if f.rule.kind == clueProviderID && f.rule.provider != "" {
			d.Provider = f.rule.provider
			break
		}
	}
	if d.Provider == "" {
		for _, f := range clues {
			if f.rule.dist == d.Name && f.rule.provider != "" {
				d.Provider = f.rule.provider
				break
			}
		}
	}
	if d.Name != "" {
		return d
	}
	if len(c.Nodes) == 0 {
		d.Name = DistributionUnknown
		d.DecidedBy = fmt.Sprintf("no distribution's mark in the version %s or the API groups, and no node could be read", c.GitVersion)
	} else {
		d.Name = DistributionUpstream
		d.DecidedBy = fmt.Sprintf("no distribution's mark in the version %s, the API groups or %s", c.GitVersion, nodesText(len(c.Nodes), len(c.Nodes)))
	}
	d.Evidence = append([]string{d.DecidedBy}, d.Evidence...)
	return d
}

// providerScheme returns the scheme of a providerID: "aws" of
// "aws:///eu-west-1a/i-0abc".
func providerScheme(id string) string {
	scheme, _, ok := strings.Cut(id, "://")
	if !ok {
		return ""
	}
	return scheme
}

func countNodes(nodes []NodeClues, pred func(NodeClues) bool) int {
	n := 0
	for _, node := range nodes {
		if pred(node) {
			n++
		}
	}
	return n
}

// nodesText says "3 of 5 nodes", "all 3 nodes", "both nodes", "the node".
func nodesText(n, of int) string {
	switch {
	case n == of && n == 1:
		return "the node"
	case n == of && n == 2:
		return "both nodes"
	case n == of:
		return fmt.Sprintf("all %d nodes", n)
	case n == 1:
		return fmt.Sprintf("1 of %d nodes", of)
	}
	return fmt.Sprintf("%d of %d nodes", n, of)
}
