package nodelock

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// yarnEntry is one block of a yarn.lock: the ranges it resolves
// ("has-flag@4.0.0, has-flag@^4.0.0:") and its fields.
type yarnEntry struct {
	line       int
	keys       []string
	version    string
	resolution string
}

// parseYarn reads a yarn.lock, classic (v1: `name@range:` blocks with
// `  version "1.2.3"`) or berry (YAML: a __metadata block, then
// `"name@npm:range":` blocks with `  version: 1.2.3` and
// `  resolution: "name@npm:1.2.3"`). Both are read line by line: each
// top-level line opens a block, its two-space indented lines are fields,
// deeper lines (dependency lists) are skipped. A malformed line is
// reported and the rest still read.
func parseYarn(data []byte) ([]dep, error) {
	var entries []*yarnEntry
	var cur *yarnEntry
	berry := false
	var firstErr error
	fail := func(n int, format string, args ...any) {
		if firstErr == nil {
			firstErr = fmt.Errorf("line %d: %s", n, fmt.Sprintf(format, args...))
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), " \t\r")
		if line == "" || strings.HasPrefix(strings.TrimLeft(line, " "), "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case indent == 0:
			cur = nil
			key, ok := strings.CutSuffix(line, ":")
			if !ok {
				fail(n, "%q is not an entry", truncate(line))
				continue
			}
			if key == "__metadata" {
				berry = true
				continue
			}
			if len(entries) == maxPackages {
				return yarnDeps(entries, berry), errTooMany
			}
			cur = &yarnEntry{line: n}
			for _, k := range strings.Split(key, ",") {
				k = unquote(strings.TrimSpace(k))
				if k != "" {
					cur.keys = append(cur.keys, k)
				}
			}
			entries = append(entries, cur)
		case indent == 2 && cur != nil:
			field, value := yarnField(line[2:])
			switch field {
			case "version":
				cur.version = value
			case "resolution":
				cur.resolution = value
			}
		}
	}
	if err := sc.Err(); err != nil {
		fail(n+1, "%v", err)
	}
	return yarnDeps(entries, berry), firstErr
}

// yarnField splits `version "1.2.3"` (v1) or `version: 1.2.3` (berry).
func yarnField(s string) (field, value string) {
	if f, v, ok := strings.Cut(s, ": "); ok && !strings.Contains(f, " ") {
		return unquote(f), unquote(strings.TrimSpace(v))
	}
	if f, v, ok := strings.Cut(s, " "); ok {
		return f, unquote(strings.TrimSpace(v))
	}
	return strings.TrimSuffix(s, ":"), ""
}

// yarnDeps makes packages of the entries: a berry entry is named by its
// resolution ("ms@npm:2.0.0" also for an alias "ms-old@npm:ms@2.0.0"),
// a classic one by its first range, an alias's range naming the real
// package ("ms-old@npm:ms@2.0.0").
func yarnDeps(entries []*yarnEntry, berry bool) []dep {
	var out []dep
	for _, e := range entries {
		if len(e.keys) == 0 || !registryVersion(e.version) {
			continue
		}
		var name, ref string
		var ok bool
		if berry {
			spec := e.resolution
			if spec == "" {
				spec = e.keys[0]
			}
			name, ref, ok = splitSpec(spec)
			// A patch's original is listed too.
			if !ok || local(ref) || strings.HasPrefix(ref, "patch:") {
				continue
			}
		} else {
			name, ref, ok = splitSpec(e.keys[0])
			if !ok || local(ref) {
				continue
			}
			if alias, isAlias := strings.CutPrefix(ref, "npm:"); isAlias {
				if n, _, ok := splitSpec(alias); ok {
					name = n
				}
			}
		}
		if validName(name) {
			out = append(out, dep{Name: name, Version: e.version})
		}
	}
	return out
}

// unquote removes a value's double quotes, as yarn writes them (JSON
// escapes); an unquoted value is as it is.
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
		return s[1 : len(s)-1]
	}
	return s
}

// truncate shortens a line for an error message.
func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
