package inventory

import (
	"strings"

	"github.com/distribution/reference"
)

// imageName is an image reference taken apart.
type imageName struct {
	reference, repository, tag, digest string
}

// parseImage normalises an image reference as container runtimes read it:
// "busybox:1.36" is "docker.io/library/busybox:1.36", and a reference with
// neither tag nor digest gets ":latest". A reference that does not parse is
// kept as written, as its own repository.
func parseImage(s string) imageName {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return imageName{reference: s, repository: s}
	}
	named = reference.TagNameOnly(named)
	out := imageName{reference: named.String(), repository: named.Name()}
	if t, ok := named.(reference.Tagged); ok {
		out.tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		out.digest = d.Digest().String()
	}
	return out
}

// ParseImageID reads a container's status.imageID as runtimes report it:
// "docker.io/library/busybox@sha256:…" (containerd, CRI-O),
// "docker-pullable://busybox@sha256:…" (dockershim), or an image ID alone,
// "sha256:…" (an image built or loaded on the node). It returns the
// repository (normalised; "" when not reported) and the digest.
func ParseImageID(id string) (repository, digest string) {
	s := id
	for _, p := range []string{"docker-pullable://", "docker://"} {
		s = strings.TrimPrefix(s, p)
	}
	repo, dig, ok := strings.Cut(s, "@")
	if !ok {
		return "", s
	}
	if named, err := reference.ParseNormalizedNamed(repo); err == nil {
		repo = named.Name()
	}
	return repo, dig
}
