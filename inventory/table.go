package inventory

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/dozor-dev/dozor/finding"
)

// WriteJSON writes the inventory as one indented JSON document, in the
// schema of docs/inventory-json.md.
func WriteJSON(w io.Writer, inv *Inventory) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(inv); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteTable writes the inventory for people: the cluster, then a table per
// section, long lists cut short (the JSON has everything), then what could
// not be read.
func WriteTable(w io.Writer, inv *Inventory) error {
	bw := bufio.NewWriter(w)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	row := func(cells ...string) {
		for i, c := range cells {
			if c == "" {
				cells[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	// table starts a section; its header only if it has rows.
	table := func(title string, rows int, header ...string) {
		_ = tw.Flush()
		fmt.Fprintf(bw, "\n%s\n", title)
		if rows > 0 {
			row(header...)
		}
	}
	count := func(title string, n int) string { return fmt.Sprintf("%s (%d)", title, n) }

	k := inv.Kubernetes
	row("Cluster", inv.Cluster.Name, inv.Cluster.Server)
	built := ""
	if k.BuildDate != "" {
		built = "built " + k.BuildDate
	}
	row("Kubernetes", k.GitVersion, k.Platform, built)
	d := inv.Distribution
	dist := DistributionTitles[d.Name]
	if dist == "" {
		dist = d.Name
	}
	if d.Provider != "" {
		dist += " on " + d.Provider
	}
	row("Distribution", dist+", from: "+d.DecidedBy)
	if len(inv.Scope.Namespaces) > 0 {
		row("Scope", "namespaces "+strings.Join(inv.Scope.Namespaces, ", ")+" (nodes, namespaces and CRDs are read in full)")
	}
	s := inv.Summary
	row("Read", fmt.Sprintf("%d objects (%d nodes, %d namespaces, %d pods); %d images in use; %d custom resources, counted",
		s.Objects, s.Nodes, s.Namespaces, s.Pods, s.Images, s.CustomResources))

	table(count("NODES", len(inv.Nodes)), len(inv.Nodes), "NAME", "READY", "ROLES", "ZONE", "KUBELET", "RUNTIME", "OS IMAGE", "KERNEL", "ARCH")
	for _, n := range inv.Nodes {
		rt := strings.TrimSpace(n.ContainerRuntime.Name + " " + n.ContainerRuntime.Version)
		row(n.Name, n.Ready, strings.Join(n.Roles, ","), n.Zone, n.KubeletVersion, rt, n.OSImage, n.KernelVersion, n.Architecture)
	}

	table(count("COMPONENTS", len(inv.Components)), len(inv.Components), "COMPONENT", "VERSION", "SOURCE", "IMAGE", "PODS")
	for _, c := range inv.Components {
		src, pods := c.Source, ""
		if src == SourceVersion {
			src = "/version"
		}
		if len(c.Pods) > 0 {
			pods = strconv.Itoa(len(c.Pods))
		}
		row(c.Name, c.Version, src, c.Image, pods)
	}

	names := map[string]*Namespace{}
	for i := range inv.Namespaces {
		names[inv.Namespaces[i].Name] = &inv.Namespaces[i]
	}
	all := slices.Sorted(maps.Keys(names))
	for ns := range inv.Workloads.ByNamespace {
		if _, ok := names[ns]; !ok {
			all = append(all, ns)
		}
	}
	slices.Sort(all)
	table(count("NAMESPACES", len(all)), len(all), "NAME", "ENFORCE", "AUDIT", "WARN", "WORKLOADS")
	for _, name := range all {
		enforce, audit, warn := "?", "?", "?" // the Namespace was not read
		if n := names[name]; n != nil {
			ps := n.PodSecurity
			enforce, audit, warn = level(ps.Enforce, ps.EnforceVersion), level(ps.Audit, ps.AuditVersion), level(ps.Warn, ps.WarnVersion)
		}
		row(name, enforce, audit, warn, kindCounts(inv.Workloads.ByNamespace[name]))
	}
	_ = tw.Flush()
	fmt.Fprintf(bw, "\nWORKLOADS  %s\n", kindCounts(inv.Workloads.ByKind))

	table(count("IMAGES", len(inv.Images)), len(inv.Images), "IMAGE", "RUNNING", "CONTAINERS", "WORKLOADS")
	for _, img := range inv.Images {
		var running []string
		for _, r := range img.Running {
			running = append(running, shortDigest(r.Digest))
		}
		row(img.Reference, strings.Join(running, ","), strconv.Itoa(len(img.Containers)), refs(img.Workloads))
	}

	used := 0
	for _, a := range inv.ServiceAccounts {
		if len(a.Pods)+len(a.Workloads) > 0 {
			used++
		}
	}
	table(fmt.Sprintf("SERVICE ACCOUNTS (%d; the %d that pods or workloads use)", len(inv.ServiceAccounts), used), used,
		"NAMESPACE", "NAME", "AUTOMOUNT", "PODS", "WORKLOADS")
	for _, a := range inv.ServiceAccounts {
		if len(a.Pods)+len(a.Workloads) == 0 {
			continue
		}
		automount := ""
		if a.AutomountServiceAccountToken != nil {
			automount = strconv.FormatBool(*a.AutomountServiceAccountToken)
		}
		name := a.Name
		if a.Missing {
			name += " (missing)"
		}
		row(a.Namespace, name, automount, strconv.Itoa(len(a.Pods)), refs(a.Workloads))
	}

	table(count("EXPOSED SERVICES", len(inv.Services)), len(inv.Services), "NAMESPACE", "NAME", "TYPE", "PORTS", "EXTERNAL")
	for _, sv := range inv.Services {
		var ports []string
		for _, p := range sv.Ports {
			port := strconv.Itoa(int(p.Port))
			if p.NodePort != 0 {
				port += ":" + strconv.Itoa(int(p.NodePort))
			}
			ports = append(ports, port+"/"+p.Protocol)
		}
		row(sv.Namespace, sv.Name, sv.Type, strings.Join(ports, ","), strings.Join(append(slices.Clone(sv.ExternalIPs), sv.LoadBalancer...), ","))
	}

	table(count("INGRESSES", len(inv.Ingresses)), len(inv.Ingresses), "NAMESPACE", "NAME", "CLASS", "HOSTS", "TLS")
	for _, in := range inv.Ingresses {
		var hosts []string
		tls := 0
		for _, h := range in.Hosts {
			hosts = append(hosts, cmp.Or(h.Host, "*"))
			if h.TLS {
				tls++
			}
		}
		t := "no"
		switch {
		case len(in.Hosts) > 0 && tls == len(in.Hosts):
			t = "yes"
		case tls > 0:
			t = fmt.Sprintf("%d of %d hosts", tls, len(in.Hosts))
		}
		row(in.Namespace, in.Name, in.Class, strings.Join(hosts, ","), t)
	}

	n := len(inv.CustomResourceDefinitions)
	table(count("CUSTOM RESOURCE DEFINITIONS", n), n, "NAME", "KIND", "SCOPE", "OBJECTS")
	for _, c := range inv.CustomResourceDefinitions {
		objects := "?"
		if c.Objects != nil {
			objects = strconv.FormatInt(*c.Objects, 10)
		}
		row(c.Name, c.Kind, c.Scope, objects)
	}
	_ = tw.Flush()

	if len(inv.Gaps) > 0 {
		fmt.Fprintf(bw, "\nNOT READ (%d): the inventory leaves these out\n", len(inv.Gaps))
		for _, g := range inv.Gaps {
			fmt.Fprintf(bw, "  %s\n", gapText(g))
		}
	}
	return bw.Flush()
}

// level renders a Pod Security level with its version, if pinned.
func level(l, version string) string {
	if l != "" && version != "" && version != "latest" {
		return l + "@" + version
	}
	return l
}

// kindCounts renders counts by kind: "2 Deployment, 5 Pod".
func kindCounts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

// refs renders the first few references, and how many more there are.
func refs(list []ObjectRef) string {
	const shown = 2
	var parts []string
	for i, r := range list {
		if i == shown {
			parts = append(parts, fmt.Sprintf("and %d more", len(list)-shown))
			break
		}
		parts = append(parts, r.String())
	}
	return strings.Join(parts, ", ")
}

// shortDigest cuts a digest to the 12 hexadecimal digits people compare.
func shortDigest(d string) string {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return algo + ":" + hex[:12]
}

// gapText says what part of the cluster was not read, and why.
func gapText(g finding.Gap) string {
	where := g.Resource
	if g.Namespace != "" {
		where += " in namespace " + g.Namespace
	}
	what := "not visible to these credentials"
	if g.Kind == finding.GapFailed {
		what = "reading failed"
	}
	return fmt.Sprintf("%s: %s: %s", where, what, g.Reason)
}
