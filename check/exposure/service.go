// Package exposure checks how workloads are reached from outside the
// cluster: NodePort and LoadBalancer Services, external IPs, and Ingresses
// without TLS or with ingress-nginx configuration snippets.
package exposure

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Checks returns the exposure checks.
func Checks() []*check.Check {
	return []*check.Check{nodePort(), loadBalancerUnrestricted(), externalIPs(), ingressWithoutTLS(), nginxSnippet(), sensitivePort()}
}

const serviceTypesDoc = "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"

func service(obj *k8s.Object) *corev1.Service {
	s, _ := obj.Typed.(*corev1.Service)
	return s
}

func nodePort() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-EXP-001", Name: "service-node-port",
			Title:    "Service of type NodePort",
			Severity: finding.Low,
			Description: "A NodePort Service opens its ports on every node of the cluster, on all of the node's addresses. Where " +
				"nodes have public addresses, or firewalls allow the node port range, the service is reachable from outside, " +
				"bypassing the ingress controller and its TLS, authentication and logging.",
			Remediation: "Use a ClusterIP Service behind an Ingress or Gateway, or a LoadBalancer restricted with " +
				"loadBalancerSourceRanges. If a NodePort is needed, firewall the node port range (30000-32767) to known sources.",
			References: []string{serviceTypesDoc, "https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport"},
			Mappings:   finding.Mappings{ThreatMatrix: []string{check.MSExposedInterfaces}},
			Tags:       []string{"network", "exposure"},
		},
		Kinds: []string{"Service"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			s := service(obj)
			if s == nil || s.Spec.Type != corev1.ServiceTypeNodePort {
				return
			}
			ctx.Report(obj, "spec.type", "Service %q of type NodePort opens %s on every node", obj.Name(), portList(s.Spec.Ports))
		},
	}
}

// portList describes a Service's ports: "port 80/TCP", "ports 80/TCP, 443/TCP".
func portList(ports []corev1.ServicePort) string {
	var ps []string
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		ps = append(ps, fmt.Sprintf("%d/%s", p.Port, proto))
	}
	switch len(ps) {
	case 0:
		return "its ports"
	case 1:
		return "port " + ps[0]
	}
	return "ports " + strings.Join(ps, ", ")
}

// internalAnnotations mark a LoadBalancer as internal to the cloud network,
// by provider: the annotation and the values that mean internal ("" for
// any value but "false").
var internalAnnotations = []struct{ key, value string }{
	{"service.beta.kubernetes.io/aws-load-balancer-internal", ""},
	{"service.beta.kubernetes.io/aws-load-balancer-scheme", "internal"},
	{"networking.gke.io/load-balancer-type", "internal"},
	{"cloud.google.com/load-balancer-type", "internal"},
	{"service.beta.kubernetes.io/azure-load-balancer-internal", "true"},
	{"service.beta.kubernetes.io/oci-load-balancer-internal", "true"},
	{"service.beta.kubernetes.io/openstack-internal-load-balancer", "true"},
	{"service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type", "private"},
	{"service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type", "intranet"},
}

// sourceRangeAnnotations restrict a LoadBalancer's clients like
// spec.loadBalancerSourceRanges, as comma-separated CIDRs.
var sourceRangeAnnotations = []string{
	"service.beta.kubernetes.io/load-balancer-source-ranges",
	"service.beta.kubernetes.io/azure-allowed-ip-ranges",
}

// requestedIPAnnotations ask bare-metal load balancers for addresses.
var requestedIPAnnotations = []string{"metallb.universe.tf/loadBalancerIPs", "metallb.io/loadBalancerIPs"}

// lbReach says how far a LoadBalancer Service reaches.
type lbReach int

const (
	lbOpen       lbReach = iota // from any address
	lbInternal                  // an internal load balancer, or private addresses only
	lbRestricted                // source ranges that leave out most of the Internet
)

// reach classifies a LoadBalancer Service, and returns the index of a
// source range that opens it to every address (or -1).
func reach(s *corev1.Service) (lbReach, int) {
	ann := s.Annotations
	for _, a := range internalAnnotations {
		v, ok := ann[a.key]
		if ok && (a.value == "" && !strings.EqualFold(v, "false") || a.value != "" && strings.EqualFold(v, a.value)) {
			return lbInternal, -1
		}
	}
	var requested []string
	if s.Spec.LoadBalancerIP != "" {
		requested = append(requested, s.Spec.LoadBalancerIP)
	}
	for _, k := range requestedIPAnnotations {
		if v := ann[k]; v != "" {
			requested = append(requested, strings.Split(v, ",")...)
		}
	}
	if len(requested) > 0 && allPrivate(requested) {
		return lbInternal, -1
	}
	ranges := s.Spec.LoadBalancerSourceRanges
	fromSpec := len(ranges) > 0
	if !fromSpec {
		for _, k := range sourceRangeAnnotations {
			if v := ann[k]; v != "" {
				ranges = strings.Split(v, ",")
				break
			}
		}
	}
	if len(ranges) == 0 {
		return lbOpen, -1
	}
	for i, r := range ranges {
		if p, err := netip.ParsePrefix(strings.TrimSpace(r)); err == nil && p.Bits() == 0 {
			if !fromSpec {
				i = -1
			}
			return lbOpen, i
		}
	}
	return lbRestricted, -1
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func allPrivate(ips []string) bool {
	for _, s := range ips {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil || !(a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || cgnat.Contains(a)) {
			return false
		}
	}
	return true
}

func loadBalancerUnrestricted() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-EXP-002", Name: "load-balancer-unrestricted",
			Title:    "LoadBalancer Service open to every address",
			Severity: finding.Medium,
			Description: "A LoadBalancer Service gets an address from the cloud provider, usually a public one. Without " +
				"loadBalancerSourceRanges the load balancer accepts connections from the whole Internet, so the service must " +
				"withstand every scanner and attacker on it. Services the provider creates as internal load balancers are left out.",
			Remediation: "Set spec.loadBalancerSourceRanges to the networks that need access, make the load balancer internal " +
				"with the provider's annotation (for example service.beta.kubernetes.io/aws-load-balancer-internal, " +
				"networking.gke.io/load-balancer-type: Internal, service.beta.kubernetes.io/azure-load-balancer-internal), or " +
				"publish the service through an Ingress or Gateway.",
			References: []string{
				"https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer",
				"https://kubernetes.io/docs/tasks/access-application-cluster/configure-cloud-provider-firewall/",
			},
			Tags: []string{"network", "exposure"},
		},
		Kinds: []string{"Service"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			s := service(obj)
			if s == nil || s.Spec.Type != corev1.ServiceTypeLoadBalancer {
				return
			}
			r, i := reach(s)
			switch {
			case r != lbOpen:
			case i >= 0:
				ctx.Report(obj, k8s.Path("spec.loadBalancerSourceRanges").Index(i),
					"LoadBalancer Service %q allows %s, every address", obj.Name(), s.Spec.LoadBalancerSourceRanges[i])
			default:
				ctx.Report(obj, "spec.type", "LoadBalancer Service %q accepts %s from every address: it has no loadBalancerSourceRanges",
					obj.Name(), portList(s.Spec.Ports))
			}
		},
	}
}

func externalIPs() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-EXP-003", Name: "service-external-ips",
			Title:    "Service claims external IPs",
			Severity: finding.High,
			Description: "kube-proxy routes traffic for a Service's spec.externalIPs to the Service's pods, from every node and " +
				"every pod, whoever owns those addresses. Anyone who may create or edit a Service can so intercept the cluster's " +
				"traffic to any address, an external database or API included (CVE-2020-8554, which Kubernetes will not fix in " +
				"kube-proxy). Legitimate uses are rare.",
			Remediation: "Remove spec.externalIPs and use a LoadBalancer Service or an Ingress. Block the field cluster-wide with " +
				"the DenyServiceExternalIPs admission plugin or a policy, as the CVE advisory recommends.",
			References: []string{
				"https://github.com/kubernetes/kubernetes/issues/97076",
				"https://nvd.nist.gov/vuln/detail/CVE-2020-8554",
				"https://kubernetes.io/docs/concepts/services-networking/service/#external-ips",
			},
			Tags: []string{"network", "exposure", "cve"},
		},
		Kinds: []string{"Service"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			s := service(obj)
			if s == nil || len(s.Spec.ExternalIPs) == 0 {
				return
			}
			ctx.Report(obj, "spec.externalIPs", "Service %q claims external IPs %s: the cluster's traffic to them goes to its pods",
				obj.Name(), strings.Join(s.Spec.ExternalIPs, ", "))
		},
	}
}

// sensitivePorts are the well-known ports of remote administration
// interfaces, control-plane components and data stores.
var sensitivePorts = map[int32]string{
	22: "SSH", 23: "Telnet", 445: "SMB", 1433: "Microsoft SQL Server", 1521: "Oracle Database", 2049: "NFS",
	2181: "ZooKeeper", 2375: "Docker API", 2376: "Docker API", 2377: "Docker Swarm", 2379: "etcd", 2380: "etcd peer",
	3306: "MySQL", 3389: "RDP", 4194: "cAdvisor", 4243: "Docker API", 5432: "PostgreSQL", 5900: "VNC", 5984: "CouchDB",
	6379: "Redis", 6443: "Kubernetes API server", 8086: "InfluxDB", 8500: "Consul", 9042: "Cassandra",
	9200: "Elasticsearch", 9300: "Elasticsearch transport", 10250: "kubelet", 10255: "kubelet read-only",
	10257: "kube-controller-manager", 10259: "kube-scheduler", 11211: "memcached", 15672: "RabbitMQ management",
	26379: "Redis Sentinel", 27017: "MongoDB", 27018: "MongoDB", 27019: "MongoDB",
}

// sensitiveNames are the well-known port names of the same services.
var sensitiveNames = map[string]string{
	"ssh": "SSH", "telnet": "Telnet", "smb": "SMB", "mssql": "Microsoft SQL Server", "sqlserver": "Microsoft SQL Server",
	"oracle": "Oracle Database", "nfs": "NFS", "zookeeper": "ZooKeeper", "docker": "Docker API",
	"etcd": "etcd", "etcd-client": "etcd", "etcd-server": "etcd peer", "etcd-peer": "etcd peer",
	"mysql": "MySQL", "mariadb": "MySQL", "rdp": "RDP", "postgres": "PostgreSQL", "postgresql": "PostgreSQL",
	"pgsql": "PostgreSQL", "vnc": "VNC", "couchdb": "CouchDB", "redis": "Redis", "redis-sentinel": "Redis Sentinel",
	"influxdb": "InfluxDB", "cassandra": "Cassandra", "cql": "Cassandra", "elasticsearch": "Elasticsearch",
	"kubelet": "kubelet", "memcached": "memcached", "memcache": "memcached", "mongodb": "MongoDB", "mongo": "MongoDB",
}

// sensitiveName matches a port name exactly, or with the protocol prefix or
// suffix of service-mesh naming conventions (tcp-redis, redis-tcp).
func sensitiveName(name string) string {
	n := strings.ToLower(name)
	for _, c := range []string{n, strings.TrimPrefix(n, "tcp-"), strings.TrimSuffix(n, "-tcp")} {
		if s, ok := sensitiveNames[c]; ok {
			return s
		}
	}
	return ""
}

func sensitivePort() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-EXP-006", Name: "sensitive-port-exposed",
			Title:    "Administration or database port exposed outside the cluster",
			Severity: finding.High,
			Description: "A NodePort or LoadBalancer Service that publishes SSH, the Docker API, etcd, the API server, the " +
				"kubelet, or a database or cache (MySQL, PostgreSQL, Redis, MongoDB, Elasticsearch, memcached, ...) puts an " +
				"interface made for trusted networks within reach of the outside. Several of them have no authentication by " +
				"default, and all of them are scanned for and brute-forced on the Internet. The port is recognised by its number " +
				"(port or targetPort) or its well-known name; internal and source-restricted load balancers are left out.",
			Remediation: "Make the Service ClusterIP and reach the interface from inside the cluster (kubectl port-forward for " +
				"administrators), or restrict the load balancer with loadBalancerSourceRanges or an internal-load-balancer " +
				"annotation.",
			References: []string{serviceTypesDoc, "https://kubernetes.io/docs/reference/networking/ports-and-protocols/"},
			Mappings: finding.Mappings{NSA: []string{check.NSAControlPlane},
				ThreatMatrix: []string{check.MSExposedInterfaces}},
			Tags: []string{"network", "exposure"},
		},
		Kinds: []string{"Service"},
		Object: func(ctx *check.Context, obj *k8s.Object) {
			s := service(obj)
			if s == nil {
				return
			}
			switch s.Spec.Type {
			case corev1.ServiceTypeNodePort:
			case corev1.ServiceTypeLoadBalancer:
				if r, _ := reach(s); r != lbOpen {
					return
				}
			default:
				return
			}
			for i, p := range s.Spec.Ports {
				at := k8s.Path("spec.ports").Index(i)
				var what string
				switch {
				case sensitivePorts[p.Port] != "":
					what, at = sensitivePorts[p.Port], at.Field("port")
				case sensitivePorts[p.TargetPort.IntVal] != "":
					what, at = sensitivePorts[p.TargetPort.IntVal], at.Field("targetPort")
				case sensitiveName(p.Name) != "":
					what, at = sensitiveName(p.Name), at.Field("name")
				case sensitiveName(p.TargetPort.StrVal) != "":
					what, at = sensitiveName(p.TargetPort.StrVal), at.Field("targetPort")
				default:
					continue
				}
				ctx.Report(obj, at, "Service %q of type %s exposes port %d (%s) outside the cluster", obj.Name(), s.Spec.Type, p.Port, what)
			}
		},
	}
}
