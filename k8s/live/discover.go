package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	"github.com/dozor-dev/dozor/finding"
)

// Resource is one listable resource the API server serves.
type Resource struct {
	Group, Version, Kind string
	// Name is the plural resource name: "deployments".
	Name       string
	Namespaced bool
}

// GVK returns the resource's group, version and kind.
func (r Resource) GVK() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind}
}

// String names the resource as kubectl does: "deployments.apps", "pods".
func (r Resource) String() string {
	if r.Group == "" {
		return r.Name
	}
	return r.Name + "." + r.Group
}

// apiPath is the path of the resource's collection, in a namespace or not.
func (r Resource) apiPath(namespace string) string {
	p := "/apis/" + r.Group + "/" + r.Version
	if r.Group == "" {
		p = "/api/" + r.Version
	}
	if namespace != "" {
		p += "/namespaces/" + namespace
	}
	return p + "/" + r.Name
}

// skipped are resources that are listable but not configuration: events
// come and go by the thousand, and are the subject of runtime tools;
// componentstatuses are deprecated, made up on each request, and have no
// version.
var skipped = map[string]bool{"events": true, "events.events.k8s.io": true, "componentstatuses": true}

// Resources discovers every listable resource, in the version the server
// prefers, custom resources included, sorted by group and name. Groups
// whose discovery fails (an aggregated API that is down) come back as gaps;
// the others are returned.
func (c *Cluster) Resources(ctx context.Context) ([]Resource, []finding.Gap, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(c.config)
	if err != nil {
		return nil, nil, err
	}
	var lists []*metav1.APIResourceList
	backoff := 200 * time.Millisecond
	for attempt := 0; ; attempt++ {
		lists, err = dc.ServerPreferredResources()
		if err == nil || discovery.IsGroupDiscoveryFailedError(err) || attempt >= c.opts.Retries || ctx.Err() != nil {
			break
		}
		time.Sleep(backoff)
		backoff *= 2
	}
	var gaps []finding.Gap
	if err != nil {
		var gdf *discovery.ErrGroupDiscoveryFailed
		if !errors.As(err, &gdf) {
			return nil, nil, c.describe(fmt.Errorf("discovering the API: %w", err))
		}
		for gv, gerr := range gdf.Groups {
			gaps = append(gaps, finding.Gap{Resource: "*." + gv.String(), Kind: finding.GapFailed,
				Reason: "discovery of the API group failed: " + gerr.Error()})
		}
		sort.Slice(gaps, func(i, j int) bool { return gaps[i].Resource < gaps[j].Resource })
	}
	var out []Resource
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") {
				continue // subresources, and what cannot be listed
			}
			res := Resource{Group: gv.Group, Version: gv.Version, Kind: r.Kind, Name: r.Name, Namespaced: r.Namespaced}
			if skipped[res.String()] || !c.wanted(res) {
				continue
			}
			out = append(out, res)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return out[i].Name < out[j].Name
	})
	return out, gaps, nil
}

// wanted applies Options.Kinds.
func (c *Cluster) wanted(r Resource) bool {
	if len(c.opts.Kinds) == 0 {
		return true
	}
	for _, k := range c.opts.Kinds {
		switch {
		case strings.EqualFold(k, r.Name), strings.EqualFold(k, r.Kind), strings.EqualFold(k, r.String()),
			strings.EqualFold(k, r.Kind+"."+r.Group):
			return true
		}
	}
	return false
}
