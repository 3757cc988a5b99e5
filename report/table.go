package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/dozor-dev/dozor/component"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/scan"
)

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
)

var severityColor = map[finding.Severity]string{
	finding.Critical: "\x1b[1;31m",
	finding.High:     "\x1b[31m",
	finding.Medium:   "\x1b[33m",
	finding.Low:      "\x1b[36m",
	finding.Info:     "\x1b[2m",
}

type painter bool

func (p painter) paint(code, s string) string {
	if !p || code == "" {
		return s
	}
	return code + s + ansiReset
}

// Table renders findings grouped by object, then input errors, exception
// warnings, and a summary by severity and by check.
func Table(w io.Writer, res *scan.Result, opts Options) error {
	bw := bufio.NewWriter(w)
	p := painter(opts.Color)
	shown := visible(res, opts)
	list := shown
	if opts.ShowSuppressed {
		list = append(append([]finding.Finding(nil), shown...), res.Suppressed...)
		list = finding.Sorted(list)
	}
	var last string
	for _, f := range list {
		key := f.Object.String() + "\x00" + objectPlace(f.Location)
		if key != last {
			if last != "" {
				fmt.Fprintln(bw)
			}
			last = key
			fmt.Fprintf(bw, "%s  %s\n", p.paint(ansiBold, f.Object.String()), p.paint(ansiDim, objectPlace(f.Location)))
		}
		sev := fmt.Sprintf("%-8s", strings.ToUpper(f.Severity.String()))
		line := ""
		if f.Location.Line > 0 {
			line = fmt.Sprintf("line %d", f.Location.Line)
		}
		msg := f.Message
		if f.Suppressed != nil {
			sev = fmt.Sprintf("%-8s", "IGNORED")
			msg += p.paint(ansiDim, fmt.Sprintf(" [suppressed by %s %s: %s]", f.Suppressed.Kind, f.Suppressed.Source, f.Suppressed.Reason))
			fmt.Fprintf(bw, "  %s %-11s %-9s %s\n", p.paint(ansiDim, sev), f.Rule.ID, line, msg)
			continue
		}
		fmt.Fprintf(bw, "  %s %-11s %-9s %s\n", p.paint(severityColor[f.Severity], sev), f.Rule.ID, line, msg)
	}
	if len(list) > 0 {
		fmt.Fprintln(bw)
	}
	if len(res.Errors) > 0 {
		fmt.Fprintln(bw, p.paint(ansiBold, fmt.Sprintf("Input errors (%d): these inputs were not scanned, or not completely", len(res.Errors))))
		for _, e := range res.Errors {
			fmt.Fprintf(bw, "  %s\n", e.Error())
		}
		fmt.Fprintln(bw)
	}
	if len(res.Gaps) > 0 {
		fmt.Fprintln(bw, p.paint(ansiBold, fmt.Sprintf("Not read (%d): these parts of the cluster were not scanned", len(res.Gaps))))
		for _, g := range res.Gaps {
			fmt.Fprintf(bw, "  %s\n", gapText(g))
		}
		fmt.Fprintln(bw)
	}
	for _, e := range res.ExpiredExceptions {
		fmt.Fprintf(bw, "%s exception for %s (%s) expired on %s and no longer applies\n",
			p.paint(severityColor[finding.Medium], "warning:"), strings.Join(e.Checks, ","), e.Source, e.Expires.Format("2006-01-02 15:04 MST"))
	}
	for _, e := range res.UnusedExceptions {
		fmt.Fprintf(bw, "%s exception for %s (%s) matched no finding\n", p.paint(ansiDim, "note:"), strings.Join(e.Checks, ","), e.Source)
	}
	if len(res.ExpiredExceptions)+len(res.UnusedExceptions) > 0 {
		fmt.Fprintln(bw)
	}
	writeSummary(bw, res, p)
	writeDataAge(bw, opts.Components, p)
	return bw.Flush()
}

// objectPlace renders where an object is, for the group heading.
func objectPlace(l finding.Location) string {
	switch {
	case l.Template != "":
		return l.String()
	case l.Kustomization != "":
		return l.String()
	}
	return l.File
}

// writeDataAge states the vulnerability data a cluster scan used, and
// warns when it is stale.
func writeDataAge(w io.Writer, c *component.Report, p painter) {
	if c == nil {
		return
	}
	d := c.Database
	fmt.Fprintf(w, "Components: %d versions matched against vulnerability data built %s, stalest source %d days old",
		len(c.Components), d.Built.Format("2006-01-02"), d.AgeDays)
	if d.Stale {
		fmt.Fprintf(w, " (%s)", p.paint(severityColor[finding.High], fmt.Sprintf("stale: over %d days; run dozor db update", d.MaxAgeDays)))
	}
	fmt.Fprintln(w)
}

func writeSummary(w io.Writer, res *scan.Result, p painter) {
	bySev := countBySeverity(res.Findings)
	var parts []string
	for i := len(finding.Severities) - 1; i >= 0; i-- {
		s := finding.Severities[i]
		if n := bySev[s]; n > 0 {
			parts = append(parts, p.paint(severityColor[s], fmt.Sprintf("%d %s", n, s)))
		}
	}
	fmt.Fprintf(w, "%s %d objects from %d inputs, %d checks: %d findings",
		p.paint(ansiBold, "Summary:"), res.Stats.Objects, res.Stats.Units, len(res.Checks), len(res.Findings))
	if len(parts) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	if n := len(res.Suppressed); n > 0 {
		fmt.Fprintf(w, ", %d suppressed", n)
	}
	if n := res.Stats.Repeated; n > 0 {
		fmt.Fprintf(w, ", %d repeating their controller's not shown (--show-repeated)", n)
	}
	if n := len(res.Errors); n > 0 {
		fmt.Fprintf(w, ", %s", p.paint(severityColor[finding.High], plural(n, "input error")))
	}
	if n := len(res.Gaps); n > 0 {
		fmt.Fprintf(w, ", %s not read", plural(n, "resource"))
	}
	if n := res.Stats.Skipped; n > 0 {
		fmt.Fprintf(w, ", %d documents skipped as not Kubernetes objects", n)
	}
	fmt.Fprintln(w)
	if len(res.Findings) == 0 {
		return
	}
	type row struct {
		f *finding.Finding
		n int
	}
	byCheck := map[string]*row{}
	for i := range res.Findings {
		f := &res.Findings[i]
		if r, ok := byCheck[f.Rule.ID]; ok {
			r.n++
		} else {
			byCheck[f.Rule.ID] = &row{f, 1}
		}
	}
	rows := make([]*row, 0, len(byCheck))
	for _, r := range byCheck {
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.f.Rule.Severity != b.f.Rule.Severity {
			return a.f.Rule.Severity > b.f.Rule.Severity
		}
		if a.n != b.n {
			return a.n > b.n
		}
		return a.f.Rule.ID < b.f.Rule.ID
	})
	fmt.Fprintln(w, p.paint(ansiBold, "By check:"))
	for _, r := range rows {
		fmt.Fprintf(w, "  %s %-11s %6d  %s\n", p.paint(severityColor[r.f.Rule.Severity], fmt.Sprintf("%-8s", strings.ToUpper(r.f.Rule.Severity.String()))),
			r.f.Rule.ID, r.n, r.f.Rule.Title)
	}
}

// plural renders "1 input error", "2 input errors".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// gapText says what part of a cluster was not read, and why.
func gapText(g finding.Gap) string {
	where := g.Resource + " (all namespaces)"
	if g.Namespace != "" {
		where = g.Resource + " in namespace " + g.Namespace
	}
	what := "not visible to these credentials"
	if g.Kind == finding.GapFailed {
		what = "reading failed"
	}
	return fmt.Sprintf("%s: %s: %s", where, what, g.Reason)
}
