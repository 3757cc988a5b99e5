package report

import (
	"bytes"
	"encoding/json"
	"github.com/dozor-dev/dozor/internal/jsondoc"
	"reflect"
	"testing"
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
	jsondoc.CheckElsewhere(t, "../docs/json-report.md", 20, []reflect.Type{reflect.TypeFor[JSONReport]()},
		map[string]string{"components": "../docs/components.md"}, "json.go")
}
