package vuln

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Remote is a source to fetch: a name, its format and a URL.
type Remote struct {
	// Name is "osv/ECOSYSTEM", "kev", "epss", "kubernetes-cve-feed" or
	// "eol/PRODUCT".
	Name string
	Kind string
	URL  string
}

// OSVEcosystems are the ecosystems `dozor db update` fetches by default.
var OSVEcosystems = []string{
	"Go", "Debian", "Ubuntu", "Alpine", "Red Hat", "npm", "PyPI", "Maven",
	"crates.io", "RubyGems", "NuGet", "Packagist",
}

// EOLProducts are the endoflife.date products fetched by default: what
// a cluster's components, nodes and managed services are.
var EOLProducts = []string{
	"kubernetes", "containerd", "etcd", "docker-engine", "debian", "ubuntu", "alpine-linux", "rhel",
	"amazon-linux", "amazon-eks", "azure-kubernetes-service", "google-kubernetes-engine", "red-hat-openshift",
	"go", "nodejs", "python",
}

// Default base URLs; each can be pointed at a mirror.
const (
	DefaultOSVBase = "https://osv-vulnerabilities.storage.googleapis.com"
	DefaultKEV     = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	DefaultEPSS    = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
	DefaultEOLBase = "https://endoflife.date/api"
	DefaultK8sFeed = "https://kubernetes.io/docs/reference/issues-security/official-cve-feed/index.json"
)

// Mirrors are the base URLs update fetches from.
type Mirrors struct {
	OSV, KEV, EPSS, EOL, K8sFeed string
	// KubernetesOSV is an OSV archive of the Kubernetes project's
	// component advisories (ecosystem "kubernetes"); none by default,
	// as the project publishes no such archive at a stable address.
	KubernetesOSV string
}

// DefaultMirrors are the publishers' own addresses.
var DefaultMirrors = Mirrors{OSV: DefaultOSVBase, KEV: DefaultKEV, EPSS: DefaultEPSS, EOL: DefaultEOLBase, K8sFeed: DefaultK8sFeed}

// Remotes lists what to fetch from m, for the given OSV ecosystems and
// end-of-life products.
func (m Mirrors) Remotes(ecosystems, products []string) []Remote {
	var out []Remote
	for _, e := range ecosystems {
		out = append(out, Remote{Name: "osv/" + e, Kind: KindOSV, URL: strings.TrimRight(m.OSV, "/") + "/" + pathEscape(e) + "/all.zip"})
	}
	if m.KubernetesOSV != "" {
		out = append(out, Remote{Name: "osv/" + EcosystemKubernetes, Kind: KindOSV, URL: m.KubernetesOSV})
	}
	if m.K8sFeed != "" {
		out = append(out, Remote{Name: KindK8sFeed, Kind: KindK8sFeed, URL: m.K8sFeed})
	}
	if m.KEV != "" {
		out = append(out, Remote{Name: KindKEV, Kind: KindKEV, URL: m.KEV})
	}
	if m.EPSS != "" {
		out = append(out, Remote{Name: KindEPSS, Kind: KindEPSS, URL: m.EPSS})
	}
	if m.EOL != "" {
		for _, p := range products {
			out = append(out, Remote{Name: "eol/" + p, Kind: KindEOL, URL: strings.TrimRight(m.EOL, "/") + "/" + p + ".json"})
		}
	}
	return out
}

func pathEscape(s string) string { return strings.ReplaceAll(s, " ", "%20") }

// UpdateOptions tune Update.
type UpdateOptions struct {
	ImportOptions
	Client *http.Client
	// MaxDownload bounds each file fetched.
	MaxDownload int64
}

// Update fetches every remote into a temporary directory, then imports
// them as Import does. A fetch that fails leaves the previous database in
// place (unless Partial).
func Update(ctx context.Context, dbPath string, remotes []Remote, opts UpdateOptions) (*ImportResult, error) {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Minute}
	}
	if opts.MaxDownload == 0 {
		opts.MaxDownload = 4 << 30
	}
	logf := opts.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(filepath.Dir(dbPath), ".download-*")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	var inputs []Input
	var failed []error
	for i, r := range remotes {
		file := filepath.Join(dir, fmt.Sprintf("%03d", i), downloadName(r))
		modified, err := download(ctx, opts.Client, r.URL, file, opts.MaxDownload)
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", r.Name, err))
			logf("%s: %v", r.Name, err)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		inputs = append(inputs, Input{Path: file, Kind: r.Kind, Origin: r.URL, Date: modified})
	}
	if len(failed) > 0 && !opts.Partial {
		return &ImportResult{Failed: failed}, fmt.Errorf("%d source(s) could not be fetched; the previous database is unchanged: %w", len(failed), errors.Join(failed...))
	}
	if len(inputs) == 0 {
		return &ImportResult{Failed: failed}, fmt.Errorf("nothing could be fetched")
	}
	res, err := Import(ctx, dbPath, inputs, opts.ImportOptions)
	if res != nil {
		res.Failed = append(failed, res.Failed...)
	}
	return res, err
}

// downloadName is the file name a remote is saved under, which names the
// source: ECOSYSTEM/all.zip for OSV, PRODUCT.json for end-of-life data.
func downloadName(r Remote) string {
	switch r.Kind {
	case KindOSV:
		return filepath.Join(strings.TrimPrefix(r.Name, "osv/"), "all.zip")
	case KindEOL:
		return strings.TrimPrefix(r.Name, "eol/") + ".json"
	case KindEPSS:
		if strings.HasSuffix(r.URL, ".gz") {
			return "epss.csv.gz"
		}
		return "epss.csv"
	}
	return r.Name + ".json"
}

// download fetches url into file, refusing more than limit bytes, and
// returns the Last-Modified time the server gave (zero if none).
func download(ctx context.Context, c *http.Client, url, file string, limit int64) (time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return time.Time{}, err
	}
	req.Header.Set("User-Agent", "dozor-db-update")
	resp, err := c.Do(req)
	if err != nil {
		return time.Time{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return time.Time{}, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if resp.ContentLength > limit {
		return time.Time{}, fmt.Errorf("GET %s: %d bytes, over the limit of %d", url, resp.ContentLength, limit)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return time.Time{}, err
	}
	out, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return time.Time{}, err
	}
	n, err := io.Copy(out, io.LimitReader(resp.Body, limit+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("GET %s: %w", url, err)
	}
	if n > limit {
		return time.Time{}, fmt.Errorf("GET %s: more than the limit of %d bytes", url, limit)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return time.Time{}, fmt.Errorf("GET %s: truncated: %d of %d bytes", url, n, resp.ContentLength)
	}
	var modified time.Time
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		if t, err := http.ParseTime(lm); err == nil {
			modified = t.UTC()
		}
	}
	return modified, nil
}
