// Package live reads a live cluster through its API: discovery of every
// served resource (custom resources included), paginated lists with
// bounded concurrency, retries with backoff where they help, and objects
// decoded into the same k8s.Object that files give. What the credentials
// may not list, or what fails, is returned as a gap, never dropped.
//
// It reads only. Secrets are read as metadata unless asked otherwise, and
// even then the kubectl last-applied annotation, which holds their values,
// is dropped as soon as an object is read.
package live

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Options configure reading a cluster.
type Options struct {
	// Kubeconfig is the kubeconfig file; empty means the usual rules
	// ($KUBECONFIG, then ~/.kube/config).
	Kubeconfig string
	// Context is the kubeconfig context; empty means the current one.
	Context string
	// Namespaces limits namespaced resources to these namespaces; empty
	// means all.
	Namespaces []string
	// ExcludeNamespaces leaves these namespaces out (kube-system, say): the
	// API server filters them with a field selector, so their objects are
	// not even sent. Not with Namespaces.
	ExcludeNamespaces []string
	// Kinds limits reading to these resources: plural names ("pods"),
	// kinds ("Deployment"), or with their group ("deployments.apps").
	Kinds []string
	// ReadSecrets reads Secrets in full; by default only their metadata.
	ReadSecrets bool
	// PageSize is the number of objects asked for per request (default 500).
	PageSize int64
	// Parallel is the number of resources listed at once (default 4).
	Parallel int
	// RequestTimeout bounds each request (default 60s).
	RequestTimeout time.Duration
	// Retries is how often a request that failed for a passing reason
	// (network, 429, 5xx) is tried again, with backoff (default 4).
	Retries int
}

func (o *Options) defaults() {
	if o.PageSize <= 0 {
		o.PageSize = 500
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 60 * time.Second
	}
	if o.Retries < 0 {
		o.Retries = 0
	} else if o.Retries == 0 {
		o.Retries = 4
	}
}

// Cluster is a connection to one cluster.
type Cluster struct {
	// Name is the kubeconfig context.
	Name string
	// Server is the API server's URL.
	Server string
	// Version is what /version reports.
	Version *version.Info

	opts   Options
	config *rest.Config
	client *http.Client
	base   *url.URL
}

// Connect reads the kubeconfig and asks the API server for its version,
// which tells at once whether it can be reached, its certificate trusted,
// and the credentials accepted.
func Connect(ctx context.Context, opts Options) (*Cluster, error) {
	opts.defaults()
	if len(opts.ExcludeNamespaces) > 0 && len(opts.Namespaces) > 0 {
		return nil, errors.New("namespaces to read and namespaces to leave out cannot be given together")
	}
	for _, ns := range opts.ExcludeNamespaces {
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return nil, fmt.Errorf("namespace to leave out %q: %s", ns, strings.Join(errs, "; "))
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if opts.Kubeconfig != "" {
		rules.ExplicitPath = opts.Kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: opts.Context})
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	name := opts.Context
	if name == "" {
		name = raw.CurrentContext
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig context %q: %w", name, err)
	}
	cfg.Timeout = opts.RequestTimeout
	cfg.WarningHandler = rest.NoWarnings{}
	cfg.UserAgent = "dozor"
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig context %q: %w", name, err)
	}
	base, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig context %q: server %q: %w", name, cfg.Host, err)
	}
	if base.Scheme == "" {
		base, _ = url.Parse("https://" + cfg.Host)
	}
	c := &Cluster{Name: name, Server: base.String(), opts: opts, config: cfg, client: hc, base: base}
	var v version.Info
	if err := c.getJSON(ctx, "/version", &v); err != nil {
		return nil, err
	}
	c.Version = &v
	return c, nil
}

// Config returns the client configuration, for clients of other kinds.
func (c *Cluster) Config() *rest.Config { return rest.CopyConfig(c.config) }

// apiError is an error status from the API server.
type apiError struct {
	Code    int
	Reason  string
	Message string
}

func (e *apiError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Code)
	}
	return fmt.Sprintf("HTTP %d %s", e.Code, e.Reason)
}

// retryable reports whether a request is worth trying again.
func retryable(err error) bool {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Code == http.StatusTooManyRequests || ae.Code >= 500
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		var ce x509.CertificateInvalidError
		var ua x509.UnknownAuthorityError
		var he x509.HostnameError
		if errors.As(err, &ce) || errors.As(err, &ua) || errors.As(err, &he) {
			return false
		}
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// describe turns a failed request into an error that says what to look at.
func (c *Cluster) describe(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Code == http.StatusUnauthorized {
		return fmt.Errorf("the API server at %s rejected the credentials of context %q (expired or revoked?): %w", c.Server, c.Name, err)
	}
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return fmt.Errorf("TLS: the API server's certificate at %s is not signed by the kubeconfig's certificate authority: %w", c.Server, err)
	case errors.As(err, &he):
		return fmt.Errorf("TLS: the API server's certificate does not name %s: %w", c.base.Host, err)
	case errors.As(err, &ce):
		return fmt.Errorf("TLS: the API server's certificate at %s is not valid (expired?): %w", c.Server, err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("the API server at %s did not answer within %v (--request-timeout): %w", c.Server, c.opts.RequestTimeout, err)
		}
		if strings.Contains(err.Error(), "tls:") {
			return fmt.Errorf("TLS error talking to %s: %w", c.Server, err)
		}
		return fmt.Errorf("cannot reach the API server at %s: %w", c.Server, err)
	}
	return err
}

// FieldSelector returns the field selector that leaves out
// ExcludeNamespaces when listing r across namespaces (namespace ""): on
// metadata.namespace for namespaced resources, on metadata.name for
// Namespaces themselves; "" when there is nothing to leave out.
func (c *Cluster) FieldSelector(r Resource, namespace string) string {
	if len(c.opts.ExcludeNamespaces) == 0 || namespace != "" {
		return ""
	}
	field := "metadata.namespace"
	switch {
	case r.Group == "" && r.Name == "namespaces":
		field = "metadata.name"
	case !r.Namespaced:
		return ""
	}
	var b strings.Builder
	for i, ns := range c.opts.ExcludeNamespaces {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(field + "!=" + ns)
	}
	return b.String()
}
