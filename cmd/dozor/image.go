package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/image/imagescan"
	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/sbom/format"
	"github.com/dozor-dev/dozor/vuln"
	"github.com/dozor-dev/dozor/vuln/match"
	"github.com/dozor-dev/dozor/vuln/vex"
)

// imageSummary is what `dozor image` reports of an image.
type imageSummary struct {
	Ref      string `json:"ref"`
	Source   string `json:"source"`
	Digest   string `json:"digest,omitempty"`
	Platform string `json:"platform,omitempty"`
	OS       *struct {
		ID, VersionID, PrettyName string
		Path                      string `json:"path"`
		Layer                     int    `json:"layer"`
	} `json:"os,omitempty"`
	// FilesSay is the operating system the image's files say it has,
	// when its os-release is missing or says another (DZ-EVA-001); the
	// packages are matched as of this one.
	FilesSay   map[string]string `json:"filesSay,omitempty"`
	User       string            `json:"user"`
	Entrypoint []string          `json:"entrypoint,omitempty"`
	Cmd        []string          `json:"cmd,omitempty"`
	// EnvNames are the names of the environment variables; their values
	// are never reported (they often hold credentials).
	EnvNames []string `json:"envNames"`
	Files    int      `json:"files"`
	// Packages are what the SBOM extractors found.
	Packages []sbom.Package `json:"packages"`
	// Vulnerabilities are the packages' advisories in the vulnerability
	// database, worst first; Database is the database, when there was one.
	// Findings are the hardening checks' (image/hardening).
	Findings        []imageFinding  `json:"findings"`
	Vulnerabilities []match.Finding `json:"vulnerabilities"`
	// Suppressed are the vulnerabilities VEX statements took out.
	Suppressed []vex.Suppressed `json:"suppressed,omitempty"`
	Database   *imageDB         `json:"database,omitempty"`
	Layers     []imageLayer     `json:"layers"`
	Warnings   []image.Warning  `json:"warnings"`
}

// imageFinding is a hardening finding about the image.
type imageFinding struct {
	CheckID  string `json:"checkId"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	// Evidence backs a scanner-evasion finding.
	Evidence []string `json:"evidence,omitempty"`
}

type imageDB struct {
	Path  string    `json:"path"`
	Built time.Time `json:"built"`
}

type imageLayer struct {
	image.Layer
	image.LayerStats
}

func newImageCommand() *cobra.Command {
	var (
		output, platform, failOn string
		listPackages             bool
		db                       dbFlags
		vexFiles                 []string
	)
	cmd := &cobra.Command{
		Use:   "image REF|PATH",
		Short: "Read an image: from a registry, an OCI layout, a docker save tarball or a root file system",
		Long: `Read an image and report what it is: its digest, platform, operating system
(from os-release), user, entrypoint, the names of its environment variables
(never their values), and each layer with the history step that made it and
what it did (entries, bytes, whiteouts).

REF is a registry reference (debian:12, 127.0.0.1:5000/app@sha256:...;
credentials come from the Docker config file), or a path: a directory with
an oci-layout file, any other directory (a root file system), or a file (a
docker save tarball). The prefixes registry:, oci:, docker-archive: and dir:
say which explicitly.

Layers are streamed once, never unpacked to disk. Entries that would leave
the image's root, and hard links to nothing, are skipped and reported;
links resolve inside the image; a layer over the limits (2,000,000 entries,
64 GiB uncompressed) is refused.

Exit codes: 0 read; 2 invalid usage, or the image could not be read; 3 read,
but entries were skipped (see the warnings).`,
		Example: `  dozor image debian:12
  dozor image ./image.tar -o json
  dozor image oci:./layout --platform linux/arm64`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains([]string{"table", "json", "cyclonedx", "spdx"}, output) {
				return usageError("--output: unknown format %q (want table, json, cyclonedx or spdx)", output)
			}
			gate, err := parseFailOn(failOn)
			if err != nil {
				return err
			}
			statements, err := readVEX(vexFiles)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			o := imagescan.Options{Platform: platform}
			vdb, err := openMatchDB(&db, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if vdb != nil {
				defer func() { _ = vdb.Close() }()
				o.DB = vdb
			}
			r, err := imagescan.Scan(ctx, args[0], o)
			if err != nil {
				return err
			}
			s := summarize(r.Image, r.Walk)
			s.FilesSay, s.Packages = r.FilesSay, r.Packages
			if s.Packages == nil {
				s.Packages = []sbom.Package{}
			}
			for _, e := range r.Errors {
				fmt.Fprintln(cmd.ErrOrStderr(), "dozor:", e)
			}
			s.Findings = []imageFinding{}
			for _, f := range r.Findings {
				s.Findings = append(s.Findings, imageFinding{CheckID: f.Rule.ID, Title: f.Rule.Title, Severity: f.Severity.String(), Message: f.Message, Evidence: f.Evidence})
			}
			s.Vulnerabilities, s.Suppressed = vex.Apply(statements, r.Vulnerabilities)
			if vdb != nil {
				s.Database = &imageDB{Path: vdb.Path(), Built: vdb.Status().Built}
			}
			out := cmd.OutOrStdout()
			subject := format.Subject{Name: r.Image.Ref, Digest: r.Image.Digest, ToolVersion: toolVersion(), Created: time.Now()}
			switch output {
			case "cyclonedx":
				err = format.WriteCycloneDX(out, subject, s.Packages, s.Vulnerabilities...)
			case "spdx":
				err = format.WriteSPDX(out, subject, s.Packages)
			case "json":
				err = writeJSON(out, s)
			default:
				err = writeImage(out, s, listPackages)
			}
			if err != nil {
				return err
			}
			if len(s.Warnings) > 0 || len(r.Errors) > 0 {
				return exitError{exitPartial}
			}
			var sevs []string
			for _, f := range s.Findings {
				sevs = append(sevs, f.Severity)
			}
			for _, v := range s.Vulnerabilities {
				sevs = append(sevs, v.Severity)
			}
			return exitError{gateCode(gate, sevs)}
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table, json, cyclonedx (CycloneDX 1.6 JSON) or spdx (SPDX 2.3 JSON)")
	db.register(cmd.Flags(), false)
	cmd.Flags().BoolVar(&listPackages, "packages", false, "list the packages found (the table; JSON always has them)")
	cmd.Flags().StringVar(&platform, "platform", "", "the platform to pick from a multi-platform image (default linux/amd64)")
	cmd.Flags().StringSliceVar(&vexFiles, "vex", nil, "OpenVEX or CycloneDX VEX documents (repeatable): vulnerabilities they say the packages are not affected by, or have fixed, are left out (listed in JSON as suppressed)")
	cmd.Flags().StringVar(&failOn, "fail-on", "none", "exit 1 when a finding or vulnerability is at least this severity: critical, high, medium, low, info, or none")
	return cmd
}

// parseFailOn reads --fail-on; 0 is none.
func parseFailOn(s string) (finding.Severity, error) {
	if s == "none" || s == "" {
		return 0, nil
	}
	sev, err := finding.ParseSeverity(s)
	if err != nil {
		return 0, usageError("--fail-on: %v", err)
	}
	return sev, nil
}

// gateCode is exitFindings when one of severities is at least gate
// (unknown counts as medium), else exitClean.
func gateCode(gate finding.Severity, severities []string) int {
	if gate == 0 {
		return exitClean
	}
	for _, s := range severities {
		sev, err := finding.ParseSeverity(s)
		if err != nil {
			sev = finding.Medium
		}
		if sev >= gate {
			return exitFindings
		}
	}
	return exitClean
}

// readVEX reads the --vex documents.
func readVEX(files []string) ([]vex.Statement, error) {
	var out []vex.Statement
	for _, f := range files {
		data, err := readBounded(f, vex.MaxSize)
		if err != nil {
			return nil, usageError("--vex: %v", err)
		}
		st, err := vex.Read(f, data)
		if err != nil {
			return nil, usageError("--vex: %v", err)
		}
		out = append(out, st...)
	}
	return out, nil
}

// readBounded reads a file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	data, err := readAllBounded(f, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// readAllBounded reads r to its end, refusing more than limit bytes.
func readAllBounded(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("more than %d bytes", limit)
	}
	return data, nil
}

// openMatchDB opens the vulnerability database, or warns on errw and
// returns nil when there is none.
func openMatchDB(db *dbFlags, errw io.Writer) (*vuln.DB, error) {
	vdb, err := db.open()
	switch {
	case errors.Is(err, vuln.ErrNoDatabase):
		fmt.Fprintf(errw, "dozor: warning: %v; the packages were not matched against vulnerabilities\n", err)
		return nil, nil
	case err != nil:
		return nil, err
	}
	return vdb, nil
}

func summarize(im *image.Image, w *image.Walk) *imageSummary {
	s := &imageSummary{Ref: im.Ref, Source: im.Source, Digest: im.Digest, Files: w.FS.Files, Warnings: w.Warnings, EnvNames: []string{}}
	if s.Warnings == nil {
		s.Warnings = []image.Warning{}
	}
	if c := im.Config; c != nil {
		s.Platform = c.OS + "/" + c.Architecture
		if c.Variant != "" {
			s.Platform += "/" + c.Variant
		}
		s.User = c.Config.User
		s.Entrypoint, s.Cmd = c.Config.Entrypoint, c.Config.Cmd
		for _, e := range c.Config.Env {
			name, _, _ := strings.Cut(e, "=")
			s.EnvNames = append(s.EnvNames, name)
		}
	}
	if fields, f := w.FS.OSRelease(); fields != nil {
		s.OS = &struct {
			ID, VersionID, PrettyName string
			Path                      string `json:"path"`
			Layer                     int    `json:"layer"`
		}{ID: fields["ID"], VersionID: fields["VERSION_ID"], PrettyName: fields["PRETTY_NAME"], Path: "/" + f.Path, Layer: f.Layer}
	}
	for i, l := range im.Layers {
		il := imageLayer{Layer: l}
		if i < len(w.Stats) {
			il.LayerStats = w.Stats[i]
		}
		s.Layers = append(s.Layers, il)
	}
	if s.Layers == nil {
		s.Layers = []imageLayer{}
	}
	return s
}

func writeImage(out interface{ Write([]byte) (int, error) }, s *imageSummary, listPackages bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Image:      %s (%s)\n", s.Ref, s.Source)
	if s.Digest != "" {
		fmt.Fprintf(&b, "Digest:     %s\n", s.Digest)
	}
	if s.Platform != "" {
		fmt.Fprintf(&b, "Platform:   %s\n", s.Platform)
	}
	if s.OS != nil {
		fmt.Fprintf(&b, "OS:         %s (%s, layer %d)\n", s.OS.PrettyName, s.OS.Path, s.OS.Layer)
	} else {
		b.WriteString("OS:         unknown (no os-release)\n")
	}
	if s.FilesSay != nil {
		fmt.Fprintf(&b, "            but its files say %s: matched as that (see DZ-EVA-001)\n", s.FilesSay["PRETTY_NAME"])
	}
	user := s.User
	if user == "" && s.Source != image.SourceRootFS {
		user = "root (no USER)"
	}
	if user != "" {
		fmt.Fprintf(&b, "User:       %s\n", user)
	}
	if len(s.Entrypoint)+len(s.Cmd) > 0 {
		fmt.Fprintf(&b, "Runs:       %s\n", strings.Join(append(slices.Clone(s.Entrypoint), s.Cmd...), " "))
	}
	if len(s.EnvNames) > 0 {
		fmt.Fprintf(&b, "Env:        %s (values not shown)\n", strings.Join(s.EnvNames, ", "))
	}
	fmt.Fprintf(&b, "Files:      %d in %d layers\n", s.Files, len(s.Layers))
	byType := map[string]int{}
	for _, p := range s.Packages {
		byType[p.Type]++
	}
	var types []string
	for _, t := range slices.Sorted(maps.Keys(byType)) {
		types = append(types, fmt.Sprintf("%d %s", byType[t], t))
	}
	if len(types) == 0 {
		types = []string{"none found"}
	}
	fmt.Fprintf(&b, "Packages:   %s\n", strings.Join(types, ", "))
	if s.Database != nil {
		fmt.Fprintf(&b, "Vulns:      %s; database %s, built %s\n", vulnSummary(s.Vulnerabilities, len(s.Suppressed)), s.Database.Path, s.Database.Built.Format(time.DateOnly))
	}
	if len(s.Layers) > 0 {
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "LAYER\tSIZE\tENTRIES\tWHITEOUTS\tDIGEST\tCREATED BY")
		for i, l := range s.Layers {
			by := l.CreatedBy
			if len(by) > 70 {
				by = by[:69] + "…"
			}
			digest := l.Digest
			if len(digest) > 19 {
				digest = digest[:19]
			}
			fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%s\t%s\n", i, l.Size, l.Entries, l.Whiteouts, digest, by)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(s.Findings) > 0 {
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tCHECK\tFINDING")
		for _, f := range s.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%s: %s\n", strings.ToUpper(f.Severity), f.CheckID, f.Title, f.Message)
			for _, e := range f.Evidence {
				fmt.Fprintf(tw, "\t\t  - %s\n", e)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if err := writeVulnTable(&b, s.Vulnerabilities, true); err != nil {
		return err
	}
	if listPackages && len(s.Packages) > 0 {
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TYPE\tNAME\tVERSION\tSOURCE\tLAYER\tFOUND IN")
		for _, p := range s.Packages {
			src := ""
			if p.SourceName != "" && (p.SourceName != p.Name || p.SourceVersion != p.Version) {
				src = p.SourceName + " " + p.SourceVersion
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", p.Type, p.Name, p.Version, src, p.Layer, p.Location)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(s.Warnings) > 0 {
		fmt.Fprintf(&b, "\n%d entries skipped:\n", len(s.Warnings))
		for _, w := range s.Warnings {
			fmt.Fprintf(&b, "  %s\n", w.String())
		}
	}
	_, err := out.Write([]byte(b.String()))
	return err
}
