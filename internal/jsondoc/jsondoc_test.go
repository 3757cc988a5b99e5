package jsondoc

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

type inner struct {
	Line int `json:"line"`
}

type embedded struct {
	Tool string `json:"tool"`
}

type doc struct {
	embedded
	Findings []struct {
		Location inner     `json:"location"`
		At       time.Time `json:"at"`
	} `json:"findings"`
	Suppressed []inner          `json:"suppressed"`
	Object     json.RawMessage  `json:"object"`
	Skip       string           `json:"-"`
	Named      string           // no tag: its Go name
	private    string           //nolint:unused // not exported: not JSON
	Ptr        *map[string]bool `json:"ptr,omitempty"`
}

func TestPaths(t *testing.T) {
	got := Paths(reflect.TypeFor[doc]())
	want := []string{"tool", "findings", "findings[].location", "findings[].location.line", "findings[].at",
		"suppressed", "object", "Named", "ptr"}
	if !slices.Equal(got, want) {
		t.Errorf("Paths:\n got %q\nwant %q", got, want)
	}
}

// recorder is a testing.TB that keeps what would have failed the test.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

// TestCheck: a field missing from the page fails, a documented one does
// not, and a json tag that the type does not reach fails.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "doc.md")
	all := "`tool` `findings` `findings[].location` `findings[].location.line` `findings[].at` `suppressed` `object` `Named` `ptr`"
	src := filepath.Join(dir, "types.go")
	for _, tc := range []struct {
		name, page, src string
		want            []string
	}{
		{"complete", all, "package x\ntype T struct{ Line int `json:\"line\"` }\n", nil},
		{"undocumented", strings.Replace(all, "`ptr`", "", 1), "package x\n", []string{"does not document `ptr`"}},
		{"unreached", all, "package x\ntype T struct{ Other int `json:\"other\"` }\n", []string{`json field "other" is not reached`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(page, []byte(tc.page), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(src, []byte(tc.src), 0o600); err != nil {
				t.Fatal(err)
			}
			r := &recorder{TB: t}
			Check(r, page, 5, []reflect.Type{reflect.TypeFor[doc]()}, src)
			if len(r.failures) != len(tc.want) {
				t.Fatalf("failures %q, want %d", r.failures, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(r.failures[i], w) {
					t.Errorf("failure %q does not say %q", r.failures[i], w)
				}
			}
		})
	}
}
