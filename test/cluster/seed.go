package cluster

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

// SeedNodes are the Node objects the seed creates, with the versions their
// status.nodeInfo reports (no kubelet runs: the seed writes the status).
var SeedNodes = []struct {
	Name, OSImage, Kernel, Runtime, Kubelet, Arch string
}{
	{"node-a", "Ubuntu 22.04.4 LTS", "5.15.0-105-generic", "containerd://1.7.13", "v1.37.2", "amd64"},
	{"node-b", "Amazon Linux 2023.4.20240416", "6.1.84-99.169.amzn2023.x86_64", "containerd://1.6.28", "v1.35.4", "amd64"},
	{"node-c", "Flatcar Container Linux by Kinvolk 3815.2.2 (Oklo)", "6.1.90-flatcar", "cri-o://1.29.1", "v1.34.3", "arm64"},
}

// SeedCRDGroup and SeedCRDKind name the custom resource the seed defines.
const (
	SeedCRDGroup = "backup.dozor.dev"
	SeedCRDKind  = "BackupPolicy"
)

// Seed creates realistic objects through the API as admin: namespaces whose
// Pod Security labels are enforced, workloads of every kind (some of them
// insecure, as real clusters are), services, ingresses, network policies,
// RBAC, a CRD with custom resources, and Nodes with realistic nodeInfo.
func Seed(ctx context.Context, kubeconfig string) error {
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: "admin"}).ClientConfig()
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 200, 400
	cfg.WarningHandler = rest.NoWarnings{} // Pod Security warnings for what the seed means to create
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	s := &seeder{ctx: ctx, cs: cs}
	s.nodes()
	s.namespaces()
	s.waitServiceAccounts()
	s.workloads()
	s.network()
	s.rbac()
	s.config()
	if s.err != nil {
		return s.err
	}
	ext, err := apiextensions.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	return seedCRD(ctx, ext, dyn)
}

type seeder struct {
	ctx context.Context
	cs  kubernetes.Interface
	err error
}

// do runs one create, remembering the first error (other than "exists").
func (s *seeder) do(what string, err error) {
	if err != nil && !apierrors.IsAlreadyExists(err) && s.err == nil {
		s.err = fmt.Errorf("seeding %s: %w", what, err)
	}
}

var create = metav1.CreateOptions{}

func labels(app string) map[string]string { return map[string]string{"app": app} }

func (s *seeder) nodes() {
	for _, n := range SeedNodes {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: map[string]string{
			"kubernetes.io/hostname": n.Name, "kubernetes.io/os": "linux", "kubernetes.io/arch": n.Arch,
			"node.kubernetes.io/instance-type": "m6i.large", "topology.kubernetes.io/zone": "zone-" + n.Name[len(n.Name)-1:],
		}}}
		created, err := s.cs.CoreV1().Nodes().Create(s.ctx, node, create)
		if apierrors.IsAlreadyExists(err) {
			created, err = s.cs.CoreV1().Nodes().Get(s.ctx, n.Name, metav1.GetOptions{})
		}
		if err != nil {
			s.do("node "+n.Name, err)
			return
		}
		created.Status = corev1.NodeStatus{
			Capacity:    corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("8Gi"), corev1.ResourcePods: resource.MustParse("110")},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1930m"), corev1.ResourceMemory: resource.MustParse("7Gi"), corev1.ResourcePods: resource.MustParse("110")},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
				LastHeartbeatTime: metav1.NewTime(time.Now()), LastTransitionTime: metav1.NewTime(time.Now())}},
			// Documentation addresses (RFC 5737): metadata only, never dialled.
			Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "192.0.2." + fmt.Sprint(10+int(n.Name[len(n.Name)-1]-'a'))},
				{Type: corev1.NodeHostName, Address: n.Name}},
			NodeInfo: corev1.NodeSystemInfo{MachineID: "machine-" + n.Name, SystemUUID: "uuid-" + n.Name, BootID: "boot-" + n.Name,
				KernelVersion: n.Kernel, OSImage: n.OSImage, ContainerRuntimeVersion: n.Runtime, KubeletVersion: n.Kubelet,
				OperatingSystem: "linux", Architecture: n.Arch},
		}
		_, err = s.cs.CoreV1().Nodes().UpdateStatus(s.ctx, created, metav1.UpdateOptions{})
		s.do("node status "+n.Name, err)
	}
}

func (s *seeder) namespaces() {
	for name, pss := range map[string]map[string]string{
		"shop":       {"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted"},
		"payments":   {"pod-security.kubernetes.io/enforce": "restricted"},
		"monitoring": {"pod-security.kubernetes.io/enforce": "privileged"},
		"legacy":     nil,
		"ci":         {"pod-security.kubernetes.io/enforce": "baseline"},
	} {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: pss}}
		_, err := s.cs.CoreV1().Namespaces().Create(s.ctx, ns, create)
		if apierrors.IsAlreadyExists(err) {
			_, err = s.cs.CoreV1().Namespaces().Update(s.ctx, ns, metav1.UpdateOptions{})
		}
		s.do("namespace "+name, err)
	}
}

// waitServiceAccounts waits until the controller has made the default
// service account of every seeded namespace: pods cannot be created before.
func (s *seeder) waitServiceAccounts() {
	s.waitServiceAccountsIn([]string{"shop", "payments", "monitoring", "legacy", "ci"})
}

func (s *seeder) waitServiceAccountsIn(namespaces []string) {
	if s.err != nil {
		return
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, ns := range namespaces {
		for {
			_, err := s.cs.CoreV1().ServiceAccounts(ns).Get(s.ctx, "default", metav1.GetOptions{})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				s.do("the default service account of "+ns, err)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func container(name, image string) corev1.Container {
	return corev1.Container{Name: name, Image: image, Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}
}

// hardened returns a pod spec that passes the restricted Pod Security
// Standard.
func hardened(c corev1.Container) corev1.PodSpec {
	c.SecurityContext = &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
		Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
	c.Resources = corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")}}
	return corev1.PodSpec{
		AutomountServiceAccountToken: ptr.To(false),
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](10001),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1.Container{c},
	}
}

func template(app string, spec corev1.PodSpec) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels(app)}, Spec: spec}
}

func (s *seeder) workloads() {
	apps, batch, core := s.cs.AppsV1(), s.cs.BatchV1(), s.cs.CoreV1()
	sel := func(app string) *metav1.LabelSelector { return &metav1.LabelSelector{MatchLabels: labels(app)} }

	// shop: baseline enforced; typical workloads, not hardened.
	_, err := apps.Deployments("shop").Create(s.ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "storefront"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2), Selector: sel("storefront"),
			Template: template("storefront", corev1.PodSpec{Containers: []corev1.Container{container("web", "nginx:1.27")}})}}, create)
	s.do("deployment storefront", err)
	_, err = apps.StatefulSets("shop").Create(s.ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "cart-db"},
		Spec: appsv1.StatefulSetSpec{ServiceName: "cart-db", Replicas: ptr.To[int32](1), Selector: sel("cart-db"),
			Template: template("cart-db", corev1.PodSpec{Containers: []corev1.Container{{Name: "redis", Image: "redis:7.2",
				Env: []corev1.EnvVar{{Name: "REDIS_PASSWORD", Value: "hunter2-not-a-real-secret"}}}}})}}, create)
	s.do("statefulset cart-db", err)
	_, err = batch.CronJobs("shop").Create(s.ctx, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "nightly-report"},
		Spec: batchv1.CronJobSpec{Schedule: "0 2 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
			Template: template("report", corev1.PodSpec{RestartPolicy: corev1.RestartPolicyOnFailure,
				Containers: []corev1.Container{{Name: "report", Image: "registry.example.com/shop/report:1.0.4"}}})}}}}, create)
	s.do("cronjob nightly-report", err)
	_, err = batch.Jobs("shop").Create(s.ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "migrate-2026-11"},
		Spec: batchv1.JobSpec{Template: template("migrate", corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: "migrate", Image: "registry.example.com/shop/migrate:4.2.0"}}})}}, create)
	s.do("job migrate", err)
	// A bare pod, without controller, on a node, with the status a kubelet
	// would report (the image digest it really runs).
	pod, err := core.Pods("shop").Create(s.ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "debug-shell", Labels: labels("debug")},
		Spec: corev1.PodSpec{NodeName: "node-a", Containers: []corev1.Container{{Name: "shell", Image: "busybox:1.36", Command: []string{"sleep", "infinity"}}}}}, create)
	s.do("pod debug-shell", err)
	if err == nil {
		pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, StartTime: ptr.To(metav1.Now()), ContainerStatuses: []corev1.ContainerStatus{{
			Name: "shell", Image: "docker.io/library/busybox:1.36", Ready: true,
			ImageID: "docker.io/library/busybox@sha256:db142d433cdde11f10ae479dbf92f3b13d693fd1c91053da9979728cceb1dc68",
			State:   corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}}}}
		_, err = core.Pods("shop").UpdateStatus(s.ctx, pod, metav1.UpdateOptions{})
		s.do("pod status debug-shell", err)
	}

	// payments: restricted enforced, hardened workloads only.
	_, err = apps.Deployments("payments").Create(s.ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "payments"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](3), Selector: sel("payments"),
			Template: template("payments", hardened(container("payments", "registry.example.com/payments:2.3.1@sha256:4f3c9e7d1b0a2c5e8f6d9b7a3c1e5f8d2b4a6c8e0f1d3b5a7c9e2f4d6b8a0c1e")))}}, create)
	s.do("deployment payments", err)
	// What the restricted namespace refuses: the seed checks it does.
	_, err = core.Pods("payments").Create(s.ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "not-allowed"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36",
			SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}}}, create)
	if err == nil || !apierrors.IsForbidden(err) {
		s.do("a privileged pod in the restricted namespace payments", fmt.Errorf("Pod Security admission did not refuse it: %v", err))
	}

	// monitoring: privileged, as node agents are.
	_, err = apps.DaemonSets("monitoring").Create(s.ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "node-exporter"},
		Spec: appsv1.DaemonSetSpec{Selector: sel("node-exporter"), Template: template("node-exporter", corev1.PodSpec{
			HostNetwork: true, HostPID: true,
			Containers: []corev1.Container{{Name: "node-exporter", Image: "quay.io/prometheus/node-exporter:v1.8.2",
				VolumeMounts: []corev1.VolumeMount{{Name: "root", MountPath: "/host", ReadOnly: true}}}},
			Volumes: []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}})}}, create)
	s.do("daemonset node-exporter", err)
	_, err = apps.ReplicaSets("monitoring").Create(s.ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "log-shipper"},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](1), Selector: sel("log-shipper"), Template: template("log-shipper", corev1.PodSpec{
			Containers: []corev1.Container{{Name: "fluent-bit", Image: "fluent/fluent-bit", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
				VolumeMounts: []corev1.VolumeMount{{Name: "sock", MountPath: "/var/run/docker.sock"}}}},
			Volumes: []corev1.Volume{{Name: "sock", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run/docker.sock"}}}}})}}, create)
	s.do("replicaset log-shipper", err)

	// legacy: a ReplicationController from long ago.
	_, err = core.ReplicationControllers("legacy").Create(s.ctx, &corev1.ReplicationController{ObjectMeta: metav1.ObjectMeta{Name: "guestbook"},
		Spec: corev1.ReplicationControllerSpec{Replicas: ptr.To[int32](1), Selector: labels("guestbook"),
			Template: ptr.To(template("guestbook", corev1.PodSpec{Containers: []corev1.Container{container("php", "gcr.io/google-samples/gb-frontend:v4")}}))}}, create)
	s.do("replicationcontroller guestbook", err)
	_, err = core.PodTemplates("legacy").Create(s.ctx, &corev1.PodTemplate{ObjectMeta: metav1.ObjectMeta{Name: "batch-template"},
		Template: template("batch", corev1.PodSpec{Containers: []corev1.Container{{Name: "batch", Image: "python:3.12"}}})}, create)
	s.do("podtemplate batch-template", err)

	// ci: a runner with a service account that is bound to cluster-admin.
	_, err = core.ServiceAccounts("ci").Create(s.ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}}, create)
	s.do("serviceaccount deployer", err)
	_, err = apps.Deployments("ci").Create(s.ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "runner"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1), Selector: sel("runner"), Template: template("runner", corev1.PodSpec{
			ServiceAccountName: "deployer", Containers: []corev1.Container{{Name: "runner", Image: "ghcr.io/example/ci-runner:latest"}}})}}, create)
	s.do("deployment runner", err)
}

func (s *seeder) network() {
	core, net := s.cs.CoreV1(), s.cs.NetworkingV1()
	svc := func(ns, name string, typ corev1.ServiceType, sel string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: corev1.ServiceSpec{
			Type: typ, Selector: labels(sel), Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}}}
	}
	for _, sv := range []*corev1.Service{
		svc("shop", "storefront", corev1.ServiceTypeLoadBalancer, "storefront"),
		svc("shop", "cart-db", corev1.ServiceTypeClusterIP, "cart-db"),
		svc("payments", "payments", corev1.ServiceTypeClusterIP, "payments"),
		svc("legacy", "guestbook", corev1.ServiceTypeNodePort, "guestbook"),
	} {
		_, err := core.Services(sv.Namespace).Create(s.ctx, sv, create)
		s.do("service "+sv.Name, err)
	}
	prefix := networkingv1.PathTypePrefix
	backend := func(name string) networkingv1.IngressBackend {
		return networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: name, Port: networkingv1.ServiceBackendPort{Number: 80}}}
	}
	rule := func(host, svcName string) networkingv1.IngressRule {
		return networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
			Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: backend(svcName)}}}}}
	}
	_, err := net.Ingresses("shop").Create(s.ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "storefront"},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{rule("shop.example.com", "storefront")}}}, create)
	s.do("ingress storefront", err)
	_, err = net.Ingresses("payments").Create(s.ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "payments"},
		Spec: networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{{Hosts: []string{"pay.example.com"}, SecretName: "pay-tls"}},
			Rules: []networkingv1.IngressRule{rule("pay.example.com", "payments")}}}, create)
	s.do("ingress payments", err)
	_, err = net.NetworkPolicies("payments").Create(s.ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "default-deny"},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}}, create)
	s.do("networkpolicy default-deny", err)
	_, err = net.NetworkPolicies("payments").Create(s.ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "allow-shop"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: labels("payments")},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": "shop"}}}}}}}}, create)
	s.do("networkpolicy allow-shop", err)
}

func (s *seeder) rbac() {
	r := s.cs.RbacV1()
	_, err := r.ClusterRoleBindings().Create(s.ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "ci-deployer-admin"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "deployer", Namespace: "ci"}}}, create)
	s.do("clusterrolebinding ci-deployer-admin", err)
	_, err = r.ClusterRoles().Create(s.ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "ops-everything"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}, create)
	s.do("clusterrole ops-everything", err)
	_, err = r.Roles("shop").Create(s.ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "secret-reader", Namespace: "shop"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}}}}, create)
	s.do("role secret-reader", err)
	_, err = r.RoleBindings("shop").Create(s.ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "everyone-reads-secrets", Namespace: "shop"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "secret-reader"},
		Subjects: []rbacv1.Subject{{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "system:authenticated"}}}, create)
	s.do("rolebinding everyone-reads-secrets", err)
}

func (s *seeder) config() {
	core := s.cs.CoreV1()
	_, err := core.ConfigMaps("shop").Create(s.ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "storefront-config"},
		Data: map[string]string{"LOG_LEVEL": "info", "FEATURES": "search,cart"}}, create)
	s.do("configmap storefront-config", err)
	_, err = core.Secrets("shop").Create(s.ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "storefront-db"},
		Type: corev1.SecretTypeOpaque, StringData: map[string]string{"password": "seeded-test-value-do-not-print"}}, create)
	s.do("secret storefront-db", err)
}

// seedCRD defines the BackupPolicy custom resource and creates a few.
func seedCRD(ctx context.Context, ext apiextensions.Interface, dyn dynamic.Interface) error {
	plural := "backuppolicies"
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + "." + SeedCRDGroup},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: SeedCRDGroup, Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: plural, Singular: "backuppolicy", Kind: SeedCRDKind, ListKind: SeedCRDKind + "List"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: ptr.To(true)}}}},
		},
	}
	if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, create); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("seeding CRD: %w", err)
	}
	// Wait until the new resource is served.
	gvr := schema.GroupVersionResource{Group: SeedCRDGroup, Version: "v1", Resource: plural}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := dyn.Resource(gvr).Namespace("shop").List(ctx, metav1.ListOptions{Limit: 1})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("CRD %s not served: %w", crd.Name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, ns := range []string{"shop", "payments"} {
		for _, name := range []string{"daily", "hourly"} {
			cr := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": SeedCRDGroup + "/v1", "kind": SeedCRDKind,
				"metadata": map[string]any{"name": name, "namespace": ns},
				"spec":     map[string]any{"schedule": map[string]any{"daily": "0 3 * * *", "hourly": "0 * * * *"}[name], "retention": "30d"},
			}}
			if _, err := dyn.Resource(gvr).Namespace(ns).Create(ctx, cr, create); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("seeding %s %s/%s: %w", SeedCRDKind, ns, name, err)
			}
		}
	}
	return nil
}
