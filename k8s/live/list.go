package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

const (
	acceptJSON     = "application/json"
	acceptMetadata = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
)

// List reads every object of a resource, in one namespace or in all when
// namespace is "", page by page (limit and continue), streaming: each
// item's JSON goes to each as it is read, and no page is held whole. With
// metadataOnly the server sends only metadata (PartialObjectMetadata).
//
// each returns a key that tells the item apart (its uid): if a continue
// token expires (410 Gone) the list starts again, and items already handed
// over are not handed over twice.
func (c *Cluster) List(ctx context.Context, r Resource, namespace string, metadataOnly bool, each func(item []byte) (key string, err error)) error {
	accept := acceptJSON
	if metadataOnly {
		accept = acceptMetadata
	}
	seen := map[string]bool{}
	token := ""
	restarts := 0
	// Namespaces to leave out are left out by the server, with a field
	// selector; a resource that does not take one (some do not support
	// metadata.namespace) is filtered here instead.
	fs := c.FieldSelector(r, namespace)
	filter := false
	for {
		q := url.Values{"limit": {strconv.FormatInt(c.opts.PageSize, 10)}}
		if fs != "" {
			q.Set("fieldSelector", fs)
		}
		if token != "" {
			q.Set("continue", token)
		}
		var next string
		err := c.get(ctx, r.apiPath(namespace), q, accept, func(body io.Reader) error {
			var err error
			next, err = readList(body, func(item []byte) error {
				if restarts > 0 && seen[itemKey(item)] {
					return nil
				}
				if filter && c.excluded(r, item) {
					return nil
				}
				key, err := each(item)
				seen[key] = true
				return err
			})
			return err
		})
		var ae *apiError
		if errors.As(err, &ae) && ae.Code == http.StatusBadRequest && fs != "" && token == "" {
			fs, filter = "", true
			continue
		}
		if errors.As(err, &ae) && ae.Code == http.StatusGone && token != "" && restarts < 3 {
			token, restarts = "", restarts+1 // the continue token expired: start again
			continue
		}
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

// readList reads a list response, handing each item to each, and returns
// the continue token.
func readList(body io.Reader, each func([]byte) error) (cont string, err error) {
	dec := json.NewDecoder(body)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", fmt.Errorf("reading a list: not a JSON object (%v)", err)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", err
		}
		switch t {
		case "metadata":
			var md struct {
				Continue string `json:"continue"`
			}
			if err := dec.Decode(&md); err != nil {
				return "", err
			}
			cont = md.Continue
		case "items":
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				if t == nil && err == nil {
					continue // "items": null
				}
				return "", fmt.Errorf("reading a list: items is not an array")
			}
			for dec.More() {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return "", err
				}
				if err := each(raw); err != nil {
					return "", err
				}
			}
			if _, err := dec.Token(); err != nil {
				return "", err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return "", err
			}
		}
	}
	return cont, nil
}

// itemKey is an item's namespace and name (or uid), enough to tell items of
// one resource apart.
func itemKey(item []byte) string {
	var md struct {
		Metadata struct {
			Namespace string `json:"namespace"`
			Name      string `json:"name"`
			UID       string `json:"uid"`
		} `json:"metadata"`
	}
	if json.Unmarshal(item, &md) != nil {
		return string(item[:min(len(item), 64)])
	}
	if md.Metadata.UID != "" {
		return md.Metadata.UID
	}
	return md.Metadata.Namespace + "/" + md.Metadata.Name
}

// excluded reports whether an item of r is in a namespace to leave out (or
// is such a Namespace).
func (c *Cluster) excluded(r Resource, item []byte) bool {
	var md struct {
		Metadata struct {
			Namespace string `json:"namespace"`
			Name      string `json:"name"`
		} `json:"metadata"`
	}
	if json.Unmarshal(item, &md) != nil {
		return false
	}
	ns := md.Metadata.Namespace
	if r.Group == "" && r.Name == "namespaces" {
		ns = md.Metadata.Name
	}
	return slices.Contains(c.opts.ExcludeNamespaces, ns)
}
