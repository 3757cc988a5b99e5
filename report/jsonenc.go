package report

import (
	"strconv"
	"unicode/utf8"

	"github.com/dozor-dev/dozor/finding"
)

// appendFindingJSON appends a finding as JSONFinding, written the way
// json.MarshalIndent(JSONFinding, "    ", "  ") writes it, byte for byte
// (TestFindingEncoderMatchesEncodingJSON holds it to that). A report can
// hold hundreds of thousands of findings; encoding them without
// reflection makes JSON output about as fast as the table.
func appendFindingJSON(b []byte, f *finding.Finding) []byte {
	const in1, in2 = "\n      ", "\n        "
	b = append(b, '{')
	b = jsonField(b, in1, "checkId", f.Rule.ID, true)
	b = jsonField(b, in1, "name", f.Rule.Name, false)
	b = jsonField(b, in1, "title", f.Rule.Title, false)
	b = jsonField(b, in1, "severity", f.Severity.String(), false)
	b = append(b, ","+in1+`"object": {`...)
	b = jsonField(b, in2, "apiVersion", f.Object.APIVersion, true)
	b = jsonField(b, in2, "kind", f.Object.Kind, false)
	if f.Object.Namespace != "" {
		b = jsonField(b, in2, "namespace", f.Object.Namespace, false)
	}
	b = jsonField(b, in2, "name", f.Object.Name, false)
	if f.Object.ResourceVersion != "" {
		b = jsonField(b, in2, "resourceVersion", f.Object.ResourceVersion, false)
	}
	b = append(b, in1+"}"...)
	b = append(b, ","+in1+`"location": `...)
	b = appendLocationJSON(b, &f.Location, in1, in2)
	if f.Path != "" {
		b = jsonField(b, in1, "path", f.Path, false)
	}
	if f.Container != "" {
		b = jsonField(b, in1, "container", f.Container, false)
	}
	b = jsonField(b, in1, "message", f.Message, false)
	if s := f.Suppressed; s != nil {
		b = append(b, ","+in1+`"suppressed": {`...)
		b = jsonField(b, in2, "kind", s.Kind, true)
		b = jsonField(b, in2, "reason", s.Reason, false)
		b = jsonField(b, in2, "source", s.Source, false)
		b = append(b, in1+"}"...)
	}
	return append(b, "\n    }"...)
}

// appendLocationJSON writes a Location object; "{}" when it is empty.
func appendLocationJSON(b []byte, l *finding.Location, outer, inner string) []byte {
	first := true
	str := func(name, v string) {
		if v == "" {
			return
		}
		b = jsonField(b, inner, name, v, first)
		first = false
	}
	num := func(name string, v int) {
		if v == 0 {
			return
		}
		if !first {
			b = append(b, ',')
		}
		b = append(b, inner...)
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `": `...)
		b = strconv.AppendInt(b, int64(v), 10)
		first = false
	}
	b = append(b, '{')
	str("file", l.File)
	num("line", l.Line)
	num("column", l.Column)
	str("chart", l.Chart)
	str("template", l.Template)
	str("kustomization", l.Kustomization)
	str("cluster", l.Cluster)
	if first {
		return append(b, '}')
	}
	b = append(b, outer...)
	return append(b, '}')
}

// jsonField writes `,<indent>"name": "value"` (no comma when first).
func jsonField(b []byte, indent, name, v string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, indent...)
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `": `...)
	return appendJSONString(b, v)
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as encoding/json does, HTML escaping included.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
