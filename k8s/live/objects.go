package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	sigsjson "sigs.k8s.io/json"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// lastApplied is the annotation kubectl apply leaves, which holds a copy of
// the object as applied: for a Secret, its values.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// Objects reads every resource Resources discovers (in the namespaces of
// Options, if any) with Parallel lists at a time, and hands each object to
// emit, from several goroutines. Resources the credentials may not list,
// and lists that fail after retries, come back as gaps; the error is for
// failures that leave nothing to read (the server cannot be reached).
func (c *Cluster) Objects(ctx context.Context, emit func(*k8s.Object)) ([]finding.Gap, error) {
	resources, gaps, err := c.Resources(ctx)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	c.inParallel(c.scopes(resources), func(unit int, s scope) {
		if gap := c.read(ctx, s.res, s.namespace, unit, emit); gap != nil {
			mu.Lock()
			gaps = append(gaps, *gap)
			mu.Unlock()
		}
	})
	if err := ctx.Err(); err != nil {
		return gaps, err
	}
	return gaps, nil
}

// scope is one list: a resource, in one namespace or in all ("").
type scope struct {
	res       Resource
	namespace string
}

// scopes are the lists that read resources in the scope of Options: each
// resource in all namespaces, or in each of Options.Namespaces; then
// cluster-scoped resources are left out, but for the Namespaces
// themselves (their Pod Security labels).
func (c *Cluster) scopes(resources []Resource) []scope {
	var out []scope
	for _, r := range resources {
		switch {
		case !r.Namespaced && len(c.opts.Namespaces) > 0 && !(r.Group == "" && r.Name == "namespaces"):
		case r.Namespaced && len(c.opts.Namespaces) > 0:
			for _, ns := range c.opts.Namespaces {
				out = append(out, scope{r, ns})
			}
		default:
			out = append(out, scope{r, ""})
		}
	}
	return out
}

// inParallel calls read for each scope, with its index, Options.Parallel
// at a time, and returns when every call has.
func (c *Cluster) inParallel(scopes []scope, read func(i int, s scope)) {
	ch := make(chan int)
	var wg sync.WaitGroup
	for range c.opts.Parallel {
		wg.Go(func() {
			for i := range ch {
				read(i, scopes[i])
			}
		})
	}
	for i := range scopes {
		ch <- i
	}
	close(ch)
	wg.Wait()
}

// read lists one resource and converts its items; it returns a gap if the
// list was refused or failed.
func (c *Cluster) read(ctx context.Context, r Resource, namespace string, unit int, emit func(*k8s.Object)) *finding.Gap {
	secret := r.Group == "" && r.Name == "secrets"
	metadataOnly := secret && !c.opts.ReadSecrets
	i := 0
	err := c.List(ctx, r, namespace, metadataOnly, func(item []byte) (string, error) {
		obj, err := c.decode(r, item, metadataOnly)
		if err != nil {
			return "", fmt.Errorf("%s: %w", r, err)
		}
		if secret {
			delete(obj.Meta.Annotations, lastApplied)
		}
		obj.Seq = k8s.Seq{Unit: unit, Doc: i}
		i++
		emit(obj)
		return string(obj.Meta.UID), nil
	})
	if err == nil {
		return nil
	}
	gap := &finding.Gap{Resource: r.String(), Namespace: namespace, Kind: finding.GapFailed, Reason: err.Error()}
	var ae *apiError
	if errors.As(err, &ae) && ae.Code == http.StatusForbidden {
		gap.Kind, gap.Reason = finding.GapNotVisible, ae.Message
	}
	return gap
}

// decode turns an item of a list into an object: typed for the kinds of
// k8s.io/api, unstructured for the others, metadata only when asked. The
// object drops its managedFields, which only the history needs.
func (c *Cluster) decode(r Resource, item []byte, metadataOnly bool) (*k8s.Object, error) {
	gvk := r.GVK()
	apiVersion, kind := gvk.GroupVersion().String(), gvk.Kind
	obj := &k8s.Object{APIVersion: apiVersion, Kind: kind,
		Source: k8s.Source{Cluster: c.Name, Group: "cluster:" + c.Name}}
	if metadataOnly {
		var pm metav1.PartialObjectMetadata
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(item, &pm); err != nil {
			return nil, err
		}
		obj.Meta = &pm.ObjectMeta
	} else if typed, err := scheme.Scheme.New(gvk); err == nil {
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(item, typed); err != nil {
			return nil, err
		}
		a, ok := typed.(metav1.ObjectMetaAccessor)
		if !ok {
			return nil, fmt.Errorf("%s has no metadata", gvk)
		}
		m, ok := a.GetObjectMeta().(*metav1.ObjectMeta)
		if !ok {
			return nil, fmt.Errorf("%s has no metadata", gvk)
		}
		obj.Typed, obj.Meta, obj.Pod = typed, m, k8s.PodTemplateOf(typed)
	} else {
		var u map[string]any
		if err := json.Unmarshal(item, &u); err != nil {
			return nil, err
		}
		var md struct {
			Metadata metav1.ObjectMeta `json:"metadata"`
		}
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(item, &md); err != nil {
			return nil, err
		}
		// managedFields are most of a small object's bytes, and most of
		// its memory once decoded into maps: the typed Meta drops them
		// below, the content drops them here.
		if m, ok := u["metadata"].(map[string]any); ok {
			delete(m, "managedFields")
		}
		obj.Unstructured, obj.Meta = u, &md.Metadata
	}
	obj.Meta.ManagedFields = nil
	return obj, nil
}
