// Package jsondoc holds Dozor's JSON output to its documentation: every
// field of a document type must be written, with its full path in
// backquotes (`findings[].location.line`), in the Markdown page that
// documents it. Tests of the packages that write JSON call Check.
package jsondoc

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
)

var (
	timeType          = reflect.TypeFor[time.Time]()
	rawType           = reflect.TypeFor[json.RawMessage]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// Paths lists the JSON paths of t's fields as encoding/json names them:
// "a.source.context", "objects[].fields[].path". Fields of embedded
// structs without a name are the outer struct's. Times, raw JSON and text
// marshalers are leaves. A struct type met a second time (the entries of
// suppressed[] are findings) is documented once, under its first path.
func Paths(t reflect.Type) []string {
	return paths(t, "", map[reflect.Type]bool{})
}

func paths(t reflect.Type, prefix string, seen map[reflect.Type]bool) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType || t == rawType:
		return nil
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return paths(t.Elem(), prefix+"[]", seen)
	case t.Kind() != reflect.Struct, t.Implements(textMarshalerType), reflect.PointerTo(t).Implements(textMarshalerType), seen[t]:
		return nil
	}
	seen[t] = true
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			// An embedded struct's fields are the outer struct's, even
			// when the embedded type is not exported (encoding/json).
			out = append(out, paths(f.Type, prefix, seen)...)
			continue
		}
		if name == "-" || !f.IsExported() {
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
		out = append(out, paths(f.Type, p, seen)...)
	}
	return out
}

// Check fails t when a field of a type in types is not documented in the
// Markdown file doc, when one has fewer than min fields (the walk went
// wrong), or when a json tag in the Go files matching sources (globs; test
// files left out) belongs to no field the types reach: a type they do not
// reach would escape the check.
func Check(t testing.TB, doc string, min int, types []reflect.Type, sources ...string) {
	t.Helper()
	CheckElsewhere(t, doc, min, types, nil, sources...)
}

// CheckElsewhere is Check for documents that embed another documented
// elsewhere: the fields under a path that elsewhere maps to a Markdown
// file ("components" to "../docs/components.md") must be written there,
// relative to that path (`database.ageDays` for
// `components.database.ageDays`), and the path itself in doc.
func CheckElsewhere(t testing.TB, doc string, min int, types []reflect.Type, elsewhere map[string]string, sources ...string) {
	t.Helper()
	texts := map[string][]byte{}
	read := func(file string) []byte {
		if b, ok := texts[file]; ok {
			return b
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		texts[file] = b
		return b
	}
	read(doc)
	last := map[string]bool{}
	for _, typ := range types {
		ps := Paths(typ)
		if len(ps) < min {
			t.Fatalf("%s: found only %d fields: %v", typ, len(ps), ps)
		}
		for _, p := range ps {
			file, rel := doc, p
			for prefix, other := range elsewhere {
				if r, ok := strings.CutPrefix(p, prefix+"."); ok {
					file, rel = other, r
				}
			}
			if !bytes.Contains(read(file), []byte("`"+rel+"`")) {
				t.Errorf("%s does not document `%s`", file, rel)
			}
			last[p[strings.LastIndex(p, ".")+1:]] = true
		}
	}
	fset := token.NewFileSet()
	for _, glob := range sources {
		files, err := filepath.Glob(glob)
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files (%v)", glob, err)
		}
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
					t.Errorf("%s: json field %q is not reached from %s, so its documentation is not checked", fset.Position(f.Pos()), name, types)
				}
				return true
			})
		}
	}
}
