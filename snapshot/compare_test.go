package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/dozor-dev/dozor/internal/jsondoc"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dozor-dev/dozor/finding"
)

func cm(name, uid, rv, value string) string {
	return `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"` + name + `","namespace":"shop","uid":"` + uid +
		`","resourceVersion":"` + rv + `"},"data":{"k":"` + value + `"}}`
}

func compareFiles(t *testing.T, a, b string, opts *CompareOptions) *Diff {
	t.Helper()
	ia, err := Snapshot(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	ib, err := Snapshot(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Compare(context.Background(), ia, ib, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// summary renders a diff's objects as "change Kind ns/name [recreated]".
func summary(d *Diff) []string {
	var out []string
	for _, o := range d.Objects {
		s := o.Change + " " + o.Identity()
		if o.Unit != "" {
			s += " @" + o.Unit
		}
		if o.Recreated {
			s += " recreated"
		}
		if o.MetadataOnly {
			s += " metadata-only"
		}
		for _, f := range o.Fields {
			s += " " + f.Path
		}
		out = append(out, s)
	}
	return out
}

func TestCompare(t *testing.T) {
	dir := t.TempDir()
	secretMeta := `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"shop","uid":"s1"}}`
	secretFull := `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"shop","uid":"s1"},"data":{"p":"sha256:00"}}`
	a := writeSnapshot(t, dir, "a.jsonl.gz", testHeader, End{},
		cm("same", "u1", "1", "v"),
		cm("noisy", "u2", "1", "v"),
		cm("changed", "u3", "1", "old"),
		cm("gone", "u4", "1", "v"),
		cm("recreated", "u5", "1", "v"),
		secretMeta,
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"shop","uid":"p1"}}`,
	)
	hb := testHeader
	hb.Created = hb.Created.Add(time.Hour)
	b := writeSnapshot(t, dir, "b.jsonl.gz", hb, End{Gaps: []finding.Gap{{Resource: "things", Namespace: "other", Kind: finding.GapFailed, Reason: "x"}}},
		cm("new", "u9", "1", "v"),
		cm("recreated", "u6", "7", "v"),
		cm("changed", "u3", "2", "new"),
		cm("noisy", "u2", "5", "v"),
		cm("same", "u1", "1", "v"),
		secretFull,
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"shop","uid":"p1"}}`,
	)
	d := compareFiles(t, a, b, nil)
	want := []string{
		"changed ConfigMap shop/changed data.k",
		"removed ConfigMap shop/gone",
		"added ConfigMap shop/new",
		"changed ConfigMap shop/recreated recreated",
	}
	if diff := cmp.Diff(want, summary(d)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	if s := d.Summary; s.Added != 1 || s.Removed != 1 || s.Changed != 2 || s.Unchanged != 4 || s.NotCompared != 0 {
		t.Errorf("summary = %+v", s)
	}
	if o := d.Objects[3]; o.OldUID != "u5" || o.NewUID != "u6" {
		t.Errorf("recreated: uids %q → %q", o.OldUID, o.NewUID)
	}
	if d.A.End.Objects != 7 || d.B.End.Objects != 7 {
		t.Errorf("objects read: %d and %d", d.A.End.Objects, d.B.End.Objects)
	}

	// The same snapshot: no differences.
	if d := compareFiles(t, a, a, nil); d.Summary.Differences() != 0 || d.Summary.Unchanged != 7 {
		t.Errorf("a snapshot against itself: %+v %v", d.Summary, summary(d))
	}
	// Without the default patterns, the noise shows.
	d = compareFiles(t, a, b, &CompareOptions{NoDefaultIgnore: true})
	if !strings.Contains(strings.Join(summary(d), "\n"), "changed ConfigMap shop/noisy metadata.resourceVersion") {
		t.Errorf("--no-default-ignore: %v", summary(d))
	}
	// --ignore: the changed value is ignored.
	d = compareFiles(t, a, b, &CompareOptions{Ignore: []string{"ConfigMap:data"}})
	if d.Summary.Changed != 1 {
		t.Errorf("--ignore ConfigMap:data: %v", summary(d))
	}
	if _, err := Compare(context.Background(), mustSnapshot(t, a), mustSnapshot(t, b), &CompareOptions{Ignore: []string{"a..b"}}); err == nil {
		t.Error("an invalid pattern is accepted")
	}
}

func mustSnapshot(t *testing.T, path string) *Input {
	t.Helper()
	in, err := Snapshot(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// TestCompareSecretMetadataOnly: a Secret with digests on one side and
// metadata only on the other is compared by its metadata, and says so.
func TestCompareSecretMetadataOnly(t *testing.T) {
	dir := t.TempDir()
	a := writeSnapshot(t, dir, "a.jsonl.gz", testHeader, End{},
		`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"shop","uid":"s1","labels":{"a":"1"}}}`)
	b := writeSnapshot(t, dir, "b.jsonl.gz", testHeader, End{},
		`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"shop","uid":"s1","labels":{"a":"2"}},"data":{"p":"sha256:00"}}`)
	d := compareFiles(t, a, b, nil)
	if diff := cmp.Diff([]string{`changed Secret shop/db metadata-only metadata.labels.a`}, summary(d)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}

// TestCompareGaps: what one side could not read is neither added nor
// removed.
func TestCompareGaps(t *testing.T) {
	dir := t.TempDir()
	a := writeSnapshot(t, dir, "a.jsonl.gz", testHeader, End{}, cm("x", "u1", "1", "v"), cm("y", "u2", "1", "v"))
	b := writeSnapshot(t, dir, "b.jsonl.gz", testHeader,
		End{Gaps: []finding.Gap{{Resource: "things", Namespace: "shop", Kind: finding.GapNotVisible, Reason: "forbidden"}}})
	d := compareFiles(t, a, b, nil)
	if d.Summary.Differences() != 0 || d.Summary.NotCompared != 2 || len(d.Warnings) == 0 {
		t.Errorf("summary %+v, warnings %v, objects %v", d.Summary, d.Warnings, summary(d))
	}
	// The other way round: objects B has where A had a gap are not added.
	d = compareFiles(t, b, a, nil)
	if d.Summary.Differences() != 0 || d.Summary.NotCompared != 2 {
		t.Errorf("reversed: summary %+v", d.Summary)
	}
	// A discovery gap covers its whole API group.
	c := writeSnapshot(t, dir, "c.jsonl.gz", testHeader, End{Gaps: []finding.Gap{{Resource: "*.v1", Kind: finding.GapFailed}}})
	if d := compareFiles(t, a, c, nil); d.Summary.NotCompared != 0 || d.Summary.Removed != 2 {
		t.Errorf("a gap of another group covers core objects: %+v", d.Summary)
	}
}

// TestCompareUnits: the same object rendered by two kustomizations is two
// objects; an object seen twice in plain files is matched in order.
func TestCompareUnits(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, replicasBase, replicasProd string) string {
		path := dir + "/" + name
		w, err := Create(path, Header{Source: Source{Type: SourceFiles, Roots: []string{"deploy"}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []struct{ unit, replicas string }{{"base", replicasBase}, {"overlays/prod", replicasProd}, {"", "1"}, {"", "9"}} {
			o := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api","namespace":"default"},"spec":{"replicas":` + r.replicas + `}}`
			if err := w.Add(&Record{Source: &Origin{File: "f.yaml", Line: 1, Unit: r.unit}, Object: json.RawMessage(o)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Commit(End{}); err != nil {
			t.Fatal(err)
		}
		return path
	}
	d := compareFiles(t, write("a.jsonl.gz", "1", "3"), write("b.jsonl.gz", "1", "5"), nil)
	if diff := cmp.Diff([]string{"changed Deployment default/api @overlays/prod spec.replicas"}, summary(d)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	if d.Objects[0].Source == nil || d.Objects[0].Source.File != "f.yaml" {
		t.Errorf("source = %+v", d.Objects[0].Source)
	}
}

func TestWriteText(t *testing.T) {
	dir := t.TempDir()
	a := writeSnapshot(t, dir, "a.jsonl.gz", testHeader, End{}, cm("changed", "u3", "1", "old"), cm("gone", "u4", "1", "v"),
		`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop","labels":{"x":"1"}}}`)
	b := writeSnapshot(t, dir, "b.jsonl.gz", testHeader, End{}, cm("changed", "u3", "2", strings.Repeat("new", 40)),
		`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop","labels":{"x":"2"}}}`)
	d := compareFiles(t, a, b, nil)
	var out bytes.Buffer
	if err := WriteText(&out, d, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"a: " + a + " (cluster admin v1.37.2, namespaces shop), 2026-11-01 12:00:00 UTC\n",
		"ConfigMap  shop\n  ~ changed\n      ~ data.k: \"old\" → \"newnewnew",
		"…\n  - gone  removed\n\nNamespace  (cluster-scoped)\n  ~ shop\n      ~ metadata.labels.x: \"1\" → \"2\"\n",
		"Summary: 0 added, 1 removed, 2 changed; 0 unchanged\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b[") {
		t.Error("colours without Color")
	}
	out.Reset()
	_ = WriteText(&out, d, TextOptions{Color: true})
	if !strings.Contains(out.String(), ansiGreen) || !strings.Contains(out.String(), ansiRed) {
		t.Error("no colours with Color")
	}
	out.Reset()
	_ = WriteText(&out, compareFiles(t, a, a, nil), TextOptions{})
	if !strings.Contains(out.String(), "Summary: no differences; 3 objects compared") {
		t.Errorf("no differences:\n%s", out.String())
	}
}

// TestJSONDiff: the JSON form has every field with its type, old and new
// values as JSON values (null kept apart from missing).
func TestJSONDiff(t *testing.T) {
	dir := t.TempDir()
	a := writeSnapshot(t, dir, "a.jsonl.gz", testHeader, End{},
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"shop"},"data":{"a":"1","b":"2"},"x":null}`)
	b := writeSnapshot(t, dir, "b.jsonl.gz", testHeader, End{},
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"shop"},"data":{"a":"1","c":"3"},"x":5}`)
	var out bytes.Buffer
	if err := WriteJSON(&out, compareFiles(t, a, b, nil), "v1.2.3"); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	fields := got["objects"].([]any)[0].(map[string]any)["fields"].([]any)
	want := []any{
		map[string]any{"path": "data.b", "change": "removed", "old": "2"},
		map[string]any{"path": "data.c", "change": "added", "new": "3"},
		map[string]any{"path": "x", "change": "changed", "old": nil, "new": float64(5)},
	}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if got["apiVersion"] != DiffAPIVersion || got["kind"] != DiffKind || got["tool"].(map[string]any)["version"] != "v1.2.3" {
		t.Errorf("identification: %v %v %v", got["apiVersion"], got["kind"], got["tool"])
	}
	if _, ok := got["a"].(map[string]any)["gaps"].([]any); !ok {
		t.Error("a.gaps is not an array")
	}
}

// TestJSONDiffDocumented fails when a field of the diff's JSON is not
// documented in docs/diff-json.md, where every field is written with its
// full path in backquotes: `objects[].fields[].path`.
func TestJSONDiffDocumented(t *testing.T) {
	jsondoc.Check(t, "../docs/diff-json.md", 30, []reflect.Type{reflect.TypeFor[JSONDiff]()}, "report.go")
}
