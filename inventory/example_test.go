package inventory_test

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"

	"github.com/dozor-dev/dozor/inventory"
	"github.com/dozor-dev/dozor/k8s"
)

// Build makes an inventory of objects at hand; Collect does the same for a
// live cluster, reading only what the inventory needs.
func ExampleBuild() {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "gke-prod-default-pool-3c1a2b4d-x9zq", Labels: map[string]string{"cloud.google.com/gke-nodepool": "default-pool"}},
		Spec:       corev1.NodeSpec{ProviderID: "gce://my-project/europe-west1-b/gke-prod-default-pool-3c1a2b4d-x9zq"},
		Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.30.2-gke.1587003",
			ContainerRuntimeVersion: "containerd://1.7.13", OSImage: "Container-Optimized OS from Google"}},
	}
	objs := []*k8s.Object{
		{APIVersion: "v1", Kind: "Node", Meta: &node.ObjectMeta, Typed: node},
		pod("kube-system", "kube-proxy-gke-prod-default-pool-3c1a2b4d-x9zq", node.Name, map[string]string{"component": "kube-proxy"}, nil,
			"kube-proxy", "gke.gcr.io/kube-proxy-amd64:v1.30.2-gke.1587003"),
	}
	inv := inventory.Build(objs, inventory.Facts{Version: &version.Info{GitVersion: "v1.30.2-gke.1587003"}})

	fmt.Println(inv.Distribution.Name, "on", inv.Distribution.Provider+":", inv.Distribution.DecidedBy)
	for _, n := range inv.Nodes {
		fmt.Println(n.Name, n.KubeletVersion, n.ContainerRuntime.Name, n.ContainerRuntime.Version)
	}
	for _, c := range inv.Components {
		fmt.Println(c.Name, c.Version, c.Source)
	}
	// Output:
	// gke on gcp: API server version v1.30.2-gke.1587003 ("-gke.")
	// gke-prod-default-pool-3c1a2b4d-x9zq v1.30.2-gke.1587003 containerd 1.7.13
	// kube-apiserver v1.30.2-gke.1587003 version
	// kube-proxy v1.30.2 pods
}
