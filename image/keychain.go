package image

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"path"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// PullSecretKeychain is the credentials of Kubernetes image pull secrets:
// the contents of .dockerconfigjson ({"auths": {REGISTRY: {...}}}) or of
// the older .dockercfg ({REGISTRY: {...}}). A registry is matched by host
// (and port), as the kubelet does; "*.example.com" matches one label.
// Anonymous when nothing matches, so that it can come first in an
// authn.NewMultiKeychain.
type PullSecretKeychain struct {
	entries []pullEntry
}

type pullEntry struct {
	host string
	cfg  authn.AuthConfig
}

type dockerAuth struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// AddPullSecret adds the credentials of one secret's data.
func (k *PullSecretKeychain) AddPullSecret(data []byte) error {
	var doc struct {
		Auths map[string]dockerAuth `json:"auths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	auths := doc.Auths
	if auths == nil {
		if err := json.Unmarshal(data, &auths); err != nil {
			return err
		}
	}
	if len(auths) == 0 {
		return errors.New("no registry credentials in it")
	}
	for key, a := range auths {
		cfg := authn.AuthConfig{Username: a.Username, Password: a.Password, IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken}
		if a.Auth != "" {
			raw, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				return errors.New("an auth entry is not base64")
			}
			user, pass, ok := strings.Cut(string(raw), ":")
			if !ok {
				return errors.New("an auth entry is not user:password")
			}
			cfg.Username, cfg.Password = user, pass
		}
		k.entries = append(k.entries, pullEntry{host: registryHost(key), cfg: cfg})
	}
	return nil
}

// registryHost is the host[:port] of a config key: "https://r.io/v1/" is
// r.io; Docker Hub's keys are index.docker.io.
func registryHost(key string) string {
	if i := strings.Index(key, "://"); i >= 0 {
		key = key[i+3:]
	}
	key, _, _ = strings.Cut(key, "/")
	switch key {
	case "docker.io", "registry-1.docker.io":
		return "index.docker.io"
	}
	return key
}

// Resolve is authn.Keychain's.
func (k *PullSecretKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	host := r.RegistryStr()
	for _, e := range k.entries {
		if hostMatch(e.host, host) {
			return authn.FromConfig(e.cfg), nil
		}
	}
	return authn.Anonymous, nil
}

// hostMatch matches a host against a pattern label by label: "*" and
// other glob characters stay within one label.
func hostMatch(pattern, host string) bool {
	ps, hs := strings.Split(pattern, "."), strings.Split(host, ".")
	if len(ps) != len(hs) {
		return false
	}
	for i := range ps {
		if ok, _ := path.Match(ps[i], hs[i]); !ok {
			return false
		}
	}
	return true
}
