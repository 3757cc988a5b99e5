// Package report renders scan results: a table for people, JSON with a
// versioned schema, SARIF 2.1.0 for code-scanning platforms, and JUnit XML
// for CI test views. Renderers know nothing of which check raised what.
package report

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/dozor-dev/dozor/component"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/scan"
)

// Options control rendering.
type Options struct {
	// ShowSuppressed includes suppressed findings, with why.
	ShowSuppressed bool
	// Color uses ANSI colours (table only).
	Color bool
	// ToolVersion is the Dozor version reports name.
	ToolVersion string
	// Generated is the time the report is stamped with.
	Generated time.Time
	// MinSeverity hides findings below it (they still count in the summary).
	MinSeverity finding.Severity
	// Components is the analysis of a cluster's own components, when a
	// cluster scan made one.
	Components *component.Report
}

// Formats lists the output formats.
var Formats = []string{"table", "json", "sarif", "junit"}

// Write renders res in the given format.
func Write(w io.Writer, format string, res *scan.Result, opts Options) error {
	switch format {
	case "table", "":
		return Table(w, res, opts)
	case "json":
		return JSON(w, res, opts)
	case "sarif":
		return SARIF(w, res, opts)
	case "junit":
		return JUnit(w, res, opts)
	}
	return fmt.Errorf("unknown output format %q (want one of table, json, sarif, junit)", format)
}

// visible returns the findings a report shows.
func visible(res *scan.Result, opts Options) []finding.Finding {
	out := res.Findings
	if opts.MinSeverity > 0 {
		out = slices.DeleteFunc(slices.Clone(out), func(f finding.Finding) bool { return f.Severity < opts.MinSeverity })
	}
	return out
}

// countBySeverity counts findings per severity.
func countBySeverity(fs []finding.Finding) map[finding.Severity]int {
	m := map[finding.Severity]int{}
	for _, f := range fs {
		m[f.Severity]++
	}
	return m
}
