package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dozor-dev/dozor/component"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/inventory"
	"github.com/dozor-dev/dozor/k8s/live"
	"github.com/dozor-dev/dozor/report"
)

// componentsReport is `dozor components -o json`: the analysis and its
// findings (docs/components-json.md).
type componentsReport struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Cluster    inventory.Cluster `json:"cluster"`
	*component.Report
	Findings []report.JSONFinding `json:"findings"`
}

func newComponentsCommand() *cobra.Command {
	var (
		opts       live.Options
		db         dbFlags
		output     string
		outputFile string
		invFile    string
		failOn     string
		now        string
	)
	cmd := &cobra.Command{
		Use:   "components",
		Short: "Vulnerabilities, end of life and version skew of a cluster's own components",
		Long: `Report the orchestrator's own components: the Kubernetes control plane,
every kubelet version, kube-proxy, etcd and CoreDNS (from their images), the
container runtime of each node (containerd, CRI-O, Docker), each node's
kernel and operating system. For each version: the CVEs that match it, with
severity, fixed versions (and whether the fix is in the same minor line),
CISA KEV and EPSS; container-escape vulnerabilities of kernels and runtimes
(a distribution's kernel matches as "possibly vulnerable": check the
vendor's advisory); end of life and end of support; version skew outside
Kubernetes' policy.

It reads the cluster's inventory (as "dozor inventory" does), or an
inventory JSON file with --inventory, and matches it against the offline
vulnerability database ("dozor db update" or "dozor db import" first). The
report states the database's age, and warns when it is older than
--db-max-age.

Exit codes: 0 nothing at or above --fail-on; 1 a finding at or above
--fail-on; 2 invalid usage, no database, a stale one with
--fail-on-stale-db, or the cluster cannot be reached; 3 parts of the cluster
could not be read.`,
		Example: `  dozor components
  dozor components --context prod -o json
  dozor inventory -o json --output-file inv.json && dozor components --inventory inv.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return usageError("--output: unknown format %q (want table or json)", output)
			}
			var fail finding.Severity
			if failOn != "none" {
				s, err := finding.ParseSeverity(failOn)
				if err != nil {
					return usageError("--fail-on: %v", err)
				}
				fail = s
			}
			at, err := parseNow(now)
			if err != nil {
				return usageError("--now: %v", err)
			}
			if outputFile != "" {
				if outputFile, err = filepath.Abs(outputFile); err != nil {
					return usageError("--output-file: %v", err)
				}
			}
			vdb, err := db.open()
			if err != nil {
				return err
			}
			defer func() { _ = vdb.Close() }()

			var inv *inventory.Inventory
			if invFile != "" {
				inv, err = readInventory(invFile)
				if err != nil {
					return err
				}
			} else {
				ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
				defer stop()
				opts.Kinds = inventory.Resources
				c, err := live.Connect(ctx, opts)
				if err != nil {
					return err
				}
				if inv, err = inventory.Collect(ctx, c); err != nil {
					if errors.Is(err, context.Canceled) {
						return exitError{exitInvalid}
					}
					return err
				}
			}
			rep, err := component.Analyze(inv, vdb, component.Options{Now: at, MaxAge: db.maxAge})
			if err != nil {
				return err
			}
			rep.Database.Path = vdb.Path()
			var fs []finding.Finding
			for _, f := range component.Findings(rep, inv.Cluster.Name) {
				fs = append(fs, f.Finding)
			}
			fs = finding.Sorted(fs)
			if fs == nil {
				fs = []finding.Finding{}
			}
			w, err := openOutput(outputFile, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				jf := make([]report.JSONFinding, 0, len(fs))
				for i := range fs {
					jf = append(jf, report.NewJSONFinding(&fs[i]))
				}
				err = enc.Encode(componentsReport{APIVersion: inventory.APIVersion, Kind: "ComponentReport", Cluster: inv.Cluster, Report: rep, Findings: jf})
			} else {
				err = writeComponents(w, rep, fs, at)
			}
			if err := w.finish(err); err != nil {
				return err
			}
			if rep.Database.Stale {
				fmt.Fprintf(cmd.ErrOrStderr(), "dozor: warning: %s\n", staleMessage(rep))
				if db.failStale {
					return exitError{exitInvalid}
				}
			}
			code := inventoryExitCode(inv)
			if code == exitClean && fail > 0 {
				for _, f := range fs {
					if f.Severity >= fail {
						code = exitFindings
					}
				}
			}
			return exitError{code}
		},
	}
	fl := cmd.Flags()
	db.register(fl, true)
	fl.StringVarP(&output, "output", "o", "table", "output format: table or json")
	fl.StringVar(&outputFile, "output-file", "", "write the report to this file instead of standard output")
	fl.StringVar(&invFile, "inventory", "", "read this inventory JSON file (dozor inventory -o json) instead of a cluster")
	fl.StringVar(&failOn, "fail-on", "none", "exit 1 when a finding is at least this severity: info, low, medium, high, critical, or none")
	fl.StringVar(&now, "now", "", "judge end of life and the database's age at this date (YYYY-MM-DD) instead of today")
	connectionFlags(fl, &opts)
	return cmd
}

func parseNow(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	return time.Parse(time.DateOnly, s)
}

func readInventory(file string) (*inventory.Inventory, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var inv inventory.Inventory
	dec := json.NewDecoder(io.LimitReader(f, 1<<30))
	if err := dec.Decode(&inv); err != nil {
		return nil, fmt.Errorf("%s: not an inventory: %w", file, err)
	}
	if inv.Kind != inventory.Kind {
		return nil, fmt.Errorf("%s: kind %q, want %q (dozor inventory -o json)", file, inv.Kind, inventory.Kind)
	}
	return &inv, nil
}

func staleMessage(r *component.Report) string {
	return fmt.Sprintf("the vulnerability database is %d days old (its stalest source), more than --db-max-age of %d days: run `dozor db update`",
		r.Database.AgeDays, r.Database.MaxAgeDays)
}

func writeComponents(w io.Writer, r *component.Report, fs []finding.Finding, now time.Time) error {
	fmt.Fprintf(w, "Vulnerability data: %s, built %s, stalest source %d days old", r.Database.Path, r.Database.Built.Format(time.DateOnly), r.Database.AgeDays)
	if r.Database.Stale {
		fmt.Fprintf(w, " (STALE: over %d days)", r.Database.MaxAgeDays)
	}
	fmt.Fprintln(w)
	if n := len(r.Database.FeedWithoutAdvisory); n > 0 {
		fmt.Fprintf(w, "Not matched: %d CVEs of the Kubernetes CVE feed have no advisory with affected versions in the database (check them by hand): %s\n",
			n, strings.Join(r.Database.FeedWithoutAdvisory, ", "))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tVERSION\tWHERE\tVULNS\tWORST\tLIFECYCLE")
	for _, c := range r.Components {
		name := c.Kind
		if c.Kind == component.KindRuntime || c.Kind == component.KindOS {
			name = c.Name
		}
		if c.Kind == component.KindKernel {
			name = "kernel"
		}
		where := c.Source
		switch {
		case len(c.Nodes) == 1:
			where = "node " + c.Nodes[0]
		case len(c.Nodes) > 1:
			where = fmt.Sprintf("%d nodes", len(c.Nodes))
		case len(c.Workloads) > 0:
			where = c.Workloads[0].String()
		}
		worst := "-"
		if len(c.Vulnerabilities) > 0 {
			v := c.Vulnerabilities[0]
			worst = v.ID + " " + v.Severity
			if v.Status == component.StatusPossiblyVulnerable {
				worst += " (possibly)"
			}
		}
		life := "-"
		if l := c.Lifecycle; l != nil {
			life = l.Status
			if l.EOL != "" {
				life += " (eol " + l.EOL + ")"
			}
		}
		version := c.Version
		if c.Kind == component.KindOS {
			version = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", name, version, where, len(c.Vulnerabilities), worst, life)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range r.Skew {
		fmt.Fprintf(w, "\nversion skew: %s", s.Problem)
		if len(s.Nodes) > 0 {
			fmt.Fprintf(w, " (nodes %s)", strings.Join(s.Nodes, ", "))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	for _, c := range r.Components {
		if len(c.Vulnerabilities) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s:\n", component.Label(&c))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, v := range c.Vulnerabilities {
			fix := v.FixedInLine
			if fix == "" {
				fix = "no fix in this minor"
				if len(v.Fixed) == 0 {
					fix = "no fixed version"
				}
			}
			extra := ""
			if v.KEV != nil {
				extra += " KEV"
			}
			if v.EPSS != nil {
				extra += fmt.Sprintf(" EPSS %.2f", v.EPSS.Score)
			}
			if v.Status == component.StatusPossiblyVulnerable {
				extra += " possibly vulnerable: check the vendor's advisory"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", v.ID, v.Severity, fix, strings.TrimSpace(extra), oneLine(v.Summary, 80))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\n%d findings\n", len(fs))
	return nil
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		cut := n
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		return s[:cut] + "…"
	}
	return s
}
