package inventory

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/discovery"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s/live"
)

// Resources are the resources Collect reads, named as live.Options.Kinds
// names them. Connecting with Kinds set to them lets discovery skip the
// rest; Collect reads only these either way. Custom resources are not
// listed, only counted.
var Resources = []string{
	"namespaces", "nodes", "pods", "replicationcontrollers", "serviceaccounts", "services",
	"daemonsets.apps", "deployments.apps", "replicasets.apps", "statefulsets.apps",
	"cronjobs.batch", "jobs.batch",
	"ingresses.networking.k8s.io",
	"customresourcedefinitions.apiextensions.k8s.io",
}

// Collect reads the inventory of a live cluster: the resources in
// Resources, each listed page by page and streamed into a Builder (nothing
// is held but what the inventory keeps), Options.Parallel at a time; then
// the objects of each established custom resource definition, counted
// without being listed (live.Cluster.Count). With Options.Namespaces, the
// namespaced resources are read in those namespaces only, and Nodes,
// Namespaces and custom resource definitions still in full: they describe
// the cluster the namespaces are part of.
//
// What the credentials may not read, or what fails after retries, is in
// Inventory.Gaps. The error is for failures that leave nothing to read (the
// API cannot be discovered) and for a cancelled ctx.
func Collect(ctx context.Context, c *live.Cluster) (*Inventory, error) {
	start := time.Now()
	opts := c.Options()
	resources, gaps, err := c.Resources(ctx)
	if err != nil {
		return nil, err
	}
	// Groups whose discovery failed matter only if the inventory reads
	// them: a metrics API that is down does not make it partial.
	gaps = slices.DeleteFunc(gaps, func(g finding.Gap) bool { return !readsGroup(g.Resource) })

	var groups []string
	if dc, err := discovery.NewDiscoveryClientForConfig(c.Config()); err != nil {
		return nil, err
	} else if list, err := dc.ServerGroups(); err != nil {
		gaps = append(gaps, finding.Gap{Resource: "*", Kind: finding.GapFailed, Reason: "listing the API groups: " + err.Error()})
	} else {
		for _, g := range list.Groups {
			groups = append(groups, g.Name)
		}
	}

	type job struct {
		res       live.Resource
		namespace string
		crd       string
	}
	scoped := func(r live.Resource, crd string) []job {
		if !r.Namespaced || len(opts.Namespaces) == 0 {
			return []job{{r, "", crd}}
		}
		var jobs []job
		for _, ns := range opts.Namespaces {
			jobs = append(jobs, job{r, ns, crd})
		}
		return jobs
	}
	var reads []job
	for _, r := range resources {
		if slices.Contains(Resources, r.String()) {
			reads = append(reads, scoped(r, "")...)
		}
	}
	b := NewBuilder()
	gaps = append(gaps, parallel(ctx, opts.Parallel, reads, func(j job) *finding.Gap {
		return c.Read(ctx, j.res, j.namespace, b.Add)
	})...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	var counts []job
	for _, d := range b.countable() {
		r := live.Resource{Group: d.group, Version: d.version, Kind: d.kind, Name: d.plural, Namespaced: d.namespaced}
		counts = append(counts, scoped(r, d.name)...)
	}
	var mu sync.Mutex
	total := map[string]int64{}
	failed := map[string]bool{}
	gaps = append(gaps, parallel(ctx, opts.Parallel, counts, func(j job) *finding.Gap {
		n, gap := c.Count(ctx, j.res, j.namespace)
		mu.Lock()
		defer mu.Unlock()
		if gap != nil {
			failed[j.crd] = true
			return gap
		}
		total[j.crd] += n
		return nil
	})...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for name := range failed {
		delete(total, name) // a count of some namespaces only would mislead
	}

	return b.Finish(Facts{
		Cluster:     Cluster{Name: c.Name, Server: c.Server},
		Version:     c.Version,
		APIGroups:   groups,
		Namespaces:  opts.Namespaces,
		Counts:      total,
		Gaps:        gaps,
		GeneratedAt: start,
	}), nil
}

// readsGroup reports whether a gap of discovery ("*.GROUP/VERSION", "*.v1"
// for the core group) concerns a group Collect reads.
func readsGroup(resource string) bool {
	gv, ok := strings.CutPrefix(resource, "*.")
	if !ok {
		return true
	}
	group, _, found := strings.Cut(gv, "/")
	if !found {
		group = "" // the core group: "v1"
	}
	for _, r := range Resources {
		_, g, _ := strings.Cut(r, ".")
		if g == group {
			return true
		}
	}
	return false
}

// parallel runs do for each job, n at a time, and returns the gaps.
func parallel[J any](ctx context.Context, n int, jobs []J, do func(J) *finding.Gap) []finding.Gap {
	var (
		mu   sync.Mutex
		gaps []finding.Gap
		wg   sync.WaitGroup
	)
	ch := make(chan J)
	for range max(n, 1) {
		wg.Go(func() {
			for j := range ch {
				if gap := do(j); gap != nil {
					mu.Lock()
					gaps = append(gaps, *gap)
					mu.Unlock()
				}
			}
		})
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		ch <- j
	}
	close(ch)
	wg.Wait()
	return gaps
}

// countable returns the custom resource definitions whose objects can be
// counted: established, with a served version.
func (b *Builder) countable() []crdResource {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.crdRes)
}
