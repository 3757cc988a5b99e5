package live

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// get performs a GET of path (with query) and hands the body to read. It
// tries again, with exponential backoff, when the failure may pass: the
// network, 429 (honouring Retry-After) and 5xx.
func (c *Cluster) get(ctx context.Context, path string, query url.Values, accept string, read func(io.Reader) error) error {
	u := *c.base
	u.Path = joinPath(c.base.Path, path)
	u.RawQuery = query.Encode()
	backoff := 200 * time.Millisecond
	var err error
	for attempt := 0; ; attempt++ {
		err = c.once(ctx, u.String(), accept, read)
		if err == nil || !retryable(err) || attempt >= c.opts.Retries || ctx.Err() != nil {
			break
		}
		wait := backoff
		var ra *retryAfter
		if asRetryAfter(err, &ra) && ra.d > wait {
			wait = ra.d
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(backoff*2, 5*time.Second)
	}
	if err != nil {
		return c.describe(err)
	}
	return nil
}

// retryAfter is an apiError whose server asked to wait.
type retryAfter struct {
	*apiError
	d time.Duration
}

func asRetryAfter(err error, out **retryAfter) bool {
	ra, ok := err.(*retryAfter)
	if ok {
		*out = ra
	}
	return ok
}

func (r *retryAfter) Unwrap() error { return r.apiError }

func (c *Cluster) once(ctx context.Context, u, accept string, read func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", accept)
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		ae := &apiError{Code: resp.StatusCode, Reason: resp.Status}
		var st struct {
			Message string `json:"message"`
			Reason  string `json:"reason"`
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(body, &st) == nil && st.Message != "" {
			ae.Message, ae.Reason = st.Message, st.Reason
		}
		if s := resp.Header.Get("Retry-After"); s != "" {
			if secs, err := strconv.Atoi(s); err == nil && secs > 0 {
				return &retryAfter{apiError: ae, d: min(time.Duration(secs)*time.Second, 30*time.Second)}
			}
		}
		return ae
	}
	return read(resp.Body)
}

// getJSON GETs a small JSON document.
func (c *Cluster) getJSON(ctx context.Context, path string, v any) error {
	return c.get(ctx, path, nil, "application/json", func(r io.Reader) error {
		if err := json.NewDecoder(io.LimitReader(r, 32<<20)).Decode(v); err != nil {
			return fmt.Errorf("GET %s: %w", path, err)
		}
		return nil
	})
}

func joinPath(base, p string) string {
	if base == "" || base == "/" {
		return p
	}
	if base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return base + p
}
