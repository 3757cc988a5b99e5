package vuln

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/osv-scalibr/semantic"
)

// Version comparison is each ecosystem's own: dpkg for Debian and Ubuntu,
// apk for Alpine, rpm for Red Hat and its rebuilds, PEP 440 for PyPI,
// Maven's ordering, semver for Go (pseudo-versions included), npm,
// crates.io and NuGet, and so on. It is the OSV project's own comparator
// library (github.com/google/osv-scalibr/semantic), the one OSV's ranges are
// written for, rather than a comparator per ecosystem written again here.
// Kubernetes versions are the one addition: vendors add suffixes
// (v1.29.3-eks-adc7111, v1.30.2-gke.1587003, v1.31.1+k3s1) that semver
// would read as pre-releases; KubeVersion strips them first.

// EcosystemKubernetes is the ecosystem of the Kubernetes project's
// component advisories ("kubernetes" in its OSV records). Versions in it
// compare as Kubernetes versions.
const EcosystemKubernetes = "kubernetes"

// ErrVersion is wrapped by errors for versions an ecosystem cannot read.
var ErrVersion = errors.New("invalid version")

// Compare compares two versions of a package of ecosystem ("Debian:12",
// "Go", "PyPI", "kubernetes", ...): -1 if a < b, 0 if equal, +1 if a > b.
// The version "0" is lower than any other, as in OSV ranges.
func Compare(ecosystem, a, b string) (int, error) {
	if a == b {
		return 0, nil
	}
	if a == "0" {
		return -1, nil
	}
	if b == "0" {
		return 1, nil
	}
	v, err := Parse(ecosystem, a)
	if err != nil {
		return 0, err
	}
	return v.Compare(b)
}

// Parsed is a version parsed in its ecosystem, to compare with others
// without parsing it again.
type Parsed struct {
	eco string
	v   semantic.Version
}

// Parse reads a version of ecosystem.
func Parse(ecosystem, s string) (Parsed, error) {
	eco := baseEcosystem(ecosystem)
	if isKubernetesEcosystem(eco) {
		k, err := KubeVersion(s)
		if err != nil {
			return Parsed{}, err
		}
		s, eco = k, "Go"
	}
	if eco == "Go" || eco == "crates.io" || eco == "npm" {
		s = strings.TrimPrefix(s, "v")
	}
	v, err := semantic.Parse(s, eco)
	if err != nil {
		return Parsed{}, fmt.Errorf("%w: %q in %s: %v", ErrVersion, s, ecosystem, err)
	}
	return Parsed{eco: ecosystem, v: v}, nil
}

// Compare compares p with the version s of the same ecosystem.
func (p Parsed) Compare(s string) (int, error) {
	if s == "0" {
		return 1, nil
	}
	q, err := Parse(p.eco, s)
	if err != nil {
		return 0, err
	}
	c, err := p.v.Compare(q.v)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrVersion, err)
	}
	return c, nil
}

// baseEcosystem drops the release suffix: "Debian" of "Debian:12".
func baseEcosystem(e string) string {
	if i := strings.IndexByte(e, ':'); i >= 0 {
		return e[:i]
	}
	return e
}

func isKubernetesEcosystem(e string) bool { return strings.EqualFold(e, EcosystemKubernetes) }

var (
	kubeVersion = regexp.MustCompile(`^v?(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$`)
	// kubePrerelease matches the pre-releases the Kubernetes project
	// itself publishes; any other suffix is a vendor's.
	kubePrerelease = regexp.MustCompile(`^(alpha|beta|rc)(\.\d+)*$`)
)

// KubeVersion returns the upstream Kubernetes version a version string
// names, as semver without a leading "v": "1.29.3" of "v1.29.3-eks-adc7111",
// "v1.30.2-gke.1587003", "v1.31.1+k3s1" or "v1.30.4+rke2r1";
// "1.31.0-rc.1" of "v1.31.0-rc.1". Build metadata and vendor suffixes are
// dropped: vendors build on the upstream release the version names, and
// upstream advisories are written against those.
func KubeVersion(s string) (string, error) {
	m := kubeVersion.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", fmt.Errorf("%w: %q is not a Kubernetes version", ErrVersion, s)
	}
	patch := m[3]
	if patch == "" {
		patch = "0"
	}
	v := m[1] + "." + m[2] + "." + patch
	if kubePrerelease.MatchString(m[4]) {
		v += "-" + m[4]
	}
	return v, nil
}

// MinorOf returns "major.minor" of a version such as "v1.29.3-eks-1" or
// "5.15.0-105-generic"; "" when s does not start with one.
func MinorOf(s string) string {
	m := minorPrefix.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1] + "." + m[2]
}

var minorPrefix = regexp.MustCompile(`^v?(\d+)\.(\d+)`)
