package snapshot

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dozor-dev/dozor/finding"
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

type painter bool

func (p painter) paint(code, s string) string {
	if !p || code == "" {
		return s
	}
	return code + s + ansiReset
}

// TextOptions control WriteText.
type TextOptions struct {
	// Color uses ANSI colours.
	Color bool
	// MaxValue bounds the length of a value shown (default 80 characters);
	// JSON output shows values whole.
	MaxValue int
}

var changeMark = map[string]string{Added: "+", Removed: "-", Changed: "~", Reordered: "~"}
var changeColor = map[string]string{Added: ansiGreen, Removed: ansiRed, Changed: ansiYellow, Reordered: ansiYellow}

// WriteText renders a diff for people: objects grouped by kind and
// namespace, each with its fields, then warnings and a summary.
func WriteText(w io.Writer, d *Diff, opts TextOptions) error {
	if opts.MaxValue <= 0 {
		opts.MaxValue = 80
	}
	bw := bufio.NewWriter(w)
	p := painter(opts.Color)
	fmt.Fprintf(bw, "%s %s\n", p.paint(ansiDim, "a:"), describeSide(&d.A))
	fmt.Fprintf(bw, "%s %s\n\n", p.paint(ansiDim, "b:"), describeSide(&d.B))
	last := "\x00"
	for i := range d.Objects {
		o := &d.Objects[i]
		group := o.Kind + "\x00" + o.Namespace
		if group != last {
			if last != "\x00" {
				fmt.Fprintln(bw)
			}
			last = group
			ns := o.Namespace
			if ns == "" {
				ns = "(cluster-scoped)"
			}
			fmt.Fprintf(bw, "%s  %s\n", p.paint(ansiBold, o.Kind), ns)
		}
		line := "  " + p.paint(changeColor[o.Change], changeMark[o.Change]+" "+o.Name)
		var notes []string
		if o.Unit != "" {
			notes = append(notes, o.Unit)
		}
		if o.Source != nil && o.Source.File != "" {
			loc := o.Source.File
			if o.Source.Line > 0 {
				loc += fmt.Sprintf(":%d", o.Source.Line)
			}
			notes = append(notes, loc)
		}
		switch o.Change {
		case Added:
			notes = append(notes, "added")
		case Removed:
			notes = append(notes, "removed")
		}
		if o.Recreated {
			notes = append(notes, fmt.Sprintf("recreated: uid %s → %s", o.OldUID, o.NewUID))
		}
		if o.MetadataOnly {
			notes = append(notes, "metadata only: one side has no Secret values")
		}
		if len(notes) > 0 {
			line += "  " + p.paint(ansiDim, strings.Join(notes, ", "))
		}
		fmt.Fprintln(bw, line)
		for _, f := range o.Fields {
			mark := p.paint(changeColor[f.Change], changeMark[f.Change])
			switch f.Change {
			case Added:
				fmt.Fprintf(bw, "      %s %s: %s\n", mark, f.Path, p.paint(ansiGreen, showValue(f.New, opts.MaxValue)))
			case Removed:
				fmt.Fprintf(bw, "      %s %s: %s\n", mark, f.Path, p.paint(ansiRed, showValue(f.Old, opts.MaxValue)))
			case Reordered:
				fmt.Fprintf(bw, "      %s %s: order %s → %s\n", mark, f.Path, showValue(f.Old, opts.MaxValue), showValue(f.New, opts.MaxValue))
			default:
				fmt.Fprintf(bw, "      %s %s: %s → %s\n", mark, f.Path, p.paint(ansiRed, showValue(f.Old, opts.MaxValue)), p.paint(ansiGreen, showValue(f.New, opts.MaxValue)))
			}
		}
	}
	if len(d.Objects) > 0 {
		fmt.Fprintln(bw)
	}
	for _, s := range []*Side{&d.A, &d.B} {
		if len(s.End.Gaps) > 0 {
			fmt.Fprintln(bw, p.paint(ansiBold, fmt.Sprintf("Not read in %s (%d): objects there are not compared", s.Name, len(s.End.Gaps))))
			for _, g := range s.End.Gaps {
				fmt.Fprintf(bw, "  %s\n", gapText(g))
			}
			fmt.Fprintln(bw)
		}
		if len(s.End.Errors) > 0 {
			fmt.Fprintln(bw, p.paint(ansiBold, fmt.Sprintf("Input errors in %s (%d): these inputs were not read, or not completely", s.Name, len(s.End.Errors))))
			for _, e := range s.End.Errors {
				fmt.Fprintf(bw, "  %s\n", e)
			}
			fmt.Fprintln(bw)
		}
	}
	for _, wng := range d.Warnings {
		fmt.Fprintf(bw, "%s %s\n", p.paint(ansiYellow, "warning:"), wng)
	}
	if len(d.Warnings) > 0 {
		fmt.Fprintln(bw)
	}
	s := d.Summary
	fmt.Fprintf(bw, "%s ", p.paint(ansiBold, "Summary:"))
	if s.Differences() == 0 {
		fmt.Fprintf(bw, "no differences; %d objects compared", s.Unchanged)
	} else {
		fmt.Fprintf(bw, "%s, %s, %s; %d unchanged",
			p.paint(ansiGreen, fmt.Sprintf("%d added", s.Added)), p.paint(ansiRed, fmt.Sprintf("%d removed", s.Removed)),
			p.paint(ansiYellow, fmt.Sprintf("%d changed", s.Changed)), s.Unchanged)
	}
	if s.NotCompared > 0 {
		fmt.Fprintf(bw, ", %d not compared", s.NotCompared)
	}
	fmt.Fprintln(bw)
	return bw.Flush()
}

func gapText(g finding.Gap) string {
	what := g.Resource
	if g.Namespace != "" {
		what += " in " + g.Namespace
	}
	return fmt.Sprintf("%s: %s (%s)", what, g.Kind, g.Reason)
}

// describeSide names an input for the heading of a text diff.
func describeSide(s *Side) string {
	src := s.Header.Source
	var what string
	switch src.Type {
	case SourceCluster:
		what = "cluster " + src.Context
		if src.ServerVersion != "" {
			what += " " + src.ServerVersion
		}
		if len(src.Namespaces) > 0 {
			what += ", namespaces " + strings.Join(src.Namespaces, ",")
		}
	case SourceFiles:
		what = "files " + strings.Join(src.Roots, " ")
	default:
		what = src.Type
	}
	out := s.Name
	if !strings.HasPrefix(s.Name, src.Type+" ") && s.Name != src.Type {
		out += " (" + what + ")"
	}
	if !s.Header.Created.IsZero() {
		out += ", " + s.Header.Created.UTC().Format("2006-01-02 15:04:05 MST")
	}
	return out
}

// showValue renders a value as compact JSON, shortened to max characters.
// Digests are shortened to their first 12 hexadecimal digits.
func showValue(v any, max int) string {
	if s, ok := v.(string); ok && strings.HasPrefix(s, "sha256:") && len(s) == 71 {
		return s[:19] + "…"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// JSONDiff is the JSON form of a Diff, as `dozor diff -o json` writes it;
// docs/diff-json.md documents every field.
type JSONDiff struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Tool       JSONTool     `json:"tool"`
	A          JSONSide     `json:"a"`
	B          JSONSide     `json:"b"`
	Summary    JSONSummary  `json:"summary"`
	Objects    []JSONObject `json:"objects"`
	Warnings   []string     `json:"warnings"`
}

// JSONTool names the tool that compared.
type JSONTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// JSONSide is one input.
type JSONSide struct {
	Name    string        `json:"name"`
	Format  int           `json:"format,omitempty"`
	Tool    string        `json:"tool,omitempty"`
	Created *time.Time    `json:"created,omitempty"`
	Source  Source        `json:"source"`
	Objects int           `json:"objects"`
	Gaps    []finding.Gap `json:"gaps"`
	Errors  []string      `json:"errors"`
}

// JSONSummary counts objects.
type JSONSummary struct {
	Added       int `json:"added"`
	Removed     int `json:"removed"`
	Changed     int `json:"changed"`
	Unchanged   int `json:"unchanged"`
	NotCompared int `json:"notCompared"`
}

// JSONObject is one object added, removed or changed.
type JSONObject struct {
	Change       string      `json:"change"`
	APIVersion   string      `json:"apiVersion"`
	Kind         string      `json:"kind"`
	Namespace    string      `json:"namespace,omitempty"`
	Name         string      `json:"name"`
	Unit         string      `json:"unit,omitempty"`
	Source       *Origin     `json:"source,omitempty"`
	Recreated    bool        `json:"recreated,omitempty"`
	OldUID       string      `json:"oldUid,omitempty"`
	NewUID       string      `json:"newUid,omitempty"`
	MetadataOnly bool        `json:"metadataOnly,omitempty"`
	Fields       []JSONField `json:"fields"`
}

// JSONField is one field that differs.
type JSONField struct {
	Path   string           `json:"path"`
	Change string           `json:"change"`
	Old    *json.RawMessage `json:"old,omitempty"`
	New    *json.RawMessage `json:"new,omitempty"`
}

// DiffAPIVersion and DiffKind identify the JSON schema of a diff.
const (
	DiffAPIVersion = "dozor.io/v1"
	DiffKind       = "SnapshotDiff"
)

// ToJSON returns the JSON form of d.
func ToJSON(d *Diff, toolVersion string) (*JSONDiff, error) {
	out := &JSONDiff{APIVersion: DiffAPIVersion, Kind: DiffKind, Tool: JSONTool{Name: "dozor", Version: toolVersion},
		A: jsonSide(&d.A), B: jsonSide(&d.B), Objects: []JSONObject{}, Warnings: append([]string{}, d.Warnings...),
		Summary: JSONSummary{Added: d.Summary.Added, Removed: d.Summary.Removed, Changed: d.Summary.Changed,
			Unchanged: d.Summary.Unchanged, NotCompared: d.Summary.NotCompared}}
	for i := range d.Objects {
		o := &d.Objects[i]
		jo := JSONObject{Change: o.Change, APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name,
			Unit: o.Unit, Source: o.Source, Recreated: o.Recreated, OldUID: o.OldUID, NewUID: o.NewUID,
			MetadataOnly: o.MetadataOnly, Fields: []JSONField{}}
		for _, f := range o.Fields {
			jf := JSONField{Path: f.Path, Change: f.Change}
			if f.Change != Added {
				raw, err := rawJSON(f.Old)
				if err != nil {
					return nil, err
				}
				jf.Old = raw
			}
			if f.Change != Removed {
				raw, err := rawJSON(f.New)
				if err != nil {
					return nil, err
				}
				jf.New = raw
			}
			jo.Fields = append(jo.Fields, jf)
		}
		out.Objects = append(out.Objects, jo)
	}
	return out, nil
}

func rawJSON(v any) (*json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	raw := json.RawMessage(b)
	return &raw, nil
}

func jsonSide(s *Side) JSONSide {
	js := JSONSide{Name: s.Name, Format: s.Header.Format, Tool: s.Header.Tool, Source: s.Header.Source,
		Objects: s.End.Objects, Gaps: s.End.Gaps, Errors: s.End.Errors}
	if !s.Header.Created.IsZero() {
		t := s.Header.Created.UTC()
		js.Created = &t
	}
	if js.Gaps == nil {
		js.Gaps = []finding.Gap{}
	}
	if js.Errors == nil {
		js.Errors = []string{}
	}
	return js
}

// WriteJSON writes the JSON form of d, indented.
func WriteJSON(w io.Writer, d *Diff, toolVersion string) error {
	jd, err := ToJSON(d, toolVersion)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(jd)
}
