package report

import (
	"bytes"
	"encoding"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestJSONStructure checks the golden scan's JSON report: its schema
// identifiers, counts, and a rule for every finding.
func TestJSONStructure(t *testing.T) {
	res := goldenResult(t)
	var b bytes.Buffer
	if err := JSON(&b, res, goldenOptions()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Summary    struct {
			Findings   int `json:"findings"`
			Suppressed int `json:"suppressed"`
			Errors     int `json:"errors"`
		} `json:"summary"`
		Findings   []map[string]any `json:"findings"`
		Suppressed []map[string]any `json:"suppressed"`
		Errors     []map[string]any `json:"errors"`
		Rules      []map[string]any `json:"rules"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc.APIVersion != JSONAPIVersion || doc.Kind != JSONKind {
		t.Errorf("apiVersion, kind = %q, %q; want %q, %q", doc.APIVersion, doc.Kind, JSONAPIVersion, JSONKind)
	}
	if len(doc.Findings) != len(res.Findings) || doc.Summary.Findings != len(res.Findings) ||
		len(doc.Suppressed) != len(res.Suppressed) || doc.Summary.Suppressed != len(res.Suppressed) ||
		len(doc.Errors) != len(res.Errors) || doc.Summary.Errors != len(res.Errors) {
		t.Errorf("counts of findings, suppressed and errors do not match the result")
	}
	rules := map[any]bool{}
	for _, r := range doc.Rules {
		rules[r["id"]] = true
	}
	for _, f := range append(doc.Findings, doc.Suppressed...) {
		if !rules[f["checkId"]] {
			t.Errorf("finding of %v has no entry in rules", f["checkId"])
		}
	}
}

// TestJSONReportDocumented fails when a field of the JSON report is not
// documented in docs/json-report.md. Every field is written there with its
// full path in backquotes: `findings[].location.line`. A type met a second
// time (the entries of suppressed[] are findings) is documented once, under
// its first path.
func TestJSONReportDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/json-report.md")
	if err != nil {
		t.Fatal(err)
	}
	paths := jsonPaths(reflect.TypeFor[JSONReport](), "", map[reflect.Type]bool{})
	if len(paths) < 20 {
		t.Fatalf("found only %d fields: %v", len(paths), paths)
	}
	for _, p := range paths {
		if !bytes.Contains(doc, []byte("`"+p+"`")) {
			t.Errorf("docs/json-report.md does not document `%s`", p)
		}
	}

	// Every json tag written in report/json.go must be among those paths:
	// a type there that JSONReport does not reach would escape the check.
	last := map[string]bool{}
	for _, p := range paths {
		last[p[strings.LastIndex(p, ".")+1:]] = true
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "json.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(file, func(n ast.Node) bool {
		f, ok := n.(*ast.Field)
		if !ok || f.Tag == nil {
			return true
		}
		tag, _ := strconv.Unquote(f.Tag.Value)
		name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
		if name != "" && name != "-" && !last[name] {
			t.Errorf("%s: json field %q is not reached from JSONReport, so its documentation is not checked", fset.Position(f.Pos()), name)
		}
		return true
	})
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// jsonPaths lists the JSON paths of t's fields, as encoding/json names them.
func jsonPaths(t reflect.Type, prefix string, seen map[reflect.Type]bool) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return jsonPaths(t.Elem(), prefix+"[]", seen)
	case t.Kind() != reflect.Struct, t == timeType, t.Implements(textMarshalerType), reflect.PointerTo(t).Implements(textMarshalerType):
		return nil
	case seen[t]:
		return nil
	}
	seen[t] = true
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			out = append(out, jsonPaths(f.Type, prefix, seen)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		p := name
		if prefix != "" {
			p = prefix + "." + name
		}
		out = append(out, p)
		out = append(out, jsonPaths(f.Type, p, seen)...)
	}
	return out
}
