package component

import (
	"cmp"
	_ "embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/dozor-dev/dozor/vuln"
)

// escapes.yaml lists container-escape vulnerabilities of the Linux kernel
// and the container runtimes, with the upstream fixed version per stable
// branch; its header says where the facts come from and how they match.
//
//go:embed escapes.yaml
var escapesYAML []byte

// Escape is one entry of escapes.yaml.
type Escape struct {
	ID         string   `json:"id"`
	Name       string   `json:"name,omitempty"`
	Component  string   `json:"component"`
	Severity   string   `json:"severity"`
	CVSS       string   `json:"cvss,omitempty"`
	Summary    string   `json:"summary"`
	Introduced string   `json:"introduced"`
	Fixed      []string `json:"fixed"`
	Mainline   string   `json:"mainline"`
	References []string `json:"references"`
	Note       string   `json:"note,omitempty"`
}

// Escapes returns the entries of escapes.yaml.
func Escapes() ([]Escape, error) {
	var out []Escape
	if err := yaml.Unmarshal(escapesYAML, &out); err != nil {
		return nil, fmt.Errorf("escapes.yaml: %w", err)
	}
	for i, e := range out {
		if e.ID == "" || e.Component == "" || e.Mainline == "" || e.Introduced == "" {
			return nil, fmt.Errorf("escapes.yaml: entry %d (%s) lacks id, component, introduced or mainline", i, e.ID)
		}
	}
	return out, nil
}

// numeric is a version as numbers, for kernels and runtimes: "5.15.0" of
// "5.15.0-105-generic", "18.9.2" of "18.09.2"; runc's "1.0.0-rc93" is
// 1.0.0 with pre-release 93.
type numeric struct {
	parts []int
	// pre is a pre-release number (rcN), -1 for a release.
	pre int
}

var numericVersion = regexp.MustCompile(`^v?(\d+(?:\.\d+)*)(?:-rc\.?(\d+))?`)

func parseNumeric(s string) (numeric, bool) {
	m := numericVersion.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return numeric{}, false
	}
	n := numeric{pre: -1}
	for _, p := range strings.Split(m[1], ".") {
		v, err := strconv.Atoi(p)
		if err != nil {
			return numeric{}, false
		}
		n.parts = append(n.parts, v)
	}
	for len(n.parts) < 3 {
		n.parts = append(n.parts, 0)
	}
	if m[2] != "" {
		n.pre, _ = strconv.Atoi(m[2])
	}
	return n, true
}

func (a numeric) compare(b numeric) int {
	for i := 0; i < max(len(a.parts), len(b.parts)); i++ {
		x, y := at(a.parts, i), at(b.parts, i)
		if x != y {
			return cmp.Compare(x, y)
		}
	}
	switch {
	case a.pre == b.pre:
		return 0
	case a.pre < 0:
		return 1 // a release is after its pre-releases
	case b.pre < 0:
		return -1
	}
	return cmp.Compare(a.pre, b.pre)
}

func (a numeric) line() [2]int { return [2]int{at(a.parts, 0), at(a.parts, 1)} }

func at(p []int, i int) int {
	if i < len(p) {
		return p[i]
	}
	return 0
}

func compareLine(a, b [2]int) int {
	if c := cmp.Compare(a[0], b[0]); c != 0 {
		return c
	}
	return cmp.Compare(a[1], b[1])
}

// Affects applies the entry's rule (escapes.yaml's header) to version v,
// and returns the fixed version of v's line, if it has one.
func (e *Escape) Affects(v string) (affected bool, fixedInLine string, err error) {
	nv, ok := parseNumeric(v)
	if !ok {
		return false, "", fmt.Errorf("%w: %q", vuln.ErrVersion, v)
	}
	if e.Introduced != "0" {
		intro, ok := parseNumeric(e.Introduced)
		if !ok {
			return false, "", fmt.Errorf("%s: introduced %q", e.ID, e.Introduced)
		}
		if nv.compare(intro) < 0 {
			return false, "", nil
		}
	}
	mainline, ok := parseNumeric(e.Mainline)
	if !ok {
		return false, "", fmt.Errorf("%s: mainline %q", e.ID, e.Mainline)
	}
	if compareLine(nv.line(), mainline.line()) >= 0 {
		return false, "", nil
	}
	for _, f := range e.Fixed {
		fv, ok := parseNumeric(f)
		if !ok {
			return false, "", fmt.Errorf("%s: fixed %q", e.ID, f)
		}
		if fv.line() == nv.line() {
			return nv.compare(fv) < 0, f, nil
		}
	}
	return true, "", nil
}
