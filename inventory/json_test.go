package inventory_test

import (
	"bytes"
	"encoding"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dozor-dev/dozor/inventory"
)

// TestJSONDocumented fails when a field of the inventory's JSON is not
// documented in docs/inventory-json.md. Every field is written there with
// its full path in backquotes: `nodes[].containerRuntime.version`.
func TestJSONDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/inventory-json.md")
	if err != nil {
		t.Fatal(err)
	}
	paths := jsonPaths(reflect.TypeFor[inventory.Inventory](), "", map[reflect.Type]bool{})
	if len(paths) < 100 {
		t.Fatalf("found only %d fields: %v", len(paths), paths)
	}
	for _, p := range paths {
		if !bytes.Contains(doc, []byte("`"+p+"`")) {
			t.Errorf("docs/inventory-json.md does not document `%s`", p)
		}
	}

	// Every json tag in the package must be among those paths: a type that
	// Inventory does not reach would escape the check.
	last := map[string]bool{}
	for _, p := range paths {
		last[p[strings.LastIndex(p, ".")+1:]] = true
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
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
				t.Errorf("%s: json field %q is not reached from Inventory, so its documentation is not checked", fset.Position(f.Pos()), name)
			}
			return true
		})
	}
}

// TestJSONSchema: the identifiers of the schema, and a round trip: what is
// written reads back the same into the Go types.
func TestJSONSchema(t *testing.T) {
	inv := eks(t)
	var b bytes.Buffer
	if err := inventory.WriteJSON(&b, inv); err != nil {
		t.Fatal(err)
	}
	var back inventory.Inventory
	dec := json.NewDecoder(&b)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if back.APIVersion != "dozor.io/v1" || back.Kind != "Inventory" {
		t.Errorf("apiVersion, kind = %q, %q", back.APIVersion, back.Kind)
	}
	if !reflect.DeepEqual(*inv, back) {
		t.Error("the inventory does not read back as written")
	}
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
