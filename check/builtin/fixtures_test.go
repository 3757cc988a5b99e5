package builtin_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/check/builtin"
	"github.com/dozor-dev/dozor/scan"
)

// fixtureTime is the clock fixtures are checked at.
var fixtureTime = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// findingMarker marks a line of a failure fixture where a finding is
// expected: "privileged: true # finding". "# finding x2" expects two.
var findingMarker = regexp.MustCompile(`#\s*finding(?:\s+x(\d+))?\s*$`)

// TestFixtures walks every check's testdata/<ID> directory: each
// success.* fixture must raise no finding of the check, each failure.*
// fixture at least one, and exactly one on each line marked "# finding"
// when it has such markers. Fixtures must be valid input.
func TestFixtures(t *testing.T) {
	for _, set := range builtin.Sets {
		for _, c := range set.Checks() {
			dir := filepath.Join("..", set.Dir, "testdata", c.ID)
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Errorf("%s: no fixtures: %v", c.ID, err)
				continue
			}
			var pass, fail int
			for _, e := range entries {
				name := e.Name()
				switch {
				case strings.HasPrefix(name, "success."):
					pass++
				case strings.HasPrefix(name, "failure."):
					fail++
				default:
					t.Errorf("%s: fixture %s is named neither success.* nor failure.*", c.ID, name)
					continue
				}
				t.Run(c.ID+"/"+name, func(t *testing.T) {
					runFixture(t, c, filepath.Join(dir, name), strings.HasPrefix(name, "failure."))
				})
			}
			if pass == 0 || fail == 0 {
				t.Errorf("%s: has %d passing and %d failing fixtures; want at least one of each", c.ID, pass, fail)
			}
		}
	}
}

func runFixture(t *testing.T, c *check.Check, path string, wantFail bool) {
	res, err := scan.Run(context.Background(), scan.Options{
		Paths:        []string{path},
		Checks:       []*check.Check{c},
		CheckOptions: check.Options{KubeVersion: check.Version{Major: 1, Minor: 37}},
		Now:          fixtureTime,
		Renderers:    Renderers,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Errorf("fixture is not valid input: %v", e)
	}
	var lines []int
	for _, f := range res.Findings {
		if f.Rule.ID != c.ID {
			t.Errorf("finding of another check: %s", f.Rule.ID)
			continue
		}
		lines = append(lines, f.Location.Line)
		if f.Message == "" {
			t.Errorf("finding without message at line %d", f.Location.Line)
		}
	}
	if !wantFail {
		for _, f := range res.Findings {
			t.Errorf("success fixture raised %s at %s: %s", f.Rule.ID, f.Location, f.Message)
		}
		return
	}
	if len(res.Findings) == 0 {
		t.Fatalf("failure fixture raised no %s finding", c.ID)
	}
	if want := fixtureWantLines(t, path); want != nil {
		sort.Ints(lines)
		if !slices.Equal(lines, want) {
			t.Errorf("finding lines = %v, want %v", lines, want)
			for _, f := range res.Findings {
				t.Logf("  %s: %s", f.Location, f.Message)
			}
		}
	}
}

// fixtureWantLines returns the lines of a fixture file marked "# finding",
// once per expected finding; nil when it has no markers.
func fixtureWantLines(t *testing.T, path string) []int {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil // a directory fixture
	}
	var out []int
	for i, line := range strings.Split(string(data), "\n") {
		m := findingMarker.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n := 1
		if m[1] != "" {
			n, _ = strconv.Atoi(m[1])
		}
		for range n {
			out = append(out, i+1)
		}
	}
	return out
}

// TestFixtureDirsRegistered proves no check is forgotten: every testdata
// directory named like a check ID belongs to a listed check.
func TestFixtureDirsRegistered(t *testing.T) {
	ids := map[string]bool{}
	for _, c := range builtin.All() {
		ids[c.ID] = true
	}
	dirs, _ := filepath.Glob(filepath.Join("..", "*", "testdata", "DZ-*"))
	if len(dirs) == 0 {
		t.Fatal("no fixture directories found")
	}
	for _, d := range dirs {
		if id := filepath.Base(d); !ids[id] {
			t.Errorf("%s has fixtures but is not listed in builtin.Sets", d)
		}
	}
}
