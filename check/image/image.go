// Package image checks the image references of containers and how they are
// pulled. References are parsed with github.com/distribution/reference, the
// parser container runtimes and Kubernetes tools share.
package image

import (
	// Digest algorithms must be linked in for references with digests to
	// parse (github.com/opencontainers/go-digest checks they are available).
	_ "crypto/sha256"
	_ "crypto/sha512"
	"strings"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Checks returns the image checks.
func Checks() []*check.Check {
	return []*check.Check{mutableTag(), notPinned(), stalePullPolicy(), invalidReference(), implicitRegistry()}
}

const (
	docImages = "https://kubernetes.io/docs/concepts/containers/images/"
	docPull   = "https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy"
)

// ref is a container's image reference, parsed.
type ref struct {
	named  reference.Named
	tag    string // "" when none is written
	digest bool
}

// mutable reports whether the reference names the "latest" tag, written or
// implied.
func (r ref) mutable() bool { return !r.digest && (r.tag == "" || r.tag == "latest") }

// parse parses a container's image; ok is false for empty or invalid
// references.
func parse(image string) (ref, bool) {
	if image == "" {
		return ref{}, false
	}
	n, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return ref{}, false
	}
	r := ref{named: n}
	if t, ok := n.(reference.Tagged); ok {
		r.tag = t.Tag()
	}
	_, r.digest = n.(reference.Digested)
	return r, true
}

// forEachImage calls fn for every container of a workload whose image
// parses.
func forEachImage(obj *k8s.Object, fn func(c k8s.Container, r ref)) {
	if obj.Pod == nil {
		return
	}
	for _, c := range obj.Pod.Containers() {
		if r, ok := parse(c.Image); ok {
			fn(c, r)
		}
	}
}

func rule(r finding.Rule) finding.Rule {
	r.Tags = append([]string{"workload", "image"}, r.Tags...)
	r.References = append([]string{docImages}, r.References...)
	return r
}

func mutableTag() *check.Check {
	return &check.Check{
		Rule: rule(finding.Rule{
			ID: "DZ-IMG-001", Name: "image-tag-mutable",
			Title:    "Image uses the latest tag",
			Severity: finding.Medium,
			Description: "An image without a tag means the tag \"latest\", which the publisher moves with every release. Nodes then run " +
				"whatever was pushed last when they pulled: replicas of one workload differ, a rollback does not bring the old code back, " +
				"and anyone who can push to the repository changes what runs in the cluster without any change to its manifests.",
			Remediation: "Reference a specific version tag, or better its digest (image: registry.example.com/app:1.4.2@sha256:...), and update it through your release process.",
			References:  []string{"https://kubernetes.io/docs/concepts/configuration/overview/#container-images"},
			Mappings:    finding.Mappings{NSA: []string{check.NSAUpgrading}, ThreatMatrix: []string{check.MSCompromisedImage}},
		}),
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			forEachImage(obj, func(c k8s.Container, r ref) {
				switch {
				case !r.mutable():
				case r.tag == "":
					ctx.ReportContainer(obj, c, "image", "container %q uses image %q without a tag, which means \"latest\"", c.Name, c.Image)
				default:
					ctx.ReportContainer(obj, c, "image", "container %q uses image %q with the tag \"latest\"", c.Name, c.Image)
				}
			})
		},
	}
}

func notPinned() *check.Check {
	return &check.Check{
		Rule: rule(finding.Rule{
			ID: "DZ-IMG-002", Name: "image-not-pinned-by-digest",
			Title:    "Image not pinned by digest",
			Severity: finding.Low,
			Description: "A tag is a name the registry maps to an image, and whoever can push to the repository can point it at another image, " +
				"by mistake or after stealing credentials. Only a digest (@sha256:...) names one exact, verifiable image content. " +
				"Images with the latest tag are left to DZ-IMG-001.",
			Remediation: "Append the digest of the tested image to the reference (app:1.4.2@sha256:...), and let a tool such as Renovate or Dependabot update it.",
			Mappings:    finding.Mappings{NSA: []string{check.NSAUpgrading}, ThreatMatrix: []string{check.MSCompromisedImage}},
		}),
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			forEachImage(obj, func(c k8s.Container, r ref) {
				if !r.digest && !r.mutable() {
					ctx.ReportContainer(obj, c, "image", "container %q uses image %q, which is not pinned by digest", c.Name, c.Image)
				}
			})
		},
	}
}

func stalePullPolicy() *check.Check {
	return &check.Check{
		Rule: rule(finding.Rule{
			ID: "DZ-IMG-003", Name: "image-pull-policy-stale",
			Title:    "Image pulled only when missing from the node",
			Severity: finding.Low,
			Description: "With imagePullPolicy IfNotPresent (the default for any tag but latest) or Never, the kubelet runs the image a node " +
				"has cached under that tag, without asking the registry. Unless the reference has a digest, nodes may run a stale image, or one " +
				"that was tampered with on the node, long after the tag moved; and a pod of another tenant that names the same private image " +
				"runs the cached copy without having the pull credentials for it.",
			Remediation: "Pin the image by digest, which makes IfNotPresent safe, or set imagePullPolicy: Always. Cluster-wide, the AlwaysPullImages " +
				"admission plugin (or the kubelet's credential verification for cached images) closes the cross-tenant gap.",
			References: []string{docPull, "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#alwayspullimages"},
			Mappings:   finding.Mappings{ThreatMatrix: []string{check.MSCompromisedImage}},
		}),
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			forEachImage(obj, func(c k8s.Container, r ref) {
				if r.digest {
					return
				}
				switch policy := c.ImagePullPolicy; {
				case policy == "" && !r.mutable():
					ctx.ReportContainer(obj, c, "imagePullPolicy", "container %q: image %q has no digest and is pulled only if missing from the node (imagePullPolicy defaults to IfNotPresent)", c.Name, c.Image)
				case policy == corev1.PullIfNotPresent || policy == corev1.PullNever:
					ctx.ReportContainer(obj, c, "imagePullPolicy", "container %q: image %q has no digest and imagePullPolicy is %q", c.Name, c.Image, string(policy))
				}
			})
		},
	}
}

func invalidReference() *check.Check {
	return &check.Check{
		Rule: rule(finding.Rule{
			ID: "DZ-IMG-004", Name: "image-reference-invalid",
			Title:    "Image reference empty or invalid",
			Severity: finding.Medium,
			Description: "The API server checks little more than that an image is set, so a reference with upper-case letters in the repository, " +
				"a stray space, a malformed tag or digest, or an unrendered template placeholder is accepted; its pods then never start " +
				"(InvalidImageName or ErrImagePull). An empty image is rejected outright.",
			Remediation: "Write the reference as [registry/]repository[:tag][@digest], with a lower-case repository, for example registry.example.com/team/app:1.4.2.",
			References:  []string{"https://github.com/distribution/reference/blob/main/reference.go"},
			Tags:        []string{"validity"},
		}),
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			if obj.Pod == nil {
				return
			}
			for _, c := range obj.Pod.Containers() {
				if c.Image == "" {
					ctx.ReportContainer(obj, c, "image", "container %q has no image", c.Name)
					continue
				}
				if _, err := reference.ParseNormalizedNamed(c.Image); err != nil {
					ctx.ReportContainer(obj, c, "image", "container %q: image %q is not a valid reference: %v", c.Name, c.Image, err)
				}
			}
		},
	}
}

func implicitRegistry() *check.Check {
	return &check.Check{
		Rule: rule(finding.Rule{
			ID: "DZ-IMG-005", Name: "image-registry-implicit",
			Title:    "Image reference names no registry",
			Severity: finding.Info,
			Description: "A reference without a registry host (nginx, bitnami/redis) is pulled from Docker Hub by containerd and Docker, and from " +
				"whichever search registries CRI-O is configured with. Readers cannot tell where it comes from; a typing mistake in the " +
				"name pulls a look-alike anyone could have published (typosquatting); and Docker Hub's rate limits on anonymous pulls make " +
				"pods fail to start during a scale-up.",
			Remediation: "Write the registry explicitly (docker.io/library/nginx:1.27, registry.example.com/team/app:1.4.2), preferably a mirror or registry you control.",
			References:  []string{"https://docs.docker.com/docker-hub/usage/"},
			Mappings:    finding.Mappings{ThreatMatrix: []string{check.MSCompromisedImage}},
		}),
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			forEachImage(obj, func(c k8s.Container, r ref) {
				if implicitHost(c.Image) {
					ctx.ReportContainer(obj, c, "image", "container %q: image %q names no registry and is pulled from %q", c.Name, c.Image, reference.Domain(r.named))
				}
			})
		},
	}
}

// implicitHost reports whether a reference leaves out the registry host,
// by the rule the parser normalises with: the part before the first "/" is
// a host only if it has a "." or ":", is "localhost", or has upper case.
func implicitHost(image string) bool {
	first, _, found := strings.Cut(image, "/")
	return !found || !strings.ContainsAny(first, ".:") && first != "localhost" && strings.ToLower(first) == first
}
