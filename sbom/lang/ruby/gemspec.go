package ruby

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// gemspec is what is read of an installed gem's specification.
type gemspec struct {
	Name, Version, Platform string
	Licenses                []string
}

// specAttr is an assignment to one of the attributes read, as RubyGems
// writes them: `  s.name = "rack".freeze`.
var specAttr = regexp.MustCompile(`^\s*[a-z_]\w*\.(name|version|platform|licenses|license)\s*=\s*(.*?)\s*$`)

// maxLicenses is the most licences read of one gem.
const maxLicenses = 32

// parseGemspec reads the name, version, platform and licences of a
// specification RubyGems wrote (Gem::Specification#to_ruby): one
// assignment a line, each value a string literal ("x", 'x', %q{x},
// optionally .freeze) or, for licences, an array of them. The first
// assignment to each attribute counts. A file without a name or a version
// is an error, and so is an assignment to one that is not a literal.
func parseGemspec(data []byte) (gemspec, error) {
	var s gemspec
	seen := map[string]bool{}
	for n, line := range strings.Split(string(data), "\n") {
		m := specAttr.FindStringSubmatch(line)
		if m == nil || seen[m[1]] {
			continue
		}
		attr, val := m[1], m[2]
		seen[attr] = true
		var err error
		switch attr {
		case "licenses", "license":
			if attr == "license" && !strings.HasPrefix(val, "[") {
				var l string
				l, err = literal(val)
				if l != "" {
					s.Licenses = append(s.Licenses, l)
				}
				break
			}
			s.Licenses, err = literals(val)
		default:
			var v string
			v, err = literal(val)
			switch attr {
			case "name":
				s.Name = v
			case "version":
				s.Version = v
			case "platform":
				s.Platform = v
			}
		}
		if err != nil {
			return gemspec{}, fmt.Errorf("line %d: s.%s: %w", n+1, attr, err)
		}
	}
	switch {
	case s.Name == "":
		return gemspec{}, errors.New("no s.name")
	case s.Version == "":
		return gemspec{}, errors.New("no s.version")
	}
	return s, nil
}

// literal reads a value that is one string literal, optionally frozen.
func literal(v string) (string, error) {
	s, rest, err := rubyString(v)
	if err != nil {
		return "", err
	}
	if rest = strings.TrimSpace(strings.TrimPrefix(rest, ".freeze")); rest != "" {
		return "", fmt.Errorf("not a string literal: %q", short(v))
	}
	return s, nil
}

// literals reads an array of string literals, each optionally frozen.
func literals(v string) ([]string, error) {
	rest, ok := strings.CutPrefix(v, "[")
	if !ok {
		return nil, fmt.Errorf("not an array: %q", short(v))
	}
	var out []string
	for {
		rest = strings.TrimSpace(rest)
		if r, ok := strings.CutPrefix(rest, "]"); ok {
			if strings.TrimSpace(r) != "" {
				return nil, fmt.Errorf("not an array of strings: %q", short(v))
			}
			return out, nil
		}
		s, r, err := rubyString(rest)
		if err != nil {
			return nil, err
		}
		if len(out) < maxLicenses {
			out = append(out, s)
		}
		rest = strings.TrimSpace(strings.TrimPrefix(r, ".freeze"))
		if r, ok := strings.CutPrefix(rest, ","); ok {
			rest = r
		} else if !strings.HasPrefix(rest, "]") {
			return nil, fmt.Errorf("not an array of strings: %q", short(v))
		}
	}
}

// delimiters are those read of %q literals, and closers the closing
// ones of pairs.
const delimiters = "{([<|!/^~"

var closers = map[byte]byte{'{': '}', '(': ')', '[': ']', '<': '>'}

// rubyString reads the string literal at the start of v: "double" (with
// its backslash escapes), 'single' or %q/%Q/% with any delimiter. It
// returns the string and what follows it.
func rubyString(v string) (string, string, error) {
	if v == "" {
		return "", "", errors.New("no value")
	}
	// interp: the literal has double-quoted strings' escapes.
	open, body, interp := v[0], v[1:], v[0] == '"'
	switch {
	case open == '"' || open == '\'':
	case open == '%' && len(v) > 2 && (v[1] == 'q' || v[1] == 'Q') && strings.IndexByte(delimiters, v[2]) >= 0:
		open, body, interp = v[2], v[3:], v[1] == 'Q'
	case open == '%' && len(v) > 1 && strings.IndexByte(delimiters, v[1]) >= 0:
		open, body, interp = v[1], v[2:], true
	default:
		return "", "", fmt.Errorf("not a string literal: %q", short(v))
	}
	end := open
	if c, ok := closers[open]; ok {
		end = c
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == end:
			return b.String(), body[i+1:], nil
		case c == '\\' && i+1 < len(body):
			i++
			e := body[i]
			if !interp {
				// Single-quoted and %q strings escape only the
				// delimiter and the backslash.
				if e != end && e != '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(e)
				continue
			}
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, n := unicodeEscape(body[i+1:])
				if n == 0 {
					return "", "", fmt.Errorf("a bad \\u escape: %q", short(v))
				}
				b.WriteRune(r)
				i += n
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("a string that does not end: %q", short(v))
}

// unicodeEscape reads what follows \u: XXXX or {X...}; n is 0 if it is
// neither.
func unicodeEscape(s string) (rune, int) {
	hex, n := "", 0
	if strings.HasPrefix(s, "{") {
		end := strings.IndexByte(s, '}')
		if end < 2 || end > 7 {
			return 0, 0
		}
		hex, n = s[1:end], end+1
	} else if len(s) >= 4 {
		hex, n = s[:4], 4
	}
	r, err := strconv.ParseUint(hex, 16, 32)
	if err != nil || !utf8.ValidRune(rune(r)) {
		return 0, 0
	}
	return rune(r), n
}

// short is s cut to 60 bytes for a message.
func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
