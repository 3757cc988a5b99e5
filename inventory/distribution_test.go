package inventory_test

import (
	"testing"

	"github.com/dozor-dev/dozor/inventory"
)

// node makes the clues of a node; labels are key=value pairs.
func node(name, providerID, kubelet string, labels ...string) inventory.NodeClues {
	m := map[string]string{"kubernetes.io/os": "linux", "kubernetes.io/hostname": name}
	for i := 0; i+1 < len(labels); i += 2 {
		m[labels[i]] = labels[i+1]
	}
	return inventory.NodeClues{Name: name, ProviderID: providerID, KubeletVersion: kubelet, Labels: m}
}

// TestDetectDistribution: real version strings, labels and provider IDs of
// each distribution, and what decides when clues disagree.
func TestDetectDistribution(t *testing.T) {
	upstreamGroups := []string{"apps", "batch", "networking.k8s.io", "rbac.authorization.k8s.io"}
	for _, tc := range []struct {
		name           string
		clues          inventory.Clues
		want, provider string
		decidedBy      string
	}{
		{
			name: "EKS by its version",
			clues: inventory.Clues{GitVersion: "v1.29.3-eks-adc7111", APIGroups: upstreamGroups, Nodes: []inventory.NodeClues{
				node("ip-10-0-1-23.eu-west-1.compute.internal", "aws:///eu-west-1a/i-0a1b2c3d4e5f60718", "v1.29.0-eks-5e0fdde",
					"eks.amazonaws.com/nodegroup", "general", "eks.amazonaws.com/capacityType", "ON_DEMAND")}},
			want: "eks", provider: "aws", decidedBy: `API server version v1.29.3-eks-adc7111 ("-eks-")`,
		},
		{
			name:  "EKS by its node labels, the version read from elsewhere",
			clues: inventory.Clues{GitVersion: "v1.30.0", Nodes: []inventory.NodeClues{node("n1", "", "v1.30.0", "eks.amazonaws.com/nodegroup", "ng-1")}},
			want:  "eks", provider: "aws", decidedBy: "node label eks.amazonaws.com/nodegroup on the node",
		},
		{
			name: "EKS Fargate",
			clues: inventory.Clues{GitVersion: "v1.28.8-eks-adc7111", Nodes: []inventory.NodeClues{
				node("fargate-ip-10-0-3-4.eu-west-1.compute.internal", "aws:///eu-west-1c/0123abcd/fargate-ip-10-0-3-4", "v1.28.8-eks-ae9a62a",
					"eks.amazonaws.com/compute-type", "fargate")}},
			want: "eks", provider: "aws", decidedBy: `API server version v1.28.8-eks-adc7111 ("-eks-")`,
		},
		{
			name: "GKE",
			clues: inventory.Clues{GitVersion: "v1.30.2-gke.1587003", Nodes: []inventory.NodeClues{
				node("gke-prod-default-pool-3c1a2b4d-x9zq", "gce://my-project/europe-west1-b/gke-prod-default-pool-3c1a2b4d-x9zq", "v1.30.2-gke.1587003",
					"cloud.google.com/gke-nodepool", "default-pool", "cloud.google.com/gke-os-distribution", "cos")}},
			want: "gke", provider: "gcp", decidedBy: `API server version v1.30.2-gke.1587003 ("-gke.")`,
		},
		{
			name: "AKS, whose version has no mark: its node labels",
			clues: inventory.Clues{GitVersion: "v1.29.2", Nodes: []inventory.NodeClues{
				node("aks-nodepool1-12345678-vmss000000", "azure:///subscriptions/0000/resourceGroups/mc_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss/virtualMachines/0",
					"v1.29.2", "kubernetes.azure.com/cluster", "MC_rg_aks_westeurope", "kubernetes.azure.com/role", "agent", "agentpool", "nodepool1"),
				node("aks-nodepool1-12345678-vmss000001", "azure:///subscriptions/0000/resourceGroups/mc_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss/virtualMachines/1",
					"v1.29.2", "kubernetes.azure.com/cluster", "MC_rg_aks_westeurope")}},
			want: "aks", provider: "azure", decidedBy: "node label kubernetes.azure.com/cluster on both nodes",
		},
		{
			name: "OpenShift: its API group decides, even on AWS",
			clues: inventory.Clues{GitVersion: "v1.27.6+f67aeb3", APIGroups: append([]string{"config.openshift.io", "route.openshift.io"}, upstreamGroups...),
				Nodes: []inventory.NodeClues{node("ip-10-0-140-5.ec2.internal", "aws:///us-east-1a/i-0abc", "v1.27.6+f67aeb3",
					"node.openshift.io/os_id", "rhcos", "node-role.kubernetes.io/worker", "")}},
			want: "openshift", provider: "aws", decidedBy: "API group config.openshift.io served",
		},
		{
			name: "k3s",
			clues: inventory.Clues{GitVersion: "v1.31.1+k3s1", Nodes: []inventory.NodeClues{
				node("k3s-server-1", "k3s://k3s-server-1", "v1.31.1+k3s1", "node.kubernetes.io/instance-type", "k3s", "node-role.kubernetes.io/control-plane", "true")}},
			want: "k3s", decidedBy: `API server version v1.31.1+k3s1 ("+k3s")`,
		},
		{
			name: "RKE2",
			clues: inventory.Clues{GitVersion: "v1.30.4+rke2r1", Nodes: []inventory.NodeClues{
				node("rke2-agent-1", "rke2://rke2-agent-1", "v1.30.4+rke2r1", "node.kubernetes.io/instance-type", "rke2")}},
			want: "rke2", decidedBy: `API server version v1.30.4+rke2r1 ("+rke2")`,
		},
		{
			name: "RKE2 on AWS: the version decides, the nodes say where",
			clues: inventory.Clues{GitVersion: "v1.29.8+rke2r1", Nodes: []inventory.NodeClues{
				node("ip-10-1-2-3", "aws:///eu-central-1a/i-0fedcba987", "v1.29.8+rke2r1")}},
			want: "rke2", provider: "aws", decidedBy: `API server version v1.29.8+rke2r1 ("+rke2")`,
		},
		{
			name:  "k0s",
			clues: inventory.Clues{GitVersion: "v1.29.2+k0s", Nodes: []inventory.NodeClues{node("worker-0", "", "v1.29.2+k0s")}},
			want:  "k0s", decidedBy: `API server version v1.29.2+k0s ("+k0s")`,
		},
		{
			name: "kind, by its providerID",
			clues: inventory.Clues{GitVersion: "v1.30.0", Nodes: []inventory.NodeClues{
				node("kind-control-plane", "kind://docker/kind/kind-control-plane", "v1.30.0", "node-role.kubernetes.io/control-plane", "")}},
			want: "kind", decidedBy: "providerID kind:// on the node",
		},
		{
			name: "minikube",
			clues: inventory.Clues{GitVersion: "v1.30.0", Nodes: []inventory.NodeClues{
				node("minikube", "", "v1.30.0", "minikube.k8s.io/name", "minikube", "minikube.k8s.io/primary", "true")}},
			want: "minikube", decidedBy: "node label minikube.k8s.io/name on the node",
		},
		{
			name:  "MicroK8s",
			clues: inventory.Clues{GitVersion: "v1.29.4", Nodes: []inventory.NodeClues{node("ubuntu", "", "v1.29.4", "microk8s.io/cluster", "true")}},
			want:  "microk8s", decidedBy: "node label microk8s.io/cluster on the node",
		},
		{
			name:  "Docker Desktop",
			clues: inventory.Clues{GitVersion: "v1.29.2", Nodes: []inventory.NodeClues{node("docker-desktop", "", "v1.29.2", "node-role.kubernetes.io/control-plane", "")}},
			want:  "docker-desktop", decidedBy: "node named docker-desktop",
		},
		{
			name: "kubeadm on EC2 is not EKS",
			clues: inventory.Clues{GitVersion: "v1.29.3", APIGroups: upstreamGroups, Nodes: []inventory.NodeClues{
				node("ip-10-0-0-10", "aws:///eu-west-1a/i-0123", "v1.29.3", "node-role.kubernetes.io/control-plane", ""),
				node("ip-10-0-0-11", "aws:///eu-west-1b/i-0456", "v1.29.3")}},
			want: "upstream", provider: "aws", decidedBy: "no distribution's mark in the version v1.29.3, the API groups or both nodes",
		},
		{
			name:  "upstream, as the test cluster",
			clues: inventory.Clues{GitVersion: "v1.37.2", APIGroups: upstreamGroups, Nodes: []inventory.NodeClues{node("node-a", "", "v1.37.2"), node("node-b", "", "v1.35.4")}},
			want:  "upstream", decidedBy: "no distribution's mark in the version v1.37.2, the API groups or both nodes",
		},
		{
			name:  "nodes not visible: AKS cannot be ruled out",
			clues: inventory.Clues{GitVersion: "v1.29.2", APIGroups: upstreamGroups},
			want:  "unknown", decidedBy: "no distribution's mark in the version v1.29.2 or the API groups, and no node could be read",
		},
		{
			name:  "nodes not visible, but the version says",
			clues: inventory.Clues{GitVersion: "v1.30.2-gke.1587003"},
			want:  "gke", provider: "gcp", decidedBy: `API server version v1.30.2-gke.1587003 ("-gke.")`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := inventory.DetectDistribution(tc.clues)
			if d.Name != tc.want || d.Provider != tc.provider || d.DecidedBy != tc.decidedBy {
				t.Errorf("DetectDistribution() = %q on %q, decided by %q;\nwant %q on %q, decided by %q", d.Name, d.Provider, d.DecidedBy, tc.want, tc.provider, tc.decidedBy)
			}
			if len(d.Evidence) == 0 || d.Evidence[0] != d.DecidedBy {
				t.Errorf("evidence %q does not start with what decided", d.Evidence)
			}
			if inventory.DistributionTitles[d.Name] == "" {
				t.Errorf("no title for %q", d.Name)
			}
		})
	}
}

// TestDetectDistributionEvidence: every clue is listed, not only the one
// that decided.
func TestDetectDistributionEvidence(t *testing.T) {
	d := inventory.DetectDistribution(inventory.Clues{GitVersion: "v1.29.3-eks-adc7111", Nodes: []inventory.NodeClues{
		node("a", "aws:///eu-west-1a/i-1", "v1.29.0-eks-5e0fdde", "eks.amazonaws.com/nodegroup", "ng"),
		node("b", "aws:///eu-west-1b/i-2", "v1.28.8-eks-ae9a62a"),
	}})
	want := []string{
		`API server version v1.29.3-eks-adc7111 ("-eks-")`,
		`kubelet version v1.29.0-eks-5e0fdde ("-eks-") on both nodes`,
		"node label eks.amazonaws.com/nodegroup on 1 of 2 nodes",
		"providerID aws:// on both nodes",
	}
	if len(d.Evidence) != len(want) {
		t.Fatalf("evidence = %q, want %q", d.Evidence, want)
	}
	for i := range want {
		if d.Evidence[i] != want[i] {
			t.Errorf("evidence[%d] = %q, want %q", i, d.Evidence[i], want[i])
		}
	}
}
