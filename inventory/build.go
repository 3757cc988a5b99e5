package inventory

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/version"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Facts are what an inventory knows of a cluster beside its objects.
type Facts struct {
	Cluster Cluster
	// Version is what the API server's /version reports; nil when unknown.
	Version *version.Info
	// APIGroups are the names of the API groups the server serves.
	APIGroups []string
	// Namespaces is the scope: namespaced objects were read in these
	// namespaces only; empty means all. Namespaces outside it are left out
	// of the inventory.
	Namespaces []string
	// Counts are the numbers of objects of custom resource definitions,
	// by definition name.
	Counts map[string]int64
	// Gaps are what could not be read.
	Gaps []finding.Gap
	// GeneratedAt is when reading began.
	GeneratedAt time.Time
}

// Build makes the inventory of objects: what Builder.Add and Finish do,
// for objects at hand.
func Build(objs []*k8s.Object, f Facts) *Inventory {
	b := NewBuilder()
	for _, o := range objs {
		b.Add(o)
	}
	return b.Finish(f)
}

// Builder makes an inventory from objects handed to it one at a time, as
// they are read, keeping only what the inventory needs of each (so that a
// cluster of hundreds of thousands of objects is never held whole). Its
// methods may be called from several goroutines at once.
type Builder struct {
	mu         sync.Mutex
	objects    int
	pods       int
	nodes      []Node
	namespaces []Namespace
	byKind     map[string]int
	byNS       map[string]map[string]int
	// owners maps a controlled workload (a ReplicaSet, a Job) to its
	// controller (a Deployment, a CronJob).
	owners     map[ObjectRef]ObjectRef
	images     map[string]*imageUse
	accounts   map[ObjectRef]*accountUse
	accountNS  map[string]bool // namespaces whose service accounts were read
	services   []Service
	ingresses  []Ingress
	crds       []CustomResourceDefinition
	crdRes     []crdResource
	components map[componentKey]*componentUse
	strs       map[string]string
}

type imageUse struct {
	name       imageName
	spec       map[string]bool
	running    map[string]*RunningImage
	workloads  map[ObjectRef]bool // not yet resolved to the top controller
	containers []ContainerRef
}

type accountUse struct {
	account   ServiceAccount
	read      bool
	workloads map[ObjectRef]bool
}

type componentKey struct{ name, image string }

type componentUse struct {
	workloads map[ObjectRef]bool
	pods      []PodRef
}

// crdResource is what counting a definition's objects needs.
type crdResource struct {
	name, group, version, kind, plural string
	namespaced                         bool
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	return &Builder{
		byKind: map[string]int{}, byNS: map[string]map[string]int{}, owners: map[ObjectRef]ObjectRef{},
		images: map[string]*imageUse{}, accounts: map[ObjectRef]*accountUse{}, accountNS: map[string]bool{},
		components: map[componentKey]*componentUse{}, strs: map[string]string{},
	}
}

// Add takes what the inventory needs of an object. Objects of kinds the
// inventory does not describe are counted, and otherwise ignored.
func (b *Builder) Add(o *k8s.Object) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.objects++
	if o.Pod == nil && o.Typed != nil {
		c := *o
		c.Pod = k8s.PodTemplateOf(o.Typed)
		o = &c
	}
	switch t := o.Typed.(type) {
	case *corev1.Node:
		b.nodes = append(b.nodes, NewNode(t))
	case *corev1.Namespace:
		b.namespaces = append(b.namespaces, Namespace{Name: t.Name, Phase: string(t.Status.Phase), PodSecurity: podSecurity(t.Labels)})
	case *corev1.Pod:
		b.addPod(o, t)
	case *appsv1.Deployment, *appsv1.StatefulSet, *appsv1.DaemonSet, *appsv1.ReplicaSet,
		*corev1.ReplicationController, *batchv1.Job, *batchv1.CronJob:
		b.addWorkload(o)
	case *corev1.ServiceAccount:
		ns := b.intern(t.Namespace)
		u := b.account(ns, t.Name)
		u.read = true
		u.account.AutomountServiceAccountToken = t.AutomountServiceAccountToken
		b.accountNS[ns] = true
	case *corev1.Service:
		if s, ok := exposedService(t); ok {
			b.services = append(b.services, s)
		}
	case *networkingv1.Ingress:
		b.ingresses = append(b.ingresses, newIngress(t))
	default:
		if o.Kind == "CustomResourceDefinition" && o.Group() == "apiextensions.k8s.io" {
			b.addCRD(o)
		}
	}
}

func (b *Builder) intern(s string) string {
	if v, ok := b.strs[s]; ok {
		return v
	}
	b.strs[s] = s
	return s
}

func (b *Builder) count(ns, kind string) {
	b.byKind[kind]++
	m := b.byNS[ns]
	if m == nil {
		m = map[string]int{}
		b.byNS[ns] = m
	}
	m[kind]++
}

// controller returns the object's controller, if it has one.
func controller(m *metav1.ObjectMeta, ns string) (ObjectRef, bool) {
	for _, r := range m.OwnerReferences {
		if r.Controller != nil && *r.Controller {
			return ObjectRef{Kind: r.Kind, Namespace: ns, Name: r.Name}, true
		}
	}
	return ObjectRef{}, false
}

func (b *Builder) addWorkload(o *k8s.Object) {
	ns := b.intern(o.Meta.Namespace)
	b.count(ns, o.Kind)
	self := ObjectRef{Kind: o.Kind, Namespace: ns, Name: o.Meta.Name}
	if ctrl, ok := controller(o.Meta, ns); ok {
		// A ReplicaSet of a Deployment, a Job of a CronJob: their pods tell
		// what runs, and the controller's template what is meant to.
		b.owners[self] = ctrl
		return
	}
	if o.Pod == nil {
		return
	}
	for _, c := range o.Pod.Containers() {
		b.image(c.Image).workloads[self] = true
	}
	b.account(ns, serviceAccountName(o.Pod.Spec)).workloads[self] = true
	if name, c, ok := ComponentOf(o); ok {
		b.component(name, c.Image).workloads[self] = true
	}
}

func (b *Builder) addPod(o *k8s.Object, p *corev1.Pod) {
	ns := b.intern(p.Namespace)
	b.count(ns, "Pod")
	b.pods++
	owner, ok := controller(&p.ObjectMeta, ns)
	if !ok || owner.Kind == "Node" {
		owner = ObjectRef{Kind: "Pod", Namespace: ns, Name: p.Name} // a bare pod, or a static pod
	}
	owner.Kind = b.intern(owner.Kind)
	node := b.intern(p.Spec.NodeName)
	for _, c := range o.Pod.Containers() {
		u := b.image(c.Image)
		u.workloads[owner] = true
		ref := ContainerRef{Namespace: ns, Pod: p.Name, Container: b.intern(c.Name)}
		if st := containerStatus(p, c); st != nil && st.ImageID != "" {
			repo, digest := ParseImageID(st.ImageID)
			digest = b.intern(digest)
			r := u.running[digest]
			if r == nil {
				r = &RunningImage{Digest: digest, Repository: repo, ImageID: st.ImageID}
				u.running[digest] = r
			} else if st.ImageID < r.ImageID {
				// One digest pulled by two names (a mirror): the first in
				// order, whatever order pods come in.
				r.Repository, r.ImageID = repo, st.ImageID
			}
			r.Containers++
			ref.Digest = digest
		}
		u.containers = append(u.containers, ref)
	}
	pod := PodRef{Namespace: ns, Name: p.Name, Node: node}
	a := b.account(ns, serviceAccountName(&p.Spec))
	a.workloads[owner] = true
	a.account.Pods = append(a.account.Pods, pod)
	if name, c, ok := ComponentOf(o); ok {
		u := b.component(name, c.Image)
		u.workloads[owner] = true
		u.pods = append(u.pods, pod)
	}
}

// containerStatus returns the status of a pod's container, or nil.
func containerStatus(p *corev1.Pod, c k8s.Container) *corev1.ContainerStatus {
	list := p.Status.ContainerStatuses
	switch c.Type {
	case k8s.InitContainer:
		list = p.Status.InitContainerStatuses
	case k8s.EphemeralContainer:
		list = p.Status.EphemeralContainerStatuses
	}
	for i := range list {
		if list[i].Name == c.Name {
			return &list[i]
		}
	}
	return nil
}

func serviceAccountName(spec *corev1.PodSpec) string {
	switch {
	case spec.ServiceAccountName != "":
		return spec.ServiceAccountName
	case spec.DeprecatedServiceAccount != "":
		return spec.DeprecatedServiceAccount
	}
	return "default"
}

func (b *Builder) image(ref string) *imageUse {
	name := parseImage(ref)
	u := b.images[name.reference]
	if u == nil {
		u = &imageUse{name: name, spec: map[string]bool{}, running: map[string]*RunningImage{}, workloads: map[ObjectRef]bool{}}
		b.images[name.reference] = u
	}
	if ref != name.reference && !u.spec[ref] {
		u.spec[ref] = true
	}
	return u
}

func (b *Builder) account(ns, name string) *accountUse {
	key := ObjectRef{Namespace: ns, Name: name}
	u := b.accounts[key]
	if u == nil {
		u = &accountUse{account: ServiceAccount{Namespace: ns, Name: name}, workloads: map[ObjectRef]bool{}}
		b.accounts[key] = u
	}
	return u
}

func (b *Builder) component(name, image string) *componentUse {
	key := componentKey{name, image}
	u := b.components[key]
	if u == nil {
		u = &componentUse{workloads: map[ObjectRef]bool{}}
		b.components[key] = u
	}
	return u
}

// Pod Security Admission labels.
const pssPrefix = "pod-security.kubernetes.io/"

func podSecurity(labels map[string]string) PodSecurity {
	return PodSecurity{
		Enforce: labels[pssPrefix+"enforce"], EnforceVersion: labels[pssPrefix+"enforce-version"],
		Audit: labels[pssPrefix+"audit"], AuditVersion: labels[pssPrefix+"audit-version"],
		Warn: labels[pssPrefix+"warn"], WarnVersion: labels[pssPrefix+"warn-version"],
	}
}

// exposedService describes a Service if it is reachable from outside the
// pod network.
func exposedService(s *corev1.Service) (Service, bool) {
	t := s.Spec.Type
	if t != corev1.ServiceTypeNodePort && t != corev1.ServiceTypeLoadBalancer && len(s.Spec.ExternalIPs) == 0 {
		return Service{}, false
	}
	if t == "" {
		t = corev1.ServiceTypeClusterIP
	}
	out := Service{Namespace: s.Namespace, Name: s.Name, Type: string(t), Ports: []ServicePort{},
		ExternalIPs: s.Spec.ExternalIPs, SourceRanges: s.Spec.LoadBalancerSourceRanges, Selector: s.Spec.Selector}
	for _, p := range s.Spec.Ports {
		proto := string(p.Protocol)
		if proto == "" {
			proto = string(corev1.ProtocolTCP)
		}
		out.Ports = append(out.Ports, ServicePort{Name: p.Name, Protocol: proto, Port: p.Port, NodePort: p.NodePort, TargetPort: targetPort(p.TargetPort)})
	}
	for _, in := range s.Status.LoadBalancer.Ingress {
		out.LoadBalancer = append(out.LoadBalancer, cmp.Or(in.IP, in.Hostname))
	}
	return out, true
}

func targetPort(p intstr.IntOrString) string {
	if p.Type == intstr.Int && p.IntVal == 0 {
		return ""
	}
	return p.String()
}

func newIngress(in *networkingv1.Ingress) Ingress {
	out := Ingress{Namespace: in.Namespace, Name: in.Name, Hosts: []IngressHost{}, DefaultBackend: in.Spec.DefaultBackend != nil}
	if in.Spec.IngressClassName != nil {
		out.Class = *in.Spec.IngressClassName
	} else {
		out.Class = in.Annotations["kubernetes.io/ingress.class"]
	}
	// A host has TLS when a TLS section names it, or a wildcard that
	// covers it ("*.example.com" covers "www.example.com", not
	// "example.com" nor "a.b.example.com").
	tls := func(host string) bool {
		for _, t := range in.Spec.TLS {
			for _, h := range t.Hosts {
				if h == host {
					return true
				}
				if suffix, ok := strings.CutPrefix(h, "*"); ok && host != "" {
					label, ok := strings.CutSuffix(host, suffix)
					if ok && label != "" && !strings.Contains(label, ".") {
						return true
					}
				}
			}
		}
		return false
	}
	seen := map[string]bool{}
	for _, r := range in.Spec.Rules {
		if !seen[r.Host] {
			seen[r.Host] = true
			out.Hosts = append(out.Hosts, IngressHost{Host: r.Host, TLS: tls(r.Host)})
		}
	}
	slices.SortFunc(out.Hosts, func(a, b IngressHost) int { return strings.Compare(a.Host, b.Host) })
	for _, lb := range in.Status.LoadBalancer.Ingress {
		out.Addresses = append(out.Addresses, cmp.Or(lb.IP, lb.Hostname))
	}
	return out
}

// addCRD reads a CustomResourceDefinition. Whether it comes typed depends
// on what else the program links (Helm registers the type in client-go's
// scheme), so it is read as unstructured content either way.
func (b *Builder) addCRD(o *k8s.Object) {
	u := o.Unstructured
	if o.Typed != nil {
		var err error
		if u, err = runtime.DefaultUnstructuredConverter.ToUnstructured(o.Typed); err != nil {
			return
		}
	}
	str := func(fields ...string) string {
		s, _, _ := unstructured.NestedString(u, fields...)
		return s
	}
	d := CustomResourceDefinition{
		Name: str("metadata", "name"), Group: str("spec", "group"), Kind: str("spec", "names", "kind"),
		Plural: str("spec", "names", "plural"), Scope: str("spec", "scope"), Versions: []string{},
	}
	versions, _, _ := unstructured.NestedSlice(u, "spec", "versions")
	for _, v := range versions {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		name, _ := m["name"].(string)
		if served, _ := m["served"].(bool); served {
			d.Versions = append(d.Versions, name)
		}
		if storage, _ := m["storage"].(bool); storage {
			d.StorageVersion = name
		}
	}
	b.crds = append(b.crds, d)
	established := false
	conds, _, _ := unstructured.NestedSlice(u, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
			established = true
		}
	}
	if !established || len(d.Versions) == 0 || d.Plural == "" {
		return
	}
	version := d.Versions[0]
	if slices.Contains(d.Versions, d.StorageVersion) {
		version = d.StorageVersion
	}
	b.crdRes = append(b.crdRes, crdResource{name: d.Name, group: d.Group, version: version, kind: d.Kind,
		plural: d.Plural, namespaced: d.Scope != "Cluster"})
}

// Finish returns the inventory of what was added, with the facts.
func (b *Builder) Finish(f Facts) *Inventory {
	b.mu.Lock()
	defer b.mu.Unlock()
	inv := &Inventory{
		APIVersion: APIVersion, Kind: Kind, GeneratedAt: f.GeneratedAt.UTC(), Cluster: f.Cluster,
		Scope:           Scope{Namespaces: slices.Sorted(slices.Values(f.Namespaces))},
		Nodes:           slices.Clone(b.nodes),
		Components:      []Component{},
		Namespaces:      []Namespace{},
		Workloads:       Workloads{ByKind: maps.Clone(b.byKind), ByNamespace: map[string]map[string]int{}},
		Images:          []Image{},
		ServiceAccounts: []ServiceAccount{},
		Services:        slices.Clone(b.services),
		Ingresses:       slices.Clone(b.ingresses),
		Gaps:            slices.Clone(f.Gaps),
	}
	if inv.Nodes == nil {
		inv.Nodes = []Node{}
	}
	if inv.Services == nil {
		inv.Services = []Service{}
	}
	if inv.Ingresses == nil {
		inv.Ingresses = []Ingress{}
	}
	if inv.Gaps == nil {
		inv.Gaps = []finding.Gap{}
	}
	if v := f.Version; v != nil {
		inv.Kubernetes = Kubernetes{GitVersion: v.GitVersion, Version: VersionCore(v.GitVersion), Major: v.Major, Minor: v.Minor,
			Platform: v.Platform, BuildDate: v.BuildDate, GoVersion: v.GoVersion, GitCommit: v.GitCommit}
		if v.GitVersion != "" {
			inv.Components = append(inv.Components, Component{Name: "kube-apiserver", Version: v.GitVersion, Source: SourceVersion})
		}
	}
	for ns, kinds := range b.byNS {
		inv.Workloads.ByNamespace[ns] = maps.Clone(kinds)
	}

	slices.SortFunc(inv.Nodes, func(a, b Node) int { return strings.Compare(a.Name, b.Name) })
	clues := Clues{GitVersion: inv.Kubernetes.GitVersion, APIGroups: f.APIGroups}
	for _, n := range inv.Nodes {
		clues.Nodes = append(clues.Nodes, NodeClues{Name: n.Name, Labels: n.Labels, ProviderID: n.ProviderID, KubeletVersion: n.KubeletVersion})
	}
	inv.Distribution = DetectDistribution(clues)

	inScope := func(ns string) bool { return len(f.Namespaces) == 0 || slices.Contains(f.Namespaces, ns) }
	for _, n := range b.namespaces {
		if inScope(n.Name) {
			inv.Namespaces = append(inv.Namespaces, n)
		}
	}
	slices.SortFunc(inv.Namespaces, func(a, b Namespace) int { return strings.Compare(a.Name, b.Name) })

	for key, u := range b.components {
		c := Component{Name: key.name, Version: imageVersion(key.image), Source: SourceWorkload, Image: key.image,
			Workloads: b.resolve(u.workloads), Pods: slices.Clone(u.pods)}
		if len(c.Pods) > 0 {
			c.Source = SourcePods
		}
		slices.SortFunc(c.Pods, comparePods)
		inv.Components = append(inv.Components, c)
	}
	slices.SortFunc(inv.Components, func(a, b Component) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Source, b.Source),
			strings.Compare(a.Version, b.Version), strings.Compare(a.Image, b.Image))
	})

	for _, u := range b.images {
		img := Image{Reference: u.name.reference, Repository: u.name.repository, Tag: u.name.tag, Digest: u.name.digest,
			SpecReferences: slices.Sorted(maps.Keys(u.spec)), Running: []RunningImage{},
			Workloads: b.resolve(u.workloads), Containers: slices.Clone(u.containers)}
		if len(img.SpecReferences) == 0 {
			img.SpecReferences = nil
		}
		for _, r := range u.running {
			img.Running = append(img.Running, *r)
		}
		slices.SortFunc(img.Running, func(a, b RunningImage) int { return strings.Compare(a.Digest, b.Digest) })
		if img.Containers == nil {
			img.Containers = []ContainerRef{}
		}
		slices.SortFunc(img.Containers, func(a, b ContainerRef) int {
			return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Pod, b.Pod), strings.Compare(a.Container, b.Container))
		})
		inv.Images = append(inv.Images, img)
	}
	slices.SortFunc(inv.Images, func(a, b Image) int { return strings.Compare(a.Reference, b.Reference) })

	for _, u := range b.accounts {
		a := u.account
		a.Missing = !u.read && b.accountNS[a.Namespace]
		a.Workloads = b.resolve(u.workloads)
		a.Pods = slices.Clone(a.Pods)
		if a.Pods == nil {
			a.Pods = []PodRef{}
		}
		slices.SortFunc(a.Pods, comparePods)
		inv.ServiceAccounts = append(inv.ServiceAccounts, a)
	}
	slices.SortFunc(inv.ServiceAccounts, func(a, b ServiceAccount) int {
		return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
	})

	slices.SortFunc(inv.Services, func(a, b Service) int {
		return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
	})
	slices.SortFunc(inv.Ingresses, func(a, b Ingress) int {
		return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
	})

	inv.CustomResourceDefinitions = slices.Clone(b.crds)
	if inv.CustomResourceDefinitions == nil {
		inv.CustomResourceDefinitions = []CustomResourceDefinition{}
	}
	for i := range inv.CustomResourceDefinitions {
		d := &inv.CustomResourceDefinitions[i]
		if n, ok := f.Counts[d.Name]; ok {
			d.Objects = &n
			inv.Summary.CustomResources += n
		}
	}
	slices.SortFunc(inv.CustomResourceDefinitions, func(a, b CustomResourceDefinition) int { return strings.Compare(a.Name, b.Name) })

	slices.SortFunc(inv.Gaps, func(a, b finding.Gap) int {
		return cmp.Or(strings.Compare(a.Resource, b.Resource), strings.Compare(a.Namespace, b.Namespace))
	})

	inv.Summary.Objects = b.objects
	inv.Summary.Nodes = len(inv.Nodes)
	inv.Summary.Namespaces = len(inv.Namespaces)
	inv.Summary.Pods = b.pods
	inv.Summary.Images = len(inv.Images)
	inv.Summary.ServiceAccounts = len(inv.ServiceAccounts)
	inv.Summary.ExposedServices = len(inv.Services)
	inv.Summary.Ingresses = len(inv.Ingresses)
	inv.Summary.CustomResourceDefinitions = len(inv.CustomResourceDefinitions)
	return inv
}

// resolve turns the workloads pods and templates named into their top
// controllers, sorted, without repeats; never nil.
func (b *Builder) resolve(set map[ObjectRef]bool) []ObjectRef {
	out := make([]ObjectRef, 0, len(set))
	seen := make(map[ObjectRef]bool, len(set))
	for r := range set {
		for range 8 { // a cycle of owners is invalid, but must not hang
			next, ok := b.owners[r]
			if !ok {
				break
			}
			r = next
		}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b ObjectRef) int {
		return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Kind, b.Kind), strings.Compare(a.Name, b.Name))
	})
	return out
}

func comparePods(a, b PodRef) int {
	return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
}
