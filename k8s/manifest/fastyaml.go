package manifest

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	yaml "go.yaml.in/yaml/v3"
)

// fastParse parses one YAML document into the same node tree yaml.v3 builds
// (Kind, Style, Value, Line, Column and children; comments are dropped), for
// the subset of YAML that Kubernetes manifests are written in: block
// mappings and sequences, plain, quoted and block scalars, flow collections,
// and comments. Anything outside that subset, and any error, makes it return
// false: the caller then parses the document with yaml.v3, which handles all
// of YAML and words the errors.
//
// Why our own parser: yaml.v3 spends most of a scan's time in building
// tokens, events and strings; this one reads each line once, takes scalar
// values from the input without copying, and allocates nodes in slabs. It is
// about five times faster on real manifests (BenchmarkParse). The
// differential fuzz test FuzzFastParse holds it to yaml.v3's output.
//
// Scalar values may share memory with data, which must not change while
// the nodes are in use.
func fastParse(data []byte) (*yaml.Node, bool) {
	root, _, ok := parseTree(data, false)
	return root, ok
}

// fastParseTree is fastParse, also returning the slabs the tree lives in,
// taken from a pool, for the caller to free when nothing refers to the tree
// any more.
func fastParseTree(data []byte) (*yaml.Node, *tree, bool) {
	return parseTree(data, true)
}

func parseTree(data []byte, pooled bool) (*yaml.Node, *tree, bool) {
	if !printable(data) {
		return nil, nil, false
	}
	// Nodes and child lists come from slabs sized by the number of lines:
	// about one key and one value a line.
	lines := bytes.Count(data, []byte{'\n'}) + 1
	need := 2*lines + 4
	var t *tree
	if pooled {
		t = getTree(need)
	} else {
		t = &tree{nodes: make([]yaml.Node, 0, need), ptrs: make([]*yaml.Node, 0, need), class: -1}
	}
	p := fastParser{data: data, line: 1, nodes: t.nodes[:0], ptrs: t.ptrs[:0]}
	p.setBOL(0)
	root, ok := p.document()
	t.record(&p)
	if !ok {
		t.free()
		return nil, nil, false
	}
	return root, t, true
}

// printable reports whether data is valid UTF-8 made of the characters
// YAML allows, without the ones it treats specially (NEL, the Unicode line
// and paragraph separators, a byte order mark).
func printable(data []byte) bool {
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				return false
			}
			if c == '\r' && (i+1 == len(data) || data[i+1] != '\n') {
				return false // a lone CR breaks lines in YAML; this parser only knows LF and CRLF
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1, r >= 0x80 && r <= 0x9f, r == 0x2028, r == 0x2029,
			r == 0xFEFF, r == 0xFFFE, r == 0xFFFF:
			return false
		}
		i += size
	}
	return true
}

// fastParser is the state of one fastParse call.
type fastParser struct {
	data    []byte
	pos     int // offset of the next byte to read
	line    int // 1-based line of pos
	bol     int // offset of the beginning of the current line
	eol     int // offset of its end, before "\r\n" or "\n"
	nodes   []yaml.Node
	ptrs    []*yaml.Node
	stack   []*yaml.Node // children of collections being built
	fail    bool
	depth   int    // nesting of the collection being parsed
	started bool   // past the document's optional "---" line
	why     string // where the parser gave up, for tests
}

// maxFastDepth bounds nesting; deeper documents go to yaml.v3, whose own
// limit, and then the decoder's, refuse them with a message.
const maxFastDepth = 256

func (p *fastParser) enter() bool {
	p.depth++
	if p.depth > maxFastDepth {
		p.bail()
		return false
	}
	return true
}

func (p *fastParser) leave() { p.depth-- }

// bail gives up: the document is outside the subset, or invalid.
func (p *fastParser) bail() {
	if !p.fail && debugFast {
		_, _, l, _ := runtime.Caller(1)
		p.why = fmt.Sprintf("fastyaml.go:%d at input line %d", l, p.line)
	}
	p.fail = true
}

// debugFast makes bail record where it gave up.
var debugFast = false

// node allocates a node from the current slab.
func (p *fastParser) node(kind yaml.Kind, tag string, line, col int) *yaml.Node {
	if len(p.nodes) == cap(p.nodes) {
		p.nodes = make([]yaml.Node, 0, 256)
	}
	// Slab memory is fresh and zeroed: set the fields one by one rather than
	// copying a whole Node in, which costs a bulk write barrier during GC.
	p.nodes = p.nodes[:len(p.nodes)+1]
	n := &p.nodes[len(p.nodes)-1]
	n.Kind, n.Tag, n.Line, n.Column = kind, tag, line, col
	return n
}

// children moves the nodes pushed since mark into an exact-size slice.
func (p *fastParser) children(mark int) []*yaml.Node {
	n := len(p.stack) - mark
	if n == 0 {
		return nil
	}
	if cap(p.ptrs)-len(p.ptrs) < n {
		p.ptrs = make([]*yaml.Node, 0, max(256, n))
	}
	start := len(p.ptrs)
	p.ptrs = append(p.ptrs, p.stack[mark:]...)
	p.stack = p.stack[:mark]
	return p.ptrs[start:len(p.ptrs):len(p.ptrs)]
}

// str returns data[i:j] as a string without copying.
func (p *fastParser) str(i, j int) string {
	if i >= j {
		return ""
	}
	return unsafe.String(&p.data[i], j-i)
}

// column returns the 1-based column (in characters) of offset off on the
// current line.
func (p *fastParser) column(off int) int {
	prefix := p.data[p.bol:off]
	for _, c := range prefix {
		if c >= utf8.RuneSelf {
			return utf8.RuneCount(prefix) + 1
		}
	}
	return len(prefix) + 1
}

// nextLine moves to the beginning of the next line.
func (p *fastParser) nextLine() {
	for p.pos < len(p.data) && p.data[p.pos] != '\n' {
		p.pos++
	}
	if p.pos < len(p.data) {
		p.pos++
		p.line++
	}
	p.setBOL(p.pos)
}

// setBOL makes off the beginning of the current line, and finds its end.
func (p *fastParser) setBOL(off int) {
	p.bol = off
	e := len(p.data)
	if i := bytes.IndexByte(p.data[off:], '\n'); i >= 0 {
		e = off + i
	}
	if e > off && p.data[e-1] == '\r' {
		e--
	}
	p.eol = e
}

// lineEnd returns the offset of the end of the current line, before any
// "\r\n" or "\n" (or pos, if pos is past it).
func (p *fastParser) lineEnd() int {
	return max(p.eol, p.pos)
}

// indentOf counts the spaces at the start of the current line; -1 for a
// tab in the indentation (outside the subset).
func (p *fastParser) indentOf() int {
	i := p.bol
	for i < len(p.data) && p.data[i] == ' ' {
		i++
	}
	if i < len(p.data) && p.data[i] == '\t' {
		return -1
	}
	return i - p.bol
}

// blankOrComment reports whether the rest of the line from off holds
// nothing but spaces and a comment.
func (p *fastParser) blankOrComment(off int) bool {
	end := p.lineEnd()
	for i := off; i < end; i++ {
		switch p.data[i] {
		case ' ', '\t':
		case '#':
			return i == off || p.data[i-1] == ' ' || p.data[i-1] == '\t'
		default:
			return false
		}
	}
	return true
}

// skipBlank moves to the first line at or after the current one that has
// content, and to its first character. It returns that line's indentation,
// or -2 at the end of the document.
func (p *fastParser) skipBlank() int {
	for p.pos < len(p.data) {
		if p.pos != p.bol {
			if allSpaces(p.data[p.bol:p.pos]) && !p.blankOrComment(p.pos) {
				return p.pos - p.bol // already at this line's content
			}
			// Mid-line: the rest of this line must be empty or a comment.
			if !p.blankOrComment(p.pos) {
				p.bail()
				return -2
			}
			p.nextLine()
			continue
		}
		ind := p.indentOf()
		if ind < 0 {
			p.bail()
			return -2
		}
		if p.blankOrComment(p.bol + ind) {
			p.nextLine()
			continue
		}
		p.pos = p.bol + ind
		if ind == 0 && p.started && (isMarker(p.data[p.pos:], "---") || isMarker(p.data[p.pos:], "...")) {
			p.bail() // a document marker inside the document
			return -2
		}
		return ind
	}
	return -2
}

func allSpaces(b []byte) bool {
	for _, c := range b {
		if c != ' ' {
			return false
		}
	}
	return true
}

// document parses a whole document.
func (p *fastParser) document() (*yaml.Node, bool) {
	// A leading "---" line may carry only a comment.
	ind := p.skipBlank()
	if ind == 0 && isMarker(p.data[p.pos:], "---") {
		if !p.blankOrComment(p.pos + 3) {
			return nil, false
		}
		p.nextLine()
		p.started = true
		ind = p.skipBlank()
	}
	p.started = true
	if ind == 0 && (isMarker(p.data[p.pos:], "---") || isMarker(p.data[p.pos:], "...")) {
		return nil, false
	}
	if p.fail {
		return nil, false
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode}
	if ind == -2 {
		return nil, false // empty: let yaml.v3 decide what it is
	}
	doc.Line, doc.Column = p.line, p.column(p.pos)
	root := p.blockNode(-1, ind)
	if p.fail || root == nil {
		return nil, false
	}
	if p.skipBlank() != -2 || p.fail {
		return nil, false // content after the root node
	}
	doc.Content = []*yaml.Node{root}
	return doc, true
}

// blockNode parses the node that starts at the current position, in block
// context, whose parent collection is at indentation parent; ind is the
// column (0-based) the node starts at.
func (p *fastParser) blockNode(parent, ind int) *yaml.Node {
	c := p.data[p.pos]
	switch {
	case c == '-' && p.indicatorFollowedByBlank(p.pos):
		return p.blockSequence(ind)
	case c == '[' || c == '{':
		n := p.flowNode(parent)
		if n != nil && !p.blankOrComment(p.pos) {
			p.bail()
		}
		return n
	}
	if p.isMappingKey() {
		return p.blockMapping(ind)
	}
	return p.scalarValue(parent)
}

// indicatorFollowedByBlank reports whether the indicator at off is followed
// by a space, a tab or the end of the line.
func (p *fastParser) indicatorFollowedByBlank(off int) bool {
	return off+1 >= len(p.data) || p.data[off+1] == ' ' || p.data[off+1] == '\n' || p.data[off+1] == '\r' || p.data[off+1] == '\t'
}

// isMappingKey reports whether the current line, from pos, starts with a
// simple key: a plain or quoted scalar followed by ":" and a blank.
func (p *fastParser) isMappingKey() bool {
	_, _, after, ok := p.scanKey()
	return ok && after >= 0
}

// scanKey reads a simple key at pos: it returns the key's start and end
// offsets (inside the quotes for quoted keys), the offset after the ":"
// (-1 if there is none), and false when the key is outside the subset.
func (p *fastParser) scanKey() (start, end, after int, ok bool) {
	end = p.lineEnd()
	i := p.pos
	switch p.data[i] {
	case '"', '\'':
		j := p.closingQuote(i, end)
		if j >= end {
			return 0, 0, -1, true // not a key (maybe a multi-line quoted scalar)
		}
		k := j + 1
		for k < end && p.data[k] == ' ' {
			k++
		}
		if k < end && p.data[k] == ':' && (k+1 >= end || p.data[k+1] == ' ' || p.data[k+1] == '\t' || p.data[k+1] == '\r') {
			return i, j + 1, k + 1, true
		}
		return 0, 0, -1, true
	case '?', '&', '*', '!', '|', '>', '%', '@', '`':
		return 0, 0, -1, true
	}
	for j := i; j < end; j++ {
		switch p.data[j] {
		case ':':
			if j+1 >= end || p.data[j+1] == ' ' || p.data[j+1] == '\t' {
				k := j
				for k > i && (p.data[k-1] == ' ' || p.data[k-1] == '\t') {
					k--
				}
				return i, k, j + 1, k > i
			}
		case '#':
			if j > i && (p.data[j-1] == ' ' || p.data[j-1] == '\t') {
				return 0, 0, -1, true
			}
		}
	}
	return 0, 0, -1, true
}

// blockMapping parses a block mapping whose keys are at column ind.
func (p *fastParser) blockMapping(ind int) *yaml.Node {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	m := p.node(yaml.MappingNode, "!!map", p.line, p.column(p.pos))
	mark := len(p.stack)
	first := true
	for !p.fail {
		if !first {
			li := p.skipBlank()
			if li < ind || li == -2 {
				break
			}
			if li > ind {
				p.bail()
				break
			}
		}
		first = false
		if p.data[p.pos] == '-' && p.indicatorFollowedByBlank(p.pos) {
			p.bail() // a sequence entry where a key belongs
			break
		}
		ks, ke, after, ok := p.scanKey()
		if !ok || after < 0 {
			p.bail()
			break
		}
		var key *yaml.Node
		switch p.data[ks] {
		case '"', '\'':
			key = p.quoted(ke-1, p.line, p.column(ks))
		default:
			v := p.str(ks, ke)
			if !plainOK(v, false) {
				p.bail()
				break
			}
			key = p.node(yaml.ScalarNode, plainTag(v), p.line, p.column(ks))
			key.Value = v
		}
		if p.fail {
			break
		}
		p.stack = append(p.stack, key)
		p.pos = after
		val := p.mappingValue(ind)
		if val == nil {
			p.bail()
			break
		}
		p.stack = append(p.stack, val)
	}
	m.Content = p.children(mark)
	return m
}

// mappingValue parses the value after "key:" of a mapping at column ind.
func (p *fastParser) mappingValue(ind int) *yaml.Node {
	// An empty value is placed right after the ":", as yaml.v3 places it.
	keyLine, col := p.line, p.column(p.pos)
	for p.pos < p.lineEnd() && (p.data[p.pos] == ' ' || p.data[p.pos] == '\t') {
		p.pos++
	}
	if p.blankOrComment(p.pos) {
		// The value is on the next lines, or empty.
		li := p.skipBlank()
		switch {
		case p.fail:
			return nil
		case li > ind:
			return p.blockNode(ind, li)
		case li == ind && p.data[p.pos] == '-' && p.indicatorFollowedByBlank(p.pos):
			return p.blockSequence(li) // a sequence at the key's column
		}
		n := p.node(yaml.ScalarNode, "!!null", keyLine, col)
		return n
	}
	return p.inlineValue(ind)
}

// inlineValue parses a value that starts on the current line at pos, after
// "key: " or "- ", in a collection at column ind.
func (p *fastParser) inlineValue(ind int) *yaml.Node {
	switch c := p.data[p.pos]; c {
	case '&', '*', '!', '?', '%', '@', '`':
		p.bail()
		return nil
	case '[', '{':
		n := p.flowNode(ind)
		if n != nil && !p.blankOrComment(p.pos) {
			p.bail()
		}
		return n
	case '|', '>':
		return p.blockScalar(ind)
	case '-':
		if p.indicatorFollowedByBlank(p.pos) {
			p.bail() // "key: - a" is not YAML
			return nil
		}
	}
	if p.isMappingKey() {
		p.bail() // "key: a: b"
		return nil
	}
	return p.scalarValue(ind)
}

// blockSequence parses a block sequence whose "-" indicators are at column
// ind.
func (p *fastParser) blockSequence(ind int) *yaml.Node {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	s := p.node(yaml.SequenceNode, "!!seq", p.line, p.column(p.pos))
	mark := len(p.stack)
	first := true
	for !p.fail {
		if !first {
			li := p.skipBlank()
			if li < ind || li == -2 {
				break
			}
			if li > ind || p.data[p.pos] != '-' || !p.indicatorFollowedByBlank(p.pos) {
				if li == ind {
					break // the parent mapping's next key
				}
				p.bail()
				break
			}
		}
		first = false
		p.pos++
		emptyLine, emptyCol := p.line, p.column(p.pos) // where an empty item goes
		for p.pos < p.lineEnd() && p.data[p.pos] == ' ' {
			p.pos++
		}
		if p.pos < p.lineEnd() && p.data[p.pos] == '\t' {
			p.bail()
			break
		}
		var item *yaml.Node
		if p.blankOrComment(p.pos) {
			li := p.skipBlank()
			switch {
			case p.fail:
			case li > ind:
				item = p.blockNode(ind, li)
			default:
				item = p.node(yaml.ScalarNode, "!!null", emptyLine, emptyCol)
			}
		} else {
			col := p.pos - p.bol // the item's own column, for a compact collection
			switch {
			case p.data[p.pos] == '-' && p.indicatorFollowedByBlank(p.pos):
				item = p.blockSequence(col)
			case p.data[p.pos] == '[' || p.data[p.pos] == '{':
				item = p.flowNode(ind)
				if item != nil && !p.blankOrComment(p.pos) {
					p.bail()
				}
			case p.isMappingKey():
				item = p.blockMapping(col)
			default:
				item = p.inlineValue(ind)
			}
		}
		if item == nil {
			p.bail()
			break
		}
		p.stack = append(p.stack, item)
	}
	s.Content = p.children(mark)
	return s
}

// plainOK reports whether s is a plain scalar this parser reads the way
// yaml.v3 does: no leading indicator, no ": " or " #" inside.
func plainOK(s string, flow bool) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '?', ':':
		return false // legal in places, but rare, and libyaml is strict about them
	case '-':
		if len(s) == 1 || s[1] == ' ' || s[1] == '\t' {
			return false
		}
		if flow && (s[1] < '0' || s[1] > '9') {
			return false // only numbers ("-1") start with "-" in a flow collection here
		}
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':' && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\t'):
			return false
		case c == '#' && i > 0 && (s[i-1] == ' ' || s[i-1] == '\t'):
			return false
		case c < 0x20 && c != '\t', c == 0x7f:
			return false
		case flow && (c == ',' || c == '[' || c == ']' || c == '{' || c == '}'):
			return false
		case c >= utf8.RuneSelf:
			// Non-ASCII is fine, except the characters YAML treats as line
			// breaks or forbids (NEL, LS, PS, BOM): leave those to yaml.v3.
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xFEFF || r == utf8.RuneError && size == 1 {
				return false
			}
			i += size - 1
		}
	}
	return true
}

// scalarValue parses a plain or quoted scalar that starts at pos and ends
// on this line, in a collection at column ind. A plain scalar continued on
// the next line is outside the subset.
func (p *fastParser) scalarValue(ind int) *yaml.Node {
	line, col := p.line, p.column(p.pos)
	end := p.lineEnd()
	switch p.data[p.pos] {
	case '"', '\'':
		j := p.closingQuote(p.pos, end)
		if j >= end || !p.blankOrComment(j+1) {
			p.bail() // multi-line, or text after the closing quote
			return nil
		}
		return p.quoted(j, line, col)
	}
	// Plain: up to a comment or the end of the line.
	j := p.pos
	stop := end
	for k := p.pos; k < end; k++ {
		if p.data[k] == '#' && k > p.pos && (p.data[k-1] == ' ' || p.data[k-1] == '\t') {
			stop = k
			break
		}
	}
	e := stop
	for e > j && (p.data[e-1] == ' ' || p.data[e-1] == '\t') {
		e--
	}
	v := p.str(j, e)
	if !plainOK(v, false) {
		p.bail()
		return nil
	}
	p.pos = end
	// A plain scalar may go on over more-indented lines (or, after a
	// comment, be followed by an error): outside the subset.
	save, saveLine, saveBol, saveEOL := p.pos, p.line, p.bol, p.eol
	p.nextLine()
	li := p.skipBlank()
	p.pos, p.line, p.bol, p.eol = save, saveLine, saveBol, saveEOL
	p.fail = false
	if li > ind {
		p.bail()
		return nil
	}
	n := p.node(yaml.ScalarNode, plainTag(v), line, col)
	n.Value = v
	return n
}

// closingQuote returns the offset of the quote that closes the quoted
// scalar opening at open, or end if the line has none.
func (p *fastParser) closingQuote(open, end int) int {
	q := p.data[open]
	j := open + 1
	for j < end {
		switch {
		case p.data[j] == '\\' && q == '"':
			j += 2
			continue
		case p.data[j] == q && q == '\'' && j+1 < end && p.data[j+1] == '\'':
			j += 2
			continue
		case p.data[j] == q:
			return j
		}
		j++
	}
	return end
}

// quoted makes the node of the quoted scalar from pos to its closing quote
// at close, and moves past it.
func (p *fastParser) quoted(close, line, col int) *yaml.Node {
	n := p.node(yaml.ScalarNode, "!!str", line, col)
	if p.data[p.pos] == '"' {
		n.Style = yaml.DoubleQuotedStyle
		v, ok := p.unquoteDouble(p.pos+1, close)
		if !ok {
			p.bail()
			return nil
		}
		n.Value = v
	} else {
		n.Style = yaml.SingleQuotedStyle
		n.Value = p.unquoteSingle(p.pos+1, close)
	}
	p.pos = close + 1
	return n
}

// unquoteSingle reads the inside of a single-quoted scalar.
func (p *fastParser) unquoteSingle(i, j int) string {
	s := p.str(i, j)
	if !strings.Contains(s, "''") {
		return s
	}
	return strings.ReplaceAll(s, "''", "'")
}

// unquoteDouble reads the inside of a double-quoted scalar with YAML's
// escapes.
func (p *fastParser) unquoteDouble(i, j int) (string, bool) {
	s := p.str(i, j)
	if strings.IndexByte(s, '\\') < 0 {
		for k := 0; k < len(s); k++ {
			if s[k] < 0x20 && s[k] != '\t' {
				return "", false
			}
		}
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s))
	for k := 0; k < len(s); k++ {
		c := s[k]
		if c < 0x20 && c != '\t' {
			return "", false
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		k++
		if k >= len(s) {
			return "", false
		}
		switch s[k] {
		case '0':
			b.WriteByte(0)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 't', '\t':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'v':
			b.WriteByte('\v')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case ' ':
			b.WriteByte(' ')
		case '"':
			b.WriteByte('"')
		case '\\':
			b.WriteByte('\\')
		case 'N':
			b.WriteRune(0x85)
		case '_':
			b.WriteRune(0xA0)
		case 'L':
			b.WriteRune(0x2028)
		case 'P':
			b.WriteRune(0x2029)
		case 'x', 'u', 'U':
			n := 2
			switch s[k] {
			case 'u':
				n = 4
			case 'U':
				n = 8
			}
			if k+1+n > len(s) {
				return "", false
			}
			v, err := strconv.ParseUint(s[k+1:k+1+n], 16, 32)
			if err != nil || v > utf8.MaxRune || v >= 0xD800 && v <= 0xDFFF {
				return "", false
			}
			b.WriteRune(rune(v))
			k += n
		default:
			return "", false
		}
	}
	return b.String(), true
}

// blockScalar parses a literal (|) or folded (>) block scalar whose header
// is at pos, in a collection at column ind.
func (p *fastParser) blockScalar(ind int) *yaml.Node {
	line, col := p.line, p.column(p.pos)
	folded := p.data[p.pos] == '>'
	p.pos++
	chomp := byte(0)
	explicit := 0
	for k := 0; k < 2 && p.pos < p.lineEnd(); k++ {
		switch c := p.data[p.pos]; {
		case (c == '-' || c == '+') && chomp == 0:
			chomp = c
			p.pos++
		case c >= '1' && c <= '9' && explicit == 0:
			explicit = int(c - '0')
			p.pos++
		}
	}
	if p.pos < p.lineEnd() && p.data[p.pos] != ' ' && p.data[p.pos] != '\t' || !p.blankOrComment(p.pos) {
		p.bail()
		return nil
	}
	p.nextLine()
	contentInd := -1
	if explicit > 0 {
		contentInd = max(ind, 0) + explicit
	}
	// Read the lines that belong to the scalar: empty lines, and lines
	// indented at least as much as the content.
	var lines []string // each line without the content indentation; "" when empty
	var spaced []bool  // the line starts with white space after the indentation
	maxLeading := 0
	lastNewline := true // the last text line ends with a line break
	for p.pos < len(p.data) {
		spaces := 0
		for p.bol+spaces < len(p.data) && p.data[p.bol+spaces] == ' ' {
			spaces++
		}
		end := p.lineEnd()
		rest := p.bol + spaces
		if rest < end && p.data[rest] == '\t' && (contentInd < 0 || spaces < contentInd) {
			p.bail() // a tab where indentation is decided
			return nil
		}
		if rest >= end { // an empty line
			if contentInd < 0 {
				maxLeading = max(maxLeading, spaces)
			} else if spaces > contentInd {
				p.bail() // white space beyond the indentation: leave it to yaml.v3
				return nil
			}
			lines = append(lines, "")
			spaced = append(spaced, false)
			p.nextLine()
			continue
		}
		if contentInd < 0 {
			if spaces <= ind {
				break
			}
			if spaces < maxLeading {
				p.bail()
				return nil
			}
			contentInd = spaces
		}
		if spaces < contentInd {
			break
		}
		if spaces == 0 && (isMarker(p.data[p.bol:], "---") || isMarker(p.data[p.bol:], "...")) {
			break
		}
		lines = append(lines, p.str(p.bol+contentInd, end))
		spaced = append(spaced, spaces > contentInd || p.data[p.bol+contentInd] == '\t')
		lastNewline = end < len(p.data)
		p.nextLine()
	}
	last := len(lines) - 1
	for last >= 0 && lines[last] == "" {
		last--
	}
	if last < 0 {
		p.bail() // no content at all: leave it to yaml.v3
		return nil
	}
	trailing := len(lines) - 1 - last
	var b strings.Builder
	if folded {
		foldLines(&b, lines[:last+1], spaced[:last+1])
	} else {
		for i, l := range lines[:last+1] {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(l)
		}
	}
	switch chomp {
	case '-':
	case '+':
		if lastNewline {
			b.WriteString(strings.Repeat("\n", trailing+1))
		}
	default:
		if lastNewline {
			b.WriteByte('\n')
		}
	}
	n := p.node(yaml.ScalarNode, "!!str", line, col)
	n.Style = yaml.LiteralStyle
	if folded {
		n.Style = yaml.FoldedStyle
	}
	n.Value = b.String()
	return n
}

// foldLines writes the content of a folded block scalar: a line break
// between two lines of text becomes a space; when empty lines stand between
// them, the first break is dropped and each empty line leaves a break;
// breaks next to lines that start with white space ("spaced" lines) are
// all kept.
func foldLines(b *strings.Builder, lines []string, spaced []bool) {
	prev := -1 // the previous text line
	breaks := 0
	for i, l := range lines {
		if l == "" {
			breaks++
			continue
		}
		switch {
		case prev < 0:
			b.WriteString(strings.Repeat("\n", breaks))
		case spaced[i] || spaced[prev]:
			b.WriteString(strings.Repeat("\n", breaks+1))
		case breaks > 0:
			b.WriteString(strings.Repeat("\n", breaks))
		default:
			b.WriteByte(' ')
		}
		b.WriteString(l)
		prev, breaks = i, 0
	}
}

// flowNode parses a flow collection ([...] or {...}) that starts at pos and
// may go on over several lines, each indented more than parent.
func (p *fastParser) flowNode(parent int) *yaml.Node {
	if !p.enter() {
		return nil
	}
	defer p.leave()
	p.flowSpace(parent)
	if p.fail || p.pos >= len(p.data) {
		p.bail()
		return nil
	}
	line, col := p.line, p.column(p.pos)
	switch c := p.data[p.pos]; c {
	case '[', '{':
		mapping := c == '{'
		kind, tag := yaml.SequenceNode, "!!seq"
		if mapping {
			kind, tag = yaml.MappingNode, "!!map"
		}
		n := p.node(kind, tag, line, col)
		n.Style = yaml.FlowStyle
		p.pos++
		mark := len(p.stack)
		closer := byte(']')
		if mapping {
			closer = '}'
		}
		for !p.fail {
			p.flowSpace(parent)
			if p.fail || p.pos >= len(p.data) {
				p.bail()
				break
			}
			if p.data[p.pos] == closer {
				p.pos++
				break
			}
			item := p.flowScalarOrCollection(parent, mapping)
			if item == nil {
				p.bail()
				break
			}
			p.flowSpace(parent)
			if p.fail || p.pos >= len(p.data) {
				p.bail()
				break
			}
			if mapping {
				if p.data[p.pos] != ':' {
					p.bail() // a key without value: outside the subset
					break
				}
				p.pos++
				p.stack = append(p.stack, item)
				p.flowSpace(parent)
				if p.fail || p.pos >= len(p.data) {
					p.bail()
					break
				}
				if p.data[p.pos] == ',' || p.data[p.pos] == '}' {
					p.bail() // empty value: leave it to yaml.v3
					break
				}
				item = p.flowScalarOrCollection(parent, false)
				if item == nil {
					p.bail()
					break
				}
				p.flowSpace(parent)
			} else if p.pos < len(p.data) && p.data[p.pos] == ':' {
				p.bail() // a single-pair mapping inside a sequence
				break
			}
			p.stack = append(p.stack, item)
			if p.pos >= len(p.data) {
				p.bail()
				break
			}
			switch p.data[p.pos] {
			case ',':
				p.pos++
			case closer:
			default:
				p.bail()
			}
		}
		n.Content = p.children(mark)
		if p.fail {
			return nil
		}
		return n
	}
	p.bail()
	return nil
}

// flowSpace skips spaces, line breaks and comments inside a flow
// collection; continuation lines must be indented more than parent.
func (p *fastParser) flowSpace(parent int) {
	for p.pos < len(p.data) {
		switch c := p.data[p.pos]; c {
		case ' ', '\t', '\r':
			p.pos++
		case '\n':
			p.pos++
			p.line++
			p.setBOL(p.pos)
			ind := p.indentOf()
			if ind < 0 {
				// Tabs are allowed as separation in flow context, but keep
				// to the subset.
				p.bail()
				return
			}
			if ind <= parent && !p.blankOrComment(p.bol+ind) {
				p.bail()
				return
			}
			if ind == 0 && (isMarker(p.data[p.bol:], "---") || isMarker(p.data[p.bol:], "...")) {
				p.bail()
				return
			}
		case '#':
			if p.pos > p.bol && p.data[p.pos-1] != ' ' && p.data[p.pos-1] != '\t' {
				return
			}
			for p.pos < len(p.data) && p.data[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

// flowScalarOrCollection parses one entry of a flow collection.
func (p *fastParser) flowScalarOrCollection(parent int, key bool) *yaml.Node {
	c := p.data[p.pos]
	line, col := p.line, p.column(p.pos)
	switch c {
	case '[', '{':
		if key {
			p.bail()
			return nil
		}
		return p.flowNode(parent)
	case '"', '\'':
		// Single-line only.
		j := p.closingQuote(p.pos, p.lineEnd())
		if j >= p.lineEnd() {
			p.bail()
			return nil
		}
		return p.quoted(j, line, col)
	case '&', '*', '!', '?', '%', '@', '`', ',', ']', '}', '#', '|', '>':
		p.bail()
		return nil
	}
	// Plain scalar, single line, ending at a flow indicator or ": ".
	end := p.lineEnd()
	j := p.pos
	for j < end {
		d := p.data[j]
		if d == ',' || d == ']' || d == '}' || d == '[' || d == '{' {
			break
		}
		if d == ':' && (j+1 >= end || p.data[j+1] == ' ' || p.data[j+1] == ',' || p.data[j+1] == ']' || p.data[j+1] == '}') {
			break
		}
		if d == '#' && j > p.pos && (p.data[j-1] == ' ' || p.data[j-1] == '\t') {
			p.bail()
			return nil
		}
		j++
	}
	e := j
	for e > p.pos && (p.data[e-1] == ' ' || p.data[e-1] == '\t') {
		e--
	}
	v := p.str(p.pos, e)
	if !plainOK(v, true) {
		p.bail()
		return nil
	}
	if j >= end {
		p.bail() // continues on the next line: leave it to yaml.v3
		return nil
	}
	p.pos = j
	n := p.node(yaml.ScalarNode, plainTag(v), line, col)
	n.Value = v
	return n
}

// plainTag approximates the tag yaml.v3 resolves a plain scalar to. The
// decoder resolves plain scalars itself (YAML 1.1, as kubectl does); only
// the merge key's tag matters to it.
func plainTag(v string) string {
	switch v {
	case "<<":
		return "!!merge"
	case "", "~", "null", "Null", "NULL":
		return "!!null"
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return "!!bool"
	}
	if c := v[0]; c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' {
		if _, err := strconv.ParseInt(strings.ReplaceAll(v, "_", ""), 0, 64); err == nil {
			return "!!int"
		}
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return "!!float"
		}
	}
	return "!!str"
}
