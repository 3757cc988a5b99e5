package finding

import (
	"fmt"
	"strings"
)

// Severity ranks a finding. The zero value is not a valid severity.
type Severity uint8

// Severities from least to most severe.
const (
	Info Severity = iota + 1
	Low
	Medium
	High
	Critical
)

// Severities lists every valid severity from least to most severe.
var Severities = []Severity{Info, Low, Medium, High, Critical}

var severityNames = [...]string{"", "info", "low", "medium", "high", "critical"}

// String returns the lower-case name of s ("high"), or "unknown".
func (s Severity) String() string {
	if int(s) < len(severityNames) && s != 0 {
		return severityNames[s]
	}
	return "unknown"
}

// Valid reports whether s is one of the defined severities.
func (s Severity) Valid() bool { return s >= Info && s <= Critical }

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(name string) (Severity, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i := 1; i < len(severityNames); i++ {
		if severityNames[i] == n {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want one of info, low, medium, high, critical)", name)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("invalid severity %d", s)
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
