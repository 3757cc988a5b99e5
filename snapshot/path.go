package snapshot

import (
	"fmt"
	"strconv"
	"strings"
)

// segKind is the kind of one step of a field path.
type segKind uint8

const (
	segKey   segKind = iota // a map key: .image, ["app.kubernetes.io/name"]
	segElem                 // an element of a list of named items: [name=web]
	segIndex                // an element of another list: [3]
)

// seg is one step of a field path.
type seg struct {
	kind segKind
	// key is the map key (segKey), or the field that names the elements
	// of a list (segElem: "name").
	key string
	// value is the element's name (segElem).
	value string
	// index is the element's position (segIndex).
	index int
}

// appendSeg renders one step of a path.
func appendSeg(b []byte, s seg, first bool) []byte {
	switch s.kind {
	case segKey:
		if plainKey(s.key) {
			if !first {
				b = append(b, '.')
			}
			return append(b, s.key...)
		}
		b = append(b, '[')
		b = strconv.AppendQuote(b, s.key)
		return append(b, ']')
	case segElem:
		b = append(b, '[')
		b = append(b, s.key...)
		b = append(b, '=')
		if plainValue(s.value) {
			b = append(b, s.value...)
		} else {
			b = strconv.AppendQuote(b, s.value)
		}
		return append(b, ']')
	}
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(s.index), 10)
	return append(b, ']')
}

// pathString renders a path as Dozor writes field paths:
//
//	spec.template.spec.containers[name=web].env[name=LOG_LEVEL].value
//	metadata.annotations["app.kubernetes.io/name"]
//	rules[0].verbs
func pathString(p []seg) string {
	var b []byte
	for i, s := range p {
		b = appendSeg(b, s, i == 0)
	}
	return string(b)
}

// plainKey reports whether a map key can be written without quotes, as
// k8s.Path does.
func plainKey(k string) bool {
	if k == "" || k == "*" || k == "**" {
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

// plainValue reports whether the name of a list element can be written
// without quotes: names, paths, ports and addresses can.
func plainValue(v string) bool {
	if v == "" || v == "*" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c == '_' || c == '-' || c == '.' || c == '/' || c == ':' || c == '@' || c == '+' ||
			c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// patKind is the kind of one step of an ignore pattern.
type patKind uint8

const (
	patKey     patKind = iota // a map key
	patAny                    // *: any one step
	patDeep                   // **: any number of steps, none included
	patAnyElem                // [*]: any element of a list
	patElem                   // [name=web]
	patIndex                  // [3]
)

type patSeg struct {
	kind       patKind
	key, value string
	index      int
}

// Pattern is a compiled ignore pattern: a field path whose steps may be
// * (any one step), ** (any number of steps) and [*] (any list element),
// optionally preceded by a kind and a colon ("Lease:spec.renewTime").
type Pattern struct {
	// Kind limits the pattern to objects of this kind; "" for all.
	Kind string
	segs []patSeg
	text string
}

func (p *Pattern) String() string { return p.text }

// ParsePattern compiles an ignore pattern.
func ParsePattern(s string) (*Pattern, error) {
	p := &Pattern{text: s}
	rest := s
	if i := strings.IndexByte(rest, ':'); i > 0 && !strings.ContainsAny(rest[:i], ".[]\"*") {
		p.Kind, rest = rest[:i], rest[i+1:]
	}
	if rest == "" {
		return nil, fmt.Errorf("ignore pattern %q: no field path", s)
	}
	first := true
	for len(rest) > 0 {
		switch {
		case rest[0] == '[':
			end, seg, err := parseBracket(rest)
			if err != nil {
				return nil, fmt.Errorf("ignore pattern %q: %v", s, err)
			}
			p.segs = append(p.segs, seg)
			rest = rest[end:]
		case rest[0] == '.' && !first:
			rest = rest[1:]
			if rest == "" || rest[0] == '.' || rest[0] == '[' {
				return nil, fmt.Errorf("ignore pattern %q: a field name must follow a dot", s)
			}
			fallthrough
		default:
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			name := rest[:end]
			switch {
			case name == "*":
				p.segs = append(p.segs, patSeg{kind: patAny})
			case name == "**":
				p.segs = append(p.segs, patSeg{kind: patDeep})
			case plainKey(name):
				p.segs = append(p.segs, patSeg{kind: patKey, key: name})
			default:
				return nil, fmt.Errorf("ignore pattern %q: %q is not a field name (write other keys as [\"key\"])", s, name)
			}
			rest = rest[end:]
		}
		first = false
	}
	return p, nil
}

// parseBracket parses one bracketed step: ["key"], [3], [*], [name=web] or
// [name="a value"]. It returns the length consumed.
func parseBracket(s string) (int, patSeg, error) {
	body := s[1:]
	if strings.HasPrefix(body, `"`) {
		q, err := strconv.QuotedPrefix(body)
		if err != nil {
			return 0, patSeg{}, fmt.Errorf("unterminated quoted key")
		}
		k, _ := strconv.Unquote(q)
		if !strings.HasPrefix(body[len(q):], "]") {
			return 0, patSeg{}, fmt.Errorf("] expected after %s", q)
		}
		return 1 + len(q) + 1, patSeg{kind: patKey, key: k}, nil
	}
	if field, after, ok := strings.Cut(body, "="); ok && !strings.Contains(field, "]") {
		if !plainKey(field) {
			return 0, patSeg{}, fmt.Errorf("%q is not a field name", field)
		}
		value := ""
		n := 0
		if strings.HasPrefix(after, `"`) {
			q, err := strconv.QuotedPrefix(after)
			if err != nil {
				return 0, patSeg{}, fmt.Errorf("unterminated quoted value")
			}
			value, _ = strconv.Unquote(q)
			n = len(q)
		} else {
			n = strings.IndexByte(after, ']')
			if n < 0 {
				return 0, patSeg{}, fmt.Errorf("unterminated [")
			}
			value = after[:n]
		}
		if !strings.HasPrefix(after[n:], "]") {
			return 0, patSeg{}, fmt.Errorf("] expected")
		}
		return 1 + len(field) + 1 + n + 1, patSeg{kind: patElem, key: field, value: value}, nil
	}
	end := strings.IndexByte(body, ']')
	if end < 0 {
		return 0, patSeg{}, fmt.Errorf("unterminated [")
	}
	inner := body[:end]
	if inner == "*" {
		return end + 2, patSeg{kind: patAnyElem}, nil
	}
	n, err := strconv.Atoi(inner)
	if err != nil || n < 0 {
		return 0, patSeg{}, fmt.Errorf("[%s] is not an index, [*], [\"key\"] or [field=value]", inner)
	}
	return end + 2, patSeg{kind: patIndex, index: n}, nil
}

// matches reports whether pattern step p matches path step s.
func (p *patSeg) matches(s seg) bool {
	switch p.kind {
	case patKey:
		return s.kind == segKey && s.key == p.key
	case patAny:
		return true
	case patAnyElem:
		return s.kind != segKey
	case patElem:
		return s.kind == segElem && s.key == p.key && s.value == p.value
	case patIndex:
		return s.kind == segIndex && s.index == p.index
	}
	return false
}

// matcher follows a set of patterns down an object, step by step: its
// states are the patterns still alive at the current path and how far
// each has matched. Most patterns die at the first step (metadata.* under
// spec), so deep in an object there is usually nothing left to match.
type matcher struct {
	pats []*Pattern
}

type mstate struct{ p, i int32 }

// start returns the states at the root of an object of kind.
func (m *matcher) start(kind string) []mstate {
	var st []mstate
	for i, p := range m.pats {
		if p.Kind == "" || p.Kind == kind {
			st = m.closure(st, mstate{int32(i), 0})
		}
	}
	return st
}

// closure adds s, and the states a ** may skip to.
func (m *matcher) closure(st []mstate, s mstate) []mstate {
	st = addState(st, s)
	segs := m.pats[s.p].segs
	for int(s.i) < len(segs) && segs[s.i].kind == patDeep {
		s.i++
		st = addState(st, s)
	}
	return st
}

func addState(st []mstate, s mstate) []mstate {
	for _, x := range st {
		if x == s {
			return st
		}
	}
	return append(st, s)
}

// step returns the states after stepping into s, and whether a pattern
// matches the path there in full (the field is ignored).
func (m *matcher) step(st []mstate, s seg) ([]mstate, bool) {
	if len(st) == 0 {
		return nil, false
	}
	var next []mstate
	for _, x := range st {
		segs := m.pats[x.p].segs
		if int(x.i) >= len(segs) {
			continue
		}
		ps := &segs[x.i]
		switch {
		case ps.kind == patDeep:
			next = m.closure(next, x) // ** takes this step too, and may stop after it
		case ps.matches(s):
			next = m.closure(next, mstate{x.p, x.i + 1})
		}
	}
	for _, x := range next {
		if int(x.i) == len(m.pats[x.p].segs) {
			return nil, true
		}
	}
	return next, false
}
