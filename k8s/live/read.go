package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	corev1 "k8s.io/api/core/v1"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Read lists one resource, in one namespace or in all when namespace is "",
// and hands each object to emit as Objects does (Secrets as metadata unless
// Options.ReadSecrets), from the calling goroutine. It is for callers that
// choose their own resources and scope, such as the inventory. It returns
// a gap when the list was refused (not visible) or failed after retries,
// and nil when every object was read.
func (c *Cluster) Read(ctx context.Context, r Resource, namespace string, emit func(*k8s.Object)) *finding.Gap {
	return c.read(ctx, r, namespace, 0, emit)
}

// Count returns the number of objects of a resource, in one namespace or in
// all when namespace is "", without listing them: one request for a single
// item (metadata only), whose metadata.remainingItemCount tells how many
// follow. The API server leaves that count out in some cases (older
// servers, some storage backends); Count then pages through the list as
// metadata, counting. Like the API server's own, the count is a snapshot
// that may be out of date as soon as it is read. A refused or failed
// request is returned as a gap.
func (c *Cluster) Count(ctx context.Context, r Resource, namespace string) (int64, *finding.Gap) {
	var page struct {
		Metadata struct {
			Continue           string `json:"continue"`
			RemainingItemCount *int64 `json:"remainingItemCount"`
		} `json:"metadata"`
		Items []json.RawMessage `json:"items"`
	}
	q := url.Values{"limit": {"1"}}
	if fs := c.FieldSelector(r, namespace); fs != "" {
		q.Set("fieldSelector", fs)
	}
	err := c.get(ctx, r.apiPath(namespace), q, acceptMetadata, func(body io.Reader) error {
		if err := json.NewDecoder(io.LimitReader(body, 32<<20)).Decode(&page); err != nil {
			return fmt.Errorf("%s: reading a list: %w", r, err)
		}
		return nil
	})
	var ae *apiError
	if errors.As(err, &ae) && ae.Code == http.StatusBadRequest && q.Has("fieldSelector") {
		// The resource takes no field selector: count by listing, which
		// filters the namespaces to leave out itself.
		page.Metadata.Continue, err = "list", nil
	}
	if err != nil {
		gap := c.gapOf(r, namespace, err)
		return 0, &gap
	}
	n := int64(len(page.Items))
	switch {
	case page.Metadata.Continue == "":
		return n, nil
	case page.Metadata.RemainingItemCount != nil:
		return n + *page.Metadata.RemainingItemCount, nil
	}
	n = 0
	err = c.List(ctx, r, namespace, true, func(item []byte) (string, error) {
		n++
		return itemKey(item), nil
	})
	if err != nil {
		gap := c.gapOf(r, namespace, err)
		return 0, &gap
	}
	return n, nil
}

// Secret reads one Secret in full. It is for what the user asked for by
// name (a workload's image pull secrets, with --image-pull-secrets); the
// values are the caller's to keep to itself.
func (c *Cluster) Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	var s corev1.Secret
	p := "/api/v1/namespaces/" + url.PathEscape(namespace) + "/secrets/" + url.PathEscape(name)
	if err := c.getJSON(ctx, p, &s); err != nil {
		return nil, fmt.Errorf("Secret %s/%s: %w", namespace, name, c.describe(err))
	}
	return &s, nil
}
