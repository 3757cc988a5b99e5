package manifest

import (
	yaml "go.yaml.in/yaml/v3"

	"github.com/dozor-dev/dozor/k8s"
)

// walkLocate finds the line and column of the deepest field along at and
// then path, as Locator.Locate does on a parsed tree, but by walking the
// text without building a tree: it skips every subtree off the path by its
// indentation. It is only correct for documents fastParse accepts (whose
// structure follows indentation throughout); ok is false when the path
// enters something the walk does not follow (a flow collection), and the
// caller then parses the document.
func walkLocate(data []byte, at, path k8s.Path) (line, column int, ok bool) {
	p := fastParser{data: data, line: 1}
	p.setBOL(0)
	ind := p.skipBlank()
	if ind == 0 && isMarker(p.data[p.pos:], "---") {
		p.nextLine()
		ind = p.skipBlank()
	}
	if ind < 0 || p.fail {
		return 0, 0, false
	}
	line, column = p.line, p.column(p.pos)
	rest, inAt := at, at != ""
	if !inAt {
		rest = path
	}
	for {
		seg, after, more := rest.Next()
		if !more {
			if inAt {
				rest, inAt = path, false
				continue
			}
			return line, column, true
		}
		rest = after
		c := p.data[p.pos]
		switch {
		case c == '[' || c == '{':
			return 0, 0, false
		case c == '-' && p.indicatorFollowedByBlank(p.pos):
			if !seg.IsIndex {
				return line, column, true
			}
			found, l, col := p.walkSequence(ind, seg.Index)
			if !found {
				return line, column, true
			}
			line, column = l, col
		case !seg.IsIndex && p.isMappingKey():
			found, l, col := p.walkMapping(ind, seg.Key)
			if !found {
				return line, column, true
			}
			line, column = l, col
		default:
			return line, column, true // a scalar: nothing deeper
		}
		if p.fail {
			return 0, 0, false
		}
		// p is now at the start of the value's node, or at -1 indentation
		// when the value is empty or inline.
		if p.pos < 0 {
			// An inline value or an empty one: nothing deeper is there,
			// unless it is a flow collection, which the walk does not enter.
			if _, _, deeper := rest.Next(); deeper || inAt && path != "" {
				if p.pos == -2 {
					return 0, 0, false
				}
			}
			return line, column, true
		}
		ind = p.pos - p.bol
	}
}

// walkMapping scans the mapping whose keys are at column ind, from the
// current key to its end, for the last key equal to want. It returns the
// key's position and leaves p at the start of the value's node; p.pos is
// -1 when the value is inline or empty, -2 when it is a flow collection.
func (p *fastParser) walkMapping(ind int, want string) (found bool, line, col int) {
	type mark struct{ pos, line, bol, eol int }
	var value mark
	for !p.fail {
		ks, ke, after, ok := p.scanKey()
		if !ok || after < 0 {
			p.bail()
			return false, 0, 0
		}
		k := &yaml.Node{Kind: yaml.ScalarNode, Value: p.str(ks, ke)}
		if c := p.data[ks]; c == '"' || c == '\'' {
			if k = p.quoted(ke-1, p.line, 0); k == nil {
				return false, 0, 0
			}
		}
		if resolveScalar(k).text() == want {
			found, line, col = true, p.line, p.column(ks)
			value = mark{after, p.line, p.bol, p.eol}
		}
		// Skip the value: everything indented more than the keys, and a
		// sequence at the keys' column.
		p.pos = after
		p.nextLine()
		li := p.skipSubtree(ind)
		if li != ind {
			break
		}
	}
	if !found || p.fail {
		return found, line, col
	}
	// Go to the value.
	p.pos, p.line, p.bol, p.eol = value.pos, value.line, value.bol, value.eol
	for p.pos < p.eol && (p.data[p.pos] == ' ' || p.data[p.pos] == '\t') {
		p.pos++
	}
	if !p.blankOrComment(p.pos) {
		if c := p.data[p.pos]; c == '[' || c == '{' {
			p.pos = -2
		} else {
			p.pos = -1
		}
		return true, line, col
	}
	li := p.skipBlank()
	switch {
	case li > ind:
	case li == ind && p.data[p.pos] == '-' && p.indicatorFollowedByBlank(p.pos):
	default:
		p.pos = -1
	}
	return true, line, col
}

// skipSubtree moves past the rest of the current entry of a collection at
// column ind (a mapping's value, or a sequence's item): to the next line
// indented ind or less that is not a sequence entry belonging to the entry
// itself. It returns that line's indentation, or -2 at the end.
func (p *fastParser) skipSubtree(ind int) int {
	compact := true // a "- " at column ind right after a key belongs to it
	for {
		li := p.skipBlank()
		if li == -2 || p.fail {
			return -2
		}
		if li > ind {
			compact = false
			p.nextLine()
			continue
		}
		if li == ind && compact && p.data[p.pos] == '-' && p.indicatorFollowedByBlank(p.pos) {
			// A compact sequence value: skip its entries.
			for {
				p.nextLine()
				li = p.skipBlank()
				if li == -2 || p.fail {
					return -2
				}
				if li > ind || li == ind && p.data[p.pos] == '-' && p.indicatorFollowedByBlank(p.pos) {
					continue
				}
				return li
			}
		}
		return li
	}
}

// walkSequence moves to item want of the sequence whose "-" are at column
// ind, and returns the item's position (as yaml.v3 places the item node),
// leaving p at the start of its node (-1 inline or empty, -2 flow).
func (p *fastParser) walkSequence(ind, want int) (found bool, line, col int) {
	for i := 0; ; i++ {
		if i == want {
			p.pos++
			eLine, eCol := p.line, p.column(p.pos)
			for p.pos < p.eol && p.data[p.pos] == ' ' {
				p.pos++
			}
			if !p.blankOrComment(p.pos) {
				line, col = p.line, p.column(p.pos)
				switch c := p.data[p.pos]; {
				case c == '[' || c == '{':
					p.pos = -2
				case c == '-' && p.indicatorFollowedByBlank(p.pos), p.isMappingKey():
					// A compact nested collection at this column.
				default:
					p.pos = -1
				}
				return true, line, col
			}
			li := p.skipBlank()
			if li > ind {
				return true, p.line, p.column(p.pos)
			}
			p.pos = -1
			return true, eLine, eCol
		}
		// Skip this item.
		p.nextLine()
		li := p.skipBlankOrDeeper(ind)
		if li != ind || p.data[p.pos] != '-' || !p.indicatorFollowedByBlank(p.pos) {
			return false, 0, 0
		}
	}
}

// skipBlankOrDeeper moves to the next line indented ind or less.
func (p *fastParser) skipBlankOrDeeper(ind int) int {
	for {
		li := p.skipBlank()
		if li == -2 || p.fail || li <= ind {
			return li
		}
		p.nextLine()
	}
}
