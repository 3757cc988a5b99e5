package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	sigsjson "sigs.k8s.io/json"

	"github.com/dozor-dev/dozor/k8s"
)

// Options control decoding. The zero value of a limit means its default.
type Options struct {
	// SkipForeign skips documents that have neither apiVersion nor kind
	// (configuration files of other tools found while walking a directory)
	// instead of reporting them as errors. They are counted in Decoded.Skipped.
	SkipForeign bool

	// MaxDocumentBytes bounds one YAML document (default 16 MiB; the API
	// server stores objects of at most about 1.5 MiB).
	MaxDocumentBytes int
	// MaxDepth bounds nesting (default 200).
	MaxDepth int
	// MaxAliasNodes bounds the values that aliases expand to in one document
	// (default 100,000).
	MaxAliasNodes int
	// KeepJSON keeps each object's JSON, as kubectl would send it, in
	// Decoded.JSON (snapshots store it).
	KeepJSON bool
}

func (l Options) withDefaults() Options {
	if l.MaxDocumentBytes <= 0 {
		l.MaxDocumentBytes = 16 << 20
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 200
	}
	if l.MaxAliasNodes <= 0 {
		l.MaxAliasNodes = 100_000
	}
	return l
}

// Error is a problem in the input, with where it is.
type Error struct {
	File         string
	Line, Column int
	// Object names the object concerned, when known: "Deployment web".
	Object string
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Object != "" {
		b.WriteString(e.Object)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Decoded is the outcome of decoding one document.
type Decoded struct {
	Objects []*k8s.Object
	// JSON holds the JSON of each of Objects, by index, when
	// Options.KeepJSON is set.
	JSON   [][]byte
	Errors []*Error
	// Skipped counts documents skipped as not Kubernetes objects.
	Skipped int

	tree *tree // the slabs of the parsed document, if pooled
}

// Release drops the parsed document every object's Locator holds (they
// parse it again if asked), and lets its memory serve the next document.
// Call it once the per-object checks are done with every object.
func (d *Decoded) Release() {
	for _, o := range d.Objects {
		if l, ok := o.Locator.(*Locator); ok {
			l.Release()
		}
	}
	d.tree.free()
	d.tree = nil
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// Decode reads the objects in one document. src is copied into every object
// (its Line is replaced by the object's own); seq.Doc and seq.Item are set
// per object. Objects come back with a Locator that keeps the parsed
// document until Release is called on it, and re-parses on demand after.
func Decode(doc Document, src k8s.Source, seq k8s.Seq, limits Options) (out Decoded) {
	limits = limits.withDefaults()
	errAt := func(line, col int, object, format string, args ...any) {
		out.Errors = append(out.Errors, &Error{File: src.File, Line: line, Column: col, Object: object, Msg: fmt.Sprintf(format, args...)})
	}
	defer func() {
		// The YAML and JSON libraries are not supposed to panic on any
		// input; if one does, the document is an error, not a crash.
		if r := recover(); r != nil {
			out = Decoded{}
			errAt(doc.Line, 0, "", "the document could not be parsed (parser failure: %v)", r)
		}
	}()
	if len(doc.Data) > limits.MaxDocumentBytes {
		errAt(doc.Line, 0, "", "document is %d bytes, more than the limit of %d", len(doc.Data), limits.MaxDocumentBytes)
		return out
	}
	if doc.Blank() {
		return out
	}
	if i := bytes.IndexByte(doc.Data, 0); i >= 0 || !utf8.Valid(doc.Data) {
		errAt(doc.Line, 0, "", "not text: the document holds binary data")
		return out
	}
	root, tr, err := parseWith(doc.Data)
	fast := tr != nil
	if err != nil {
		line, msg := yamlErrorLine(err)
		if line > 0 {
			line += doc.Line - 1
		} else {
			line = doc.Line
		}
		errAt(line, 0, "", "invalid YAML: %s", msg)
		return out
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return out
	}
	node := root.Content[0]
	if node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	if node.Kind == yaml.ScalarNode && resolveScalar(node).kind == scalarNull {
		return out
	}
	if node.Kind != yaml.MappingNode {
		errAt(node.Line+doc.Line-1, node.Column, "", "not a Kubernetes object: the document is a %s, not a mapping", kindName(node.Kind))
		return out
	}
	out.tree = tr
	d := &decoder{doc: doc, src: src, limits: limits, out: &out, root: root, fast: fast}
	seq.Doc = doc.Index
	_, kind := typeOf(node)
	if items := mapValue(node, "items"); items != nil && strings.HasSuffix(kind, "List") && items.Kind == yaml.SequenceNode {
		for i, item := range items.Content {
			seq.Item = i
			d.object(item, k8s.Path("items").Index(i), seq)
		}
		return out
	}
	seq.Item = 0
	d.object(node, "", seq)
	return out
}

type decoder struct {
	doc    Document
	src    k8s.Source
	limits Options
	out    *Decoded
	root   *yaml.Node
	fast   bool // the fast parser took the document
}

func (d *decoder) errAt(n *yaml.Node, object string, format string, args ...any) {
	d.out.Errors = append(d.out.Errors, &Error{File: d.src.File, Line: n.Line + d.doc.Line - 1, Column: n.Column,
		Object: object, Msg: fmt.Sprintf(format, args...)})
}

// object decodes one object node, at path within the document.
func (d *decoder) object(n *yaml.Node, at k8s.Path, seq k8s.Seq) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		d.errAt(n, "", "not a Kubernetes object: %s is a %s, not a mapping", describe(at), kindName(n.Kind))
		return
	}
	apiVersion, kind := typeOf(n)
	name := ""
	if md := mapValue(n, "metadata"); md != nil && md.Kind == yaml.MappingNode {
		if nm := mapValue(md, "name"); nm != nil && nm.Kind == yaml.ScalarNode {
			name = nm.Value
		} else if gn := mapValue(md, "generateName"); gn != nil && gn.Kind == yaml.ScalarNode {
			name = gn.Value
		}
	}
	label := strings.TrimSpace(kind + " " + name)
	switch {
	case apiVersion == "" && kind == "":
		if d.limits.SkipForeign {
			d.out.Skipped++
			return
		}
		d.errAt(n, label, "not a Kubernetes object: no apiVersion and no kind")
		return
	case apiVersion == "":
		d.errAt(n, label, "no apiVersion")
		return
	case kind == "":
		d.errAt(n, label, "no kind")
		return
	}

	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	enc := encoder{buf: (*bp)[:0], maxDepth: d.limits.MaxDepth, aliasBudget: d.limits.MaxAliasNodes, lineOffset: d.doc.Line - 1}
	enc.encode(n, false)
	*bp = enc.buf[:0]
	for _, p := range enc.problems {
		d.out.Errors = append(d.out.Errors, &Error{File: d.src.File, Line: p.line + d.doc.Line - 1, Column: p.column, Object: label, Msg: p.msg})
	}
	if enc.fatal {
		return
	}
	data := enc.buf

	// Scalars of the fast parser share the input's memory: copy what the
	// object keeps, so that the input can go once the object is done with.
	obj := &k8s.Object{APIVersion: strings.Clone(apiVersion), Kind: strings.Clone(kind), Source: d.src, Seq: seq}
	obj.Source.Line = n.Line + d.doc.Line - 1
	gvk := schema.FromAPIVersionAndKind(apiVersion, kind)
	typed, err := scheme.Scheme.New(gvk)
	if err == nil {
		strict, err := sigsjson.UnmarshalStrict(data, typed, sigsjson.DisallowUnknownFields)
		if err != nil {
			at, msg := typeError(err)
			d.errAt(findField(n, at), label, "%s", msg)
			typed = nil
		} else {
			for _, s := range strict {
				fe := k8s.FieldError{Message: s.Error()}
				var pe sigsjson.FieldError
				if errors.As(s, &pe) {
					fe.Path = k8s.Path(pe.FieldPath())
					fe.Message = "unknown field " + strconv.Quote(pe.FieldPath())
				}
				obj.FieldErrors = append(obj.FieldErrors, fe)
			}
		}
	} else {
		typed = nil
	}
	if typed != nil {
		obj.Typed = typed
		if a, ok := typed.(metav1.ObjectMetaAccessor); ok {
			if m, ok := a.GetObjectMeta().(*metav1.ObjectMeta); ok {
				obj.Meta = m
			}
		}
		obj.Pod = k8s.PodTemplateOf(typed)
	}
	if obj.Meta == nil {
		var u map[string]any
		if err := json.Unmarshal(data, &u); err != nil {
			d.errAt(n, label, "%v", err)
			return
		}
		obj.Unstructured = u
		obj.Meta = &metav1.ObjectMeta{}
		if md, ok := u["metadata"]; ok {
			raw, _ := json.Marshal(md)
			if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw, obj.Meta); err != nil {
				at, msg := typeError(err)
				d.errAt(findField(n, "metadata."+at), label, "%s", msg)
				obj.Meta = &metav1.ObjectMeta{}
			}
		}
	}
	if obj.Meta.Name == "" && obj.Meta.GenerateName == "" {
		d.errAt(n, label, "no metadata.name")
	}
	obj.Locator = &Locator{data: d.doc.Data, firstLine: d.doc.Line, at: at, root: d.root, fast: d.fast}
	d.out.Objects = append(d.out.Objects, obj)
	if d.limits.KeepJSON {
		d.out.JSON = append(d.out.JSON, bytes.Clone(data))
	}
}

var jsonTypeError = regexp.MustCompile(`cannot unmarshal (\w+) into Go (?:struct field|value) (\S+) of type (\S+)`)

// typeError rewrites a JSON type error in the words of a manifest: the
// field's path without Go type names, what was found and what is wanted.
func typeError(err error) (field, msg string) {
	m := jsonTypeError.FindStringSubmatch(err.Error())
	if m == nil {
		return "", strings.TrimPrefix(err.Error(), "json: ")
	}
	var parts []string
	for i, p := range strings.Split(m[2], ".") {
		if i == 0 || p == "" || p[0] >= 'A' && p[0] <= 'Z' {
			continue // a Go type name, not a field
		}
		parts = append(parts, p)
	}
	field = strings.Join(parts, ".")
	what := map[string]string{"string": "a string", "number": "a number", "bool": "a boolean",
		"object": "a mapping", "array": "a list"}[m[1]]
	if what == "" {
		what = m[1]
	}
	if field == "" {
		return "", fmt.Sprintf("got %s, want %s", what, m[3])
	}
	return field, fmt.Sprintf("%s: got %s, want %s", field, what, m[3])
}

// findField finds the node of a dotted field path without list indices,
// searching every element of lists on the way; n itself if not found.
func findField(n *yaml.Node, path string) *yaml.Node {
	if path == "" {
		return n
	}
	if found := searchField(n, strings.Split(path, "."), 0); found != nil {
		return found
	}
	return n
}

func searchField(n *yaml.Node, keys []string, depth int) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if len(keys) == 0 || depth > 64 {
		return n
	}
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if f := searchField(c, keys, depth+1); f != nil {
				return f
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == keys[0] {
				if len(keys) == 1 {
					return n.Content[i]
				}
				if f := searchField(n.Content[i+1], keys[1:], depth+1); f != nil {
					return f
				}
			}
		}
	}
	return nil
}

func describe(at k8s.Path) string {
	if at == "" {
		return "the document"
	}
	return string(at)
}

// typeOf reads apiVersion and kind from an object node.
func typeOf(n *yaml.Node) (apiVersion, kind string) {
	if v := mapValue(n, "apiVersion"); v != nil && v.Kind == yaml.ScalarNode {
		apiVersion = v.Value
	}
	if v := mapValue(n, "kind"); v != nil && v.Kind == yaml.ScalarNode {
		kind = v.Value
	}
	return apiVersion, kind
}

// mapValue returns the value of the last key named key in a mapping node.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m.Kind == yaml.AliasNode && m.Alias != nil {
		m = m.Alias
	}
	var v *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			v = m.Content[i+1]
		}
	}
	if v != nil && v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	return v
}

// parseWith parses one document into a node tree: with the fast parser when
// the document is in its subset, else with yaml.v3. It returns the slabs of
// a tree the fast parser built (nil if yaml.v3 built it), for the caller to
// free. JSON's "\/" escape, which YAML does not know, is rewritten for
// yaml.v3.
func parseWith(data []byte) (*yaml.Node, *tree, error) {
	if root, t, ok := fastParseTree(data); ok {
		return root, t, nil
	}
	root, err := slowParse(data)
	return root, nil, err
}

// slowParse parses with yaml.v3.
func slowParse(data []byte) (*yaml.Node, error) {
	var root yaml.Node
	err := yaml.Unmarshal(data, &root)
	if err != nil && strings.Contains(err.Error(), "unknown escape character") && bytes.Contains(data, []byte(`\/`)) {
		root = yaml.Node{}
		err = yaml.Unmarshal(unescapeSlash(data), &root)
	}
	return &root, err
}

// unescapeSlash rewrites \/ as / inside double-quoted strings, leaving
// escaped backslashes alone.
func unescapeSlash(data []byte) []byte {
	out := make([]byte, 0, len(data))
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case !inString && c == '"':
			inString = true
		case inString && c == '"':
			inString = false
		case inString && c == '\\' && i+1 < len(data):
			if data[i+1] == '/' {
				out = append(out, '/')
				i++
				continue
			}
			out = append(out, c, data[i+1])
			i++
			continue
		}
		out = append(out, c)
	}
	return out
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parserProblems are the problems yaml.v3's parser (not its scanner)
// reports. For these it gives the 0-based line of the construct being
// parsed; scanner problems come with 1-based lines.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// yamlErrorLine splits a yaml.v3 error into its 1-based line (0 if none)
// and message.
func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = "yaml: " + strings.TrimSpace(te.Errors[0])
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		rest := msg[len(m[0]):]
		if parserProblems[rest] {
			n++
		}
		return n, rest
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}
