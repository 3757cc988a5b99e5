package manifest

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// encoder turns a YAML node tree into JSON as kubectl would send it to the
// API server, collecting every problem it meets on the way.
type encoder struct {
	buf         []byte
	depth       int
	maxDepth    int
	aliasBudget int
	lineOffset  int // added to node lines quoted in messages
	problems    []problem
	fatal       bool
}

// problem is an error at a node, with the node's line relative to the document.
type problem struct {
	line, column int
	msg          string
	fatal        bool // the object cannot be decoded at all
}

func (e *encoder) problem(n *yaml.Node, fatal bool, format string, args ...any) {
	e.problems = append(e.problems, problem{line: n.Line, column: n.Column, msg: fmt.Sprintf(format, args...), fatal: fatal})
	if fatal {
		e.fatal = true
	}
}

func (e *encoder) encode(n *yaml.Node, viaAlias bool) {
	if e.fatal {
		return
	}
	if viaAlias {
		e.aliasBudget--
		if e.aliasBudget < 0 {
			e.problem(n, true, "aliases expand to too many values (a \"billion laughs\" document?)")
			return
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			e.buf = append(e.buf, "null"...)
			return
		}
		e.encode(n.Content[0], viaAlias)
	case yaml.AliasNode:
		if n.Alias == nil {
			e.problem(n, true, "unknown alias %q", n.Value)
			return
		}
		e.encode(n.Alias, true)
	case yaml.ScalarNode:
		var ok bool
		e.buf, ok = resolveScalar(n).appendJSON(e.buf)
		if !ok {
			e.problem(n, false, "value %q cannot be represented in JSON; it is read as null", n.Value)
			e.buf = append(e.buf, "null"...)
		}
	case yaml.SequenceNode:
		if !e.enter(n) {
			return
		}
		e.buf = append(e.buf, '[')
		for i, c := range n.Content {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.encode(c, viaAlias)
		}
		e.buf = append(e.buf, ']')
		e.depth--
	case yaml.MappingNode:
		if !e.enter(n) {
			return
		}
		e.buf = append(e.buf, '{')
		e.mapping(n, viaAlias)
		e.buf = append(e.buf, '}')
		e.depth--
	default:
		e.problem(n, true, "unexpected YAML node")
	}
}

func (e *encoder) enter(n *yaml.Node) bool {
	e.depth++
	if e.depth > e.maxDepth {
		e.problem(n, true, "values nested more than %d deep", e.maxDepth)
		return false
	}
	return true
}

// entry is one key and value of a mapping after merge keys are applied.
type entry struct {
	key   string
	value *yaml.Node
	alias bool
}

// mapping writes the entries of a mapping node. A key given twice is a
// problem (kubectl refuses the file); the last value wins, as in JSON. Merge
// keys ("<<: *base") add the keys of the merged mappings that the mapping does
// not set itself.
func (e *encoder) mapping(n *yaml.Node, viaAlias bool) {
	entries := e.entries(n, viaAlias, 0)
	first := true
	for _, en := range entries {
		if en.value == nil {
			continue
		}
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		e.buf = appendString(e.buf, en.key)
		e.buf = append(e.buf, ':')
		e.encode(en.value, en.alias)
	}
}

// entries lists the keys of a mapping in order. Duplicates are marked by
// clearing the value of the earlier entry.
func (e *encoder) entries(n *yaml.Node, viaAlias bool, mergeDepth int) []entry {
	var out []entry
	var merged []entry
	var seen map[string]int
	index := func(key string) (int, bool) {
		if seen != nil {
			i, ok := seen[key]
			return i, ok
		}
		for i := range out {
			if out[i].key == key && out[i].value != nil {
				return i, true
			}
		}
		return 0, false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" && k.Style == 0 {
			if mergeDepth > 16 {
				e.problem(k, true, "merge keys nested too deep")
				return out
			}
			merged = append(merged, e.merge(v, viaAlias, mergeDepth)...)
			continue
		}
		key, ok := e.key(k)
		if !ok {
			continue
		}
		if j, dup := index(key); dup {
			prev := out[j].value
			e.problem(k, false, "key %q is already defined at line %d; kubectl refuses duplicate keys, Dozor reads the last value", key, lineOf(n, prev)+e.lineOffset)
			out[j].value = nil
		}
		out = append(out, entry{key: key, value: v, alias: viaAlias})
		if seen == nil && len(out) > 16 {
			seen = make(map[string]int, len(n.Content)/2)
			for j := range out {
				if out[j].value != nil {
					seen[out[j].key] = j
				}
			}
		} else if seen != nil {
			seen[key] = len(out) - 1
		}
	}
	for _, m := range merged {
		if _, exists := index(m.key); exists {
			continue
		}
		out = append(out, m)
		if seen != nil {
			seen[m.key] = len(out) - 1
		}
	}
	return out
}

// lineOf finds the line of the key whose value is v.
func lineOf(m, v *yaml.Node) int {
	for i := 1; i < len(m.Content); i += 2 {
		if m.Content[i] == v {
			return m.Content[i-1].Line
		}
	}
	return m.Line
}

func (e *encoder) merge(v *yaml.Node, viaAlias bool, depth int) []entry {
	alias := viaAlias
	if v.Kind == yaml.AliasNode {
		v, alias = v.Alias, true
	}
	if v == nil {
		return nil
	}
	switch v.Kind {
	case yaml.MappingNode:
		if alias {
			e.aliasBudget -= len(v.Content) / 2
		}
		return e.entries(v, alias, depth+1)
	case yaml.SequenceNode:
		var out []entry
		// Earlier mappings in the list take precedence.
		for _, item := range v.Content {
			for _, en := range e.merge(item, alias, depth+1) {
				dup := false
				for _, have := range out {
					if have.key == en.key {
						dup = true
						break
					}
				}
				if !dup {
					out = append(out, en)
				}
			}
		}
		return out
	}
	e.problem(v, true, "a merge key (<<) needs a mapping or a list of mappings")
	return nil
}

// key renders a mapping key as kubectl does: scalars become their text.
// Other keys cannot be JSON keys.
func (e *encoder) key(k *yaml.Node) (string, bool) {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		e.problem(k, true, "a mapping key must be a plain value, not a %s (an unrendered template?)", kindName(k.Kind))
		return "", false
	}
	return resolveScalar(k).text(), true
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "value"
}
