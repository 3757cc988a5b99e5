package report

import (
	"encoding/json"
	"testing"

	"github.com/dozor-dev/dozor/finding"
)

func encoderMatches(t *testing.T, f *finding.Finding) {
	t.Helper()
	jf := toJSONFinding(f)
	want, err := json.MarshalIndent(&jf, "    ", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if got := appendFindingJSON(nil, f); string(got) != string(want) {
		t.Errorf("encoder output differs from encoding/json:\ngot:\n%s\nwant:\n%s", got, want)
	}
}

var encRule = &finding.Rule{ID: "DZ-TST-001", Name: "t<e>st & \"x\"", Title: "A \u2028 title\twith\x01 controls"}

// TestFindingEncoderMatchesEncodingJSON: the hand-written encoder writes
// exactly what encoding/json writes.
func TestFindingEncoderMatchesEncodingJSON(t *testing.T) {
	cases := []finding.Finding{
		{Rule: encRule, Severity: finding.High, Object: finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Name: "p"}},
		{Rule: encRule, Severity: finding.Low, Object: finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "ns", Name: "d"},
			Location: finding.Location{File: "a.yaml", Line: 3, Column: 7}, Path: "spec.x", Container: "c", Message: "bad \xff utf8 é"},
		{Rule: encRule, Severity: finding.Critical, Object: finding.ObjectRef{Kind: "X", Name: "y"},
			Location:   finding.Location{Chart: "charts/a", Template: "a/templates/b.yaml", Kustomization: "k"},
			Suppressed: &finding.Suppression{Kind: "annotation", Reason: "why </script>", Source: "f:1"}},
		{Rule: encRule, Severity: finding.Info, Location: finding.Location{Line: 9}},
	}
	for i := range cases {
		encoderMatches(t, &cases[i])
	}
}

func FuzzFindingEncoder(f *testing.F) {
	f.Add("v1", "Pod", "ns", "n", "file.yaml", 3, "spec", "c", "msg", "reason", "", "")
	f.Add("v1", "Pod", "ns", "n", "", 0, "spec", "c", "msg", "", "12345", "prod-eu")
	f.Fuzz(func(t *testing.T, api, kind, ns, name, file string, line int, path, container, msg, reason, rv, cluster string) {
		fd := finding.Finding{Rule: encRule, Severity: finding.Medium,
			Object:   finding.ObjectRef{APIVersion: api, Kind: kind, Namespace: ns, Name: name, ResourceVersion: rv},
			Location: finding.Location{File: file, Line: line, Column: line / 2, Cluster: cluster}, Path: path, Container: container, Message: msg}
		if reason != "" {
			fd.Suppressed = &finding.Suppression{Kind: "k", Reason: reason, Source: file}
		}
		encoderMatches(t, &fd)
	})
}
