package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dozor-dev/dozor/vuln"
)

// dbFlags choose the vulnerability database and how old it may be.
type dbFlags struct {
	path      string
	maxAge    time.Duration
	failStale bool
}

func (f *dbFlags) register(fl *pflag.FlagSet, ages bool) {
	fl.StringVar(&f.path, "db", "", "vulnerability database file (default: dozor/vuln.db in the user's cache directory)")
	if ages {
		fl.DurationVar(&f.maxAge, "db-max-age", 7*24*time.Hour, "warn when the database's stalest source is older than this")
		fl.BoolVar(&f.failStale, "fail-on-stale-db", false, "exit 2 when the database is older than --db-max-age, rather than only warning")
	}
}

func (f *dbFlags) resolve() (string, error) {
	if f.path != "" {
		return filepath.Abs(f.path)
	}
	return vuln.DefaultPath()
}

// open opens the database the flags choose.
func (f *dbFlags) open() (*vuln.DB, error) {
	path, err := f.resolve()
	if err != nil {
		return nil, err
	}
	return vuln.Open(path)
}

func newDBCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Fetch, import, export and inspect the offline vulnerability database",
		Long: `Dozor matches versions against a local vulnerability database, built from
the files their publishers publish: OSV advisories per ecosystem (Go,
Kubernetes, Debian, Ubuntu, Alpine, Red Hat, npm, PyPI, Maven, crates.io,
RubyGems, NuGet, Packagist), the Kubernetes project's official CVE feed,
endoflife.date's end-of-life data, CISA's Known Exploited Vulnerabilities and
FIRST's EPSS scores. The database lives in dozor/vuln.db under the user's
cache directory unless --db says otherwise (docs/vulnerability-db.md).

Updates are atomic: a new database is built beside the old one and renamed
over it when complete, so a failed or interrupted update leaves the previous
one in place and usable.`,
	}
	cmd.AddCommand(newDBUpdateCommand(), newDBImportCommand(), newDBExportCommand(), newDBStatusCommand())
	return cmd
}

func newDBUpdateCommand() *cobra.Command {
	var (
		f          dbFlags
		m          = vuln.DefaultMirrors
		ecosystems []string
		products   []string
		partial    bool
		timeout    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Fetch every source and rebuild the database",
		Long: `Fetch every source from its publisher (or a mirror: every URL is a flag) and
rebuild the database. A source that cannot be fetched leaves the previous
database in place, unless --partial.

Exit codes: 0 updated; 2 a source could not be fetched or read (nothing
changed, unless --partial).`,
		Example: `  dozor db update
  dozor db update --ecosystems Go,Debian --osv-url https://mirror.example/osv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := f.resolve()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			log := logTo(cmd.ErrOrStderr())
			res, err := vuln.Update(ctx, path, m.Remotes(ecosystems, products), vuln.UpdateOptions{
				ImportOptions: vuln.ImportOptions{Partial: partial, Log: log},
				Client:        httpClient(timeout),
			})
			return finishImport(cmd, path, res, err)
		},
	}
	fl := cmd.Flags()
	f.register(fl, false)
	fl.StringSliceVar(&ecosystems, "ecosystems", vuln.OSVEcosystems, "OSV ecosystems to fetch")
	fl.StringSliceVar(&products, "eol-products", vuln.EOLProducts, "endoflife.date products to fetch")
	fl.StringVar(&m.OSV, "osv-url", m.OSV, "base URL of OSV archives (ECOSYSTEM/all.zip below it)")
	fl.StringVar(&m.KubernetesOSV, "kubernetes-osv-url", "", "URL of an OSV archive of Kubernetes component advisories (ecosystem \"kubernetes\"); none by default")
	fl.StringVar(&m.K8sFeed, "kubernetes-feed-url", m.K8sFeed, "URL of the Kubernetes official CVE feed (JSON Feed); empty to skip")
	fl.StringVar(&m.KEV, "kev-url", m.KEV, "URL of CISA's KEV catalogue (JSON); empty to skip")
	fl.StringVar(&m.EPSS, "epss-url", m.EPSS, "URL of FIRST's EPSS scores (CSV, gzip'd or not); empty to skip")
	fl.StringVar(&m.EOL, "eol-url", m.EOL, "base URL of endoflife.date's API (PRODUCT.json below it); empty to skip")
	fl.BoolVar(&partial, "partial", false, "commit what could be fetched even when a source failed")
	fl.DurationVar(&timeout, "timeout", 10*time.Minute, "timeout of each download")
	return cmd
}

func newDBImportCommand() *cobra.Command {
	var (
		f       dbFlags
		partial bool
	)
	cmd := &cobra.Command{
		Use:   "import PATH...",
		Short: "Build the database from source files on disk, or install a bundle",
		Long: `Build the database from files as their publishers publish them: OSV archives
(ECOSYSTEM/all.zip or ECOSYSTEM.zip), CISA's KEV JSON, FIRST's EPSS CSV,
endoflife.date data (its product pages, or its API's JSON), and the
Kubernetes CVE feed. Directories are walked and files told apart by their
content; files that are none of these are listed and left alone. A bundle
written by "dozor db export" is checked and installed as it is.

Exit codes: 0 imported; 2 an input could not be read (nothing changed,
unless --partial).`,
		Example: `  dozor db import ./mirror/
  dozor db import dozor-db.tar.gz`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := f.resolve()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			var inputs []vuln.Input
			for _, a := range args {
				inputs = append(inputs, vuln.Input{Path: a})
			}
			res, err := vuln.Import(ctx, path, inputs, vuln.ImportOptions{Partial: partial, Log: logTo(cmd.ErrOrStderr())})
			return finishImport(cmd, path, res, err)
		},
	}
	f.register(cmd.Flags(), false)
	cmd.Flags().BoolVar(&partial, "partial", false, "commit what could be read even when an input failed")
	return cmd
}

func finishImport(cmd *cobra.Command, path string, res *vuln.ImportResult, err error) error {
	errw := cmd.ErrOrStderr()
	if res != nil {
		for i, ig := range res.Ignored {
			if i == maxIgnoredShown {
				fmt.Fprintf(errw, "dozor: and %d more files ignored\n", len(res.Ignored)-i)
				break
			}
			fmt.Fprintf(errw, "dozor: ignored %s: not a vulnerability source\n", ig)
		}
		for _, e := range res.Failed {
			fmt.Fprintf(errw, "dozor: %v\n", e)
		}
	}
	if err != nil {
		fmt.Fprintf(errw, "dozor: %v\n", err)
		return exitError{exitInvalid}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "vulnerability database %s built %s\n", path, res.Status.Built.Format(time.RFC3339))
	if err := writeStatus(cmd.OutOrStdout(), res.Status, time.Now()); err != nil {
		return err
	}
	if len(res.Failed) > 0 {
		return exitError{exitInvalid}
	}
	return nil
}

// maxIgnoredShown is how many ignored files an import names.
const maxIgnoredShown = 5

func logTo(w io.Writer) func(string, ...any) {
	return func(format string, args ...any) { fmt.Fprintf(w, "dozor: "+format+"\n", args...) }
}

func newDBExportCommand() *cobra.Command {
	var (
		f   dbFlags
		out string
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the database as one bundle to carry into an air-gapped network",
		Long: `Write the database as a bundle (a gzip'd tar of a manifest and the database
file, with its SHA-256) to --output-file, or to standard output. On the
other side, "dozor db import BUNDLE" checks and installs it.`,
		Example: `  dozor db export --output-file dozor-db.tar.gz`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := f.resolve()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			var file *os.File
			if out != "" && out != "-" {
				file, err = os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
				if err != nil {
					return err
				}
				defer func() { _ = os.Remove(file.Name()) }()
				w = file
			}
			m, err := vuln.Export(path, w)
			if file != nil {
				if cerr := file.Close(); err == nil {
					err = cerr
				}
				if err == nil {
					err = os.Rename(file.Name(), out)
				}
			}
			if err != nil {
				return err
			}
			if file != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "dozor: wrote %s: database built %s, %d bytes, sha256 %s\n", out, m.Built.Format(time.RFC3339), m.Size, m.SHA256)
			}
			return nil
		},
	}
	f.register(cmd.Flags(), false)
	cmd.Flags().StringVar(&out, "output-file", "", "write the bundle to this file (default: standard output)")
	return cmd
}

func newDBStatusCommand() *cobra.Command {
	var (
		f      dbFlags
		output string
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each source's date and counts",
		Long: `Show the database's sources: where each came from, how recent its data is,
what it holds and what was skipped as malformed.

Exit codes: 0 the database is there; 2 it is not, or cannot be read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := f.open()
			if err != nil {
				return err
			}
			defer func() { _ = db.Close() }()
			path, st := db.Path(), db.Status()
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Path string `json:"path"`
					*vuln.Status
					Counts map[string]int `json:"counts"`
				}{path, st, db.Counts()})
			}
			if output != "table" {
				return usageError("--output: unknown format %q (want table or json)", output)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "vulnerability database %s built %s\n", path, st.Built.Format(time.RFC3339))
			return writeStatus(cmd.OutOrStdout(), st, time.Now())
		},
	}
	f.register(cmd.Flags(), false)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

func writeStatus(w io.Writer, st *vuln.Status, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tDATE\tAGE\tRECORDS\tSKIPPED\tORIGIN")
	for _, s := range st.Sources {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", s.Name, s.Date.Format(time.DateOnly), days(now.Sub(s.Date)), s.Records, s.Skipped, s.Origin)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n := len(st.FeedWithoutAdvisory); n > 0 {
		fmt.Fprintf(w, "  kubernetes-cve-feed: %d CVEs without an advisory that gives affected versions: %s\n", n, strings.Join(st.FeedWithoutAdvisory, ", "))
	}
	for _, s := range st.Sources {
		for _, p := range s.Problems {
			fmt.Fprintf(w, "  %s: skipped: %s\n", s.Name, p)
		}
		if s.Skipped > len(s.Problems) {
			fmt.Fprintf(w, "  %s: and %d more skipped\n", s.Name, s.Skipped-len(s.Problems))
		}
	}
	return nil
}

func days(d time.Duration) string {
	n := int(d.Hours() / 24)
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// httpClient fetches sources; the proxy comes from the environment
// (HTTPS_PROXY), as for every Go program.
func httpClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout}
}
