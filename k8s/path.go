package k8s

import (
	"strconv"
	"strings"
)

// Path names a field inside an object:
//
//	spec.template.spec.containers[0].securityContext.privileged
//	metadata.annotations["container.apparmor.security.beta.kubernetes.io/web"]
//
// Map keys that are not plain identifiers are written in brackets and quotes.
// The empty Path names the object itself.
type Path string

// Field returns the path of field name inside p.
func (p Path) Field(name string) Path {
	if !plainKey(name) {
		return p.Key(name)
	}
	if p == "" {
		return Path(name)
	}
	return p + "." + Path(name)
}

// Key returns the path of map key k inside p, quoting it when needed.
func (p Path) Key(k string) Path {
	if plainKey(k) {
		return p.Field(k)
	}
	return p + "[" + Path(strconv.Quote(k)) + "]"
}

// Index returns the path of element i of the list at p.
func (p Path) Index(i int) Path {
	return p + "[" + Path(strconv.Itoa(i)) + "]"
}

// Join appends a relative path to p.
func (p Path) Join(rel Path) Path {
	switch {
	case rel == "":
		return p
	case p == "":
		return rel
	case rel[0] == '[':
		return p + rel
	}
	return p + "." + rel
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c == '-' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Segment is one step of a Path: a map key, or a list index when IsIndex.
type Segment struct {
	Key     string
	Index   int
	IsIndex bool
}

// Segments splits the path into its steps. A malformed path yields the
// steps before the fault.
func (p Path) Segments() []Segment {
	var out []Segment
	for seg, rest, ok := p.Next(); ok; seg, rest, ok = rest.Next() {
		out = append(out, seg)
	}
	return out
}

// Next returns the first step of the path and the rest of it; ok is false
// at the end of the path or at a malformed step. It does not allocate for
// plain keys and indices.
func (p Path) Next() (seg Segment, rest Path, ok bool) {
	s := string(p)
	for len(s) > 0 && s[0] == '.' {
		s = s[1:]
	}
	if len(s) == 0 {
		return Segment{}, "", false
	}
	if s[0] != '[' {
		end := strings.IndexAny(s, ".[")
		if end < 0 {
			end = len(s)
		}
		return Segment{Key: s[:end]}, Path(s[end:]), true
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return Segment{}, "", false
	}
	if s[1] == '"' {
		// A quoted key may contain ']': find the closing quote.
		q, err := strconv.QuotedPrefix(s[1:])
		if err != nil {
			return Segment{}, "", false
		}
		k, _ := strconv.Unquote(q)
		s = s[1+len(q):]
		if !strings.HasPrefix(s, "]") {
			return Segment{}, "", false
		}
		return Segment{Key: k}, Path(s[1:]), true
	}
	n, err := strconv.Atoi(s[1:end])
	if err != nil {
		return Segment{}, "", false
	}
	return Segment{Index: n, IsIndex: true}, Path(s[end+1:]), true
}
