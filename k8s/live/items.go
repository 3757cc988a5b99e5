package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/dozor-dev/dozor/finding"
)

// Item is one object of a list, as the API server sent it.
type Item struct {
	// Resource is the resource the object was listed from.
	Resource Resource
	// JSON is the object, as the API server sent it. For a Secret read as
	// metadata only it is a PartialObjectMetadata (apiVersion meta.k8s.io/v1).
	// A Secret's kubectl last-applied annotation, which holds its values, is
	// already removed.
	JSON []byte
	// MetadataOnly is set when only the object's metadata was read
	// (Secrets, unless Options.ReadSecrets).
	MetadataOnly bool
}

// Items reads what Objects reads, in the same scope (Options.Namespaces,
// Kinds and ReadSecrets), but hands each object's JSON to emit rather than
// decoding it: for callers that keep objects as the API returned them
// (snapshots). emit is called from several goroutines at once, and an
// error it returns stops the list it came from (reported as a failed gap)
// and is returned. Gaps and the error are as for Objects.
func (c *Cluster) Items(ctx context.Context, emit func(Item) error) ([]finding.Gap, error) {
	resources, gaps, err := c.Resources(ctx)
	if err != nil {
		return nil, err
	}
	var (
		mu      sync.Mutex
		emitErr error
	)
	c.inParallel(c.scopes(resources), func(_ int, s scope) {
		err := c.readItems(ctx, s.res, s.namespace, emit)
		if err == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		var ee *emitError
		if errors.As(err, &ee) {
			if emitErr == nil {
				emitErr = ee.err
			}
		} else {
			gaps = append(gaps, c.gapOf(s.res, s.namespace, err))
		}
	})
	if emitErr != nil {
		return gaps, emitErr
	}
	if err := ctx.Err(); err != nil {
		return gaps, err
	}
	return gaps, nil
}

// emitError is an error of the caller's emit, told apart from a failed list.
type emitError struct{ err error }

func (e *emitError) Error() string { return e.err.Error() }

// readItems lists one resource and hands its items to emit.
func (c *Cluster) readItems(ctx context.Context, r Resource, namespace string, emit func(Item) error) error {
	secret := r.Group == "" && r.Name == "secrets"
	metadataOnly := secret && !c.opts.ReadSecrets
	return c.List(ctx, r, namespace, metadataOnly, func(item []byte) (string, error) {
		key := itemKey(item)
		if secret {
			var err error
			if item, err = dropLastApplied(item); err != nil {
				return "", fmt.Errorf("%s: %w", r, err)
			}
		}
		if err := emit(Item{Resource: r, JSON: item, MetadataOnly: metadataOnly}); err != nil {
			return "", &emitError{err}
		}
		return key, nil
	})
}

// gapOf turns a failed list into a gap.
func (c *Cluster) gapOf(r Resource, namespace string, err error) finding.Gap {
	gap := finding.Gap{Resource: r.String(), Namespace: namespace, Kind: finding.GapFailed, Reason: err.Error()}
	var ae *apiError
	if errors.As(err, &ae) && ae.Code == http.StatusForbidden {
		gap.Kind, gap.Reason = finding.GapNotVisible, ae.Message
	}
	return gap
}

// dropLastApplied removes the kubectl last-applied annotation from an
// object's JSON, if it has it.
func dropLastApplied(item []byte) ([]byte, error) {
	if !bytes.Contains(item, []byte(lastApplied)) {
		return item, nil
	}
	dec := json.NewDecoder(bytes.NewReader(item))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	if md, ok := obj["metadata"].(map[string]any); ok {
		if ann, ok := md["annotations"].(map[string]any); ok {
			delete(ann, lastApplied)
			if len(ann) == 0 {
				delete(md, "annotations")
			}
		}
	}
	return json.Marshal(obj)
}

// Options returns the options the cluster was connected with, defaults
// applied.
func (c *Cluster) Options() Options {
	o := c.opts
	o.Namespaces = append([]string(nil), o.Namespaces...)
	o.Kinds = append([]string(nil), o.Kinds...)
	return o
}
