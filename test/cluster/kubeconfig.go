package cluster

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"
)

// User is a user of the test cluster, authenticated by a client
// certificate.
type User struct {
	// Context is the kubeconfig context that acts as the user.
	Context string
	// Name and Groups are the certificate's CN and O.
	Name   string
	Groups []string
	// Role says what the user may do.
	Role string
}

// Users are the test cluster's users. Bindings for viewer and narrow are
// made when the cluster starts; scanner has none, for tests to bind.
var Users = []User{
	{Context: "admin", Name: "dozor-admin", Groups: []string{"system:masters"}, Role: "everything (system:masters)"},
	{Context: "viewer", Name: "dozor-viewer", Role: `the built-in ClusterRole "view" in every namespace (no Secrets, no RBAC)`},
	{Context: "narrow", Name: "dozor-narrow", Role: `the built-in ClusterRole "view" in namespace "shop" only`},
	{Context: "scanner", Name: "dozor-scanner", Role: "nothing until a test binds it (to the role Dozor publishes)"},
	{Context: "nobody", Name: "dozor-nobody", Role: "nothing at all"},
}

// writeKubeconfig writes a kubeconfig with one context per user, "admin"
// current.
func writeKubeconfig(path, server string, p *pki) error {
	var b strings.Builder
	enc := base64.StdEncoding.EncodeToString
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Config\ncurrent-context: admin\nclusters:\n- name: dozor-test\n  cluster:\n    server: %s\n    certificate-authority-data: %s\n", server, enc(p.caPEM))
	b.WriteString("users:\n")
	for _, u := range Users {
		cert, key, err := p.issue("user-"+u.Context, u.Name, u.Groups, false, nil, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "- name: %s\n  user:\n    client-certificate-data: %s\n    client-key-data: %s\n", u.Context, enc(cert), enc(key))
	}
	b.WriteString("contexts:\n")
	for _, u := range Users {
		fmt.Fprintf(&b, "- name: %s\n  context:\n    cluster: dozor-test\n    user: %s\n", u.Context, u.Context)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// componentKubeconfig writes the kubeconfig a control-plane component
// authenticates with.
func componentKubeconfig(path, server string, p *pki, name, user string, groups []string) error {
	cert, key, err := p.issue(name, user, groups, false, nil, nil)
	if err != nil {
		return err
	}
	enc := base64.StdEncoding.EncodeToString
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: c
clusters:
- name: c
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: u
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: c
  context:
    cluster: c
    user: u
`, server, enc(p.caPEM), enc(cert), enc(key))
	return os.WriteFile(path, []byte(cfg), 0o600)
}
