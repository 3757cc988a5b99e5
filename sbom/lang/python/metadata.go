package python

import (
	"fmt"
	"strings"
)

// metadata is the header of a core metadata file (METADATA, PKG-INFO):
// each field's values, in order, by its lower-case name.
type metadata map[string][]string

// first is the first value of a field, or "".
func (m metadata) first(key string) string {
	if v := m[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// maxLicense is the longest License field taken for a licence name;
// longer ones are the licence's text.
const maxLicense = 80

// licenses are a distribution's licences: its License-Expression (SPDX,
// metadata 2.4), else its License field if that is a short name, else
// the licences of its "License :: OSI Approved :: X" classifiers.
func (m metadata) licenses() []string {
	if v := m.first("license-expression"); v != "" {
		return []string{v}
	}
	if v := m.first("license"); v != "" && len(v) <= maxLicense && !strings.Contains(v, "\n") && !strings.EqualFold(v, "UNKNOWN") {
		return []string{v}
	}
	var out []string
	for _, c := range m["classifier"] {
		if l, ok := strings.CutPrefix(c, "License :: OSI Approved :: "); ok && l != "" {
			out = append(out, l)
		}
	}
	return out
}

// parseMetadata reads a core metadata file's header, the RFC 822 style
// fields before the first empty line (the description may follow).
// Lines that start with white space continue the field before. As
// Python's email parser does, a line that is not a field ends the header;
// the file is an error if its header has no Name or no Version.
func parseMetadata(data []byte) (metadata, error) {
	// Each field's lines, joined at the end: joining as they come would
	// copy a long field once per line.
	type field struct {
		key   string
		lines []string
	}
	var fields []field
	bad, n := 0, 0
	for rest := string(data); rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		line = strings.TrimSuffix(line, "\r")
		n++
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(fields) == 0 {
				bad = n
				break
			}
			f := &fields[len(fields)-1]
			f.lines = append(f.lines, strings.TrimSpace(line))
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			bad = n
			break
		}
		fields = append(fields, field{strings.ToLower(k), []string{strings.TrimSpace(v)}})
	}
	m := metadata{}
	for _, f := range fields {
		m[f.key] = append(m[f.key], strings.TrimSpace(strings.Join(f.lines, "\n")))
	}
	for _, f := range []string{"Name", "Version"} {
		if m.first(strings.ToLower(f)) != "" {
			continue
		}
		if bad > 0 {
			return nil, fmt.Errorf("line %d: not a header field, and no %s field before it", bad, f)
		}
		return nil, fmt.Errorf("no %s field", f)
	}
	return m, nil
}
