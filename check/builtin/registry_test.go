package builtin_test

import (
	"net/url"
	"regexp"
	"testing"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/check/builtin"
)

var (
	idPattern   = regexp.MustCompile(`^DZ-[A-Z]{2,5}-\d{3}$`)
	namePattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	cisPattern  = regexp.MustCompile(`^5(\.\d+){2}$`)
	msPattern   = regexp.MustCompile(`^MS-TA9\d{3}$`)
)

// TestRegistry proves every check is documented: a unique, well-formed ID
// and name, a title, severity, description, remediation, references,
// tags, well-formed mappings, and exactly one of Object and Index.
func TestRegistry(t *testing.T) {
	all := builtin.All()
	if len(all) == 0 {
		t.Fatal("no checks")
	}
	ids, names := map[string]bool{}, map[string]bool{}
	nsa := map[string]bool{}
	for _, s := range check.NSASections {
		nsa[s] = true
	}
	for _, c := range all {
		if !idPattern.MatchString(c.ID) {
			t.Errorf("%q: ID must look like DZ-ABC-001", c.ID)
		}
		if ids[c.ID] {
			t.Errorf("%s: duplicate ID", c.ID)
		}
		ids[c.ID] = true
		if !namePattern.MatchString(c.Name) || names[c.Name] {
			t.Errorf("%s: name %q must be unique kebab-case", c.ID, c.Name)
		}
		names[c.Name] = true
		if c.Title == "" || c.Description == "" || c.Remediation == "" {
			t.Errorf("%s: title, description and remediation are required", c.ID)
		}
		if !c.Severity.Valid() {
			t.Errorf("%s: invalid severity", c.ID)
		}
		if len(c.References) == 0 {
			t.Errorf("%s: needs at least one reference", c.ID)
		}
		for _, r := range c.References {
			if u, err := url.Parse(r); err != nil || u.Scheme != "https" {
				t.Errorf("%s: reference %q is not an https URL", c.ID, r)
			}
		}
		if len(c.Tags) == 0 {
			t.Errorf("%s: needs at least one tag", c.ID)
		}
		if (c.Object == nil) == (c.Index == nil) {
			t.Errorf("%s: exactly one of Object and Index must be set", c.ID)
		}
		if c.Index != nil && c.Kinds != nil {
			t.Errorf("%s: Kinds applies to Object checks only", c.ID)
		}
		m := c.Mappings
		if m.PSS != "" && m.PSS != "baseline" && m.PSS != "restricted" {
			t.Errorf("%s: PSS level %q", c.ID, m.PSS)
		}
		for _, s := range m.CIS {
			if !cisPattern.MatchString(s) {
				t.Errorf("%s: CIS section %q", c.ID, s)
			}
		}
		for _, s := range m.NSA {
			if !nsa[s] {
				t.Errorf("%s: NSA section %q is not one of check.NSASections", c.ID, s)
			}
		}
		for _, s := range m.ThreatMatrix {
			if !msPattern.MatchString(s) {
				t.Errorf("%s: threat matrix technique %q", c.ID, s)
			}
		}
	}
}
