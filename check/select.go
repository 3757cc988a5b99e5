package check

import (
	"slices"
	"strings"

	"github.com/dozor-dev/dozor/finding"
)

// Selector chooses checks. Empty fields select everything.
type Selector struct {
	// IDs are rule IDs or globs to run ("DZ-PSS-*"); empty means all.
	IDs []string
	// Skip are rule IDs or globs not to run.
	Skip []string
	// Tags keeps checks that have at least one of these tags.
	Tags []string
	// Frameworks keeps checks mapped onto at least one of these frameworks
	// ("pss", "cis", "nsa", "threat-matrix").
	Frameworks []string
	// MinSeverity keeps checks of at least this severity.
	MinSeverity finding.Severity
}

// Select returns the checks the selector chooses, in their original order.
func Select(checks []*Check, s Selector) []*Check {
	var out []*Check
	for _, c := range checks {
		if len(s.IDs) > 0 && !finding.MatchRuleID(s.IDs, c.ID) {
			continue
		}
		if len(s.Skip) > 0 && finding.MatchRuleID(s.Skip, c.ID) {
			continue
		}
		if len(s.Tags) > 0 && !slices.ContainsFunc(s.Tags, func(t string) bool {
			return slices.Contains(c.Tags, strings.ToLower(t))
		}) {
			continue
		}
		if len(s.Frameworks) > 0 && !slices.ContainsFunc(s.Frameworks, func(f string) bool {
			return slices.Contains(c.Mappings.Frameworks(), strings.ToLower(f))
		}) {
			continue
		}
		if c.Severity < s.MinSeverity {
			continue
		}
		out = append(out, c)
	}
	return out
}

// Find returns the check with the given ID (case-insensitive), or nil.
func Find(checks []*Check, id string) *Check {
	for _, c := range checks {
		if strings.EqualFold(c.ID, id) {
			return c
		}
	}
	return nil
}
