package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/check/builtin"
	"github.com/dozor-dev/dozor/component"
	"github.com/dozor-dev/dozor/examples"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/image/imagescan"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/helm"
	"github.com/dozor-dev/dozor/k8s/kustomize"
	"github.com/dozor-dev/dozor/k8s/live"
	"github.com/dozor-dev/dozor/rbac"
	"github.com/dozor-dev/dozor/report"
	"github.com/dozor-dev/dozor/scan"
)

// DefaultKubeVersion is the Kubernetes version checks target unless
// --kube-version says otherwise: the newest release Dozor is built against.
const DefaultKubeVersion = "1.37"

type scanFlags struct {
	output         string
	outputFile     string
	failOn         string
	exceptions     []string
	showSuppressed bool
	showRepeated   bool
	checks         []string
	skip           []string
	tags           []string
	frameworks     []string
	minSeverity    string
	kubeVersion    string
	maxFileSize    string
	color          string
	demo           bool
	helm           scan.HelmOptions
	cluster        live.Options
	allNamespaces  bool
	components     bool
	db             dbFlags
	// images scans the images the cluster's workloads run.
	images           bool
	imagePullSecrets bool
	imageParallel    int
}

func newScanCommand() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan [PATH...]",
		Short: "Check manifests, Helm charts and kustomizations for security problems",
		Long: `Scan files, directories (recursively), globs (** for any depth) and - (standard
input) for Kubernetes objects in YAML or JSON, render Helm charts (directories
or .tgz archives) and build kustomizations found among them, and run every
check on the result.

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it;
2 invalid input (a file that cannot be read or parsed, a chart that fails to
render, ...) or invalid usage. The rest of the input is scanned either way.`,
		Example: `  dozor scan deploy/
  dozor scan --demo
  helm template my-chart | dozor scan -
  dozor scan charts/web -f values-prod.yaml --set image.tag=1.2.3 -o sarif > dozor.sarif
  dozor scan 'manifests/**/*.yaml' --exceptions dozor-exceptions.yaml --fail-on high`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScan(cmd, args, &f)
		},
	}
	fl := cmd.Flags()
	commonFlags(fl, &f)
	fl.StringVar(&f.maxFileSize, "max-file-size", "64Mi", "refuse files and standard input larger than this")
	fl.BoolVar(&f.demo, "demo", false, "scan the examples built into dozor")
	fl.StringArrayVarP(&f.helm.ValueFiles, "values", "f", nil, "Helm values file (repeatable)")
	fl.StringArrayVar(&f.helm.Values, "set", nil, "Helm value, key=value (repeatable)")
	fl.StringArrayVar(&f.helm.StringValues, "set-string", nil, "Helm string value, key=value (repeatable)")
	fl.StringArrayVar(&f.helm.FileValues, "set-file", nil, "Helm value read from a file, key=path (repeatable)")
	fl.StringVar(&f.helm.ReleaseName, "release-name", "release-name", "Helm release name charts are rendered with")
	fl.StringVarP(&f.helm.Namespace, "namespace", "n", "default", "namespace Helm charts are rendered into")
	fl.BoolVar(&f.images, "images", false, "also scan every image the workloads name, once per digest: vulnerabilities (with --db), hardening, and signs of scanner evasion, raised on each workload (credentials from the Docker config file)")
	fl.IntVar(&f.imageParallel, "image-parallel", 4, "with --images, how many images to scan at a time")
	f.db.register(fl, false)
	cmd.AddCommand(newScanClusterCommand())
	return cmd
}

// commonFlags registers the flags of every kind of scan.
func commonFlags(fl *pflag.FlagSet, f *scanFlags) {
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json, sarif or junit")
	fl.StringVar(&f.outputFile, "output-file", "", "write the report to this file instead of standard output")
	fl.StringVar(&f.failOn, "fail-on", "low", "exit with 1 when a finding is at least this severe: info, low, medium, high, critical, or none")
	fl.StringArrayVar(&f.exceptions, "exceptions", nil, "exceptions file (repeatable); see docs/exceptions.md")
	fl.BoolVar(&f.showSuppressed, "show-suppressed", false, "show suppressed findings and why they are suppressed")
	fl.BoolVar(&f.showRepeated, "show-repeated", false, "also report the findings of Pods, ReplicaSets and Jobs that their controller, in the same scan, has too")
	fl.StringSliceVar(&f.checks, "checks", nil, "run only these checks (IDs or globs, comma-separated)")
	fl.StringSliceVar(&f.skip, "skip-checks", nil, "do not run these checks (IDs or globs, comma-separated)")
	fl.StringSliceVar(&f.tags, "tag", nil, "run only checks with one of these tags")
	fl.StringSliceVar(&f.frameworks, "framework", nil, "run only checks mapped onto one of these frameworks: pss, cis, nsa, threat-matrix")
	fl.StringVar(&f.minSeverity, "min-severity", "", "run only checks of at least this severity")
	fl.StringVar(&f.kubeVersion, "kube-version", DefaultKubeVersion, "Kubernetes version the objects are meant for (API deprecations, Pod Security Standards version, Helm capabilities)")
	fl.StringVar(&f.color, "color", "auto", "colour the table: auto, always or never (NO_COLOR is honoured)")
}

func newScanClusterCommand() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Check a live cluster: every served resource, custom resources included",
		Long: `Read every resource the cluster serves (custom resources included), page by
page, with the credentials of a kubeconfig context, and run every check that
applies, live-only ones included. Findings name the cluster, namespace, kind,
name and resourceVersion.

Dozor only reads. Secrets are read as metadata only unless --read-secrets is
given, and their values are never stored or printed. Resources the
credentials may not list are reported as not visible. deploy/rbac.yaml is the
ClusterRole Dozor needs. (To scan a directory named "cluster", write ./cluster.)

Exit codes: 0, 1 and 2 as for "dozor scan"; 3 when parts of the cluster could
not be read (an API group whose discovery failed, lists that failed after
retries): the report lists them.`,
		Example: `  dozor scan cluster
  dozor scan cluster --context prod -n shop -n payments
  dozor scan cluster --kinds deployments,daemonsets -o sarif --output-file cluster.sarif`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.cluster.Namespaces = slices.DeleteFunc(f.cluster.Namespaces, func(s string) bool { return s == "" })
			if f.allNamespaces && len(f.cluster.Namespaces) > 0 {
				return usageError("--all-namespaces and --namespace exclude each other")
			}
			if len(f.cluster.ExcludeNamespaces) > 0 && len(f.cluster.Namespaces) > 0 {
				return usageError("--exclude-namespaces and --namespace exclude each other")
			}
			return runScan(cmd, nil, &f)
		},
	}
	fl := cmd.Flags()
	commonFlags(fl, &f)
	connectionFlags(fl, &f.cluster)
	fl.StringSliceVarP(&f.cluster.Namespaces, "namespace", "n", nil, "read only these namespaces (repeatable, comma-separated); cluster-scoped resources are then left out")
	fl.StringSliceVar(&f.cluster.ExcludeNamespaces, "exclude-namespaces", nil, "leave out these namespaces (repeatable, comma-separated): kube-system, say; the API server filters them out")
	fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "read every namespace (the default)")
	fl.StringSliceVar(&f.cluster.Kinds, "kinds", nil, "read only these resources: pods, Deployment, deployments.apps (comma-separated)")
	fl.BoolVar(&f.cluster.ReadSecrets, "read-secrets", false, "read Secrets in full (by default only their metadata); values are never printed")
	fl.BoolVar(&f.images, "images", false, "scan every image the workloads run, once per digest: vulnerabilities (with --db), hardening, and signs of scanner evasion, raised on each workload that runs it (credentials from the Docker config file)")
	fl.BoolVar(&f.imagePullSecrets, "image-pull-secrets", false, "with --images, also pull with the workloads' image pull secrets (theirs and their service accounts'): reads those Secrets, which needs get on them")
	fl.IntVar(&f.imageParallel, "image-parallel", 4, "with --images, how many images to scan at a time")
	fl.BoolVar(&f.components, "components", true, "match the cluster's own components (control plane, kubelets, runtimes, kernels, OS) against the vulnerability database (dozor db update) and end-of-life data")
	f.db.register(fl, true)
	// The scan command's Helm flags do not apply; the cluster decides.
	f.cluster.PageSize = 500
	return cmd
}

func usageError(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

func runScan(cmd *cobra.Command, args []string, f *scanFlags) error {
	clusterScan := cmd.Name() == "cluster"
	if len(args) == 0 && !f.demo && !clusterScan {
		return usageError("scan: name files, directories, globs or - for standard input, or use --demo")
	}
	if len(args) > 0 && f.demo {
		return usageError("scan: --demo scans the built-in examples and takes no paths")
	}
	if f.demo && !cmd.Flags().Changed("fail-on") {
		f.failOn = "none" // the demo shows findings; it does not fail on them
	}
	var failOn finding.Severity
	if f.failOn != "none" {
		s, err := finding.ParseSeverity(f.failOn)
		if err != nil {
			return usageError("--fail-on: %v", err)
		}
		failOn = s
	}
	sel := check.Selector{IDs: f.checks, Skip: f.skip, Tags: f.tags, Frameworks: f.frameworks}
	if f.minSeverity != "" {
		s, err := finding.ParseSeverity(f.minSeverity)
		if err != nil {
			return usageError("--min-severity: %v", err)
		}
		sel.MinSeverity = s
	}
	all := append(builtin.All(), rbac.Checks()...)
	if clusterScan && f.components {
		all = append(all, component.Checks()...)
	}
	if f.images {
		all = append(all, imagescan.Checks()...)
	}
	checks := check.Select(all, sel)
	if len(checks) == 0 {
		return usageError("no check matches the selection")
	}
	kv, err := check.ParseVersion(f.kubeVersion)
	if err != nil {
		return usageError("--kube-version: %v", err)
	}
	f.helm.KubeVersion = f.kubeVersion
	if f.maxFileSize == "" {
		f.maxFileSize = "64Mi"
	}
	maxSize, err := resource.ParseQuantity(f.maxFileSize)
	if err != nil || maxSize.Value() <= 0 {
		return usageError("--max-file-size: %q is not a size such as 64Mi", f.maxFileSize)
	}
	if !slices.Contains(report.Formats, f.output) {
		return usageError("--output: unknown format %q (want one of %s)", f.output, strings.Join(report.Formats, ", "))
	}
	var exceptions []*finding.Exception
	for _, path := range f.exceptions {
		data, err := os.ReadFile(path)
		if err != nil {
			return usageError("--exceptions: %v", err)
		}
		ex, err := finding.ParseExceptions(data, path)
		if err != nil {
			return usageError("--exceptions: %v", err)
		}
		exceptions = append(exceptions, ex...)
	}

	out := cmd.OutOrStdout()
	color, err := useColor(f.color, f.outputFile, out)
	if err != nil {
		return err
	}
	if f.outputFile != "" {
		abs, err := filepath.Abs(f.outputFile)
		if err != nil {
			return usageError("--output-file: %v", err)
		}
		f.outputFile = abs
	}

	paths := args
	if f.demo {
		dir, cleanup, err := examples.Extract()
		if err != nil {
			return err
		}
		defer cleanup()
		// Scan from the directory the examples were written to, so reports
		// name them examples/... rather than a temporary path.
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		if err := os.Chdir(dir); err != nil {
			return err
		}
		defer func() { _ = os.Chdir(wd) }() // back to where the report file was named
		paths = []string{examples.Root}
	}

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	var source scan.ObjectSource
	var comps *clusterComponents
	var images *clusterImages
	var analyze func([]*k8s.Object) []scan.ObjectFinding
	if clusterScan {
		c, err := live.Connect(ctx, f.cluster)
		if err != nil {
			return err
		}
		if !cmd.Flags().Changed("kube-version") {
			// Judge the cluster by its own version.
			if v, err := check.ParseVersion(c.Version.GitVersion); err == nil {
				kv = v
			}
		}
		source = c.Objects
		if comps, err = newClusterComponents(f, checks, time.Now(), cmd.ErrOrStderr()); err != nil {
			return err
		}
		if comps != nil {
			defer func() { _ = comps.db.Close() }()
			analyze = comps.analyze(c)
		}
		if images, err = imagesOf(ctx, f, checks, c, comps, cmd.ErrOrStderr()); err != nil {
			return err
		}
		if images != nil {
			analyze = chainAnalyses(analyze, images.analyze)
		}
		if os.Getenv("GOGC") == "" {
			// A cluster scan holds every object until the cross-object
			// checks have run: collect garbage at half the live heap
			// rather than all of it, for a third less peak memory at
			// little cost in time (docs/benchmarks.md). GOGC overrides.
			defer debug.SetGCPercent(debug.SetGCPercent(50))
		}
	}
	if !clusterScan {
		if images, err = imagesOf(ctx, f, checks, nil, nil, cmd.ErrOrStderr()); err != nil {
			return err
		}
		if images != nil {
			analyze = images.analyze
		}
	}
	analyze = chainAnalyses(analyze, accessAnalysis(checks, clusterScan))
	now := time.Now()
	res, err := scan.Run(ctx, scan.Options{
		Paths:        paths,
		Stdin:        cmd.InOrStdin(),
		Checks:       checks,
		CheckOptions: check.Options{KubeVersion: kv},
		Exceptions:   exceptions,
		Now:          now,
		MaxFileBytes: maxSize.Value(),
		Helm:         f.helm,
		Renderers:    renderers(),
		Objects:      source,
		KeepRepeated: f.showRepeated,
		Analyze:      analyze,
	})
	// The scan's working set (objects, documents) is garbage now: collect it
	// before the report allocates, so that the heap does not grow past what
	// the scan needed.
	runtime.GC()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return exitError{exitInvalid}
		}
		return err
	}

	var compReport *component.Report
	if comps != nil {
		compReport = comps.report
	}
	w, err := openOutput(f.outputFile, out)
	if err != nil {
		return err
	}
	err = w.finish(report.Write(w, f.output, res, report.Options{
		ShowSuppressed: f.showSuppressed,
		Color:          color,
		ToolVersion:    toolVersion(),
		Generated:      now,
		Components:     compReport,
	}))
	if err != nil {
		return err
	}
	if f.output != "table" && len(res.Errors) > 0 {
		// Machine-readable output goes to its destination; people still
		// learn on standard error that the input was not all scanned.
		for _, e := range res.Errors {
			fmt.Fprintln(cmd.ErrOrStderr(), "dozor:", e.Error())
		}
	}
	if comps != nil {
		if code := comps.finish(f, cmd.ErrOrStderr()); code != exitClean {
			return exitError{code}
		}
	}
	if images != nil {
		if code := images.finish(cmd.ErrOrStderr()); code != exitClean && exitCode(res, failOn) != exitInvalid {
			return exitError{code}
		}
	}
	return exitError{exitCode(res, failOn)}
}

// exitCode decides the exit code: 2 when the input had errors, 3 when parts
// of a cluster could not be read, 1 when a finding is at least failOn (0
// means never), else 0.
func exitCode(res *scan.Result, failOn finding.Severity) int {
	if len(res.Errors) > 0 {
		return exitInvalid
	}
	for _, g := range res.Gaps {
		if g.Kind == finding.GapFailed {
			return exitPartial
		}
	}
	if len(res.Gaps) > 0 && res.Stats.Objects == 0 {
		return exitPartial // nothing could be read: not a clean result
	}
	if failOn == 0 {
		return exitClean
	}
	for _, f := range res.Findings {
		if f.Severity >= failOn {
			return exitFindings
		}
	}
	return exitClean
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// renderers wires Helm and Kustomize into scans.
func renderers() scan.Renderers {
	return scan.Renderers{Chart: helm.Render, Kustomization: kustomize.Build}
}
