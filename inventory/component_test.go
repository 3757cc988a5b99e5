package inventory_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"

	"github.com/dozor-dev/dozor/inventory"
	"github.com/dozor-dev/dozor/k8s"
)

// pod makes a pod object as the live reader does; containers are
// name=image pairs.
func pod(ns, name, nodeName string, labels map[string]string, owner *metav1.OwnerReference, containers ...string) *k8s.Object {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}, Spec: corev1.PodSpec{NodeName: nodeName}}
	if owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	for i := 0; i+1 < len(containers); i += 2 {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: containers[i], Image: containers[i+1]})
	}
	return &k8s.Object{APIVersion: "v1", Kind: "Pod", Meta: &p.ObjectMeta, Typed: p, Pod: k8s.PodTemplateOf(p)}
}

// staticPod is a kubeadm control-plane pod: a mirror pod, owned by its node.
func staticPod(component, nodeName, image string) *k8s.Object {
	return pod("kube-system", component+"-"+nodeName, nodeName, map[string]string{"component": component, "tier": "control-plane"},
		&metav1.OwnerReference{APIVersion: "v1", Kind: "Node", Name: nodeName, Controller: new(true)}, component, image)
}

// TestComponentsKubeadm: a kubeadm cluster's control plane runs as static
// pods: each component, its version from the image tag, the pods on each
// control-plane node, the pod itself as workload.
func TestComponentsKubeadm(t *testing.T) {
	objs := []*k8s.Object{
		staticPod("kube-apiserver", "cp-1", "registry.k8s.io/kube-apiserver:v1.30.4"),
		staticPod("kube-apiserver", "cp-2", "registry.k8s.io/kube-apiserver:v1.30.4"),
		// An upgrade half done: cp-2's controller manager is still older.
		staticPod("kube-controller-manager", "cp-1", "registry.k8s.io/kube-controller-manager:v1.30.4"),
		staticPod("kube-controller-manager", "cp-2", "registry.k8s.io/kube-controller-manager:v1.29.8"),
		staticPod("kube-scheduler", "cp-1", "registry.k8s.io/kube-scheduler:v1.30.4"),
		staticPod("etcd", "cp-1", "registry.k8s.io/etcd:3.5.12-0"),
		pod("kube-system", "kube-proxy-abcde", "cp-1", map[string]string{"k8s-app": "kube-proxy"},
			&metav1.OwnerReference{Kind: "DaemonSet", Name: "kube-proxy", Controller: new(true)}, "kube-proxy", "registry.k8s.io/kube-proxy:v1.30.4"),
		pod("kube-system", "coredns-7db6d8ff4d-4xk2m", "cp-1", map[string]string{"k8s-app": "kube-dns"},
			&metav1.OwnerReference{Kind: "ReplicaSet", Name: "coredns-7db6d8ff4d", Controller: new(true)}, "coredns", "registry.k8s.io/coredns/coredns:v1.11.1"),
		// Not components: a CNI agent in kube-system, and an application's
		// etcd elsewhere.
		pod("kube-system", "calico-node-x1", "cp-1", map[string]string{"k8s-app": "calico-node"}, nil, "calico-node", "docker.io/calico/node:v3.28.0"),
		pod("apps", "etcd-0", "w-1", map[string]string{"component": "etcd"}, nil, "etcd", "registry.k8s.io/etcd:3.5.12-0"),
	}
	inv := inventory.Build(objs, inventory.Facts{Version: &version.Info{GitVersion: "v1.30.4"}})
	type row struct{ Name, Version, Source, Pods, Workloads string }
	var got []row
	for _, c := range inv.Components {
		r := row{Name: c.Name, Version: c.Version, Source: c.Source}
		for _, p := range c.Pods {
			r.Pods += p.Node + " "
		}
		for _, w := range c.Workloads {
			r.Workloads += w.String() + "; "
		}
		got = append(got, r)
	}
	want := []row{
		{"coredns", "v1.11.1", "pods", "cp-1 ", "ReplicaSet kube-system/coredns-7db6d8ff4d; "},
		{"etcd", "3.5.12", "pods", "cp-1 ", "Pod kube-system/etcd-cp-1; "},
		{"kube-apiserver", "v1.30.4", "pods", "cp-1 cp-2 ", "Pod kube-system/kube-apiserver-cp-1; Pod kube-system/kube-apiserver-cp-2; "},
		{"kube-apiserver", "v1.30.4", "version", "", ""},
		{"kube-controller-manager", "v1.29.8", "pods", "cp-2 ", "Pod kube-system/kube-controller-manager-cp-2; "},
		{"kube-controller-manager", "v1.30.4", "pods", "cp-1 ", "Pod kube-system/kube-controller-manager-cp-1; "},
		{"kube-proxy", "v1.30.4", "pods", "cp-1 ", "DaemonSet kube-system/kube-proxy; "},
		{"kube-scheduler", "v1.30.4", "pods", "cp-1 ", "Pod kube-system/kube-scheduler-cp-1; "},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("components (-want +got):\n%s", d)
	}
}

// TestComponentOf: how each kind of cluster shows its components.
func TestComponentOf(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		obj                  *k8s.Object
		component, container string
	}{
		{"GKE's kube-proxy, a static pod labelled component=kube-proxy, found by its image",
			pod("kube-system", "kube-proxy-gke-prod-default-pool-3c1a2b4d-x9zq", "n", map[string]string{"component": "kube-proxy", "tier": "node"}, nil,
				"kube-proxy", "gke.gcr.io/kube-proxy-amd64:v1.30.2-gke.1587003"), "kube-proxy", "kube-proxy"},
		{"AKS's kube-proxy", pod("kube-system", "kube-proxy-8xq2z", "n", map[string]string{"component": "kube-proxy", "tier": "node"}, nil,
			"kube-proxy", "mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.29.2-hotfix.20240322"), "kube-proxy", "kube-proxy"},
		{"the old kube-dns, three containers", pod("kube-system", "kube-dns-5c8d9f7b6-abcde", "n", map[string]string{"k8s-app": "kube-dns"}, nil,
			"kubedns", "k8s.gcr.io/k8s-dns-kube-dns-amd64:1.14.13", "dnsmasq", "k8s.gcr.io/k8s-dns-dnsmasq-nanny-amd64:1.14.13",
			"sidecar", "k8s.gcr.io/k8s-dns-sidecar-amd64:1.14.13"), "kube-dns", "kubedns"},
		{"CoreDNS with a cache sidecar", pod("kube-system", "coredns-abc", "n", map[string]string{"k8s-app": "kube-dns"}, nil,
			"metrics", "example.com/exporter:1.0", "coredns", "registry.k8s.io/coredns/coredns:v1.11.3"), "coredns", "coredns"},
		{"an unlabelled pod running a component's image", pod("kube-system", "cloud-controller-manager-x", "n", nil, nil,
			"ccm", "registry.k8s.io/cloud-controller-manager:v1.30.0"), "cloud-controller-manager", "ccm"},
		{"a control-plane label, an image of another name", pod("kube-system", "kube-apiserver-cp-1", "cp-1", map[string]string{"component": "kube-apiserver"}, nil,
			"kube-apiserver", "mirror.internal/k8s/apiserver:v1.30.4"), "kube-apiserver", "kube-apiserver"},
		{"not in kube-system", pod("default", "kube-proxy-x", "n", map[string]string{"k8s-app": "kube-proxy"}, nil,
			"kube-proxy", "registry.k8s.io/kube-proxy:v1.30.4"), "", ""},
		{"nothing of a component", pod("kube-system", "metrics-server-x", "n", map[string]string{"k8s-app": "metrics-server"}, nil,
			"metrics-server", "registry.k8s.io/metrics-server/metrics-server:v0.7.1"), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, c, ok := inventory.ComponentOf(tc.obj)
			container := ""
			if c != nil {
				container = c.Name
			}
			if name != tc.component || container != tc.container || ok != (tc.component != "") {
				t.Errorf("ComponentOf() = %q, container %q, %v; want %q, container %q", name, container, ok, tc.component, tc.container)
			}
		})
	}
}
