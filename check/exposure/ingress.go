package exposure

import (
	"sort"
	"strings"

	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// ingress is what the checks need of an Ingress in any API version.
type ingress struct {
	hosts []string // of spec.rules, in order
	tls   [][]string
	// defaultBackend is the path of the default backend, or "".
	defaultBackend k8s.Path
}

func ingressOf(obj *k8s.Object) *ingress {
	var in ingress
	switch o := obj.Typed.(type) {
	case *networkingv1.Ingress:
		for _, r := range o.Spec.Rules {
			in.hosts = append(in.hosts, r.Host)
		}
		for _, t := range o.Spec.TLS {
			in.tls = append(in.tls, t.Hosts)
		}
		if o.Spec.DefaultBackend != nil {
			in.defaultBackend = "spec.defaultBackend"
		}
	case *networkingv1beta1.Ingress:
		for _, r := range o.Spec.Rules {
			in.hosts = append(in.hosts, r.Host)
		}
		for _, t := range o.Spec.TLS {
			in.tls = append(in.tls, t.Hosts)
		}
		if o.Spec.Backend != nil {
			in.defaultBackend = "spec.backend"
		}
	case *extensionsv1beta1.Ingress:
		for _, r := range o.Spec.Rules {
			in.hosts = append(in.hosts, r.Host)
		}
		for _, t := range o.Spec.TLS {
			in.tls = append(in.tls, t.Hosts)
		}
		if o.Spec.Backend != nil {
			in.defaultBackend = "spec.backend"
		}
	default:
		return nil
	}
	return &in
}

// tlsAnnotations configure TLS on the controller or cloud load balancer
// instead of in spec.tls.
var tlsAnnotations = []string{
	"alb.ingress.kubernetes.io/certificate-arn",
	"ingress.gcp.kubernetes.io/pre-shared-cert",
	"networking.gke.io/managed-certificates",
	"appgw.ingress.kubernetes.io/appgw-ssl-certificate",
	"traefik.ingress.kubernetes.io/router.tls.certresolver",
}

func tlsByAnnotation(ann map[string]string) bool {
	for _, k := range tlsAnnotations {
		if ann[k] != "" {
			return true
		}
	}
	if strings.EqualFold(ann["traefik.ingress.kubernetes.io/router.tls"], "true") {
		return true
	}
	return strings.Contains(strings.ToUpper(ann["alb.ingress.kubernetes.io/listen-ports"]), "HTTPS")
}

// covered reports whether a TLS host list covers host: the same name, or a
// wildcard one label above it.
func covered(host string, tls [][]string) bool {
	host = strings.ToLower(host)
	for _, hosts := range tls {
		for _, h := range hosts {
			h = strings.ToLower(h)
			if h == host {
				return true
			}
			if rest, ok := strings.CutPrefix(h, "*."); ok {
				if _, parent, found := strings.Cut(host, "."); found && parent == rest {
					return true
				}
			}
		}
	}
	return false
}

func ingressWithoutTLS() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-EXP-004", Name: "ingress-without-tls",
			Title:    "Ingress host served without TLS",
			Severity: finding.Medium,
			Description: "A host of an Ingress that no spec.tls entry covers is served over plain HTTP: passwords, session " +
				"cookies and tokens cross the network in the clear, and anyone on the path can read or change the traffic. " +
				"Ingresses whose TLS is configured on the load balancer by annotation (AWS Load Balancer Controller, GKE, " +
				"Application Gateway, Traefik) are left out.",
			Remediation: "Add a spec.tls entry listing the host and the Secret that holds its certificate (cert-manager can " +
				"issue and renew it), and redirect HTTP to HTTPS.",
			References: []string{"https://kubernetes.io/docs/concepts/services-networking/ingress/#tls"},
			Tags:       []string{"network", "exposure", "tls"},
		},
		Kinds: []string{"Ingress"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			in := ingressOf(obj)
			if in == nil || tlsByAnnotation(obj.Meta.Annotations) || obj.Meta.Labels["acme.cert-manager.io/http01-solver"] != "" {
				return
			}
			for i, h := range in.hosts {
				at := k8s.Path("spec.rules").Index(i).Field("host")
				switch {
				case h == "" && len(in.tls) == 0:
					ctx.Report(obj, at, "Ingress %q serves every host over plain HTTP: it has no spec.tls", obj.Name())
				case h != "" && !covered(h, in.tls):
					ctx.Report(obj, at, "Ingress %q serves host %q over plain HTTP: no spec.tls entry covers it", obj.Name(), h)
				}
			}
			if len(in.hosts) == 0 && in.defaultBackend != "" && len(in.tls) == 0 {
				ctx.Report(obj, in.defaultBackend, "Ingress %q serves every host over plain HTTP: it has no spec.tls", obj.Name())
			}
		},
	}
}

// injectable are ingress-nginx annotations whose values were copied into the
// NGINX configuration unchecked (IngressNightmare): a value that carries
// NGINX syntax is an injection attempt.
var injectable = map[string]string{
	"auth-url":          "CVE-2025-24514",
	"auth-tls-match-cn": "CVE-2025-1097",
	"mirror-target":     "CVE-2025-1098",
	"mirror-host":       "CVE-2025-1098",
}

func nginxSnippet() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-EXP-005", Name: "ingress-nginx-snippet",
			Title:    "Ingress injects NGINX configuration",
			Severity: finding.High,
			Description: "Snippet annotations of ingress-nginx (configuration-snippet, server-snippet, stream-snippet, " +
				"auth-snippet, modsecurity-snippet) copy raw text into the configuration of the shared controller. Whoever may " +
				"create an Ingress in any namespace can so make NGINX serve files of the controller, such as its service account " +
				"token, which reads every Secret of the cluster (CVE-2021-25742). In 2025 the IngressNightmare vulnerabilities " +
				"showed the same injection through ordinary annotations (auth-url CVE-2025-24514, auth-tls-match-cn " +
				"CVE-2025-1097, mirror-target and mirror-host CVE-2025-1098), which anyone on the pod network could also trigger " +
				"through the controller's admission webhook, without creating an Ingress (CVE-2025-1974). The same holds for the snippet annotations of the F5 NGINX Ingress Controller (nginx.org/).",
			Remediation: "Remove the snippet annotations and use the dedicated annotations or a ConfigMap owned by the " +
				"controller's administrators. Keep allow-snippet-annotations false (the default since ingress-nginx 1.9), set " +
				"annotations-risk-level below Critical, and upgrade ingress-nginx to 1.11.5, 1.12.1 or later.",
			References: []string{
				"https://github.com/kubernetes/ingress-nginx/issues/7837",
				"https://kubernetes.io/blog/2025/03/24/ingress-nginx-cve-2025-1974/",
				"https://nvd.nist.gov/vuln/detail/CVE-2021-25742",
				"https://nvd.nist.gov/vuln/detail/CVE-2025-24514",
			},
			Tags: []string{"network", "exposure", "cve"},
		},
		Kinds: []string{"Ingress"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			keys := make([]string, 0, len(obj.Meta.Annotations))
			for k := range obj.Meta.Annotations {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				at := k8s.Path("metadata.annotations").Key(k)
				prefix, name, ok := strings.Cut(k, "/")
				if !ok || prefix != "nginx.ingress.kubernetes.io" && prefix != "nginx.org" {
					continue
				}
				switch {
				case strings.HasSuffix(name, "-snippet") || strings.HasSuffix(name, "-snippets"):
					if strings.TrimSpace(obj.Meta.Annotations[k]) != "" {
						ctx.Report(obj, at, "Ingress %q injects raw NGINX configuration with annotation %q", obj.Name(), k)
					}
				case prefix == "nginx.ingress.kubernetes.io" && injectable[name] != "":
					if strings.ContainsAny(obj.Meta.Annotations[k], "\n\r;{}\"'`") {
						ctx.Report(obj, at, "Ingress %q: annotation %q carries NGINX syntax, an injection like %s", obj.Name(), k, injectable[name])
					}
				}
			}
		},
	}
}
