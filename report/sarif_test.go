package report

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/scan"
)

// sarifDoc is the part of a SARIF log the tests read, decoded from the
// output (reusing the writer's leaf types for locations and suppressions).
type sarifDoc struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name           string `json:"name"`
				Version        string `json:"version"`
				InformationURI string `json:"informationUri"`
				Rules          []struct {
					ID                   string         `json:"id"`
					HelpURI              string         `json:"helpUri"`
					Help                 map[string]any `json:"help"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
					Properties map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Invocations []struct {
			ExecutionSuccessful        bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Level     string          `json:"level"`
				Locations []sarifLocation `json:"locations"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		Results []struct {
			RuleID              string             `json:"ruleId"`
			RuleIndex           *int               `json:"ruleIndex"`
			Level               string             `json:"level"`
			Message             sarifText          `json:"message"`
			Locations           []sarifLocation    `json:"locations"`
			PartialFingerprints map[string]string  `json:"partialFingerprints"`
			Suppressions        []sarifSuppression `json:"suppressions"`
		} `json:"results"`
	} `json:"runs"`
}

func renderSARIF(t *testing.T, res *scan.Result, opts Options) sarifDoc {
	t.Helper()
	var b bytes.Buffer
	if err := SARIF(&b, res, opts); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b.Bytes()) {
		t.Fatalf("SARIF output is not JSON:\n%s", b.String())
	}
	var doc sarifDoc
	dec := json.NewDecoder(&b)
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestSARIFStructure checks the golden scan's SARIF log against what
// SARIF 2.1.0 and GitHub code scanning require.
func TestSARIFStructure(t *testing.T) {
	res := goldenResult(t)
	doc := renderSARIF(t, res, goldenOptions())
	if doc.Version != "2.1.0" || doc.Schema == "" {
		t.Errorf("version = %q, $schema = %q; want 2.1.0 and a schema", doc.Version, doc.Schema)
	}
	if len(doc.Runs) != 1 {
		t.Fatalf("got %d runs, want 1", len(doc.Runs))
	}
	run := doc.Runs[0]
	d := run.Tool.Driver
	if d.Name != "dozor" || d.Version != "v0.0.0-test" || d.InformationURI == "" {
		t.Errorf("driver = %q %q %q; want dozor, the tool version and an informationUri", d.Name, d.Version, d.InformationURI)
	}
	if len(d.Rules) != len(res.Checks) {
		t.Errorf("got %d rules, want one per check that ran (%d)", len(d.Rules), len(res.Checks))
	}
	seen := map[string]bool{}
	for i, r := range d.Rules {
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
		if i < len(res.Checks) && r.ID != res.Checks[i].ID {
			t.Errorf("rules[%d] = %s, want %s (the order checks ran in)", i, r.ID, res.Checks[i].ID)
		}
		sev, _ := r.Properties["security-severity"].(string)
		score, err := strconv.ParseFloat(sev, 64)
		if err != nil || score <= 0 || score > 10 {
			t.Errorf("%s: security-severity %q is not a score in (0, 10]", r.ID, sev)
		}
		tags, _ := r.Properties["tags"].([]any)
		if !containsAny(tags, "security") {
			t.Errorf("%s: tags %v lack \"security\"; GitHub only reads security-severity with it", r.ID, tags)
		}
		if p, _ := r.Properties["precision"].(string); p == "" {
			t.Errorf("%s: no precision", r.ID)
		}
		if r.HelpURI == "" || r.Help["text"] == "" || r.Help["markdown"] == "" {
			t.Errorf("%s: help or helpUri missing", r.ID)
		}
		if !strings.Contains(r.Help["markdown"].(string), "Remediation") {
			t.Errorf("%s: help does not say how to fix it", r.ID)
		}
	}
	wantResults := len(res.Findings) + len(res.Suppressed)
	if len(run.Results) != wantResults {
		t.Errorf("got %d results, want %d (findings and, with ShowSuppressed, suppressed ones)", len(run.Results), wantResults)
	}
	fps := map[string]bool{}
	suppressed := 0
	for i, r := range run.Results {
		if r.RuleIndex == nil || *r.RuleIndex < 0 || *r.RuleIndex >= len(d.Rules) {
			t.Errorf("results[%d]: ruleIndex %v out of range", i, r.RuleIndex)
		} else if got := d.Rules[*r.RuleIndex].ID; got != r.RuleID {
			t.Errorf("results[%d]: ruleIndex points at %s, ruleId is %s", i, got, r.RuleID)
		}
		if r.Level != "error" && r.Level != "warning" && r.Level != "note" {
			t.Errorf("results[%d]: level %q", i, r.Level)
		}
		if len(r.Locations) == 0 || r.Locations[0].PhysicalLocation == nil {
			t.Errorf("results[%d]: no physical location; GitHub rejects such results", i)
			continue
		}
		checkRelativeURI(t, r.Locations[0].PhysicalLocation.ArtifactLocation.URI)
		if len(r.Locations[0].LogicalLocations) == 0 {
			t.Errorf("results[%d]: no logical location naming the object", i)
		}
		fp := r.PartialFingerprints[sarifFingerprintKey]
		if fp == "" || fps[fp] {
			t.Errorf("results[%d]: fingerprint %q empty or repeated", i, fp)
		}
		fps[fp] = true
		if len(r.Suppressions) > 0 {
			suppressed++
			s := r.Suppressions[0]
			if s.Kind != "inSource" && s.Kind != "external" || s.Justification == "" {
				t.Errorf("results[%d]: suppression %+v", i, s)
			}
		}
	}
	if suppressed != len(res.Suppressed) {
		t.Errorf("%d results carry suppressions, want %d", suppressed, len(res.Suppressed))
	}
	inv := run.Invocations
	if len(inv) != 1 {
		t.Fatalf("got %d invocations, want 1", len(inv))
	}
	if inv[0].ExecutionSuccessful || len(inv[0].ToolExecutionNotifications) != len(res.Errors) {
		t.Errorf("invocation: executionSuccessful %v with %d notifications; want false and %d (the input errors)",
			inv[0].ExecutionSuccessful, len(inv[0].ToolExecutionNotifications), len(res.Errors))
	}
	for _, n := range inv[0].ToolExecutionNotifications {
		if n.Level != "error" || len(n.Locations) == 0 {
			t.Errorf("notification %+v: want level error and a location", n)
		}
	}

	// Without ShowSuppressed, suppressed findings are left out.
	opts := goldenOptions()
	opts.ShowSuppressed = false
	if got := len(renderSARIF(t, res, opts).Runs[0].Results); got != len(res.Findings) {
		t.Errorf("without ShowSuppressed: %d results, want %d", got, len(res.Findings))
	}
}

func containsAny(list []any, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func checkRelativeURI(t *testing.T, uri string) {
	t.Helper()
	u, err := url.Parse(uri)
	switch {
	case err != nil:
		t.Errorf("uri %q: %v", uri, err)
	case u.IsAbs() || strings.HasPrefix(uri, "/"):
		t.Errorf("uri %q is not relative", uri)
	case strings.Contains(uri, `\`):
		t.Errorf("uri %q has a backslash", uri)
	}
}

// TestSARIFSeverities maps each severity onto a level and onto a score in
// the band GitHub reads as the same severity.
func TestSARIFSeverities(t *testing.T) {
	tests := []struct {
		sev        finding.Severity
		level      string
		minS, maxS float64 // GitHub's band, inclusive
	}{
		{finding.Critical, "error", 9.01, 10},
		{finding.High, "error", 7.0, 8.9},
		{finding.Medium, "warning", 4.0, 6.9},
		{finding.Low, "note", 0.1, 3.9},
		{finding.Info, "note", 0.1, 3.9}, // GitHub has no "info"; 0.0 shows as an error
	}
	for _, tt := range tests {
		if got := sarifLevel(tt.sev); got != tt.level {
			t.Errorf("sarifLevel(%s) = %q, want %q", tt.sev, got, tt.level)
		}
		s := securitySeverity(tt.sev)
		score, err := strconv.ParseFloat(s, 64)
		if err != nil || score < tt.minS || score > tt.maxS {
			t.Errorf("securitySeverity(%s) = %q, want a number in [%v, %v]", tt.sev, s, tt.minS, tt.maxS)
		}
	}
	if securitySeverity(finding.Low) == securitySeverity(finding.Info) {
		t.Error("low and info have the same score; info should rank below low")
	}
}

// TestSARIFPhysicalLocation covers where results point for each kind of
// source.
func TestSARIFPhysicalLocation(t *testing.T) {
	tests := []struct {
		name     string
		loc      finding.Location
		wantURI  string
		wantLine int
		wantCol  int
		wantNone bool
	}{
		{name: "file line", loc: finding.Location{File: "deploy/web.yaml", Line: 12, Column: 7},
			wantURI: "deploy/web.yaml", wantLine: 12, wantCol: 7},
		{name: "dot slash", loc: finding.Location{File: "./deploy/web.yaml", Line: 3},
			wantURI: "deploy/web.yaml", wantLine: 3},
		{name: "no line", loc: finding.Location{File: "web.yaml"}, wantURI: "web.yaml"},
		{name: "space and hash", loc: finding.Location{File: "my dir/a#b.yaml", Line: 1},
			wantURI: "my%20dir/a%23b.yaml", wantLine: 1},
		{name: "colon in first segment", loc: finding.Location{File: "a:b.yaml"}, wantURI: "./a:b.yaml"},
		{name: "stdin", loc: finding.Location{File: "<stdin>", Line: 4}, wantURI: "%3Cstdin%3E", wantLine: 4},
		{name: "helm template file, rendered object (no line)",
			loc:     finding.Location{File: "charts/web/templates/deployment.yaml", Chart: "charts/web", Template: "web/templates/deployment.yaml"},
			wantURI: "charts/web/templates/deployment.yaml"},
		{name: "helm template error, line of the template file",
			loc:     finding.Location{File: "charts/web/templates/deployment.yaml", Line: 12, Column: 3, Chart: "charts/web", Template: "web/templates/deployment.yaml"},
			wantURI: "charts/web/templates/deployment.yaml", wantLine: 12, wantCol: 3},
		{name: "helm, no file", loc: finding.Location{Chart: "charts/web", Template: "web/templates/deployment.yaml"},
			wantURI: "charts/web"},
		{name: "kustomization resource file", loc: finding.Location{File: "base/deployment.yaml", Line: 9, Kustomization: "overlays/prod"},
			wantURI: "base/deployment.yaml", wantLine: 9},
		{name: "kustomization, no file", loc: finding.Location{Kustomization: "overlays/prod"}, wantURI: "overlays/prod"},
		{name: "absolute", loc: finding.Location{File: "/srv/k8s/web.yaml", Line: 2}, wantURI: "file:///srv/k8s/web.yaml", wantLine: 2},
		{name: "nowhere", loc: finding.Location{}, wantNone: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl, ok := physicalLocation(tt.loc)
			if tt.wantNone {
				if ok {
					t.Errorf("physicalLocation() = %+v, want none", pl)
				}
				return
			}
			if !ok {
				t.Fatal("physicalLocation() = none")
			}
			if got := pl.ArtifactLocation.URI; got != tt.wantURI {
				t.Errorf("uri = %q, want %q", got, tt.wantURI)
			}
			line, col := 0, 0
			if pl.Region != nil {
				line, col = pl.Region.StartLine, pl.Region.StartColumn
			}
			if line != tt.wantLine || col != tt.wantCol {
				t.Errorf("region = %d:%d, want %d:%d", line, col, tt.wantLine, tt.wantCol)
			}
		})
	}
}

// TestSARIFFingerprint wants fingerprints that ignore the line and tell
// rules, objects, files and fields apart.
func TestSARIFFingerprint(t *testing.T) {
	rule := &finding.Rule{ID: "DZ-PSS-003"}
	base := finding.Finding{Rule: rule, Object: finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"},
		Location: finding.Location{File: "web.yaml", Line: 17, Column: 13}, Path: "spec.template.spec.containers[0].securityContext.privileged"}
	fp := fingerprint(&base)
	same := base
	same.Location.Line, same.Location.Column = 40, 3
	same.Message = "reworded"
	same.Object.APIVersion = "apps/v1beta2"
	if got := fingerprint(&same); got != fp {
		t.Errorf("fingerprint changed with the line, message or API version: %s, want %s", got, fp)
	}
	for name, change := range map[string]func(f *finding.Finding){
		"rule":      func(f *finding.Finding) { f.Rule = &finding.Rule{ID: "DZ-PSS-004"} },
		"name":      func(f *finding.Finding) { f.Object.Name = "api" },
		"namespace": func(f *finding.Finding) { f.Object.Namespace = "prod" },
		"file":      func(f *finding.Finding) { f.Location.File = "api.yaml" },
		"path":      func(f *finding.Finding) { f.Path = "spec.template.spec.containers[1].securityContext.privileged" },
	} {
		other := base
		change(&other)
		if fingerprint(&other) == fp {
			t.Errorf("fingerprint ignores the %s", name)
		}
	}
}

// TestSARIFResultsOutsideChecks gives a finding whose rule is not among the
// checks a rule of its own, so that ruleIndex stays valid; and a clean run
// is successful.
func TestSARIFResultsOutsideChecks(t *testing.T) {
	known := &check.Check{Rule: finding.Rule{ID: "DZ-T-001", Name: "t", Title: "T", Severity: finding.Low}}
	other := &finding.Rule{ID: "DZ-T-002", Name: "u", Title: "U", Severity: finding.Info}
	res := &scan.Result{
		Checks: []*check.Check{known},
		Findings: []finding.Finding{{Rule: other, Severity: finding.Info,
			Object:   finding.ObjectRef{Kind: "ConfigMap", Name: "x"},
			Location: finding.Location{File: "x.yaml", Line: 1}, Message: "m"}},
	}
	doc := renderSARIF(t, res, Options{})
	run := doc.Runs[0]
	if len(run.Tool.Driver.Rules) != 2 || *run.Results[0].RuleIndex != 1 || run.Tool.Driver.Rules[1].ID != "DZ-T-002" {
		t.Errorf("rules %+v, result ruleIndex %d; want DZ-T-002 added at index 1", run.Tool.Driver.Rules, *run.Results[0].RuleIndex)
	}
	if !run.Invocations[0].ExecutionSuccessful {
		t.Error("executionSuccessful = false without input errors")
	}
	if got := run.Results[0].Message.Text; got != "ConfigMap x: m" {
		t.Errorf("message = %q, want the object and the message", got)
	}
}
