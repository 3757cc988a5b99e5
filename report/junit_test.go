package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/scan"
)

// junitDoc is JUnit XML as a CI system reads it.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Name     string `xml:"name,attr"`
			Failures []struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Errors []struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func renderJUnit(t *testing.T, res *scan.Result, opts Options) junitDoc {
	t.Helper()
	var b bytes.Buffer
	if err := JUnit(&b, res, opts); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit output is not valid XML: %v\n%s", err, b.String())
	}
	checkJUnitCounts(t, doc)
	return doc
}

// checkJUnitCounts wants every count to be the number of test cases in that
// state, and the top level the sum of the suites.
func checkJUnitCounts(t *testing.T, doc junitDoc) {
	t.Helper()
	var tests, failures, errors, skipped int
	for _, s := range doc.Suites {
		var f, e, sk int
		for _, c := range s.Cases {
			switch {
			case len(c.Errors) > 0:
				e++
			case len(c.Failures) > 0:
				f++
			case c.Skipped != nil:
				sk++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != sk {
			t.Errorf("suite %q: tests=%d failures=%d errors=%d skipped=%d, want %d %d %d %d",
				s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, sk)
		}
		tests += s.Tests
		failures += s.Failures
		errors += s.Errors
		skipped += s.Skipped
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Errors != errors || doc.Skipped != skipped {
		t.Errorf("testsuites: tests=%d failures=%d errors=%d skipped=%d, want the sums %d %d %d %d",
			doc.Tests, doc.Failures, doc.Errors, doc.Skipped, tests, failures, errors, skipped)
	}
}

// TestJUnitStructure checks the golden scan's JUnit report: a suite per
// check with a test case per workload, a failure per finding, skipped
// objects for suppressed findings, and the input errors.
func TestJUnitStructure(t *testing.T) {
	res := goldenResult(t)
	doc := renderJUnit(t, res, goldenOptions())
	if got, want := len(doc.Suites), len(res.Checks)+1; got != want {
		t.Fatalf("got %d suites, want %d (one per check and the input errors)", got, want)
	}
	workloads := 0
	for _, o := range res.Objects {
		if o.Ref.Kind != "Service" {
			workloads++
		}
	}
	failures := 0
	for i, c := range res.Checks {
		s := doc.Suites[i]
		if want := c.ID + ": " + c.Title; s.Name != want {
			t.Errorf("suite %d = %q, want %q", i, s.Name, want)
		}
		if s.Tests != workloads {
			t.Errorf("%s: %d test cases, want one per workload (%d)", c.ID, s.Tests, workloads)
		}
		for _, tc := range s.Cases {
			if strings.HasPrefix(tc.Name, "Service ") {
				t.Errorf("%s: test case for %s, which no workload check looks at", c.ID, tc.Name)
			}
			for _, f := range tc.Failures {
				failures++
				if f.Message == "" || f.Type == "" || !strings.Contains(f.Body, "Remediation:") || !strings.Contains(f.Body, "Location:") {
					t.Errorf("%s: failure %+v lacks a message, type, location or remediation", c.ID, f)
				}
			}
			if tc.Skipped != nil && !strings.Contains(tc.Skipped.Message, "suppressed by") {
				t.Errorf("%s: skipped %q does not say why", c.ID, tc.Skipped.Message)
			}
		}
	}
	if failures != len(res.Findings) {
		t.Errorf("%d failures, want one per finding (%d)", failures, len(res.Findings))
	}
	if doc.Skipped != len(res.Suppressed) {
		t.Errorf("%d skipped, want one per suppressed finding (%d)", doc.Skipped, len(res.Suppressed))
	}
	last := doc.Suites[len(doc.Suites)-1]
	if last.Name != JUnitInputErrorsSuite || last.Errors != len(res.Errors) || doc.Errors != len(res.Errors) {
		t.Errorf("last suite %q has %d errors (top level %d), want %q with %d", last.Name, last.Errors, doc.Errors, JUnitInputErrorsSuite, len(res.Errors))
	}
}

// TestJUnitCrossObject covers checks that look across objects: a test case
// per object with a finding, else one passing "all objects".
func TestJUnitCrossObject(t *testing.T) {
	cross := &check.Check{Rule: finding.Rule{ID: "DZ-T-001", Title: "Cross", Severity: finding.High},
		Index: func(*check.Context, *k8s.Index) {}}
	perKind := &check.Check{Rule: finding.Rule{ID: "DZ-T-002", Title: "Per kind", Severity: finding.Low},
		Kinds: []string{"Service"}, Object: func(*check.Context, *k8s.Object) {}}
	anyKind := &check.Check{Rule: finding.Rule{ID: "DZ-T-003", Title: "Any kind", Severity: finding.Low},
		Object: func(*check.Context, *k8s.Object) {}}
	svc := scan.ObjectInfo{Ref: finding.ObjectRef{APIVersion: "v1", Kind: "Service", Namespace: "a", Name: "s"}, Location: finding.Location{File: "a.yaml", Line: 1}}
	cm := scan.ObjectInfo{Ref: finding.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "a", Name: "c"}, Location: finding.Location{File: "a.yaml", Line: 9}}
	res := &scan.Result{Checks: []*check.Check{cross, perKind, anyKind}, Objects: []scan.ObjectInfo{svc, cm}}

	doc := renderJUnit(t, res, Options{})
	wantCases := map[string][]string{
		"DZ-T-001: Cross":    {"all objects"},
		"DZ-T-002: Per kind": {"Service a/s (a.yaml)"},
		"DZ-T-003: Any kind": {"Service a/s (a.yaml)", "ConfigMap a/c (a.yaml)"},
	}
	for _, s := range doc.Suites {
		var names []string
		for _, c := range s.Cases {
			names = append(names, c.Name)
		}
		if strings.Join(names, "|") != strings.Join(wantCases[s.Name], "|") {
			t.Errorf("%s: test cases %q, want %q", s.Name, names, wantCases[s.Name])
		}
	}

	res.Findings = []finding.Finding{
		{Rule: &cross.Rule, Severity: finding.High, Object: cm.Ref, Location: finding.Location{File: "a.yaml", Line: 12}, Message: "first"},
		{Rule: &cross.Rule, Severity: finding.High, Object: cm.Ref, Location: finding.Location{File: "a.yaml", Line: 14}, Message: "second"},
	}
	doc = renderJUnit(t, res, Options{})
	s := doc.Suites[0]
	if len(s.Cases) != 1 || s.Cases[0].Name != "ConfigMap a/c (a.yaml)" || len(s.Cases[0].Failures) != 2 || s.Failures != 1 {
		t.Errorf("cross-object suite with two findings on one object: %+v; want one failed test case with two failures", s)
	}
}

// TestJUnitEscaping feeds markup, CDATA terminators and control characters
// through every text the report writes.
func TestJUnitEscaping(t *testing.T) {
	nasty := "<b>&\"'</b> ]]> \x00\x1b[31m \uFFFE end"
	c := &check.Check{Rule: finding.Rule{ID: "DZ-T-001", Title: nasty, Severity: finding.Medium, Remediation: nasty},
		Object: func(*check.Context, *k8s.Object) {}}
	obj := scan.ObjectInfo{Ref: finding.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Name: nasty}, Location: finding.Location{File: nasty}}
	res := &scan.Result{
		Checks:  []*check.Check{c},
		Objects: []scan.ObjectInfo{obj},
		Findings: []finding.Finding{{Rule: &c.Rule, Severity: finding.Medium, Object: obj.Ref,
			Location: obj.Location, Path: nasty, Message: nasty}},
		Errors: []*finding.InputError{{Location: finding.Location{File: nasty, Line: 2}, Message: nasty}},
	}
	doc := renderJUnit(t, res, Options{})
	f := doc.Suites[0].Cases[0].Failures
	if len(f) != 1 || !strings.Contains(f[0].Body, "]]>") || !strings.Contains(f[0].Message, "<b>&") {
		t.Errorf("failure = %+v; want the text kept, escaped", f)
	}
}
