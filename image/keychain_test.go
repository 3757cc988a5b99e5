package image

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

func TestPullSecretKeychain(t *testing.T) {
	var k PullSecretKeychain
	for _, data := range []string{
		`{"auths": {"https://index.docker.io/v1/": {"auth": "aHViOmh1Yi1wYXNz"}, "127.0.0.1:5000": {"username": "u", "password": "p"}}}`,
		`{"*.corp.example": {"auth": "Y29ycDpjb3JwLXBhc3M="}}`, // the older .dockercfg
	} {
		if err := k.AddPullSecret([]byte(data)); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
	}
	for ref, want := range map[string]string{
		"debian:12":                        "hub:hub-pass",
		"127.0.0.1:5000/app:1":             "u:p",
		"registry.corp.example/team/app:2": "corp:corp-pass",
		"a.b.corp.example/app:1":           "",
		"127.0.0.1:5001/app:1":             "",
		"quay.io/prometheus/prometheus:v3": "",
	} {
		r, err := name.ParseReference(ref)
		if err != nil {
			t.Fatal(err)
		}
		a, err := k.Resolve(r.Context())
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if a != authn.Anonymous {
			got = cfg.Username + ":" + cfg.Password
		}
		if got != want {
			t.Errorf("%s: %q, want %q", ref, got, want)
		}
	}
	for _, bad := range []string{`{`, `{"auths": {}}`, `{"auths": {"r.io": {"auth": "%%%"}}}`, `{"auths": {"r.io": {"auth": "bm9jb2xvbg=="}}}`} {
		if err := (&PullSecretKeychain{}).AddPullSecret([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
