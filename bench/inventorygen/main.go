// Command inventorygen writes the inventory of a large made-up cluster, as
// `dozor inventory -o json` would: N nodes of a realistic spread of
// kubelet, runtime, kernel and OS versions (several node pools upgraded at
// different times), with the control-plane components. make bench-vuln
// matches it against the vulnerability database.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/dozor-dev/dozor/inventory"
)

func main() {
	nodes := flag.Int("nodes", 1000, "number of nodes")
	out := flag.String("out", "", "file to write (default: standard output)")
	flag.Parse()
	inv := &inventory.Inventory{APIVersion: inventory.APIVersion, Kind: inventory.Kind, GeneratedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Cluster:    inventory.Cluster{Name: "bench", Server: "https://127.0.0.1:6443"},
		Kubernetes: inventory.Kubernetes{GitVersion: "v1.33.4-eks-1a2b3c4", Version: "v1.33.4"},
		Components: []inventory.Component{
			{Name: "kube-apiserver", Version: "v1.33.4-eks-1a2b3c4", Source: inventory.SourceVersion},
			{Name: "kube-proxy", Version: "v1.33.0", Source: inventory.SourceWorkload, Workloads: []inventory.ObjectRef{{Kind: "DaemonSet", Namespace: "kube-system", Name: "kube-proxy"}}},
			{Name: "coredns", Version: "v1.11.3", Source: inventory.SourceWorkload, Workloads: []inventory.ObjectRef{{Kind: "Deployment", Namespace: "kube-system", Name: "coredns"}}},
			{Name: "etcd", Version: "3.5.16", Source: inventory.SourcePods},
		},
	}
	kubelets := []string{"v1.33.4-eks-1a2b3c4", "v1.33.1-eks-1a2b3c4", "v1.32.9-eks-5d6e7f8", "v1.31.12-eks-9a8b7c6", "v1.30.14-eks-1f2e3d4", "v1.29.15-eks-0a0b0c0", "v1.34.1-eks-2b3c4d5"}
	runtimes := []inventory.Runtime{{Name: "containerd", Version: "1.7.27"}, {Name: "containerd", Version: "1.7.11"}, {Name: "containerd", Version: "2.0.5"},
		{Name: "containerd", Version: "1.6.28"}, {Name: "cri-o", Version: "1.30.4"}, {Name: "docker", Version: "24.0.7"}}
	oses := []struct{ image, kernel string }{
		{"Amazon Linux 2023.6.20250115", "6.1.124-134.200.amzn2023.x86_64"},
		{"Amazon Linux 2", "5.10.230-223.885.amzn2.x86_64"},
		{"Ubuntu 22.04.5 LTS", "5.15.0-131-generic"},
		{"Ubuntu 24.04.1 LTS", "6.8.0-51-generic"},
		{"Bottlerocket OS 1.29.0 (aws-k8s-1.31)", "6.1.119"},
		{"Flatcar Container Linux by Kinvolk 4081.2.1 (Oklo)", "6.6.60-flatcar"},
		{"Debian GNU/Linux 12 (bookworm)", "6.1.0-28-amd64"},
	}
	for i := range *nodes {
		os := oses[(i/7)%len(oses)]
		inv.Nodes = append(inv.Nodes, inventory.Node{
			Name: fmt.Sprintf("ip-10-%d-%d-%d.eu-west-1.compute.internal", i/65536, (i/256)%256, i%256), Ready: "True", Roles: []string{},
			KubeletVersion: kubelets[(i/13)%len(kubelets)], ContainerRuntime: runtimes[(i/17)%len(runtimes)],
			KernelVersion: os.kernel, OSImage: os.image, OperatingSystem: "linux", Architecture: "amd64",
		})
	}
	inv.Summary.Nodes = len(inv.Nodes)
	w := os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	if err := json.NewEncoder(w).Encode(inv); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
