package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/dozor-dev/dozor/component"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/scan"
)

// JSONAPIVersion and JSONKind identify the JSON report schema. The schema is
// documented in docs/json-report.md; fields are only added within a version.
const (
	JSONAPIVersion = "dozor.io/v1"
	JSONKind       = "ScanReport"
)

// JSONReport is the JSON report.
type JSONReport struct {
	APIVersion  string           `json:"apiVersion"`
	Kind        string           `json:"kind"`
	Tool        JSONTool         `json:"tool"`
	GeneratedAt time.Time        `json:"generatedAt"`
	Summary     JSONSummary      `json:"summary"`
	Findings    []JSONFinding    `json:"findings"`
	Suppressed  []JSONFinding    `json:"suppressed,omitempty"`
	Errors      []JSONInputError `json:"errors"`
	Gaps        []finding.Gap    `json:"gaps"`
	Exceptions  JSONExceptions   `json:"exceptions"`
	Rules       []finding.Rule   `json:"rules"`
	// Components is the analysis of the cluster's own components
	// (docs/components-json.md), in cluster scans with a vulnerability
	// database.
	Components *component.Report `json:"components,omitempty"`
}

// JSONTool names the tool that wrote the report.
type JSONTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// JSONSummary counts what the scan did and found.
type JSONSummary struct {
	Inputs     int            `json:"inputs"`
	Documents  int            `json:"documents"`
	Objects    int            `json:"objects"`
	Skipped    int            `json:"skippedDocuments"`
	Checks     int            `json:"checks"`
	Findings   int            `json:"findings"`
	Suppressed int            `json:"suppressed"`
	Repeated   int            `json:"repeated"`
	Errors     int            `json:"errors"`
	BySeverity map[string]int `json:"bySeverity"`
	ByCheck    map[string]int `json:"byCheck"`
}

// JSONFinding is one finding.
type JSONFinding struct {
	CheckID    string               `json:"checkId"`
	Name       string               `json:"name"`
	Title      string               `json:"title"`
	Severity   finding.Severity     `json:"severity"`
	Object     finding.ObjectRef    `json:"object"`
	Location   finding.Location     `json:"location"`
	Path       string               `json:"path,omitempty"`
	Container  string               `json:"container,omitempty"`
	Message    string               `json:"message"`
	Suppressed *finding.Suppression `json:"suppressed,omitempty"`
}

// JSONInputError is a problem with the input.
type JSONInputError struct {
	Location finding.Location `json:"location"`
	Object   string           `json:"object,omitempty"`
	Message  string           `json:"message"`
}

// JSONExceptions lists exceptions that need attention.
type JSONExceptions struct {
	Expired []JSONException `json:"expired"`
	Unused  []JSONException `json:"unused"`
}

// JSONException is one entry of an exceptions file.
type JSONException struct {
	Checks    []string   `json:"checks"`
	Kind      string     `json:"kind,omitempty"`
	Namespace string     `json:"namespace,omitempty"`
	Name      string     `json:"name,omitempty"`
	Reason    string     `json:"reason"`
	Expires   *time.Time `json:"expires,omitempty"`
	Source    string     `json:"source"`
}

// NewJSONReport builds the JSON report of a result.
func NewJSONReport(res *scan.Result, opts Options) *JSONReport {
	return newJSONReport(res, opts, true)
}

// NewJSONFinding converts a finding as the JSON report writes it, for
// other documents that list findings.
func NewJSONFinding(f *finding.Finding) JSONFinding { return toJSONFinding(f) }

// toJSONFinding converts a finding for the report.
func toJSONFinding(f *finding.Finding) JSONFinding {
	return JSONFinding{CheckID: f.Rule.ID, Name: f.Rule.Name, Title: f.Rule.Title, Severity: f.Severity,
		Object: f.Object, Location: f.Location, Path: f.Path, Container: f.Container, Message: f.Message,
		Suppressed: f.Suppressed}
}

// newJSONReport builds the report; without findings, Findings and
// Suppressed stay empty (JSON streams them) but Rules lists their rules.
func newJSONReport(res *scan.Result, opts Options, findings bool) *JSONReport {
	shown := visible(res, opts)
	r := &JSONReport{
		APIVersion:  JSONAPIVersion,
		Kind:        JSONKind,
		Tool:        JSONTool{Name: "dozor", Version: opts.ToolVersion},
		GeneratedAt: opts.Generated.UTC(),
		Summary: JSONSummary{
			Inputs: res.Stats.Units, Documents: res.Stats.Documents, Objects: res.Stats.Objects,
			Skipped: res.Stats.Skipped, Checks: len(res.Checks), Findings: len(res.Findings),
			Suppressed: len(res.Suppressed), Repeated: res.Stats.Repeated, Errors: len(res.Errors),
			BySeverity: map[string]int{}, ByCheck: map[string]int{},
		},
		Findings:   make([]JSONFinding, 0, len(shown)),
		Errors:     make([]JSONInputError, 0, len(res.Errors)),
		Gaps:       append([]finding.Gap{}, res.Gaps...),
		Exceptions: JSONExceptions{Expired: jsonExceptions(res.ExpiredExceptions), Unused: jsonExceptions(res.UnusedExceptions)},
		Rules:      []finding.Rule{},
		Components: opts.Components,
	}
	for s, n := range countBySeverity(res.Findings) {
		r.Summary.BySeverity[s.String()] = n
	}
	rules := map[string]bool{}
	add := func(f *finding.Finding) {
		if !rules[f.Rule.ID] {
			rules[f.Rule.ID] = true
			r.Rules = append(r.Rules, *f.Rule)
		}
	}
	for i := range res.Findings {
		r.Summary.ByCheck[res.Findings[i].Rule.ID]++
	}
	for i := range shown {
		add(&shown[i])
		if findings {
			r.Findings = append(r.Findings, toJSONFinding(&shown[i]))
		}
	}
	if opts.ShowSuppressed {
		for i := range res.Suppressed {
			add(&res.Suppressed[i])
			if findings {
				r.Suppressed = append(r.Suppressed, toJSONFinding(&res.Suppressed[i]))
			}
		}
	}
	for _, e := range res.Errors {
		r.Errors = append(r.Errors, JSONInputError{Location: e.Location, Object: e.Object, Message: e.Message})
	}
	return r
}

func jsonExceptions(es []*finding.Exception) []JSONException {
	out := make([]JSONException, 0, len(es))
	for _, e := range es {
		j := JSONException{Checks: e.Checks, Kind: e.Kind, Namespace: e.Namespace, Name: e.Name, Reason: e.Reason, Source: e.Source}
		if !e.Expires.IsZero() {
			t := e.Expires.UTC()
			j.Expires = &t
		}
		out = append(out, j)
	}
	return out
}

// JSON writes the JSON report, indented. It writes the same bytes as
// encoding JSONReport with json.Encoder and SetIndent("", "  "), but streams
// the findings, marshalling blocks of them on every core, so that reports
// of hundreds of thousands of findings neither wait on one core nor sit in
// memory twice.
func JSON(w io.Writer, res *scan.Result, opts Options) error {
	r := newJSONReport(res, opts, false)
	bw := bufio.NewWriterSize(w, 1<<20)
	var err error
	field := func(name string, v any, last bool) {
		if err != nil {
			return
		}
		var b []byte
		if b, err = json.MarshalIndent(v, "  ", "  "); err != nil {
			return
		}
		fmt.Fprintf(bw, "  %q: %s", name, b)
		if !last {
			bw.WriteString(",\n")
		}
	}
	array := func(name string, fs []finding.Finding) {
		if err != nil {
			return
		}
		fmt.Fprintf(bw, "  %q: ", name)
		err = writeJSONArray(bw, fs)
		bw.WriteString(",\n")
	}
	bw.WriteString("{\n")
	field("apiVersion", r.APIVersion, false)
	field("kind", r.Kind, false)
	field("tool", r.Tool, false)
	field("generatedAt", r.GeneratedAt, false)
	field("summary", r.Summary, false)
	array("findings", visible(res, opts))
	if opts.ShowSuppressed && len(res.Suppressed) > 0 {
		array("suppressed", res.Suppressed)
	}
	field("errors", r.Errors, false)
	field("gaps", r.Gaps, false)
	field("exceptions", r.Exceptions, false)
	field("rules", r.Rules, r.Components == nil)
	if r.Components != nil {
		field("components", r.Components, true)
	}
	if err != nil {
		return err
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// writeJSONArray writes an indented array of findings, encoding blocks of
// them in parallel and writing the blocks in order.
func writeJSONArray(w *bufio.Writer, fs []finding.Finding) error {
	if len(fs) == 0 {
		_, err := w.WriteString("[]")
		return err
	}
	const block = 1024
	n := (len(fs) + block - 1) / block
	results := make([]chan []byte, n)
	for i := range n {
		results[i] = make(chan []byte, 1)
	}
	// At most GOMAXPROCS+1 blocks are encoded and not yet written; their
	// buffers are used again, so that memory stays flat however many
	// findings there are.
	inFlight := runtime.GOMAXPROCS(0) + 1
	free := make(chan []byte, inFlight)
	for range inFlight {
		free <- make([]byte, 0, block*1024)
	}
	go func() {
		for i := range n {
			buf := <-free
			go func() {
				end := min((i+1)*block, len(fs))
				for j := i * block; j < end; j++ {
					if j > 0 {
						buf = append(buf, ",\n"...)
					}
					buf = append(buf, "    "...)
					buf = appendFindingJSON(buf, &fs[j])
				}
				results[i] <- buf
			}()
		}
	}()
	w.WriteString("[\n")
	for i := range n {
		buf := <-results[i]
		w.Write(buf)
		free <- buf[:0]
	}
	_, err := w.WriteString("\n  ]")
	return err
}
