package finding

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// IgnoreAnnotation is the annotation by which an object suppresses findings
// about itself: "DZ-RES-001,DZ-RES-003: reason". Several clauses may be
// separated by ";" or new lines. A reason is required.
const IgnoreAnnotation = "dozor.io/ignore"

// Exception suppresses findings of some rules on the objects a selector
// matches, for a reason, until it expires.
type Exception struct {
	// Checks are rule IDs or globs of them ("DZ-RES-*").
	Checks []string
	// Kind, Namespace and Name are globs (path.Match syntax); empty matches any.
	Kind, Namespace, Name string
	// Reason is required.
	Reason string
	// Expires is the first instant the exception no longer applies; zero
	// means it never expires.
	Expires time.Time
	// Source says where the exception was written: "exceptions.yaml:12".
	Source string
}

// Expired reports whether the exception no longer applies at now.
func (e *Exception) Expired(now time.Time) bool {
	return !e.Expires.IsZero() && !now.Before(e.Expires)
}

// Matches reports whether the exception covers the finding, ignoring expiry.
func (e *Exception) Matches(f *Finding) bool {
	if !globMatch(e.Kind, f.Object.Kind) || !globMatch(e.Namespace, f.Object.Namespace) || !globMatch(e.Name, f.Object.Name) {
		return false
	}
	return MatchRuleID(e.Checks, f.Rule.ID)
}

// MatchRuleID reports whether id matches one of the patterns (IDs or globs,
// compared case-insensitively).
func MatchRuleID(patterns []string, id string) bool {
	id = strings.ToUpper(id)
	for _, p := range patterns {
		if globMatch(strings.ToUpper(p), id) {
			return true
		}
	}
	return false
}

func globMatch(pattern, s string) bool {
	if pattern == "" || pattern == "*" {
		return true
	}
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

var ruleIDPattern = regexp.MustCompile(`^[A-Za-z0-9*?\[\]-]+$`)

// exceptionFile is the on-disk form of an exceptions file.
type exceptionFile struct {
	APIVersion string      `yaml:"apiVersion"`
	Kind       string      `yaml:"kind"`
	Exceptions []yaml.Node `yaml:"exceptions"`
}

type exceptionEntry struct {
	Checks    []string `yaml:"checks"`
	Check     string   `yaml:"check"`
	Kind      string   `yaml:"kind"`
	Namespace string   `yaml:"namespace"`
	Name      string   `yaml:"name"`
	Reason    string   `yaml:"reason"`
	Expires   string   `yaml:"expires"`
}

// ExceptionsAPIVersion and ExceptionsKind identify an exceptions file.
const (
	ExceptionsAPIVersion = "dozor.io/v1alpha1"
	ExceptionsKind       = "ExceptionList"
)

// ParseExceptions reads an exceptions file:
//
//	apiVersion: dozor.io/v1alpha1
//	kind: ExceptionList
//	exceptions:
//	- checks: [DZ-RES-001, "DZ-PRB-*"]
//	  kind: Deployment          # glob; empty or absent matches any
//	  namespace: "legacy-*"
//	  name: "*"
//	  reason: batch workloads sized by the LimitRange
//	  expires: 2026-12-31       # date (end of that day, UTC) or RFC 3339 time
//
// name is used in error messages and in each Exception's Source. Every
// problem is reported, with its line; no exception is returned on error.
func ParseExceptions(data []byte, name string) ([]*Exception, error) {
	var file exceptionFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var errs []error
	if file.APIVersion != ExceptionsAPIVersion || file.Kind != ExceptionsKind {
		errs = append(errs, fmt.Errorf("%s: want apiVersion %q and kind %q, got %q and %q",
			name, ExceptionsAPIVersion, ExceptionsKind, file.APIVersion, file.Kind))
	}
	var out []*Exception
	for i := range file.Exceptions {
		node := &file.Exceptions[i]
		where := fmt.Sprintf("%s:%d", name, node.Line)
		var e exceptionEntry
		if err := node.Decode(&e); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		if len(node.Content) > 0 {
			if err := knownKeys(node, "checks", "check", "kind", "namespace", "name", "reason", "expires"); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
				continue
			}
		}
		ex, err := e.exception(where)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		out = append(out, ex)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func knownKeys(m *yaml.Node, keys ...string) error {
	if m.Kind != yaml.MappingNode {
		return errors.New("an exception must be a mapping")
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i].Value
		found := false
		for _, want := range keys {
			if k == want {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("unknown field %q (want one of %s)", k, strings.Join(keys, ", "))
		}
	}
	return nil
}

func (e exceptionEntry) exception(where string) (*Exception, error) {
	checks := e.Checks
	if e.Check != "" {
		checks = append(checks, e.Check)
	}
	if len(checks) == 0 {
		return nil, errors.New("no checks: name the rule IDs the exception applies to")
	}
	for _, c := range checks {
		if !ruleIDPattern.MatchString(c) {
			return nil, fmt.Errorf("invalid check ID %q", c)
		}
	}
	for _, g := range []string{e.Kind, e.Namespace, e.Name} {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("invalid glob %q: %w", g, err)
		}
	}
	if strings.TrimSpace(e.Reason) == "" {
		return nil, errors.New("no reason: every exception must say why")
	}
	ex := &Exception{Checks: checks, Kind: e.Kind, Namespace: e.Namespace, Name: e.Name,
		Reason: strings.TrimSpace(e.Reason), Source: where}
	if e.Expires != "" {
		t, err := parseExpiry(e.Expires)
		if err != nil {
			return nil, err
		}
		ex.Expires = t
	}
	return ex, nil
}

// parseExpiry reads a date (the exception holds through that whole day, UTC)
// or an RFC 3339 time.
func parseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.AddDate(0, 0, 1), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid expiry %q: want a date (2026-12-31) or an RFC 3339 time", s)
}

// IgnoreClause is one clause of an ignore annotation.
type IgnoreClause struct {
	Checks []string
	Reason string
}

// ParseIgnoreAnnotation reads the value of the dozor.io/ignore annotation:
// clauses "ID[,ID...]: reason" separated by ";" or new lines.
func ParseIgnoreAnnotation(value string) ([]IgnoreClause, error) {
	var out []IgnoreClause
	for _, clause := range strings.FieldsFunc(value, func(r rune) bool { return r == ';' || r == '\n' }) {
		clause = strings.TrimSpace(clause)
		if clause == "" {
			continue
		}
		ids, reason, ok := strings.Cut(clause, ":")
		reason = strings.TrimSpace(reason)
		if !ok || reason == "" {
			return nil, fmt.Errorf("annotation %s: clause %q has no reason: write \"ID[,ID...]: reason\"", IgnoreAnnotation, clause)
		}
		var checks []string
		for _, id := range strings.Split(ids, ",") {
			id = strings.TrimSpace(id)
			if !ruleIDPattern.MatchString(id) {
				return nil, fmt.Errorf("annotation %s: invalid check ID %q", IgnoreAnnotation, id)
			}
			checks = append(checks, id)
		}
		out = append(out, IgnoreClause{Checks: checks, Reason: reason})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("annotation %s is empty", IgnoreAnnotation)
	}
	return out, nil
}
