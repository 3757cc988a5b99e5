// Package component reports on the orchestrator itself: the Kubernetes
// control plane, kubelets, kube-proxy, etcd and CoreDNS, the container
// runtimes, node kernels and operating systems of a cluster's inventory;
// the vulnerabilities of each version (from the vulnerability database and
// from escapes.yaml), their end of life, and version skew outside
// Kubernetes' policy.
//
// Analyze is pure: inventory and database in, report out, with the time
// it is given.
package component

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dozor-dev/dozor/inventory"
	"github.com/dozor-dev/dozor/vuln"
)

// Database is what Analyze reads of the vulnerability database.
type Database interface {
	Affecting(ecosystem, name, version string) ([]vuln.Match, error)
	KEV(cve string) (vuln.KEV, bool)
	EPSS(cve string) (vuln.EPSS, bool)
	// CVSS is the highest CVSS v3 score any advisory of a CVE gives.
	CVSS(cve string) (score float64, vector string, ok bool)
	// IDs are the advisories that name a package.
	IDs(ecosystem, name string) []string
	// AdvisoriesOf are the advisories that name a CVE.
	AdvisoriesOf(cve string) ([]*vuln.Advisory, error)
	EOL(product string) []vuln.Release
	Status() *vuln.Status
}

// Kinds of component.
const (
	KindAPIServer         = "kube-apiserver"
	KindControllerManager = "kube-controller-manager"
	KindScheduler         = "kube-scheduler"
	KindCloudController   = "cloud-controller-manager"
	KindKubelet           = "kubelet"
	KindKubeProxy         = "kube-proxy"
	KindEtcd              = "etcd"
	KindCoreDNS           = "coredns"
	KindRuntime           = "container-runtime"
	KindKernel            = "kernel"
	KindOS                = "os"
)

// Options tune Analyze.
type Options struct {
	// Now is the time end of life and data age are judged at.
	Now time.Time
	// MaxAge is how old the database may be before the report warns.
	MaxAge time.Duration
	// EOLWarning is how long before its end of life a release is
	// reported as ending soon.
	EOLWarning time.Duration
}

// Report is the components of a cluster and what is known against them.
type Report struct {
	Database   DatabaseInfo `json:"database"`
	Kubernetes string       `json:"kubernetes"`
	// Components are the distinct (kind, name, version) found, in a
	// fixed order: control plane, node components, runtime, kernel, OS.
	Components []Component `json:"components"`
	Skew       []Skew      `json:"skew"`
}

// DatabaseInfo says which data the report used and how old it is.
type DatabaseInfo struct {
	Path  string    `json:"path,omitempty"`
	Built time.Time `json:"built"`
	// Age is the age of the stalest source, in whole days.
	AgeDays int  `json:"ageDays"`
	Stale   bool `json:"stale"`
	// MaxAgeDays is the limit Stale is judged by.
	MaxAgeDays int                 `json:"maxAgeDays"`
	Sources    []vuln.SourceStatus `json:"sources"`
	// FeedWithoutAdvisory are the Kubernetes feed's CVEs that no advisory
	// gives affected versions for: not matched, for people to check.
	FeedWithoutAdvisory []string `json:"feedWithoutAdvisory,omitempty"`
}

// Component is one version of one component, and where it runs.
type Component struct {
	Kind string `json:"kind"`
	// Name is the component ("containerd", "linux", "Ubuntu 22.04.4 LTS").
	Name    string `json:"name"`
	Version string `json:"version"`
	// Source says where the version was read: "version" (/version),
	// "node" (status.nodeInfo), "pods" or "workload" (an image tag).
	Source string `json:"source"`
	// Nodes are the nodes it runs on (node components), sorted.
	Nodes []string `json:"nodes,omitempty"`
	// OS is the nodes' operating system family ("linux", "windows"), for
	// kubelets: advisories about Windows nodes apply to Windows nodes only.
	OS string `json:"os,omitempty"`
	// Workloads are the workloads (or, without one, the pods) that run
	// it.
	Workloads       []inventory.ObjectRef `json:"workloads,omitempty"`
	Vulnerabilities []Vulnerability       `json:"vulnerabilities"`
	Lifecycle       *Lifecycle            `json:"lifecycle,omitempty"`
	// Notes say what could not be judged, and why.
	Notes []string `json:"notes,omitempty"`
}

// Vulnerability is a CVE (or an advisory without one) that matches a
// component's version.
type Vulnerability struct {
	// ID is the CVE, or the advisory's id when it has none.
	ID string `json:"id"`
	// Advisories are the database's advisories that name it.
	Advisories []string `json:"advisories"`
	Summary    string   `json:"summary,omitempty"`
	// Severity is critical, high, medium, low or unknown.
	Severity string  `json:"severity"`
	CVSS     float64 `json:"cvss,omitempty"`
	Vector   string  `json:"cvssVector,omitempty"`
	// Fixed are the fixed versions the advisories name.
	Fixed []string `json:"fixed"`
	// FixedInLine is the first fixed version in the component's own
	// minor line (an upgrade within it suffices); empty when the line
	// has none and only a newer minor fixes it.
	FixedInLine string     `json:"fixedInLine,omitempty"`
	KEV         *vuln.KEV  `json:"kev,omitempty"`
	EPSS        *vuln.EPSS `json:"epss,omitempty"`
	// Status is "vulnerable", or "possibly-vulnerable" where the version
	// is a distribution's, which may carry the fix backported.
	Status string `json:"status"`
	// Confidence is "high" for a version match on an upstream release,
	// "low" for a distribution's build.
	Confidence string `json:"confidence"`
	// Escape is set for vulnerabilities that allow escape from a
	// container to the node.
	Escape     bool     `json:"escape,omitempty"`
	References []string `json:"references,omitempty"`
}

// Statuses and confidences.
const (
	StatusVulnerable         = "vulnerable"
	StatusPossiblyVulnerable = "possibly-vulnerable"
)

// Lifecycle is where a component's release stands in its support life.
type Lifecycle struct {
	Product string `json:"product"`
	Cycle   string `json:"cycle"`
	// EOAS and EOL are dates, or "true"/"false" where no date is given.
	EOAS string `json:"eoas,omitempty"`
	EOL  string `json:"eol,omitempty"`
	// Latest is the newest release of the cycle.
	Latest string `json:"latest,omitempty"`
	// Status is "supported", "security-only" (past the end of active
	// support), "ending-soon" (end of life within the warning period) or
	// "end-of-life".
	Status string `json:"status"`
	// DaysLeft is the days until end of life; negative once past.
	DaysLeft *int `json:"daysLeft,omitempty"`
}

// Lifecycle statuses.
const (
	LifeSupported    = "supported"
	LifeSecurityOnly = "security-only"
	LifeEndingSoon   = "ending-soon"
	LifeEOL          = "end-of-life"
)

// Skew is a component whose version is outside Kubernetes' version skew
// policy relative to the API server.
type Skew struct {
	Kind    string   `json:"kind"`
	Version string   `json:"version"`
	Nodes   []string `json:"nodes,omitempty"`
	// APIServer is the API server's version.
	APIServer string `json:"apiServer"`
	Problem   string `json:"problem"`
}

// Analyze matches every component of inv against db.
func Analyze(inv *inventory.Inventory, db Database, opts Options) (*Report, error) {
	if opts.MaxAge == 0 {
		opts.MaxAge = 7 * 24 * time.Hour
	}
	if opts.EOLWarning == 0 {
		opts.EOLWarning = 90 * 24 * time.Hour
	}
	escapes, err := Escapes()
	if err != nil {
		return nil, err
	}
	st := db.Status()
	r := &Report{Kubernetes: inv.Kubernetes.GitVersion, Components: []Component{}, Skew: []Skew{}}
	r.Database = DatabaseInfo{Built: st.Built, Sources: st.Sources, MaxAgeDays: int(opts.MaxAge / (24 * time.Hour)), FeedWithoutAdvisory: st.FeedWithoutAdvisory}
	age := st.Age(opts.Now)
	r.Database.AgeDays = int(age / (24 * time.Hour))
	r.Database.Stale = age > opts.MaxAge
	a := &analyzer{db: db, opts: opts, escapes: escapes, distro: inv.Distribution.Name, seen: map[string]bool{}}
	for _, c := range inv.Components {
		if c.Version != "" {
			a.seen[c.Name] = true
		}
	}

	r.Components = append(r.Components, a.controlPlane(inv)...)
	r.Components = append(r.Components, a.nodes(inv)...)
	for i := range r.Components {
		a.match(&r.Components[i])
	}
	r.Skew = skew(inv)
	return r, nil
}

type analyzer struct {
	// seen are the kinds of component seen running, with a version.
	seen map[string]bool
	// cveComponent maps CVEs to the component the Kubernetes component
	// advisories name (componentOfCVE).
	cveComponent map[string]string
	db           Database
	opts         Options
	escapes      []Escape
	distro       string
}

// controlPlane lists the API server (from /version) and the components
// seen running as pods, one entry per distinct version.
func (a *analyzer) controlPlane(inv *inventory.Inventory) []Component {
	var out []Component
	index := map[string]int{}
	for _, c := range inv.Components {
		kind := c.Name
		if kind == "kube-dns" {
			continue // no version scheme to match
		}
		key := kind + "\x00" + c.Version
		i, seen := index[key]
		if !seen {
			i = len(out)
			index[key] = i
			out = append(out, Component{Kind: kind, Name: kind, Version: c.Version, Source: c.Source})
		}
		for _, w := range c.Workloads {
			out[i].Workloads = appendUnique(out[i].Workloads, w)
		}
		if len(c.Workloads) == 0 {
			for _, p := range c.Pods {
				out[i].Workloads = appendUnique(out[i].Workloads, inventory.ObjectRef{Kind: "Pod", Namespace: p.Namespace, Name: p.Name})
			}
		}
	}
	return out
}

// nodes lists kubelets, runtimes, kernels and operating systems, one entry
// per distinct version, with the nodes that run it.
func (a *analyzer) nodes(inv *inventory.Inventory) []Component {
	// osImage keys kernels too, so that one kernel version on two
	// distributions is judged for each.
	type key struct{ kind, name, version, os, osImage string }
	var order []key
	byKey := map[key]*Component{}
	add := func(k key, node string) {
		c := byKey[k]
		if c == nil {
			c = &Component{Kind: k.kind, Name: k.name, Version: k.version, Source: "node", OS: k.os}
			if k.osImage != "" {
				c.Notes = append(c.Notes, "os: "+k.osImage)
			}
			byKey[k] = c
			order = append(order, k)
		}
		c.Nodes = append(c.Nodes, node)
	}
	for _, n := range inv.Nodes {
		if n.KubeletVersion != "" {
			add(key{KindKubelet, KindKubelet, n.KubeletVersion, n.OperatingSystem, ""}, n.Name)
		}
		if n.ContainerRuntime.Name != "" {
			add(key{KindRuntime, n.ContainerRuntime.Name, n.ContainerRuntime.Version, "", ""}, n.Name)
		}
		if n.KernelVersion != "" {
			kernel := "linux"
			if n.OperatingSystem != "" && n.OperatingSystem != "linux" {
				kernel = n.OperatingSystem
			}
			add(key{KindKernel, kernel, n.KernelVersion, "", n.OSImage}, n.Name)
		}
		if n.OSImage != "" {
			add(key{KindOS, n.OSImage, osVersion(n.OSImage), "", ""}, n.Name)
		}
	}
	rank := map[string]int{KindKubelet: 0, KindRuntime: 1, KindKernel: 2, KindOS: 3}
	slices.SortStableFunc(order, func(x, y key) int {
		return cmp.Or(cmp.Compare(rank[x.kind], rank[y.kind]), cmp.Compare(x.name, y.name), cmp.Compare(x.version, y.version),
			cmp.Compare(x.os, y.os), cmp.Compare(x.osImage, y.osImage))
	})
	out := make([]Component, 0, len(order))
	for _, k := range order {
		c := byKey[k]
		slices.Sort(c.Nodes)
		out = append(out, *c)
	}
	return out
}

func appendUnique[T comparable](s []T, v T) []T {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// match fills a component's vulnerabilities and lifecycle.
func (a *analyzer) match(c *Component) {
	c.Vulnerabilities = []Vulnerability{}
	if c.Version == "" && c.Kind != KindOS {
		c.Notes = append(c.Notes, "version unknown (an image pinned by digest alone?): not matched")
		return
	}
	switch c.Kind {
	case KindAPIServer, KindControllerManager, KindScheduler, KindCloudController, KindKubelet, KindKubeProxy:
		a.kubernetes(c)
		a.lifecycle(c, a.kubernetesProduct(), vuln.MinorOf(c.Version))
	case KindEtcd:
		v := strings.TrimPrefix(c.Version, "v")
		if vuln.MinorOf(v) != "" && !strings.HasPrefix(v, "3.4") && !strings.HasPrefix(v, "3.3") {
			a.osv(c, "Go", []string{"go.etcd.io/etcd/server/v3", "go.etcd.io/etcd/v3"}, "v"+v, nil)
		} else {
			c.Notes = append(c.Notes, "etcd before 3.5 is published as Go pseudo-versions: not matched")
		}
		a.lifecycle(c, "etcd", vuln.MinorOf(v))
	case KindCoreDNS:
		a.osv(c, "Go", []string{"github.com/coredns/coredns"}, "v"+strings.TrimPrefix(c.Version, "v"), nil)
	case KindRuntime:
		a.runtime(c)
	case KindKernel:
		a.kernel(c)
	case KindOS:
		a.os(c)
	}
	slices.SortFunc(c.Vulnerabilities, compareVulns)
}

// compareVulns orders the worst first: known exploited, then severity,
// then EPSS, then id.
func compareVulns(x, y Vulnerability) int {
	return cmp.Or(
		-cmp.Compare(boolInt(x.KEV != nil), boolInt(y.KEV != nil)),
		-cmp.Compare(severityRank(x.Severity), severityRank(y.Severity)),
		-cmp.Compare(epssOf(x), epssOf(y)),
		cmp.Compare(x.ID, y.ID),
	)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func epssOf(v Vulnerability) float64 {
	if v.EPSS == nil {
		return 0
	}
	return v.EPSS.Score
}

func severityRank(s string) int {
	return slices.Index([]string{"unknown", "low", "medium", "high", "critical"}, s)
}

// kubernetesPackages are the packages of the Kubernetes component
// advisories (ecosystem "kubernetes") for each component.
var kubernetesPackages = map[string][]string{
	KindAPIServer:         {"k8s.io/apiserver", "k8s.io/kubernetes"},
	KindControllerManager: {"k8s.io/controller-manager", "k8s.io/kube-controller-manager"},
	KindScheduler:         {"k8s.io/kube-scheduler"},
	KindCloudController:   {"k8s.io/cloud-provider"},
	KindKubelet:           {"k8s.io/kubelet"},
	KindKubeProxy:         {"k8s.io/kube-proxy"},
}

// importComponent tells which component a Go advisory for
// k8s.io/kubernetes is about, from the packages its vulnerable code is
// in; "" when they do not say.
func importComponent(paths []string) string {
	for _, p := range paths {
		p = strings.TrimPrefix(p, "k8s.io/kubernetes/")
		switch {
		case strings.HasPrefix(p, "pkg/kubelet"), strings.HasPrefix(p, "pkg/volume"), strings.HasPrefix(p, "pkg/credentialprovider"), strings.HasPrefix(p, "pkg/util/mount"):
			return KindKubelet
		case strings.HasPrefix(p, "pkg/proxy"):
			return KindKubeProxy
		case strings.HasPrefix(p, "pkg/scheduler"), strings.HasPrefix(p, "plugin/pkg/scheduler"):
			return KindScheduler
		case strings.HasPrefix(p, "pkg/controller"):
			return KindControllerManager
		case strings.HasPrefix(p, "pkg/kubectl"), strings.HasPrefix(p, "cmd/kubectl"):
			return "kubectl"
		case strings.HasPrefix(p, "plugin/pkg/admission"), strings.HasPrefix(p, "pkg/kubeapiserver"), strings.HasPrefix(p, "pkg/registry"),
			strings.HasPrefix(p, "pkg/api"), strings.HasPrefix(p, "pkg/auth"), strings.HasPrefix(p, "plugin/pkg/auth"):
			return KindAPIServer
		}
	}
	return ""
}

// kubernetes matches a Kubernetes component: the project's component
// advisories for it, and the Go advisories of k8s.io/kubernetes whose
// vulnerable packages are its own. A Go advisory that does not say which
// component it is about is matched to the API server's version only (the
// control plane), so that one CVE is not repeated on every kubelet.
func (a *analyzer) kubernetes(c *Component) {
	kv, err := vuln.KubeVersion(c.Version)
	if err != nil {
		c.Notes = append(c.Notes, err.Error())
		return
	}
	covers := map[string]bool{c.Kind: true}
	if c.Kind == KindAPIServer {
		// The API server's version stands for the control plane: the
		// controller manager and scheduler, unless they were seen
		// running with their own versions.
		for _, k := range []string{KindControllerManager, KindScheduler} {
			if !a.seen[k] {
				covers[k] = true
			}
		}
	}
	windowsOnly := 0
	onOS := func(m vuln.Match) bool {
		if c.Kind == KindKubelet && c.OS != "" && c.OS != "windows" && a.aboutWindows(m.Advisory) {
			windowsOnly++
			return false
		}
		return true
	}
	for _, k := range slices.Sorted(maps.Keys(covers)) {
		a.osv(c, vuln.EcosystemKubernetes, kubernetesPackages[k], c.Version, onOS)
	}
	defer func() {
		if windowsOnly > 0 {
			c.Notes = append(c.Notes, fmt.Sprintf("%d advisories about Windows nodes not applied: these nodes run %s", windowsOnly, c.OS))
		}
	}()
	a.osv(c, "Go", []string{"k8s.io/kubernetes"}, kv, func(m vuln.Match) bool {
		if !onOS(m) {
			return false
		}
		comp := importComponent(m.Affected.Imports)
		if comp == "" {
			comp = a.componentOfCVE(m.Advisory.CVE())
		}
		if comp == "" {
			comp = summaryComponent(m.Advisory.Summary)
		}
		return covers[comp] || (comp == "" && c.Kind == KindAPIServer)
	})
}

// aboutWindows reports whether an advisory, or another advisory of its
// CVE (the Go database's summaries are terser than the Kubernetes
// project's), says it is about Windows nodes.
func (a *analyzer) aboutWindows(adv *vuln.Advisory) bool {
	if strings.Contains(strings.ToLower(adv.Summary), "windows") {
		return true
	}
	cve := adv.CVE()
	if cve == "" {
		return false
	}
	others, _ := a.db.AdvisoriesOf(cve)
	for _, o := range others {
		if strings.Contains(strings.ToLower(o.Summary), "windows") {
			return true
		}
	}
	return false
}

// componentOfCVE tells which component the Kubernetes project's
// component advisories say a CVE is about (one only), or "".
func (a *analyzer) componentOfCVE(cve string) string {
	if a.cveComponent == nil {
		a.cveComponent = map[string]string{}
		for _, kind := range slices.Sorted(maps.Keys(kubernetesPackages)) {
			for _, pkg := range kubernetesPackages[kind] {
				if pkg == "k8s.io/kubernetes" {
					continue // the project as a whole: no component
				}
				for _, id := range a.db.IDs(vuln.EcosystemKubernetes, pkg) {
					if prev, seen := a.cveComponent[id]; seen && prev != kind {
						a.cveComponent[id] = "" // several: say nothing
						continue
					}
					a.cveComponent[id] = kind
				}
			}
		}
	}
	if cve == "" {
		return ""
	}
	return a.cveComponent[cve]
}

// summaryComponents are words of an advisory's summary that name the
// component it is about, for Go advisories that do not list the packages
// of the vulnerable code.
var summaryComponents = []struct {
	word, kind string
}{
	{"kube-controller-manager", KindControllerManager},
	{"kube-scheduler", KindScheduler},
	{"kube-proxy", KindKubeProxy},
	{"kube-apiserver", KindAPIServer},
	{"kubelet", KindKubelet},
	{"windows node", KindKubelet},
	{"windows container", KindKubelet},
	{"gitrepo", KindKubelet},
	{"kubectl", "kubectl"},
	{"api server", KindAPIServer},
	{"admission", KindAPIServer},
}

func summaryComponent(summary string) string {
	s := strings.ToLower(summary)
	for _, w := range summaryComponents {
		if strings.Contains(s, w.word) {
			return w.kind
		}
	}
	return ""
}

// osv adds the advisories of the packages that match version, those
// keep accepts.
func (a *analyzer) osv(c *Component, eco string, pkgs []string, version string, keep func(vuln.Match) bool) {
	for _, p := range pkgs {
		ms, err := a.db.Affecting(eco, p, version)
		if err != nil {
			c.Notes = append(c.Notes, fmt.Sprintf("%s %s: %v", p, version, err))
			continue
		}
		for _, m := range ms {
			if keep != nil && !keep(m) {
				continue
			}
			a.add(c, fromAdvisory(m, c.Version, eco))
		}
	}
}

// fromAdvisory makes a Vulnerability of a database match.
func fromAdvisory(m vuln.Match, version, eco string) Vulnerability {
	adv := m.Advisory
	v := Vulnerability{ID: cmp.Or(adv.CVE(), adv.ID), Advisories: []string{adv.ID}, Summary: adv.Summary,
		Severity: "unknown", Fixed: m.Affected.Fixed(), Status: StatusVulnerable, Confidence: "high", References: adv.References}
	for _, s := range adv.Severity {
		if score, ok := vuln.CVSS3Score(s.Score); ok && score > v.CVSS {
			v.CVSS, v.Vector, v.Severity = score, s.Score, vuln.Rating(score)
		}
	}
	v.FixedInLine = fixedInLine(eco, version, v.Fixed)
	return v
}

// fixedInLine returns the first fixed version in version's minor line
// that is newer than version.
func fixedInLine(eco, version string, fixed []string) string {
	line := vuln.MinorOf(version)
	for _, f := range fixed {
		if vuln.MinorOf(f) != line {
			continue
		}
		if c, err := vuln.Compare(eco, version, f); err == nil && c < 0 {
			return f
		}
	}
	return ""
}

// add merges a vulnerability into the component's list: one entry per
// CVE, whatever the number of advisories that name it.
func (a *analyzer) add(c *Component, v Vulnerability) {
	for i := range c.Vulnerabilities {
		e := &c.Vulnerabilities[i]
		if e.ID != v.ID {
			continue
		}
		for _, id := range v.Advisories {
			e.Advisories = appendUnique(e.Advisories, id)
		}
		for _, f := range v.Fixed {
			e.Fixed = appendUnique(e.Fixed, f)
		}
		if v.CVSS > e.CVSS {
			e.CVSS, e.Vector, e.Severity = v.CVSS, v.Vector, v.Severity
		} else if e.Severity == "unknown" {
			e.Severity = v.Severity
		}
		e.FixedInLine = cmp.Or(e.FixedInLine, v.FixedInLine)
		e.Escape = e.Escape || v.Escape
		if e.Summary == "" {
			e.Summary = v.Summary
		}
		return
	}
	if strings.HasPrefix(v.ID, "CVE-") {
		if v.CVSS == 0 {
			// Unscored here (the Go database scores nothing): another
			// advisory of the same CVE may be.
			if score, vector, ok := a.db.CVSS(v.ID); ok {
				v.CVSS, v.Vector, v.Severity = score, vector, vuln.Rating(score)
			}
		}
		if k, ok := a.db.KEV(v.ID); ok {
			v.KEV = &k
		}
		if s, ok := a.db.EPSS(v.ID); ok {
			v.EPSS = &s
		}
	}
	c.Vulnerabilities = append(c.Vulnerabilities, v)
}

// runtimeModules are the Go modules of each runtime's code, which the Go
// vulnerability database's advisories name.
func runtimeModule(name, version string) (module, goVersion string, ok bool) {
	v := strings.TrimPrefix(version, "v")
	switch name {
	case "containerd":
		if strings.HasPrefix(v, "1.") {
			return "github.com/containerd/containerd", "v" + v, true
		}
		if strings.HasPrefix(v, "2.") {
			return "github.com/containerd/containerd/v2", "v" + v, true
		}
	case "cri-o":
		return "github.com/cri-o/cri-o", "v" + v, true
	case "docker":
		n, okN := parseNumeric(v)
		if okN && at(n.parts, 0) < 29 {
			return "github.com/docker/docker", fmt.Sprintf("v%d.%d.%d+incompatible", at(n.parts, 0), at(n.parts, 1), at(n.parts, 2)), true
		}
	}
	return "", "", false
}

// runtime matches a container runtime: its Go module's advisories, and
// the runtime escapes of escapes.yaml.
func (a *analyzer) runtime(c *Component) {
	if mod, gv, ok := runtimeModule(c.Name, c.Version); ok {
		a.osv(c, "Go", []string{mod}, gv, nil)
	} else {
		c.Notes = append(c.Notes, fmt.Sprintf("no advisory source is known for %s %s", c.Name, c.Version))
	}
	a.escapeMatches(c, c.Name, c.Version, true)
	switch c.Name {
	case "containerd":
		a.lifecycle(c, "containerd", vuln.MinorOf(c.Version))
	case "docker":
		a.lifecycle(c, "docker-engine", vuln.MinorOf(normalizeDocker(c.Version)))
	default:
		c.Notes = append(c.Notes, fmt.Sprintf("no end-of-life data for %s (it follows the Kubernetes minor it was released for)", c.Name))
	}
}

func normalizeDocker(v string) string {
	n, ok := parseNumeric(strings.TrimPrefix(v, "v"))
	if !ok {
		return v
	}
	return fmt.Sprintf("%d.%d.%d", at(n.parts, 0), at(n.parts, 1), at(n.parts, 2))
}

// escapeMatches adds the escapes.yaml entries of component that match
// version.
func (a *analyzer) escapeMatches(c *Component, component, version string, upstream bool) {
	for i := range a.escapes {
		e := &a.escapes[i]
		if e.Component != component {
			continue
		}
		affected, fixedLine, err := e.Affects(version)
		if err != nil {
			c.Notes = append(c.Notes, err.Error())
			return
		}
		if !affected {
			continue
		}
		v := Vulnerability{ID: e.ID, Advisories: []string{"dozor-escapes:" + e.ID}, Summary: e.Summary, Severity: strings.ToLower(e.Severity),
			Fixed: slices.Clone(e.Fixed), FixedInLine: fixedLine, Status: StatusVulnerable, Confidence: "high", Escape: true, References: e.References}
		if e.Name != "" {
			v.Summary = e.Name + ": " + e.Summary
		}
		if score, ok := vuln.CVSS3Score(e.CVSS); ok {
			v.CVSS, v.Vector = score, e.CVSS
		}
		if !upstream {
			v.Status, v.Confidence = StatusPossiblyVulnerable, "low"
		}
		a.add(c, v)
	}
}

// upstreamKernel matches a kernel release as kernel.org publishes it
// ("6.1.84", "6.6.30-rc1"), or as builds that track stable releases
// number it (Flatcar's "6.1.73-flatcar", Talos' "6.6.29-talos").
var upstreamKernel = regexp.MustCompile(`^\d+\.\d+(\.\d+)?(-rc\d+)?(-(flatcar|talos))?$`)

// kernel matches a node's kernel against the escapes of escapes.yaml. A
// distribution's kernel ("5.15.0-105-generic", "6.1.84-99.169.amzn2023")
// carries fixes backported without changing the upstream number, so a
// match on one is "possibly vulnerable", to check in the vendor's
// advisory, not a certainty.
func (a *analyzer) kernel(c *Component) {
	if c.Name != "linux" {
		c.Notes = append(c.Notes, "not a Linux kernel: not matched")
		return
	}
	upstream := upstreamKernel.MatchString(c.Version)
	a.escapeMatches(c, "kernel", c.Version, upstream)
	if !upstream && len(c.Vulnerabilities) > 0 {
		c.Notes = append(c.Notes, "a distribution kernel: fixes are often backported without changing the upstream version, so check the vendor's advisory for each CVE")
	}
}

// osImages maps an OS image to its endoflife.date product and cycle.
var osImages = []struct {
	re      *regexp.Regexp
	product string
}{
	{regexp.MustCompile(`^Ubuntu (\d+\.\d+)`), "ubuntu"},
	{regexp.MustCompile(`^Debian GNU/Linux (\d+)`), "debian"},
	{regexp.MustCompile(`^Alpine Linux v?(\d+\.\d+)`), "alpine-linux"},
	{regexp.MustCompile(`^Red Hat Enterprise Linux (\d+)`), "rhel"},
	{regexp.MustCompile(`^Amazon Linux (\d+)`), "amazon-linux"},
}

// osVersion returns the release an OS image names ("22.04" of "Ubuntu
// 22.04.4 LTS"), or "".
func osVersion(image string) string {
	for _, o := range osImages {
		if m := o.re.FindStringSubmatch(image); m != nil {
			return m[1]
		}
	}
	return ""
}

func (a *analyzer) os(c *Component) {
	for _, o := range osImages {
		if m := o.re.FindStringSubmatch(c.Name); m != nil {
			a.lifecycle(c, o.product, m[1])
			return
		}
	}
	c.Notes = append(c.Notes, "no end-of-life data for this operating system")
}

// kubernetesProduct is the endoflife.date product whose cycles a
// cluster's Kubernetes minor follows: the managed service's, where its
// support differs from upstream's.
func (a *analyzer) kubernetesProduct() string {
	switch a.distro {
	case inventory.DistributionEKS:
		return "amazon-eks"
	case inventory.DistributionAKS:
		return "azure-kubernetes-service"
	case inventory.DistributionGKE:
		return "google-kubernetes-engine"
	}
	return "kubernetes"
}

// lifecycle finds the release cycle of a component in the end-of-life
// data and judges it at opts.Now.
func (a *analyzer) lifecycle(c *Component, product, cycle string) {
	if cycle == "" {
		return
	}
	releases := a.db.EOL(product)
	if len(releases) == 0 && product != "kubernetes" && strings.HasPrefix(c.Kind, "kube") {
		product, releases = "kubernetes", a.db.EOL("kubernetes")
	}
	if len(releases) == 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("no end-of-life data for %s in the database", product))
		return
	}
	i := slices.IndexFunc(releases, func(r vuln.Release) bool { return r.Cycle == cycle })
	if i < 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%s %s is not in the end-of-life data", product, cycle))
		return
	}
	r := releases[i]
	l := &Lifecycle{Product: product, Cycle: cycle, EOAS: r.EOAS, EOL: r.EOL, Latest: r.Latest, Status: LifeSupported}
	now := a.opts.Now
	if t, ok := dateOf(r.EOL); ok {
		days := int(t.Sub(now).Hours() / 24)
		if t.Sub(now) < 0 && days == 0 {
			days = -1
		}
		l.DaysLeft = &days
	}
	switch {
	case vuln.Passed(r.EOL, now):
		l.Status = LifeEOL
	case l.DaysLeft != nil && time.Duration(*l.DaysLeft)*24*time.Hour <= a.opts.EOLWarning:
		l.Status = LifeEndingSoon
	case vuln.Passed(r.EOAS, now):
		l.Status = LifeSecurityOnly
	}
	c.Lifecycle = l
}

func dateOf(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// skew checks kubelets, kube-proxy, the controller manager and the
// scheduler against the API server, by Kubernetes' version skew policy
// (https://kubernetes.io/releases/version-skew-policy/): nothing may be
// newer than the API server; kubelet and kube-proxy may be up to three
// minors older (two before 1.28), the controller manager and scheduler
// one.
func skew(inv *inventory.Inventory) []Skew {
	out := []Skew{}
	api, ok := minorNumber(inv.Kubernetes.GitVersion)
	if !ok {
		return out
	}
	nodeOlder := 3
	if api < 28 {
		nodeOlder = 2
	}
	check := func(kind, version string, nodes []string, older int) {
		m, ok := minorNumber(version)
		if !ok {
			return
		}
		s := Skew{Kind: kind, Version: version, Nodes: nodes, APIServer: inv.Kubernetes.GitVersion}
		switch {
		case m > api:
			s.Problem = fmt.Sprintf("%s %s is newer than the API server %s: components may not be newer than the API server", kind, version, inv.Kubernetes.GitVersion)
		case api-m > older:
			s.Problem = fmt.Sprintf("%s %s is %d minor versions older than the API server %s; the policy allows %d", kind, version, api-m, inv.Kubernetes.GitVersion, older)
		default:
			return
		}
		out = append(out, s)
	}
	byVersion := map[string][]string{}
	var versions []string
	for _, n := range inv.Nodes {
		if _, seen := byVersion[n.KubeletVersion]; !seen {
			versions = append(versions, n.KubeletVersion)
		}
		byVersion[n.KubeletVersion] = append(byVersion[n.KubeletVersion], n.Name)
	}
	slices.Sort(versions)
	for _, v := range versions {
		check(KindKubelet, v, byVersion[v], nodeOlder)
	}
	for _, c := range inv.Components {
		switch c.Name {
		case KindKubeProxy:
			check(c.Name, c.Version, nil, nodeOlder)
		case KindControllerManager, KindScheduler, KindCloudController:
			check(c.Name, c.Version, nil, 1)
		}
	}
	return out
}

// minorNumber returns the minor of a Kubernetes 1.x version.
func minorNumber(v string) (int, bool) {
	k, err := vuln.KubeVersion(v)
	if err != nil {
		return 0, false
	}
	n, ok := parseNumeric(k)
	if !ok || at(n.parts, 0) != 1 {
		return 0, false
	}
	return at(n.parts, 1), true
}
