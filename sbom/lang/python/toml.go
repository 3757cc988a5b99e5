package python

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// A small reader of the TOML that Poetry and uv write, enough for their
// lockfiles' [[package]] tables. A general TOML decoder was tried and
// dropped: its time and memory grow with the square of some inputs (a
// few MiB of keys took it seconds and a gigabyte), and with the depth of
// nesting on the stack. This one reads in one pass, nests at most
// maxTOMLDepth deep, and keeps only what lockfiles need.

// maxTOMLDepth is the deepest nesting of arrays and inline tables read.
const maxTOMLDepth = 64

// tomlPackage is one [[package]] table of a lockfile: its top-level name
// and version strings and the keys of its inline source table (uv).
type tomlPackage struct {
	Name, Version string
	Source        []string
	Line          int
}

// tomlReader reads a TOML document from data[i:].
type tomlReader struct {
	data []byte
	i    int
	line int
}

func (r *tomlReader) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: "+format, append([]any{r.line}, args...)...)
}

func (r *tomlReader) eof() bool { return r.i >= len(r.data) }

func (r *tomlReader) peek() byte {
	if r.eof() {
		return 0
	}
	return r.data[r.i]
}

func (r *tomlReader) hasPrefix(s string) bool { return bytes.HasPrefix(r.data[r.i:], []byte(s)) }

// advance moves n bytes on, counting lines.
func (r *tomlReader) advance(n int) {
	for ; n > 0 && r.i < len(r.data); n-- {
		if r.data[r.i] == '\n' {
			r.line++
		}
		r.i++
	}
}

// skipSpace skips spaces and tabs.
func (r *tomlReader) skipSpace() {
	for c := r.peek(); c == ' ' || c == '\t'; c = r.peek() {
		r.i++
	}
}

// skipBlank skips white space, newlines and comments.
func (r *tomlReader) skipBlank() {
	for !r.eof() {
		switch r.peek() {
		case ' ', '\t', '\r', '\n':
			r.advance(1)
		case '#':
			r.skipComment()
		default:
			return
		}
	}
}

// skipComment skips to the end of the line.
func (r *tomlReader) skipComment() {
	for !r.eof() && r.peek() != '\n' {
		r.i++
	}
}

// endLine expects the rest of the line to be white space or a comment,
// and moves past it.
func (r *tomlReader) endLine() error {
	r.skipSpace()
	if r.peek() == '#' {
		r.skipComment()
	}
	if r.peek() == '\r' {
		r.i++
	}
	switch {
	case r.eof():
		return nil
	case r.peek() == '\n':
		r.advance(1)
		return nil
	}
	return r.errorf("unexpected %q after a value", r.peek())
}

func isBare(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// key reads a dotted key's parts.
func (r *tomlReader) key() ([]string, error) {
	var parts []string
	for {
		r.skipSpace()
		var part string
		switch c := r.peek(); {
		case c == '"' || c == '\'':
			s, err := r.str()
			if err != nil {
				return nil, err
			}
			part = s
		case isBare(c):
			start := r.i
			for isBare(r.peek()) {
				r.i++
			}
			part = string(r.data[start:r.i])
		default:
			return nil, r.errorf("expected a key, found %q", c)
		}
		if len(parts) < 16 {
			parts = append(parts, part)
		}
		r.skipSpace()
		if r.peek() != '.' {
			return parts, nil
		}
		r.i++
	}
}

// str reads a basic, literal or multi-line string.
func (r *tomlReader) str() (string, error) {
	q := r.peek()
	start, line := r.i, r.line
	qqq := string([]byte{q, q, q})
	if r.hasPrefix(qqq) {
		r.advance(3)
		for !r.eof() {
			if q == '"' && r.peek() == '\\' {
				r.advance(2)
				continue
			}
			if r.hasPrefix(qqq) {
				// Up to two more quotes belong to the string.
				n := 3
				for n < 5 && r.i+n < len(r.data) && r.data[r.i+n] == q {
					n++
				}
				r.advance(n)
				body := string(r.data[start+3 : r.i-3])
				return strings.TrimPrefix(strings.TrimPrefix(body, "\r"), "\n"), nil
			}
			r.advance(1)
		}
		r.line = line
		return "", r.errorf("a string that does not end")
	}
	r.i++
	for !r.eof() {
		c := r.peek()
		switch {
		case c == '\n':
			return "", r.errorf("a string that does not end on its line")
		case c == '\\' && q == '"':
			r.i += 2
		case c == q:
			r.i++
			if q == '\'' {
				return string(r.data[start+1 : r.i-1]), nil
			}
			s, err := strconv.Unquote(string(r.data[start:r.i]))
			if err != nil {
				return "", r.errorf("a string with a bad escape")
			}
			return s, nil
		default:
			r.i++
		}
	}
	return "", r.errorf("a string that does not end")
}

// skipValue skips a value: a string, an array, an inline table or a
// scalar (number, boolean, date).
func (r *tomlReader) skipValue(depth int) error {
	if depth > maxTOMLDepth {
		return r.errorf("arrays or tables nested more than %d deep", maxTOMLDepth)
	}
	switch c := r.peek(); c {
	case '"', '\'':
		_, err := r.str()
		return err
	case '[':
		r.i++
		for {
			r.skipBlank()
			if r.peek() == ']' {
				r.i++
				return nil
			}
			if err := r.skipValue(depth + 1); err != nil {
				return err
			}
			r.skipBlank()
			switch r.peek() {
			case ',':
				r.i++
			case ']':
				r.i++
				return nil
			default:
				return r.errorf("expected , or ] in an array, found %q", r.peek())
			}
		}
	case '{':
		_, err := r.inlineTable(depth)
		return err
	}
	// A scalar runs to white space or a delimiter; a date and a time may
	// have a space between them.
	run := func() string {
		start := r.i
		for !r.eof() && !strings.ContainsRune(" \t,]}#\r\n", rune(r.peek())) {
			r.i++
		}
		return string(r.data[start:r.i])
	}
	s := run()
	if s == "" {
		return r.errorf("expected a value, found %q", r.peek())
	}
	if len(s) == 10 && s[4] == '-' && s[7] == '-' && r.hasPrefix(" ") && r.i+1 < len(r.data) && r.data[r.i+1] >= '0' && r.data[r.i+1] <= '9' {
		r.i++
		run()
	}
	return nil
}

// inlineTable reads an inline table and returns its keys' first parts.
func (r *tomlReader) inlineTable(depth int) ([]string, error) {
	r.i++ // {
	var keys []string
	for {
		r.skipBlank()
		if r.peek() == '}' {
			r.i++
			return keys, nil
		}
		k, err := r.key()
		if err != nil {
			return nil, err
		}
		if len(keys) < 16 {
			keys = append(keys, k[0])
		}
		if r.peek() != '=' {
			return nil, r.errorf("expected = after a key, found %q", r.peek())
		}
		r.i++
		r.skipSpace()
		if err := r.skipValue(depth + 1); err != nil {
			return nil, err
		}
		r.skipBlank()
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return keys, nil
		default:
			return nil, r.errorf("expected , or } in an inline table, found %q", r.peek())
		}
	}
}

// tomlPackages reads the [[package]] tables of a TOML lockfile.
func tomlPackages(data []byte) ([]tomlPackage, error) {
	r := &tomlReader{data: data, line: 1}
	var out []tomlPackage
	var cur *tomlPackage
	for {
		r.skipBlank()
		if r.eof() {
			return out, nil
		}
		if r.peek() == '[' {
			array := r.hasPrefix("[[")
			r.i++
			if array {
				r.i++
			}
			k, err := r.key()
			if err != nil {
				return out, err
			}
			if !r.hasPrefix("]") || array && !r.hasPrefix("]]") {
				return out, r.errorf("a table header that does not end")
			}
			r.i++
			if array {
				r.i++
			}
			cur = nil
			if array && len(k) == 1 && k[0] == "package" {
				out = append(out, tomlPackage{Line: r.line})
				cur = &out[len(out)-1]
			}
			if err := r.endLine(); err != nil {
				return out, err
			}
			continue
		}
		k, err := r.key()
		if err != nil {
			return out, err
		}
		if r.peek() != '=' {
			return out, r.errorf("expected = after a key, found %q", r.peek())
		}
		r.i++
		r.skipSpace()
		switch {
		case cur != nil && len(k) == 1 && (k[0] == "name" || k[0] == "version"):
			if c := r.peek(); c != '"' && c != '\'' {
				return out, r.errorf("%s is not a string", k[0])
			}
			s, err := r.str()
			if err != nil {
				return out, err
			}
			if k[0] == "name" {
				cur.Name = s
			} else {
				cur.Version = s
			}
		case cur != nil && len(k) == 1 && k[0] == "source" && r.peek() == '{':
			keys, err := r.inlineTable(0)
			if err != nil {
				return out, err
			}
			cur.Source = keys
		default:
			if err := r.skipValue(0); err != nil {
				return out, err
			}
		}
		if err := r.endLine(); err != nil {
			return out, err
		}
	}
}
