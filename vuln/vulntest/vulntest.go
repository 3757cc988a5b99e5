// Package vulntest serves vulnerability sources for tests: a loopback HTTP
// server that publishes ../shared/data (OSV archives, KEV, end-of-life
// data) and vuln/testdata's fixtures (the Kubernetes CVE feed, EPSS) at
// the paths and in the formats their publishers use.
package vulntest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/vuln"
)

// SharedData returns the absolute path of ../shared/data, or skips the
// test when it is not there.
func SharedData(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(moduleRoot(), "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(dir, "osv", "Go.zip")); err != nil {
		t.Skip("../shared/data/osv is missing: the vulnerability data this test serves is not here")
	}
	return filepath.Clean(dir)
}

// Fixtures is vuln/testdata: the sources ../shared/data lacks.
func Fixtures() string { return filepath.Join(moduleRoot(), "vuln", "testdata") }

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Mirror starts the server and returns the mirrors to update from.
func Mirror(t testing.TB) (*httptest.Server, vuln.Mirrors) {
	t.Helper()
	data := SharedData(t)
	var selected map[string]json.RawMessage
	raw, err := os.ReadFile(filepath.Join(data, "eol", "selected-eol.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &selected); err != nil {
		t.Fatal(err)
	}
	epss, err := os.ReadFile(filepath.Join(Fixtures(), "epss_scores.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(epss)
	_ = zw.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /osv/{eco}/all.zip", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(data, "osv", r.PathValue("eco")+".zip"))
	})
	mux.HandleFunc("GET /kev.json", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(data, "kev", "known_exploited_vulnerabilities.json"))
	})
	mux.HandleFunc("GET /epss.csv.gz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(gz.Bytes()) })
	mux.HandleFunc("GET /feed.json", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(Fixtures(), "official-cve-feed.json"))
	})
	mux.HandleFunc("GET /eol/{product}", func(w http.ResponseWriter, r *http.Request) {
		rel, ok := selected[strings.TrimSuffix(r.PathValue("product"), ".json")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Last-Modified", "Fri, 22 Aug 2025 00:00:00 GMT")
		_, _ = w.Write(rel)
	})
	srv := httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(srv.Close)
	return srv, vuln.Mirrors{OSV: srv.URL + "/osv", KEV: srv.URL + "/kev.json", EPSS: srv.URL + "/epss.csv.gz", EOL: srv.URL + "/eol", K8sFeed: srv.URL + "/feed.json"}
}

// Products are the end-of-life products the mirror serves that tests use.
var Products = []string{"kubernetes", "containerd", "docker-engine", "etcd", "ubuntu", "debian", "alpine-linux", "amazon-eks"}

// Ecosystems are the OSV archives the mirror serves.
var Ecosystems = []string{"Go", "Kubernetes"}
