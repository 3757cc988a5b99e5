package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/report"
)

func newChecksCommand() *cobra.Command {
	var (
		output     string
		severity   string
		tags       []string
		frameworks []string
	)
	cmd := &cobra.Command{
		Use:   "checks",
		Short: "List the built-in checks",
		Long:  "List the built-in checks, filtered by severity, tag or framework.",
		Example: `  dozor checks
  dozor checks --severity high --framework cis
  dozor checks -o json
  dozor checks explain DZ-PSS-003`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sel := check.Selector{Tags: tags, Frameworks: frameworks}
			if severity != "" {
				s, err := finding.ParseSeverity(severity)
				if err != nil {
					return usageError("--severity: %v", err)
				}
				sel.MinSeverity = s
			}
			checks := check.Select(report.CatalogueChecks(), sel)
			w := cmd.OutOrStdout()
			switch output {
			case "table":
				return report.ChecksTable(w, checks)
			case "json":
				rules := make([]checkJSON, 0, len(checks))
				for _, c := range checks {
					rules = append(rules, newCheckJSON(c))
				}
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(rules)
			case "markdown":
				return report.ChecksMarkdown(w, report.CatalogueSets())
			}
			return usageError("--output: want table, json or markdown")
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table, json, or markdown (the catalogue in docs/checks.md)")
	cmd.Flags().StringVar(&severity, "severity", "", "list only checks of at least this severity")
	cmd.Flags().StringSliceVar(&tags, "tag", nil, "list only checks with one of these tags")
	cmd.Flags().StringSliceVar(&frameworks, "framework", nil, "list only checks mapped onto one of these frameworks: pss, cis, nsa, threat-matrix")
	cmd.AddCommand(&cobra.Command{
		Use:   "explain ID",
		Short: "Show everything about one check",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := check.Find(report.CatalogueChecks(), args[0])
			if c == nil {
				return usageError("no check %q; list them with: dozor checks", args[0])
			}
			return report.ExplainCheck(cmd.OutOrStdout(), c)
		},
	})
	return cmd
}

// checkJSON is a check as `dozor checks -o json` lists it.
type checkJSON struct {
	finding.Rule
	Kinds []string `json:"kinds,omitempty"`
	Scope string   `json:"scope"`
}

func newCheckJSON(c *check.Check) checkJSON {
	scope := "object"
	if c.Index != nil {
		scope = "cross-object"
	}
	return checkJSON{Rule: c.Rule, Kinds: c.Kinds, Scope: scope}
}
