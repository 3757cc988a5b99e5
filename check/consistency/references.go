package consistency

import (
	"strings"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	rbacv1 "k8s.io/api/rbac/v1"
	rbacv1alpha1 "k8s.io/api/rbac/v1alpha1"
	rbacv1beta1 "k8s.io/api/rbac/v1beta1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

func hpaTargetMissing() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-REF-003", Name: "hpa-target-missing",
			Title:    "HorizontalPodAutoscaler targets a missing workload",
			Severity: finding.Medium,
			Description: "A HorizontalPodAutoscaler scales the object its scaleTargetRef names. When no object of that kind " +
				"and name exists in the namespace, the autoscaler does nothing and the workload it was meant for does not " +
				"scale under load: usually a renamed Deployment or a wrong kind." + partial,
			Remediation: "Make spec.scaleTargetRef name the kind and name of the workload to scale.",
			References:  []string{"https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/"},
			Tags:        []string{"consistency", "availability"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			for _, o := range ix.Kind("HorizontalPodAutoscaler") {
				var kind, name string
				switch h := o.Typed.(type) {
				case *autoscalingv1.HorizontalPodAutoscaler:
					kind, name = h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name
				case *autoscalingv2.HorizontalPodAutoscaler:
					kind, name = h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name
				default:
					continue
				}
				if kind == "" || name == "" || ix.Has(kind, o.Namespace(), name) {
					continue
				}
				ctx.Report(o, "spec.scaleTargetRef.name", "HorizontalPodAutoscaler %q scales %s %q, which is not defined in namespace %q",
					o.Name(), kind, name, o.Namespace())
			}
		},
	}
}

// autoCreatedConfigMaps are ConfigMaps the control plane creates in every
// namespace.
var autoCreatedConfigMaps = map[string]bool{
	"kube-root-ca.crt":         true, // the root CA publisher of kube-controller-manager
	"openshift-service-ca.crt": true, // OpenShift's service CA operator
}

func configMapMissing() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-REF-005", Name: "configmap-missing",
			Title:    "Pod refers to a ConfigMap that is not defined",
			Severity: finding.Medium,
			Description: "A pod that mounts a ConfigMap, or reads one into environment variables, does not start until the " +
				"ConfigMap exists, unless the reference is marked optional: its containers stay in ContainerCreating or " +
				"CreateContainerConfigError. References to kube-root-ca.crt, which Kubernetes creates in every namespace, are " +
				"left out." + partial,
			Remediation: "Add the ConfigMap to the manifests, fix the name, or mark the reference optional: true if the pod " +
				"can run without it.",
			References: []string{"https://kubernetes.io/docs/concepts/configuration/configmap/#configmaps-and-pods"},
			Tags:       []string{"consistency", "workload"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			missingRefs(ctx, ix, "ConfigMap", func(ns, name string) bool {
				return autoCreatedConfigMaps[name] || ix.Has("ConfigMap", ns, name)
			})
		},
	}
}

func secretMissing() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-REF-006", Name: "secret-missing",
			Title:    "Pod refers to a Secret that is not defined",
			Severity: finding.Medium,
			Description: "A pod that mounts a Secret, or reads one into environment variables, does not start until the " +
				"Secret exists, unless the reference is marked optional; a missing imagePullSecret makes private images fail " +
				"to pull. Secrets that custom resources in the scan produce (cert-manager Certificates, Sealed Secrets, " +
				"External Secrets, Vault Secrets Operator, the Secrets Store CSI driver) count as defined." + partial,
			Remediation: "Add the Secret, or the object that produces it, to the manifests, fix the name, or mark the " +
				"reference optional: true if the pod can run without it.",
			References: []string{
				"https://kubernetes.io/docs/concepts/configuration/secret/#using-a-secret",
				"https://kubernetes.io/docs/concepts/containers/images/#referring-to-an-imagepullsecrets-on-a-pod",
			},
			Tags: []string{"consistency", "workload", "secrets"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			produced := producedSecrets(ix)
			missingRefs(ctx, ix, "Secret", func(ns, name string) bool {
				return ix.Has("Secret", ns, name) || produced[k8s.Key{Kind: "Secret", Namespace: ns, Name: name}]
			})
		},
	}
}

// missingRefs reports, once per pod-making object and name, the references
// of a kind that are not optional and not defined.
func missingRefs(ctx *check.Context, ix *k8s.Index, kind string, defined func(ns, name string) bool) {
	for _, ns := range ix.Namespaces() {
		for _, o := range ix.PodMakers(ns) {
			seen := map[string]bool{}
			for _, r := range o.Pod.References() {
				if r.Kind != kind || r.Optional || seen[r.Name] || defined(ns, r.Name) {
					continue
				}
				seen[r.Name] = true
				ctx.Report(o, r.Path, "%s %q, used by %s, is not defined in namespace %q", kind, r.Name, r.Via, ns)
			}
		}
	}
}

// producedSecrets returns the Secrets that custom resources of the index
// make: the secretName of cert-manager Certificates (and of Ingresses it
// issues certificates for), SealedSecrets, ExternalSecrets, the Vault
// Secrets Operator's secrets, the secretObjects of SecretProviderClasses, and
// 1Password items; and the Secrets that certificate generators such as
// kube-webhook-certgen, run as a Job of the release, are told to create with
// --secret-name.
func producedSecrets(ix *k8s.Index) map[k8s.Key]bool {
	out := map[k8s.Key]bool{}
	add := func(o *k8s.Object, name string) {
		if name != "" {
			out[k8s.Key{Kind: "Secret", Namespace: o.Namespace(), Name: name}] = true
		}
	}
	for _, o := range ix.Objects() {
		u := o.Unstructured
		switch {
		case o.Pod != nil:
			for _, name := range generatedSecrets(o.Pod) {
				add(o, name)
			}
		case o.Kind == "Ingress":
			if o.Meta.Annotations["cert-manager.io/issuer"] != "" || o.Meta.Annotations["cert-manager.io/cluster-issuer"] != "" {
				for _, name := range ingressTLSSecrets(o) {
					add(o, name)
				}
			}
		case u == nil:
		case o.Kind == "Certificate" && strings.HasPrefix(o.APIVersion, "cert-manager.io/"):
			add(o, str(u, "spec", "secretName"))
		case o.Kind == "SealedSecret":
			add(o, o.Name())
			add(o, str(u, "spec", "template", "metadata", "name"))
		case o.Kind == "ExternalSecret":
			if n := str(u, "spec", "target", "name"); n != "" {
				add(o, n)
			} else {
				add(o, o.Name())
			}
		case o.Kind == "VaultStaticSecret" || o.Kind == "VaultDynamicSecret" || o.Kind == "VaultPKISecret" || o.Kind == "HCPVaultSecretsApp":
			add(o, str(u, "spec", "destination", "name"))
		case o.Kind == "SecretProviderClass":
			objs, _ := dig(u, "spec", "secretObjects").([]any)
			for _, so := range objs {
				if m, ok := so.(map[string]any); ok {
					add(o, str(m, "secretName"))
				}
			}
		case o.Kind == "OnePasswordItem":
			add(o, o.Name())
		}
	}
	return out
}

func generatedSecrets(pt *k8s.PodTemplate) []string {
	var out []string
	for _, c := range pt.Containers() {
		args := append(append([]string{}, c.Command...), c.Args...)
		for i, a := range args {
			if v, ok := strings.CutPrefix(a, "--secret-name="); ok {
				out = append(out, v)
			} else if a == "--secret-name" && i+1 < len(args) {
				out = append(out, args[i+1])
			}
		}
	}
	return out
}

func ingressTLSSecrets(o *k8s.Object) []string {
	var out []string
	switch in := o.Typed.(type) {
	case *networkingv1.Ingress:
		for _, t := range in.Spec.TLS {
			out = append(out, t.SecretName)
		}
	case *networkingv1beta1.Ingress:
		for _, t := range in.Spec.TLS {
			out = append(out, t.SecretName)
		}
	case *extensionsv1beta1.Ingress:
		for _, t := range in.Spec.TLS {
			out = append(out, t.SecretName)
		}
	}
	return out
}

func dig(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func str(m map[string]any, path ...string) string {
	s, _ := dig(m, path...).(string)
	return s
}

func serviceAccountMissing() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-REF-007", Name: "service-account-missing",
			Title:    "Pod runs as a service account that is not defined",
			Severity: finding.Medium,
			Description: "The API server refuses to create a pod whose serviceAccountName names a ServiceAccount that does " +
				"not exist: the workload's controller retries without end and no pod starts. The default service account, " +
				"which Kubernetes creates in every namespace, is left out." + partial,
			Remediation: "Add the ServiceAccount to the manifests, or fix spec.serviceAccountName.",
			References:  []string{"https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"},
			Tags:        []string{"consistency", "workload", "service-account"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			for _, ns := range ix.Namespaces() {
				for _, o := range ix.PodMakers(ns) {
					name, at := o.Pod.Spec.ServiceAccountName, o.Pod.SpecPath.Field("serviceAccountName")
					if name == "" {
						name, at = o.Pod.Spec.DeprecatedServiceAccount, o.Pod.SpecPath.Field("serviceAccount")
					}
					if name == "" || name == "default" || ix.Has("ServiceAccount", ns, name) {
						continue
					}
					ctx.Report(o, at, "ServiceAccount %q is not defined in namespace %q", name, ns)
				}
			}
		},
	}
}

// backend is a Service an Ingress sends traffic to.
type backend struct {
	service string
	at      k8s.Path
}

func ingressBackends(o *k8s.Object) []backend {
	var out []backend
	switch in := o.Typed.(type) {
	case *networkingv1.Ingress:
		if b := in.Spec.DefaultBackend; b != nil && b.Service != nil {
			out = append(out, backend{b.Service.Name, "spec.defaultBackend.service.name"})
		}
		for i, r := range in.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for j, p := range r.HTTP.Paths {
				if p.Backend.Service != nil {
					out = append(out, backend{p.Backend.Service.Name, rulePath(i, j).Field("service").Field("name")})
				}
			}
		}
	case *networkingv1beta1.Ingress:
		if b := in.Spec.Backend; b != nil {
			out = append(out, backend{b.ServiceName, "spec.backend.serviceName"})
		}
		for i, r := range in.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for j, p := range r.HTTP.Paths {
				out = append(out, backend{p.Backend.ServiceName, rulePath(i, j).Field("serviceName")})
			}
		}
	case *extensionsv1beta1.Ingress:
		if b := in.Spec.Backend; b != nil {
			out = append(out, backend{b.ServiceName, "spec.backend.serviceName"})
		}
		for i, r := range in.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for j, p := range r.HTTP.Paths {
				out = append(out, backend{p.Backend.ServiceName, rulePath(i, j).Field("serviceName")})
			}
		}
	}
	return out
}

func rulePath(i, j int) k8s.Path {
	return k8s.Path("spec.rules").Index(i).Field("http").Field("paths").Index(j).Field("backend")
}

func ingressBackendMissing() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-REF-008", Name: "ingress-backend-missing",
			Title:    "Ingress routes to a Service that is not defined",
			Severity: finding.Medium,
			Description: "An Ingress path whose backend Service does not exist in the Ingress's namespace answers with errors " +
				"(503 or 404, depending on the controller): usually a renamed Service, or one in another namespace, which an " +
				"Ingress cannot reach." + partial,
			Remediation: "Make the backend name a Service in the Ingress's namespace, or add the Service to the manifests.",
			References:  []string{"https://kubernetes.io/docs/concepts/services-networking/ingress/#the-ingress-resource"},
			Tags:        []string{"consistency", "network"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			for _, o := range ix.Kind("Ingress") {
				seen := map[string]bool{}
				for _, b := range ingressBackends(o) {
					if b.service == "" || seen[b.service] || ix.Has("Service", o.Namespace(), b.service) {
						continue
					}
					seen[b.service] = true
					ctx.Report(o, b.at, "Ingress %q routes to Service %q, which is not defined in namespace %q", o.Name(), b.service, o.Namespace())
				}
			}
		},
	}
}

// roleRef is the role a binding grants, in any RBAC API version.
func roleRef(o *k8s.Object) (kind, name string, ok bool) {
	switch b := o.Typed.(type) {
	case *rbacv1.RoleBinding:
		return b.RoleRef.Kind, b.RoleRef.Name, true
	case *rbacv1.ClusterRoleBinding:
		return b.RoleRef.Kind, b.RoleRef.Name, true
	case *rbacv1beta1.RoleBinding:
		return b.RoleRef.Kind, b.RoleRef.Name, true
	case *rbacv1beta1.ClusterRoleBinding:
		return b.RoleRef.Kind, b.RoleRef.Name, true
	case *rbacv1alpha1.RoleBinding:
		return b.RoleRef.Kind, b.RoleRef.Name, true
	case *rbacv1alpha1.ClusterRoleBinding:
		return b.RoleRef.Kind, b.RoleRef.Name, true
	}
	return "", "", false
}

// builtinRole reports whether Kubernetes creates a Role of this name in
// the namespace: the system: roles and the authentication configuration
// reader of kube-system, and the bootstrap signer's role in kube-public.
func builtinRole(namespace, name string) bool {
	switch namespace {
	case "kube-system":
		return strings.HasPrefix(name, "system:") || name == "extension-apiserver-authentication-reader"
	case "kube-public":
		return strings.HasPrefix(name, "system:")
	}
	return false
}

// builtinClusterRole reports whether Kubernetes creates a ClusterRole of
// this name: the user-facing roles and the system: ones.
func builtinClusterRole(name string) bool {
	switch name {
	case "cluster-admin", "admin", "edit", "view":
		return true
	}
	return strings.HasPrefix(name, "system:")
}

func roleMissing() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-REF-010", Name: "role-missing",
			Title:    "Binding refers to a role that is not defined",
			Severity: finding.Low,
			Description: "A RoleBinding or ClusterRoleBinding to a Role or ClusterRole that does not exist grants nothing, " +
				"so the subjects lack the permissions they were meant to have; and whoever later creates a role of that name " +
				"grants it to them. The built-in roles (the ClusterRoles cluster-admin, admin, edit, view and system:*, and the " +
				"Roles Kubernetes creates in kube-system and kube-public) are left out." + partial,
			Remediation: "Add the Role or ClusterRole to the manifests, or fix roleRef.",
			References:  []string{"https://kubernetes.io/docs/reference/access-authn-authz/rbac/#rolebinding-and-clusterrolebinding"},
			Tags:        []string{"consistency", "rbac"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			for _, kind := range []string{"RoleBinding", "ClusterRoleBinding"} {
				for _, o := range ix.Kind(kind) {
					rk, name, ok := roleRef(o)
					if !ok || name == "" {
						continue
					}
					switch rk {
					case "Role":
						if kind == "RoleBinding" && !builtinRole(o.Namespace(), name) && !ix.Has("Role", o.Namespace(), name) {
							ctx.Report(o, "roleRef.name", "%s %q grants Role %q, which is not defined in namespace %q", kind, o.Name(), name, o.Namespace())
						}
					case "ClusterRole":
						if !builtinClusterRole(name) && !ix.Has("ClusterRole", "", name) {
							ctx.Report(o, "roleRef.name", "%s %q grants ClusterRole %q, which is not defined", kind, o.Name(), name)
						}
					}
				}
			}
		},
	}
}
