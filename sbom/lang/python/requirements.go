package python

import (
	"fmt"
	"regexp"
	"strings"
)

// pin is a package at one version, as a lockfile or manifest pins it.
type pin struct {
	Name, Version string
	// Line is where a line format states it (1-based), else 0.
	Line int
}

// maxLineErrors is the most errors reported of one file.
const maxLineErrors = 10

// requirement is NAME[EXTRAS] and what follows (PEP 508).
var requirement = regexp.MustCompile(`^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$`)

// parseRequirements reads the pinned packages of a pip requirements file:
// NAME==VERSION or NAME===VERSION lines, with or without extras, an
// environment marker, per-requirement options (--hash) and continuation
// lines ending in "\". Comments, options (-r and -c are not followed,
// -e is an editable project), URLs and paths are skipped, and so are
// requirements that do not pin one version (>=, ~=, ==1.*). Lines that
// are not requirements are errors, each naming its line; the rest is
// still read.
func parseRequirements(data []byte) ([]pin, []error) {
	var out []pin
	var errs []error
	fail := func(line int, format string, args ...any) {
		if len(errs) < maxLineErrors {
			errs = append(errs, fmt.Errorf("line %d: "+format, append([]any{line}, args...)...))
		}
	}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		start := i + 1
		// A logical line: physical lines joined where one ends in "\",
		// as pip does, up to a comment line.
		var parts []string
		for ; i < len(lines); i++ {
			l := strings.TrimSuffix(lines[i], "\r")
			if len(parts) > 0 && strings.HasPrefix(strings.TrimSpace(l), "#") {
				i--
				break
			}
			c, more := strings.CutSuffix(l, `\`)
			parts = append(parts, c)
			if !more {
				break
			}
		}
		line := stripComment(strings.Join(parts, " "))
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '-' {
			continue
		}
		spec, _, _ := strings.Cut(line, ";")
		// Per-requirement options ("--hash=...") follow white space.
		if j := optionStart(spec); j >= 0 {
			spec = spec[:j]
		}
		spec = strings.TrimSpace(spec)
		if spec == "" || strings.Contains(spec, "://") || strings.Contains(spec, "@") || spec[0] == '.' || spec[0] == '/' || spec[0] == '~' {
			continue // a URL or a path
		}
		m := requirement.FindStringSubmatch(spec)
		if m == nil {
			fail(start, "not a requirement: %q", short(line))
			continue
		}
		name, rest := m[1], strings.Join(strings.Fields(m[3]), "")
		var version string
		switch {
		case strings.HasPrefix(rest, "==="):
			version = rest[3:]
		case strings.HasPrefix(rest, "=="):
			version = rest[2:]
		case rest == "" || strings.ContainsAny(rest[:1], "<>!~=,"):
			continue // not pinned
		default:
			fail(start, "not a requirement: %q", short(line))
			continue
		}
		switch {
		case version == "":
			fail(start, "no version after ==: %q", short(line))
			continue
		case strings.ContainsAny(version, "*,<>!=~"):
			continue // a prefix match or a range, not one version
		}
		out = append(out, pin{Name: name, Version: version, Line: start})
	}
	return out, errs
}

// stripComment cuts a "#" comment: one at the start of the line or after
// white space ("pkg @ https://x/y#egg=pkg" has none).
func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

// optionStart is the index of the first option ("-" after white space)
// in a requirement, or -1.
func optionStart(s string) int {
	for i := 1; i < len(s); i++ {
		if s[i] == '-' && (s[i-1] == ' ' || s[i-1] == '\t') {
			return i
		}
	}
	return -1
}

// short is s cut to 60 bytes for a message.
func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
