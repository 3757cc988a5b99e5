package rust

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// lockPackage is a [[package]] table of a Cargo.lock.
type lockPackage struct {
	line                  int
	name, version, source string
}

// parseLock reads a Cargo.lock: its [[package]] tables' name, version and
// source, with a source (registry+..., sparse+..., git+...) — a path
// crate has none. Cargo writes a small part of TOML (one key = value a
// line, dependency arrays over several lines), and that is what is read;
// other tables ([metadata], [[patch.unused]]) are skipped. A malformed
// line is reported and the rest still read.
func parseLock(data []byte) ([]crate, error) {
	var pkgs []*lockPackage
	var cur *lockPackage
	var firstErr error
	fail := func(n int, format string, args ...any) {
		if firstErr == nil {
			firstErr = fmt.Errorf("line %d: %s", n, fmt.Sprintf(format, args...))
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	// open counts the brackets of an array value still open.
	open := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if open > 0 {
			open += brackets(line)
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && !strings.Contains(line, "=") {
			cur = nil
			if line == "[[package]]" {
				if len(pkgs) == maxCrates {
					return crates(pkgs, fail), fmt.Errorf("more than %d packages", maxCrates)
				}
				cur = &lockPackage{line: n}
				pkgs = append(pkgs, cur)
			}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			fail(n, "%q is not a key = value", truncate(line))
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if strings.HasPrefix(value, "[") {
			open = brackets(value)
			continue
		}
		if cur == nil {
			continue
		}
		switch key {
		case "name", "version", "source":
			s, err := tomlString(value)
			if err != nil {
				fail(n, "%s: %v", key, err)
				continue
			}
			switch key {
			case "name":
				cur.name = s
			case "version":
				cur.version = s
			case "source":
				cur.source = s
			}
		}
	}
	if err := sc.Err(); err != nil {
		fail(n+1, "%v", err)
	} else if open > 0 {
		fail(n, "an array is not closed")
	}
	out := crates(pkgs, fail)
	return out, firstErr
}

// crates are the packages with a source; one with no name or version is
// reported.
func crates(pkgs []*lockPackage, fail func(int, string, ...any)) []crate {
	var out []crate
	for _, p := range pkgs {
		if !validField(p.name) || !validField(p.version) {
			fail(p.line, "a package with no valid name and version")
			continue
		}
		if p.source != "" {
			out = append(out, crate{Name: p.name, Version: p.version})
		}
	}
	return out
}

// brackets is the balance of '[' and ']' in a line outside strings.
func brackets(s string) int {
	n := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#':
			return n
		case c == '[':
			n++
		case c == ']':
			n--
		}
	}
	return n
}

// tomlString reads a basic string ("...", its escapes read as Go's,
// which include TOML's) or a literal one ('...'); a comment may follow.
func tomlString(v string) (string, error) {
	if strings.HasPrefix(v, "'") {
		end := strings.IndexByte(v[1:], '\'')
		if end < 0 {
			return "", fmt.Errorf("%q: an unterminated string", truncate(v))
		}
		return v[1 : end+1], nil
	}
	if !strings.HasPrefix(v, `"`) {
		return "", fmt.Errorf("%q is not a string", truncate(v))
	}
	// The closing quote: the first not escaped.
	for i := 1; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '"':
			s, err := strconv.Unquote(v[:i+1])
			if err != nil {
				return "", fmt.Errorf("%q: %v", truncate(v), err)
			}
			return s, nil
		}
	}
	return "", fmt.Errorf("%q: an unterminated string", truncate(v))
}

// truncate shortens a value for an error message.
func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
