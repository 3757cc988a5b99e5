package finding

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseExceptions(t *testing.T) {
	data := []byte(`apiVersion: dozor.io/v1alpha1
kind: ExceptionList
exceptions:
- checks: [DZ-RES-001, "DZ-PRB-*"]
  kind: Deployment
  namespace: "legacy-*"
  reason: batch workloads sized by the LimitRange
  expires: 2026-12-31
- check: DZ-HP-006
  name: fluent-bit
  reason: log collector, reviewed by security
  expires: "2027-01-15T12:00:00Z"
`)
	got, err := ParseExceptions(data, "ex.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []*Exception{
		{Checks: []string{"DZ-RES-001", "DZ-PRB-*"}, Kind: "Deployment", Namespace: "legacy-*",
			Reason: "batch workloads sized by the LimitRange", Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Source: "ex.yaml:4"},
		{Checks: []string{"DZ-HP-006"}, Name: "fluent-bit", Reason: "log collector, reviewed by security",
			Expires: time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC), Source: "ex.yaml:9"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseExceptions() mismatch (-want +got):\n%s", diff)
	}
	// The date form holds through the whole day.
	if got[0].Expired(time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC)) || !got[0].Expired(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("a date expiry must hold through that day, UTC")
	}
}

func TestParseExceptionsErrors(t *testing.T) {
	cases := map[string]string{
		"no reason":     "- checks: [DZ-RES-001]\n",
		"no checks":     "- reason: x\n",
		"bad expiry":    "- checks: [DZ-A-001]\n  reason: x\n  expires: next week\n",
		"unknown field": "- checks: [DZ-A-001]\n  reason: x\n  namspace: y\n",
		"bad glob":      "- checks: [DZ-A-001]\n  reason: x\n  name: \"[\"\n",
		"bad id":        "- checks: [\"DZ A\"]\n  reason: x\n",
		"not a list":    "  x: 1\n",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			data := "apiVersion: dozor.io/v1alpha1\nkind: ExceptionList\nexceptions:\n" + body
			if _, err := ParseExceptions([]byte(data), "ex.yaml"); err == nil || !strings.Contains(err.Error(), "ex.yaml") {
				t.Errorf("ParseExceptions() error = %v, want an error naming the file", err)
			}
		})
	}
	if _, err := ParseExceptions([]byte("apiVersion: v1\nkind: List\n"), "ex.yaml"); err == nil {
		t.Error("wrong kind accepted")
	}
}

func TestExceptionMatches(t *testing.T) {
	rule := &Rule{ID: "DZ-RES-001"}
	f := &Finding{Rule: rule, Object: ObjectRef{Kind: "Deployment", Namespace: "legacy-billing", Name: "api"}}
	cases := []struct {
		e    Exception
		want bool
	}{
		{Exception{Checks: []string{"DZ-RES-001"}}, true},
		{Exception{Checks: []string{"dz-res-*"}}, true},
		{Exception{Checks: []string{"DZ-RES-002"}}, false},
		{Exception{Checks: []string{"DZ-RES-001"}, Kind: "StatefulSet"}, false},
		{Exception{Checks: []string{"DZ-RES-001"}, Namespace: "legacy-*", Name: "a?i"}, true},
		{Exception{Checks: []string{"DZ-RES-001"}, Namespace: "prod"}, false},
	}
	for _, c := range cases {
		if got := c.e.Matches(f); got != c.want {
			t.Errorf("%+v.Matches() = %v, want %v", c.e, got, c.want)
		}
	}
}

func TestParseIgnoreAnnotation(t *testing.T) {
	got, err := ParseIgnoreAnnotation("DZ-RES-001, DZ-RES-003: sized by LimitRange; DZ-PSS-*: node agent\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []IgnoreClause{
		{Checks: []string{"DZ-RES-001", "DZ-RES-003"}, Reason: "sized by LimitRange"},
		{Checks: []string{"DZ-PSS-*"}, Reason: "node agent"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseIgnoreAnnotation() mismatch (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "DZ-RES-001", "DZ-RES-001:", "DZ RES: x"} {
		if _, err := ParseIgnoreAnnotation(bad); err == nil {
			t.Errorf("ParseIgnoreAnnotation(%q) accepted", bad)
		}
	}
}

func TestSeverity(t *testing.T) {
	for _, s := range Severities {
		got, err := ParseSeverity(strings.ToUpper(s.String()))
		if err != nil || got != s {
			t.Errorf("ParseSeverity(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity(severe) accepted")
	}
}
