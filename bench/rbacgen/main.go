// Command rbacgen writes a made-up cluster's RBAC and workloads as one
// YAML stream, for make bench-access: NS namespaces (every fifth with Pod
// Security enforced), each with 10 Roles, 10 RoleBindings, 10 service
// accounts, a pod of each on one of 100 nodes (a tenth privileged) and a
// legacy token Secret; 200 ClusterRoles and ClusterRoleBindings to 20
// groups; and 10 service accounts bound to cluster-admin. With the
// default 500 namespaces: 10,400 roles and bindings, 5,000 service
// accounts, 5,000 pods.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
)

func main() {
	namespaces := flag.Int("namespaces", 500, "namespaces to make")
	out := flag.String("out", "", "file to write (default standard output)")
	flag.Parse()
	f := os.Stdout
	if *out != "" {
		var err error
		if f, err = os.Create(*out); err != nil {
			fmt.Fprintln(os.Stderr, "rbacgen:", err)
			os.Exit(1)
		}
	}
	w := bufio.NewWriter(f)
	write(w, *namespaces)
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "rbacgen:", err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "rbacgen:", err)
		os.Exit(1)
	}
}

var (
	verbs     = []string{`["get", "list", "watch"]`, `["create", "update", "patch", "delete"]`, `["*"]`}
	resources = []string{`["pods", "pods/log"]`, `["deployments", "replicasets"]`, `["secrets"]`, `["configmaps"]`, `["pods/exec"]`, `["*"]`}
)

func write(w *bufio.Writer, namespaces int) {
	doc := func(format string, args ...any) {
		fmt.Fprintf(w, "---\n"+format+"\n", args...)
	}
	doc(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}`)
	for i := range 200 {
		doc(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cr%d}
rules:
- {apiGroups: ["", "apps"], resources: %s, verbs: %s}`, i, resources[i%len(resources)], verbs[i%len(verbs)])
		doc(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: crb%d}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr%d}
subjects: [{kind: Group, name: g%d}]`, i, i, i%20)
	}
	for i := range 10 {
		doc(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: admins%d}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: sa0, namespace: ns%d}]`, i, i*namespaces/10)
	}
	for i := range 100 {
		doc(`apiVersion: v1
kind: Node
metadata: {name: node%d}`, i)
	}
	for n := range namespaces {
		label := ""
		if n%5 == 0 {
			label = "\n  labels: {pod-security.kubernetes.io/enforce: restricted}"
		}
		doc(`apiVersion: v1
kind: Namespace
metadata:
  name: ns%d%s`, n, label)
		doc(`apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata:
  name: sa1-token
  namespace: ns%d
  annotations: {kubernetes.io/service-account.name: sa1}`, n)
		for i := range 10 {
			doc(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r%d, namespace: ns%d}
rules:
- {apiGroups: [""], resources: %s, verbs: %s}`, i, n, resources[(n+i)%len(resources)], verbs[(n+i)%len(verbs)])
			doc(`apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb%d, namespace: ns%d}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r%d}
subjects: [{kind: ServiceAccount, name: sa%d, namespace: ns%d}]`, i, n, i, i, n)
			doc(`apiVersion: v1
kind: ServiceAccount
metadata: {name: sa%d, namespace: ns%d}`, i, n)
			doc(`apiVersion: v1
kind: Pod
metadata: {name: pod%d, namespace: ns%d}
spec:
  nodeName: node%d
  serviceAccountName: sa%d
  containers: [{name: c, image: "example/app:1", securityContext: {privileged: %t}}]
  volumes: [{name: token, projected: {sources: [{serviceAccountToken: {path: token}}]}}]`, i, n, (n*10+i)%100, i, (n+i)%10 == 0)
		}
	}
}
