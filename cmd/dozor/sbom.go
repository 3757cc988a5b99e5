package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/sbom/format"
	"github.com/dozor-dev/dozor/vuln/match"
	"github.com/dozor-dev/dozor/vuln/vex"
)

// sbomReport is what `dozor sbom` reports of a document.
type sbomReport struct {
	File            string           `json:"file"`
	Format          string           `json:"format"`
	Subject         string           `json:"subject,omitempty"`
	Packages        []sbom.Package   `json:"packages"`
	WithoutPURL     int              `json:"withoutPurl"`
	Vulnerabilities []match.Finding  `json:"vulnerabilities"`
	Suppressed      []vex.Suppressed `json:"suppressed,omitempty"`
	Database        *imageDB         `json:"database,omitempty"`
}

func newSBOMCommand() *cobra.Command {
	var (
		output, failOn string
		db             dbFlags
		vexFiles       []string
	)
	cmd := &cobra.Command{
		Use:   "sbom FILE",
		Short: "Match an existing SBOM (CycloneDX or SPDX) against the vulnerability database",
		Long: `Read a software bill of materials written by any tool, CycloneDX (JSON or XML)
or SPDX (JSON or tag-value), and match its packages, those with a purl,
against the vulnerability database as 'dozor image' matches an image's:
distribution packages by their source package (from the purl's upstream
qualifier, as Syft writes it, or Dozor's and Trivy's properties), language
packages in their ecosystems. --vex documents take out what their authors
say does not affect them.

Exit codes: 0 read (and nothing at or above --fail-on); 1 a vulnerability at
or above --fail-on; 2 invalid usage, or the document cannot be read.`,
		Example: `  dozor sbom image.cdx.json
  syft scan registry:app:1 -o spdx-json | dozor sbom - --fail-on high
  dozor sbom app.spdx --vex app.openvex.json -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "table" && output != "json" {
				return usageError("--output: unknown format %q (want table or json)", output)
			}
			gate, err := parseFailOn(failOn)
			if err != nil {
				return err
			}
			statements, err := readVEX(vexFiles)
			if err != nil {
				return err
			}
			var data []byte
			if args[0] == "-" {
				data, err = readAllBounded(cmd.InOrStdin(), format.MaxDocument)
			} else {
				data, err = readBounded(args[0], format.MaxDocument)
			}
			if err != nil {
				return err
			}
			doc, err := format.Read(data)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			rep := &sbomReport{File: args[0], Format: doc.Format, Subject: doc.Subject, Packages: doc.Packages, WithoutPURL: doc.WithoutPURL,
				Vulnerabilities: []match.Finding{}}
			if rep.Packages == nil {
				rep.Packages = []sbom.Package{}
			}
			vdb, err := openMatchDB(&db, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if vdb != nil {
				defer func() { _ = vdb.Close() }()
				found, errs := match.Packages(vdb, doc.Packages)
				for _, e := range errs {
					fmt.Fprintln(cmd.ErrOrStderr(), "dozor:", e)
				}
				rep.Vulnerabilities, rep.Suppressed = vex.Apply(statements, found)
				rep.Database = &imageDB{Path: vdb.Path(), Built: vdb.Status().Built}
			}
			if output == "json" {
				err = writeJSON(cmd.OutOrStdout(), rep)
			} else {
				err = writeSBOMReport(cmd.OutOrStdout(), rep)
			}
			if err != nil {
				return err
			}
			var sevs []string
			for _, v := range rep.Vulnerabilities {
				sevs = append(sevs, v.Severity)
			}
			return exitError{gateCode(gate, sevs)}
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	db.register(cmd.Flags(), false)
	cmd.Flags().StringSliceVar(&vexFiles, "vex", nil, "OpenVEX or CycloneDX VEX documents (repeatable): vulnerabilities they say the packages are not affected by, or have fixed, are left out")
	cmd.Flags().StringVar(&failOn, "fail-on", "none", "exit 1 when a vulnerability is at least this severity: critical, high, medium, low, or none")
	return cmd
}

func writeSBOMReport(out interface{ Write([]byte) (int, error) }, r *sbomReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "SBOM:       %s (%s)\n", r.File, r.Format)
	if r.Subject != "" {
		fmt.Fprintf(&b, "Describes:  %s\n", r.Subject)
	}
	byType := map[string]int{}
	for _, p := range r.Packages {
		byType[p.Type]++
	}
	var types []string
	for _, t := range slices.Sorted(maps.Keys(byType)) {
		types = append(types, fmt.Sprintf("%d %s", byType[t], t))
	}
	if len(types) == 0 {
		types = []string{"none with a purl"}
	}
	fmt.Fprintf(&b, "Packages:   %s", strings.Join(types, ", "))
	if r.WithoutPURL > 0 {
		fmt.Fprintf(&b, " (and %d without a purl, not matched)", r.WithoutPURL)
	}
	b.WriteString("\n")
	if r.Database != nil {
		fmt.Fprintf(&b, "Vulns:      %s\n", vulnSummary(r.Vulnerabilities, len(r.Suppressed)))
	}
	if err := writeVulnTable(&b, r.Vulnerabilities, false); err != nil {
		return err
	}
	_, err := out.Write([]byte(b.String()))
	return err
}

// vulnSummary counts vulnerabilities by severity: "3 (1 high, 2 low)".
func vulnSummary(vs []match.Finding, suppressed int) string {
	bySev := map[string]int{}
	for _, v := range vs {
		bySev[v.Severity]++
	}
	var parts []string
	for _, sev := range []string{"critical", "high", "medium", "low", "unknown"} {
		if bySev[sev] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", bySev[sev], sev))
		}
	}
	s := "none"
	if len(parts) > 0 {
		s = fmt.Sprintf("%d (%s)", len(vs), strings.Join(parts, ", "))
	}
	if suppressed > 0 {
		s += fmt.Sprintf("; %d not affecting, by VEX", suppressed)
	}
	return s
}

// writeVulnTable lists vulnerabilities worst first; layers is whether
// to give the layer each package is in.
func writeVulnTable(b *strings.Builder, vs []match.Finding, layers bool) error {
	if len(vs) == 0 {
		return nil
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	head := "SEVERITY\tID\tPACKAGE\tVERSION\tFIXED IN\tKEV"
	if layers {
		head = "SEVERITY\tID\tPACKAGE\tVERSION\tFIXED IN\tLAYER\tKEV"
	}
	fmt.Fprintln(tw, head)
	for _, v := range vs {
		fixed := strings.Join(v.Fixed, ", ")
		if fixed == "" {
			fixed = "no fix yet"
		}
		kev := ""
		if v.KEV {
			kev = "yes"
		}
		sev := strings.ToUpper(v.Severity)
		if v.Verdict != "" {
			sev += " (" + v.Distro + ")"
		}
		if layers {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", sev, v.ID, v.Package.Name, v.Package.Version, fixed, v.Package.Layer, kev)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", sev, v.ID, v.Package.Name, v.Package.Version, fixed, kev)
		}
	}
	return tw.Flush()
}
