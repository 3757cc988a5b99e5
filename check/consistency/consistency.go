// Package consistency checks references between objects deployed together:
// selectors that select no pods, references to ConfigMaps, Secrets, service
// accounts, Services and roles that are not defined, objects defined twice,
// and workloads whose selector misses their own pods.
//
// Apart from DZ-REF-011, the checks look at the objects scanned together (a
// Helm release, a kustomization, or the files of one scan) and so flag what
// lives outside that set: scan the whole application, or skip the checks for
// partial scans.
package consistency

import (
	"strings"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/k8s"
)

// Checks returns the consistency checks.
func Checks() []*check.Check {
	return []*check.Check{
		serviceSelectsNothing(), pdbSelectsNothing(), hpaTargetMissing(), policySelectsNothing(),
		configMapMissing(), secretMissing(), serviceAccountMissing(), ingressBackendMissing(),
		targetPortMissing(), roleMissing(), selectorTemplateMismatch(), duplicateObject(),
	}
}

// partial is the sentence every cross-object check's description ends with.
const partial = " The check compares the objects scanned together (a Helm release, a kustomization, or the files of one " +
	"scan): scan the whole application to avoid noise, and skip the check (--skip-checks) when scanning part of it."

// builtinGroup reports whether an API group is one of Kubernetes' own:
// the core group, the groups without a dot (apps, batch, ...) and *.k8s.io.
func builtinGroup(g string) bool {
	return g == "" || !strings.Contains(g, ".") || strings.HasSuffix(g, ".k8s.io")
}

// passiveKinds are custom resources known not to make pods.
var passiveKinds = map[string]bool{
	"ServiceMonitor": true, "PodMonitor": true, "PrometheusRule": true, "Probe": true, "ScrapeConfig": true,
	"AlertmanagerConfig": true, "Certificate": true, "Issuer": true, "CertificateRequest": true,
	"SealedSecret": true, "ExternalSecret": true, "SecretStore": true, "SecretProviderClass": true,
	"VirtualService": true, "DestinationRule": true, "ServiceEntry": true, "PeerAuthentication": true,
	"AuthorizationPolicy": true, "RequestAuthentication": true, "Sidecar": true, "EnvoyFilter": true,
	"IngressRoute": true, "IngressRouteTCP": true, "Middleware": true, "TLSOption": true, "HTTPProxy": true,
	"CiliumNetworkPolicy": true, "NetworkPolicy": true, "VerticalPodAutoscaler": true, "ScaledObject": true,
	"GrafanaDashboard": true, "GrafanaDatasource": true, "BackendConfig": true, "FrontendConfig": true,
	"ManagedCertificate": true, "TargetGroupBinding": true,
}

// operatorNamespaces returns the namespaces that hold custom resources
// that may make pods through an operator (a Prometheus, a Kafka cluster, a
// Postgres cluster): pods Dozor does not see, which Services, disruption
// budgets and policies may select.
func operatorNamespaces(ix *k8s.Index) map[string]bool {
	out := map[string]bool{}
	for _, o := range ix.Objects() {
		if o.Typed == nil && !builtinGroup(o.Group()) && !passiveKinds[o.Kind] && o.Namespace() != "" {
			out[o.Namespace()] = true
		}
	}
	return out
}
