package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s/live"
	"github.com/dozor-dev/dozor/scan"
	"github.com/dozor-dev/dozor/snapshot"
)

// sourceFlags are the flags that say what to read: a cluster (the flags of
// "dozor scan cluster") or files (those of "dozor scan").
type sourceFlags struct {
	cluster       live.Options
	allNamespaces bool
	namespaces    []string
	files         bool
	helm          scan.HelmOptions
	kubeVersion   string
	maxFileSize   string
	readSecrets   bool
}

func (f *sourceFlags) register(fl *pflag.FlagSet) {
	connectionFlags(fl, &f.cluster)
	fl.StringSliceVarP(&f.namespaces, "namespace", "n", nil, "read only these namespaces of the cluster (repeatable, comma-separated); with --files, the namespace Helm charts are rendered into")
	fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "read every namespace (the default)")
	fl.StringSliceVar(&f.cluster.ExcludeNamespaces, "exclude-namespaces", nil, "leave out these namespaces (repeatable, comma-separated): kube-system, say; the API server filters them out")
	fl.StringSliceVar(&f.cluster.Kinds, "kinds", nil, "read only these resources: pods, Deployment, deployments.apps (comma-separated)")
	fl.BoolVar(&f.readSecrets, "read-secrets", false, "keep Secrets' values as SHA-256 digests, so that changes to them show (by default only their metadata); values are never stored")
	fl.BoolVar(&f.files, "files", false, "read files, directories, globs, Helm charts and kustomizations (as dozor scan does) instead of a cluster")
	fl.StringArrayVarP(&f.helm.ValueFiles, "values", "f", nil, "Helm values file (repeatable; with --files)")
	fl.StringArrayVar(&f.helm.Values, "set", nil, "Helm value, key=value (repeatable; with --files)")
	fl.StringArrayVar(&f.helm.StringValues, "set-string", nil, "Helm string value, key=value (repeatable; with --files)")
	fl.StringArrayVar(&f.helm.FileValues, "set-file", nil, "Helm value read from a file, key=path (repeatable; with --files)")
	fl.StringVar(&f.helm.ReleaseName, "release-name", "release-name", "Helm release name charts are rendered with (with --files)")
	fl.StringVar(&f.kubeVersion, "kube-version", DefaultKubeVersion, "Kubernetes version Helm charts are rendered for (with --files)")
	fl.StringVar(&f.maxFileSize, "max-file-size", "64Mi", "refuse files and standard input larger than this (with --files)")
}

// clusterOnly are the flags that make no sense with --files, and fileOnly
// those that make no sense without.
var (
	clusterOnly = []string{"kubeconfig", "context", "all-namespaces", "exclude-namespaces", "kinds", "request-timeout", "retries", "parallel"}
	fileOnly    = []string{"values", "set", "set-string", "set-file", "release-name", "kube-version", "max-file-size"}
)

// input opens what the flags name: the cluster (connecting to it), or the
// files paths.
func (f *sourceFlags) input(ctx context.Context, cmd *cobra.Command, paths []string, opts snapshot.Options) (*snapshot.Input, error) {
	fl := cmd.Flags()
	if f.files {
		for _, name := range clusterOnly {
			if fl.Changed(name) {
				return nil, usageError("--%s reads a cluster; it does not apply with --files", name)
			}
		}
		if len(paths) == 0 {
			return nil, usageError("--files: name files, directories, globs or - for standard input")
		}
		if len(f.namespaces) > 1 {
			return nil, usageError("--namespace: with --files, the one namespace Helm charts are rendered into")
		}
		f.helm.Namespace = "default"
		if len(f.namespaces) == 1 {
			f.helm.Namespace = f.namespaces[0]
		}
		f.helm.KubeVersion = f.kubeVersion
		maxSize, err := resource.ParseQuantity(f.maxFileSize)
		if err != nil || maxSize.Value() <= 0 {
			return nil, usageError("--max-file-size: %q is not a size such as 64Mi", f.maxFileSize)
		}
		return snapshot.Files(snapshot.FilesOptions{Options: opts, Paths: paths, Stdin: cmd.InOrStdin(),
			MaxFileBytes: maxSize.Value(), Helm: f.helm, Renderers: renderers(), ReadSecrets: f.readSecrets}), nil
	}
	for _, name := range fileOnly {
		if fl.Changed(name) {
			return nil, usageError("--%s applies to files; add --files", name)
		}
	}
	if len(paths) > 0 {
		return nil, usageError("%q: a cluster is read without paths; to read files, add --files", paths[0])
	}
	f.cluster.Namespaces = slices.DeleteFunc(f.namespaces, func(s string) bool { return s == "" })
	if f.allNamespaces && len(f.cluster.Namespaces) > 0 {
		return nil, usageError("--all-namespaces and --namespace exclude each other")
	}
	if len(f.cluster.ExcludeNamespaces) > 0 && len(f.cluster.Namespaces) > 0 {
		return nil, usageError("--exclude-namespaces and --namespace exclude each other")
	}
	f.cluster.ReadSecrets = f.readSecrets
	c, err := live.Connect(ctx, f.cluster)
	if err != nil {
		return nil, err
	}
	return snapshot.Cluster(c, &opts), nil
}

func newSnapshotCommand() *cobra.Command {
	var f sourceFlags
	var output string
	cmd := &cobra.Command{
		Use:   "snapshot [--files PATH...]",
		Short: "Save a snapshot of a cluster, or of files, for dozor diff",
		Long: `Save every object of a cluster (with the flags of "dozor scan cluster"), or of
files, directories, globs, Helm charts and kustomizations (--files, read as
"dozor scan" reads them), to a compressed, versioned snapshot: a gzip stream
of JSON lines, described in docs/snapshot-format.md. Objects are kept as the
API server returned them, minus managedFields. Secrets are kept as metadata
only; with --read-secrets their values are replaced by SHA-256 digests, so
that "dozor diff" can tell a value changed without the value being stored.

The snapshot is written to a temporary file and renamed into place when
complete; "-o -" writes it to standard output.

Exit codes: 0 the snapshot holds everything in scope; 2 invalid usage, a
cluster that cannot be reached, or files that could not be read (the others
are in the snapshot, the end record lists what failed); 3 parts of the
cluster could not be read (they are listed in the snapshot, and diff leaves
them out).`,
		Example: `  dozor snapshot -o before.jsonl.gz
  dozor snapshot --context prod -n shop -o shop.jsonl.gz --read-secrets
  dozor snapshot --files deploy/ charts/web -f values-prod.yaml -o deploy.jsonl.gz`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSnapshot(cmd, args, &f, output)
		},
	}
	fl := cmd.Flags()
	f.register(fl)
	fl.StringVarP(&output, "output", "o", "", "the snapshot file (default dozor-snapshot-TIME.jsonl.gz; - for standard output)")
	return cmd
}

func runSnapshot(cmd *cobra.Command, args []string, f *sourceFlags, output string) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	now := time.Now().UTC()
	in, err := f.input(ctx, cmd, args, snapshot.Options{Tool: toolVersion(), Now: now})
	if err != nil {
		return err
	}
	if output == "" {
		output = "dozor-snapshot-" + now.Format("20060102-150405") + ".jsonl.gz"
	}
	var w *snapshot.Writer
	report := cmd.OutOrStdout()
	if output == "-" {
		w, err = snapshot.NewWriter(cmd.OutOrStdout(), in.Header)
		report = cmd.ErrOrStderr()
	} else {
		w, err = snapshot.Create(output, in.Header)
	}
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	end, err := snapshot.Save(ctx, in, w)
	if err != nil {
		w.Abort()
		if errors.Is(err, context.Canceled) {
			return exitError{exitInvalid}
		}
		return err
	}
	if output == "-" {
		err = w.Close(end)
	} else {
		err = w.Commit(end)
	}
	if err != nil {
		return err
	}
	end.Objects = w.Objects()
	writeSnapshotSummary(report, in, &end, output)
	switch {
	case len(end.Errors) > 0:
		return exitError{exitInvalid}
	case slices.ContainsFunc(end.Gaps, func(g finding.Gap) bool { return g.Kind == finding.GapFailed }):
		return exitError{exitPartial}
	case len(end.Gaps) > 0 && end.Objects == 0:
		return exitError{exitPartial} // nothing could be read
	}
	return nil
}

func writeSnapshotSummary(w io.Writer, in *snapshot.Input, end *snapshot.End, output string) {
	if output == "-" {
		output = "standard output"
	}
	what := in.Name
	if v := in.Header.Source.ServerVersion; v != "" {
		what += " (" + v + ")"
	}
	fmt.Fprintf(w, "Snapshot of %s: %d objects, written to %s\n", what, end.Objects, output)
	if len(end.Gaps) > 0 {
		fmt.Fprintf(w, "Not read (%d): these parts of the cluster are not in the snapshot\n", len(end.Gaps))
		for _, g := range end.Gaps {
			what := g.Resource
			if g.Namespace != "" {
				what += " in " + g.Namespace
			}
			fmt.Fprintf(w, "  %s: %s (%s)\n", what, g.Kind, g.Reason)
		}
	}
	if len(end.Errors) > 0 {
		fmt.Fprintf(w, "Input errors (%d): these inputs are not in the snapshot, or not completely\n", len(end.Errors))
		for _, e := range end.Errors {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

type diffFlags struct {
	source          sourceFlags
	cluster         bool
	output          string
	outputFile      string
	ignore          []string
	noDefaultIgnore bool
	color           string
}

func newDiffCommand() *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "diff A B | diff A --cluster | diff A --files PATH...",
		Short: "Compare two snapshots, or a snapshot with a live cluster or with files",
		Long: `Compare snapshot A with snapshot B, with the live cluster (--cluster, with the
flags of "dozor scan cluster"; the namespaces, kinds and --read-secrets of A
unless given), or with files (--files PATH..., read as "dozor scan" reads
them). Report the objects added, removed and changed, and for changed ones
each field that differs: its path, old value and new value. Items of lists
of named things (containers, env, volumes, ports, conditions) are matched by
name, not by position. A recreated object (a new uid) is reported as such.

What changes without anyone changing it is ignored: resourceVersion,
generation, managedFields, creationTimestamp, status timestamps and
observedGeneration, leader-election leases, and the others listed in
docs/snapshot-format.md. --ignore adds patterns: spec.replicas,
metadata.labels["team"], spec.template.spec.containers[*].image,
status.**, Deployment:spec.replicas.

Exit codes, as for diff(1): 0 no differences; 1 differences; 2 invalid
input (a snapshot that cannot be read, corrupted or truncated; a cluster
that cannot be reached) or invalid usage. Parts of a cluster a snapshot
could not read are listed and left out of the comparison; they do not
change the exit code.`,
		Example: `  dozor diff before.jsonl.gz after.jsonl.gz
  dozor diff before.jsonl.gz --cluster --context prod
  dozor diff deploy.jsonl.gz --files deploy/
  dozor diff a.jsonl.gz b.jsonl.gz -o json --ignore 'Deployment:spec.replicas'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd, args, &f)
		},
	}
	fl := cmd.Flags()
	f.source.register(fl)
	fl.BoolVar(&f.cluster, "cluster", false, "compare A with the live cluster")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	fl.StringVar(&f.outputFile, "output-file", "", "write the report to this file instead of standard output")
	fl.StringArrayVar(&f.ignore, "ignore", nil, "ignore this field (a path, with * for any one step, ** for any depth, [*] for any item; Kind: to limit it to a kind); repeatable")
	fl.BoolVar(&f.noDefaultIgnore, "no-default-ignore", false, "report every difference, the ones ignored by default included")
	fl.StringVar(&f.color, "color", "auto", "colour the table: auto, always or never (NO_COLOR is honoured)")
	return cmd
}

func runDiff(cmd *cobra.Command, args []string, f *diffFlags) error {
	if f.output != "table" && f.output != "json" {
		return usageError("--output: unknown format %q (want table or json)", f.output)
	}
	for _, p := range f.ignore {
		if _, err := snapshot.ParsePattern(p); err != nil {
			return usageError("--ignore: %v", err)
		}
	}
	fl := cmd.Flags()
	if !f.cluster && !f.source.files {
		for _, name := range append(append([]string{"namespace", "read-secrets"}, clusterOnly...), fileOnly...) {
			if fl.Changed(name) {
				return usageError("--%s says how to read B: add --cluster or --files", name)
			}
		}
		if len(args) != 2 {
			return usageError("diff: name two snapshots, or a snapshot and --cluster or --files PATH...")
		}
	}
	if f.cluster && f.source.files {
		return usageError("--cluster and --files exclude each other")
	}
	if f.cluster && len(args) != 1 {
		return usageError("diff --cluster: name one snapshot, which is compared with the cluster")
	}

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	a, err := snapshot.Snapshot(args[0], nil)
	if err != nil {
		return err
	}
	var b *snapshot.Input
	opts := snapshot.Options{Tool: toolVersion()}
	switch {
	case f.cluster:
		// Read the cluster as A was read, unless told otherwise.
		src := a.Header.Source
		if src.Type == snapshot.SourceCluster {
			if !fl.Changed("namespace") && !f.source.allNamespaces {
				f.source.namespaces = src.Namespaces
			}
			if !fl.Changed("kinds") {
				f.source.cluster.Kinds = src.Kinds
			}
			if !fl.Changed("read-secrets") {
				f.source.readSecrets = src.ReadSecrets
			}
		}
		b, err = f.source.input(ctx, cmd, nil, opts)
	case f.source.files:
		if !fl.Changed("read-secrets") {
			f.source.readSecrets = a.Header.Source.ReadSecrets
		}
		b, err = f.source.input(ctx, cmd, args[1:], opts)
	default:
		b, err = snapshot.Snapshot(args[1], nil)
	}
	if err != nil {
		return err
	}

	out := cmd.OutOrStdout()
	color, err := useColor(f.color, f.outputFile, out)
	if err != nil {
		return err
	}
	d, err := snapshot.Compare(ctx, a, b, &snapshot.CompareOptions{Ignore: f.ignore, NoDefaultIgnore: f.noDefaultIgnore})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return exitError{exitInvalid}
		}
		return err
	}
	w, err := openOutput(f.outputFile, out)
	if err != nil {
		return err
	}
	if f.output == "json" {
		err = snapshot.WriteJSON(w, d, toolVersion())
	} else {
		err = snapshot.WriteText(w, d, snapshot.TextOptions{Color: color})
	}
	if err := w.finish(err); err != nil {
		return err
	}
	if f.output == "json" {
		for _, wng := range d.Warnings {
			fmt.Fprintln(cmd.ErrOrStderr(), "dozor: warning:", wng)
		}
	}
	if d.Summary.Differences() > 0 {
		return exitError{exitFindings}
	}
	return nil
}
