package inventory

import (
	"path"
	"strings"

	"github.com/dozor-dev/dozor/k8s"
)

// ComponentNamespace is where control-plane components are looked for, as
// pods and workloads: kubeadm's static pods, kube-proxy's DaemonSet and
// CoreDNS's Deployment live there.
const ComponentNamespace = "kube-system"

// componentLabels are the values of the "component" label kubeadm and
// other installers give control-plane static pods.
var componentLabels = map[string]bool{
	"kube-apiserver": true, "kube-controller-manager": true, "kube-scheduler": true, "etcd": true,
	"cloud-controller-manager": true,
}

// componentImages are the last path elements of component images (without
// an architecture suffix such as -amd64), and the component they run.
var componentImages = map[string]string{
	"kube-apiserver": "kube-apiserver", "kube-controller-manager": "kube-controller-manager",
	"kube-scheduler": "kube-scheduler", "etcd": "etcd", "cloud-controller-manager": "cloud-controller-manager",
	"kube-proxy": "kube-proxy", "coredns": "coredns", "k8s-dns-kube-dns": "kube-dns",
}

var archSuffixes = []string{"-amd64", "-arm64", "-arm", "-ppc64le", "-s390x"}

// imageComponent returns the component an image runs, from the last element
// of its repository: "kube-proxy" of
// "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/kube-proxy:v1.29.0-minimal-eksbuild.1".
func imageComponent(image string) string {
	base := path.Base(parseImage(image).repository)
	for _, s := range archSuffixes {
		base = strings.TrimSuffix(base, s)
	}
	return componentImages[base]
}

// ComponentOf tells whether a pod or workload runs a control-plane
// component, and in which container. Only objects in kube-system are
// considered: there, a pod (or pod template) labelled component=NAME
// (kube-apiserver, kube-controller-manager, kube-scheduler, etcd,
// cloud-controller-manager), k8s-app=kube-proxy or k8s-app=kube-dns, or
// running the image of one of these, is that component. For kube-dns the
// component is "coredns" when the pod runs CoreDNS's image, "kube-dns"
// otherwise. The container is the one that runs the component's image,
// else the one named after it, else the first.
func ComponentOf(o *k8s.Object) (name string, c *k8s.Container, ok bool) {
	if o.Pod == nil || o.Meta.Namespace != ComponentNamespace {
		return "", nil, false
	}
	var containers []k8s.Container
	for _, c := range o.Pod.Containers() {
		if c.LongRunning() {
			containers = append(containers, c)
		}
	}
	if len(containers) == 0 {
		return "", nil, false
	}
	label := func(k string) string {
		if v := o.Pod.Meta.Labels[k]; v != "" {
			return v
		}
		return o.Meta.Labels[k]
	}
	switch comp, app := label("component"), label("k8s-app"); {
	case componentLabels[comp]:
		name = comp
	case app == "kube-proxy":
		name = app
	case app == "kube-dns":
		name = "kube-dns"
		for _, c := range containers {
			if imageComponent(c.Image) == "coredns" {
				name = "coredns"
			}
		}
	}
	if name == "" {
		for i := range containers {
			if n := imageComponent(containers[i].Image); n != "" {
				return n, &containers[i], true
			}
		}
		return "", nil, false
	}
	for i := range containers {
		if imageComponent(containers[i].Image) == name {
			return name, &containers[i], true
		}
	}
	for i := range containers {
		if containers[i].Name == name {
			return name, &containers[i], true
		}
	}
	return name, &containers[0], true
}

// imageVersion returns the version an image's tag names: "v1.29.0" of
// "…/kube-proxy:v1.29.0-minimal-eksbuild.1"; "" without a tag that starts
// with a version.
func imageVersion(image string) string {
	return VersionCore(parseImage(image).tag)
}
