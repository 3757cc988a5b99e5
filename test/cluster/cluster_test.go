package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// TestVersionMatchesGoMod: Version must name the release go.mod builds.
func TestVersionMatchesGoMod(t *testing.T) {
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`k8s\.io/kubernetes ` + regexp.QuoteMeta(Version) + `\b`).Match(mod) {
		t.Errorf("go.mod does not require k8s.io/kubernetes %s", Version)
	}
	for _, m := range regexp.MustCompile(`(?m)^replace (k8s\.io/\S+) => \S+ (v\S+)$`).FindAllStringSubmatch(string(mod), -1) {
		if want := "v0" + Version[2:]; m[2] != want {
			t.Errorf("staging module %s is replaced by %s, want %s (the same release)", m[1], m[2], want)
		}
	}
}

// TestKubeconfig: every user gets a context with a client certificate our
// CA signed, with the right name and groups.
func TestKubeconfig(t *testing.T) {
	dir := t.TempDir()
	p, err := newPKI(filepath.Join(dir, "pki"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(path, "https://127.0.0.1:6443", p); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(p.caCert)
	for _, u := range Users {
		ai := cfg.AuthInfos[cfg.Contexts[u.Context].AuthInfo]
		if _, err := tls.X509KeyPair(ai.ClientCertificateData, ai.ClientKeyData); err != nil {
			t.Errorf("%s: %v", u.Context, err)
		}
		block, _ := pem.Decode(ai.ClientCertificateData)
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if cert.Subject.CommonName != u.Name || len(cert.Subject.Organization) != len(u.Groups) {
			t.Errorf("%s: subject %v, want %s %v", u.Context, cert.Subject, u.Name, u.Groups)
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("%s: %v", u.Context, err)
		}
	}
	if cfg.CurrentContext != "admin" {
		t.Errorf("current context %q, want admin", cfg.CurrentContext)
	}
}
