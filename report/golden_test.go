package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/check/builtin"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/scan"
)

// goldenChecks are the checks golden reports are made with: a fixed list,
// so that checks added to the catalogue leave the golden files alone.
var goldenChecks = []string{"DZ-PSS-002", "DZ-PSS-003", "DZ-PSS-005", "DZ-HP-001", "DZ-HP-006"}

// goldenNow is the clock of the golden scan: after the expiry of one
// exception in testdata/exceptions.yaml and before none.
var goldenNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// goldenResult scans testdata/scan with the golden checks and
// testdata/exceptions.yaml. The fixture has findings, an object with no
// finding, one suppressed by annotation, one by an exceptions file, an
// expired and an unused exception, and a file that is not valid YAML.
func goldenResult(t *testing.T) *scan.Result {
	t.Helper()
	all := builtin.All()
	var checks []*check.Check
	for _, id := range goldenChecks {
		c := check.Find(all, id)
		if c == nil {
			t.Fatalf("golden check %s is not in the catalogue; change goldenChecks", id)
		}
		checks = append(checks, c)
	}
	data, err := os.ReadFile("testdata/exceptions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	exceptions, err := finding.ParseExceptions(data, "testdata/exceptions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := scan.Run(context.Background(), scan.Options{
		Paths:        []string{"testdata/scan"},
		Checks:       checks,
		CheckOptions: check.Options{KubeVersion: check.Version{Major: 1, Minor: 37}},
		Exceptions:   exceptions,
		Now:          goldenNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// goldenOptions are the report options of golden reports.
func goldenOptions() Options {
	return Options{ToolVersion: "v0.0.0-test", Generated: goldenNow, ShowSuppressed: true}
}

// TestGolden renders the golden scan in every format and compares it with
// testdata/golden. Rewrite the golden files with `go test ./report -update`
// and review the difference.
func TestGolden(t *testing.T) {
	res := goldenResult(t)
	// The fixture must exercise what the reports show.
	if len(res.Findings) == 0 || len(res.Suppressed) < 2 || len(res.Errors) == 0 ||
		len(res.ExpiredExceptions) == 0 || len(res.UnusedExceptions) == 0 {
		t.Fatalf("golden fixture lost a case: %d findings, %d suppressed, %d errors, %d expired, %d unused exceptions",
			len(res.Findings), len(res.Suppressed), len(res.Errors), len(res.ExpiredExceptions), len(res.UnusedExceptions))
	}
	plain := goldenOptions()
	plain.ShowSuppressed = false
	color := goldenOptions()
	color.Color = true
	tests := []struct {
		file, format string
		opts         Options
	}{
		{"table.txt", "table", plain},
		{"table-color.txt", "table", color},
		{"report.json", "json", goldenOptions()},
		{"report.sarif", "sarif", goldenOptions()},
		{"report.junit.xml", "junit", goldenOptions()},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, tt.format, res, tt.opts); err != nil {
				t.Fatal(err)
			}
			compareGolden(t, filepath.Join("testdata", "golden", tt.file), b.Bytes())
		})
	}
}

// TestGoldenDeterministic renders the golden scan twice, from two scans,
// and wants the same bytes.
func TestGoldenDeterministic(t *testing.T) {
	a, b := goldenResult(t), goldenResult(t)
	for _, format := range Formats {
		var x, y bytes.Buffer
		if err := Write(&x, format, a, goldenOptions()); err != nil {
			t.Fatal(err)
		}
		if err := Write(&y, format, b, goldenOptions()); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x.Bytes(), y.Bytes()) {
			t.Errorf("%s: two renderings of the same scan differ", format)
		}
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run go test ./report -update", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("%s differs from the output at line %d (run go test ./report -update and review the diff):\n got: %q\nwant: %q", path, i+1, g, w)
			return
		}
	}
}
