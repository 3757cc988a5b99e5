// Package k8s is Dozor's model of Kubernetes configuration: an Object that
// remembers where it came from, one accessor for the pod template inside any
// workload kind, and an Index over a set of objects for cross-object checks.
//
// Decoding objects from YAML and JSON lives in k8s/manifest; rendering Helm
// charts and kustomizations in k8s/helm and k8s/kustomize; enumerating inputs
// in k8s/input.
package k8s
