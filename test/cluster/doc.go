// Package cluster builds real Kubernetes components (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler) from the Go module proxy and runs
// them on loopback, with its own PKI and a kubeconfig of several users, for
// Dozor's tests and demos. It is a module of its own, so that Dozor's module
// does not depend on k8s.io/kubernetes.
//
// Nothing here listens on anything but 127.0.0.1: the API server's
// advertise address (the machine's own address, which it refuses to take
// from loopback) is only metadata, and no traffic is sent to it.
package cluster
