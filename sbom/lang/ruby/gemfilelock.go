package ruby

import (
	"fmt"
	"regexp"
	"strings"
)

// lockedGem is a gem a lockfile pins.
type lockedGem struct {
	Name, Version, Platform string
	Line                    int
}

// lockedSpec is a gem of a GEM section's specs, four spaces in:
// "    nokogiri (1.15.4-x86_64-linux)". As Bundler reads it, the version
// ends at the first "-", and a platform follows.
var lockedSpec = regexp.MustCompile(`^    ([A-Za-z0-9_.-]+) \(([^-()\s]+)(?:-([^()\s]+))?\)$`)

// maxLineErrors is the most errors reported of one file.
const maxLineErrors = 10

// parseGemfileLock reads the gems of a Bundler lockfile's GEM sections
// (those from a gem server, with a purl): each section's "  specs:", a
// gem four spaces in, its dependencies six. GIT and PATH sections are the
// application's own or a repository's, not a gem server's, and are
// skipped. A line of specs that is not a gem is an error naming its line;
// the rest is still read.
func parseGemfileLock(data []byte) ([]lockedGem, []error) {
	var out []lockedGem
	var errs []error
	section, inSpecs := "", false
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		switch {
		case line == "":
			continue
		case line[0] != ' ':
			section, inSpecs = line, false
			continue
		case section != "GEM":
			continue
		case !strings.HasPrefix(line, "   "): // two spaces: "  remote:", "  specs:"
			inSpecs = line == "  specs:"
			continue
		case !inSpecs || strings.HasPrefix(line, "      "): // a dependency
			continue
		}
		m := lockedSpec.FindStringSubmatch(line)
		if m == nil {
			if len(errs) < maxLineErrors {
				errs = append(errs, fmt.Errorf("line %d: not a gem: %q", n+1, short(line)))
			}
			continue
		}
		out = append(out, lockedGem{Name: m[1], Version: m[2], Platform: m[3], Line: n + 1})
	}
	return out, errs
}
