package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/scan"
)

// The JUnit XML written follows the de facto schema of Ant and Maven
// Surefire that CI systems (GitLab, Jenkins, Azure Pipelines, GitHub
// actions that publish test results) read: testsuites > testsuite >
// testcase with failure, error or skipped.

type junitTestsuites struct {
	XMLName  xml.Name         `xml:"testsuites"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Errors   int              `xml:"errors,attr"`
	Skipped  int              `xml:"skipped,attr"`
	Suites   []junitTestsuite `xml:"testsuite"`
}

type junitTestsuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Timestamp  string           `xml:"timestamp,attr,omitempty"`
	Properties *junitProperties `xml:"properties"`
	Cases      []*junitTestcase `xml:"testcase"`
}

type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestcase struct {
	Name      string          `xml:"name,attr"`
	Classname string          `xml:"classname,attr"`
	File      string          `xml:"file,attr,omitempty"`
	Failures  []junitProblem  `xml:"failure"`
	Errors    []junitProblem  `xml:"error"`
	Skipped   *junitSkipped   `xml:"skipped"`
	SystemOut *junitSystemOut `xml:"system-out"`

	suppressed []string // reasons, until the testcase is finished
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	// Body is CDATA so that its lines stay lines; xmlText keeps it valid.
	Body string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitSystemOut struct {
	Text string `xml:",cdata"`
}

// JUnitInputErrorsSuite names the test suite input errors are reported in.
const JUnitInputErrorsSuite = "dozor: input errors"

// JUnit writes JUnit XML: a test suite per check that ran ("DZ-PSS-003:
// Privileged container"), whose test cases are the objects the check looked
// at. An object the check found problems in fails, with a failure per
// finding; an object whose findings were all suppressed is skipped, with the
// reasons (whether or not ShowSuppressed is set: a skipped test is the
// honest verdict); the others pass. A cross-object check has a test case per
// object it found a problem in, or one passing test case, "all objects".
// Input errors are errors in a suite of their own, "dozor: input errors".
// Counts are of test cases: a test case with several failures is one failed
// test.
func JUnit(w io.Writer, res *scan.Result, opts Options) error {
	shown := visible(res, opts)
	byRule := map[string][]*finding.Finding{}
	var ruleOrder []*finding.Rule
	note := func(f *finding.Finding) {
		if _, ok := byRule[f.Rule.ID]; !ok {
			ruleOrder = append(ruleOrder, f.Rule)
		}
		byRule[f.Rule.ID] = append(byRule[f.Rule.ID], f)
	}
	for i := range shown {
		note(&shown[i])
	}
	for i := range res.Suppressed {
		note(&res.Suppressed[i])
	}

	timestamp := ""
	if !opts.Generated.IsZero() {
		timestamp = opts.Generated.UTC().Format("2006-01-02T15:04:05")
	}
	out := junitTestsuites{Name: "dozor"}
	ran := map[string]bool{}
	for _, c := range res.Checks {
		ran[c.ID] = true
		out.Suites = append(out.Suites, junitCheckSuite(c, res.Objects, byRule[c.ID], timestamp))
	}
	// Findings of a rule that is not among the checks (a caller's own
	// analyzer) still get a suite, as a cross-object check's.
	for _, r := range ruleOrder {
		if !ran[r.ID] {
			out.Suites = append(out.Suites, junitCheckSuite(&check.Check{Rule: *r}, nil, byRule[r.ID], timestamp))
		}
	}
	if len(res.Errors) > 0 {
		s := junitTestsuite{Name: JUnitInputErrorsSuite, Timestamp: timestamp}
		for _, e := range res.Errors {
			name := e.Location.String()
			if name == "" {
				name = "input"
			}
			if e.Object != "" {
				name += ": " + e.Object
			}
			s.Cases = append(s.Cases, &junitTestcase{
				Name: name, Classname: "dozor", File: locationFile(e.Location),
				Errors: []junitProblem{{Message: e.Message, Type: "input-error", Body: xmlText(e.Error())}},
			})
		}
		count(&s)
		out.Suites = append(out.Suites, s)
	}
	for _, s := range out.Suites {
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
	}

	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitCheckSuite builds the suite of one check: a test case per object the
// check applies to (in input order), then one per other object a finding
// concerns.
func junitCheckSuite(c *check.Check, objects []scan.ObjectInfo, fs []*finding.Finding, timestamp string) junitTestsuite {
	s := junitTestsuite{
		Name:      c.ID + ": " + c.Title,
		Timestamp: timestamp,
		Properties: &junitProperties{Property: []junitProperty{
			{Name: "check.id", Value: c.ID},
			{Name: "check.name", Value: c.Name},
			{Name: "check.severity", Value: c.Severity.String()},
		}},
	}
	byKey := map[string]*junitTestcase{}
	testcase := func(ref finding.ObjectRef, l finding.Location) *junitTestcase {
		key := objectKey(ref, l)
		tc := byKey[key]
		if tc == nil {
			tc = &junitTestcase{Name: ref.String(), Classname: c.ID, File: locationFile(l)}
			if place := objectPlace(l); place != "" {
				tc.Name += " (" + place + ")"
			}
			byKey[key] = tc
			s.Cases = append(s.Cases, tc)
		}
		return tc
	}
	for _, o := range objects {
		if checksObject(c, o.Ref) {
			testcase(o.Ref, o.Location)
		}
	}
	for _, f := range fs {
		tc := testcase(f.Object, f.Location)
		if sup := f.Suppressed; sup != nil {
			reason := fmt.Sprintf("suppressed by %s %s: %s", sup.Kind, sup.Source, sup.Reason)
			if !slices.Contains(tc.suppressed, reason) {
				tc.suppressed = append(tc.suppressed, reason)
			}
			continue
		}
		tc.Failures = append(tc.Failures, junitProblem{
			Message: f.Message,
			Type:    f.Severity.String(),
			Body:    xmlText(failureBody(f)),
		})
	}
	if c.Index != nil && len(s.Cases) == 0 {
		s.Cases = append(s.Cases, &junitTestcase{Name: "all objects", Classname: c.ID})
	}
	for _, tc := range s.Cases {
		if len(tc.suppressed) == 0 {
			continue
		}
		msg := strings.Join(tc.suppressed, "; ")
		if len(tc.Failures) > 0 {
			// Failed is the verdict; say what else was suppressed.
			tc.SystemOut = &junitSystemOut{Text: xmlText(msg)}
		} else {
			tc.Skipped = &junitSkipped{Message: msg}
		}
	}
	count(&s)
	return s
}

// checksObject reports whether the check's Object function looks at objects
// like ref: check.Check.AppliesTo, asked about the object's kind.
func checksObject(c *check.Check, ref finding.ObjectRef) bool {
	return c.AppliesTo(&k8s.Object{
		APIVersion: ref.APIVersion, Kind: ref.Kind,
		Meta: &metav1.ObjectMeta{Name: ref.Name, Namespace: ref.Namespace},
	})
}

// objectKey identifies an object within a report: its reference and the
// file or template it is in, but not the line (findings point at fields).
func objectKey(ref finding.ObjectRef, l finding.Location) string {
	return strings.Join([]string{ref.APIVersion, ref.Kind, ref.Namespace, ref.Name,
		l.File, l.Chart, l.Template, l.Kustomization}, "\x00")
}

// locationFile is the file a location is in, or its chart or kustomization.
func locationFile(l finding.Location) string {
	switch {
	case l.File != "":
		return l.File
	case l.Chart != "":
		return l.Chart
	}
	return l.Kustomization
}

// failureBody is the text of a failure: what, where, and how to fix it.
func failureBody(f *finding.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s)\n", f.Rule.ID, f.Rule.Title, f.Severity)
	fmt.Fprintf(&b, "Object:      %s\n", f.Object)
	if l := f.Location.String(); l != "" {
		fmt.Fprintf(&b, "Location:    %s\n", l)
	}
	if f.Path != "" {
		fmt.Fprintf(&b, "Path:        %s\n", f.Path)
	}
	if f.Container != "" {
		fmt.Fprintf(&b, "Container:   %s\n", f.Container)
	}
	fmt.Fprintf(&b, "Message:     %s\n", f.Message)
	fmt.Fprintf(&b, "Remediation: %s", f.Rule.Remediation)
	return b.String()
}

// count sets a suite's counts from its test cases. A test case that failed
// counts as one failure however many failures it has; one with an error
// counts as an error; one skipped without failing counts as skipped.
func count(s *junitTestsuite) {
	s.Tests = len(s.Cases)
	s.Failures, s.Errors, s.Skipped = 0, 0, 0
	for _, tc := range s.Cases {
		switch {
		case len(tc.Errors) > 0:
			s.Errors++
		case len(tc.Failures) > 0:
			s.Failures++
		case tc.Skipped != nil:
			s.Skipped++
		}
	}
}

// xmlText replaces the characters XML 1.0 cannot hold with U+FFFD, as
// encoding/xml does for attributes and character data but not for CDATA.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}
