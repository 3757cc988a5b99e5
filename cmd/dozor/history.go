package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/dozor-dev/dozor/history"
	"github.com/dozor-dev/dozor/k8s/live"
)

// exitNotFound: `dozor history get` found no version of the object at the
// time asked (not recorded yet, or deleted).
const exitNotFound = 1

func newWatchCommand() *cobra.Command {
	var (
		cluster  live.Options
		store    string
		skip     []string
		retain   string
		logLevel string
	)
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Record every change of a live cluster, with who made it, for dozor history",
		Long: `Follow a cluster through watches on every resource it serves (custom resources
included; events are left out, Secrets are recorded as metadata only) and
record every change, added, modified or deleted, with its time and, where
the API tells (managedFields), the manager that made it, in a local store
(--store, default ` + history.DefaultDir() + `).

dozor watch resumes each watch from the last resourceVersion it stored,
also after a restart of its own; when that has expired (410 Gone) it lists
again and records the differences, deletions included. It retries with
backoff while the API server cannot be reached and says in its log when it
is behind. Stop it with Ctrl-C: what it has is written.

Query the history with "dozor history get" and "dozor history changes",
while dozor watch runs or after. docs/history.md describes the store.

Exit codes: 0 stopped by a signal; 2 the cluster or the store could not be
opened, or the store could not be written.`,
		Example: `  dozor watch
  dozor watch --context prod --store /var/lib/dozor/prod
  dozor watch -n shop -n payments --kinds deployments,configmaps`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cluster.Namespaces = slices.DeleteFunc(cluster.Namespaces, func(s string) bool { return s == "" })
			keep, err := history.ParseDuration(retain)
			if err != nil {
				return usageError("--retain: %v", err)
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return usageError("--log-level: want debug, info, warn or error")
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			c, err := live.Connect(ctx, cluster)
			if err != nil {
				return err
			}
			if skip == nil {
				skip = []string{}
			}
			err = history.Watch(ctx, c, history.Options{Dir: store, Namespaces: cluster.Namespaces, Skip: skip, Retain: keep, Log: log})
			if err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&store, "store", history.DefaultDir(), "directory of the history")
	fl.StringVar(&cluster.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
	fl.StringVar(&cluster.Context, "context", "", "kubeconfig context (default: the current one)")
	fl.StringSliceVarP(&cluster.Namespaces, "namespace", "n", nil, "watch only these namespaces (repeatable, comma-separated); cluster-scoped resources are then left out")
	fl.StringSliceVar(&cluster.Kinds, "kinds", nil, "watch only these resources: pods, Deployment, deployments.apps (comma-separated)")
	fl.StringSliceVar(&skip, "skip-kinds", history.DefaultSkip, "do not watch these resources (Leases are heartbeats); --skip-kinds= watches everything")
	fl.StringVar(&retain, "retain", "90d", "drop changes older than this (the state of each object at that time is kept); 0 keeps everything")
	fl.DurationVar(&cluster.RequestTimeout, "request-timeout", 60*time.Second, "timeout of discovery requests")
	fl.IntVar(&cluster.Retries, "retries", 4, "retries, with backoff, of discovery requests that failed for a passing reason")
	fl.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	return cmd
}

func newHistoryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Ask the history dozor watch records: an object at a time, changes since a time",
		Long: `Ask the history that "dozor watch" records (it may be running): what an object
looked like at a time (get), and what changed since a time (changes).

TIME is RFC 3339 (2026-07-01T12:00:00Z), a date (2026-07-01, local
midnight), "now", or a duration ago: 10m, 2h, 3d, 1w.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newHistoryGetCommand(), newHistoryChangesCommand())
	return cmd
}

func newHistoryGetCommand() *cobra.Command {
	var store, namespace, at, output string
	cmd := &cobra.Command{
		Use:   "get KIND/NAME",
		Short: "Print an object as it was at a time",
		Long: `Print an object as it was at --at (default now): the version the newest change
recorded at or before that time made, as YAML (with a comment saying which
change that was) or as JSON (a document with the change and the object, in
docs/history.md). KIND is a kind (Deployment), a resource (deployments), or
either with its group (deployments.apps). managedFields are not kept; the
object's resourceVersion is.

Exit codes: 0 printed; 1 the object did not exist at that time (not
recorded yet, or deleted: standard error says when); 2 invalid usage, or no
history.`,
		Example: `  dozor history get deployment/web -n shop --at 10m
  dozor history get configmaps/settings -n shop --at 2026-07-01T12:00:00Z -o json
  dozor history get clusterrolebinding/admins --at 2d`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, name, ok := strings.Cut(args[0], "/")
			if len(args) == 2 {
				kind, name, ok = args[0], args[1], !strings.Contains(args[0], "/")
			}
			if !ok || kind == "" || name == "" {
				return usageError("get: name the object as KIND/NAME (deployment/web)")
			}
			if output != "yaml" && output != "json" {
				return usageError("--output: want yaml or json")
			}
			now := time.Now()
			t, err := history.ParseTime(at, now)
			if err != nil {
				return usageError("--at: %v", err)
			}
			s, err := history.Open(store)
			if err != nil {
				return err
			}
			res, err := s.Resolve(kind)
			if err != nil {
				return err
			}
			ref := history.Ref{Resource: res.String(), Name: name}
			if res.Namespaced {
				ref.Namespace = namespace
				if ref.Namespace == "" {
					ref.Namespace = "default"
				}
			}
			v, err := s.At(ref, t)
			if errors.Is(err, history.ErrNotRecorded) {
				fmt.Fprintln(cmd.ErrOrStderr(), "dozor:", err)
				return exitError{exitNotFound}
			}
			if err != nil {
				return err
			}
			if v.Change.Change == history.Deleted {
				fmt.Fprintf(cmd.ErrOrStderr(), "dozor: %s: deleted at %s, before %s\n", ref, v.Change.Time.Local().Format(time.RFC3339), t.Local().Format(time.RFC3339))
				return exitError{exitNotFound}
			}
			return printVersion(cmd.OutOrStdout(), s, output, t, v)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&store, "store", history.DefaultDir(), "directory of the history")
	fl.StringVarP(&namespace, "namespace", "n", "", "namespace of the object (default: default)")
	fl.StringVar(&at, "at", "now", "the time: RFC 3339, a date, or a duration ago (10m)")
	fl.StringVarP(&output, "output", "o", "yaml", "output format: yaml or json")
	return cmd
}

func printVersion(w io.Writer, s *history.Store, output string, at time.Time, v *history.Version) error {
	if output == "json" {
		cl, err := s.Cluster()
		if err != nil {
			return err
		}
		return writeJSON(w, history.ObjectDocument{SchemaVersion: history.DocumentVersion, Cluster: cl, At: at.UTC(), Change: v.Change, Object: v.Object})
	}
	y, err := sigsyaml.JSONToYAML(v.Object)
	if err != nil {
		return err
	}
	c := v.Change
	fmt.Fprintf(w, "# %s as of %s: %s at %s", history.Ref{Resource: c.Resource, Namespace: c.Namespace, Name: c.Name},
		at.Local().Format(time.RFC3339), c.Change, c.Time.Local().Format(time.RFC3339))
	if c.Manager != nil {
		fmt.Fprintf(w, " by %s", managerText(c.Manager))
	}
	if c.Via == history.ViaList && c.Change != history.Existing {
		fmt.Fprint(w, " (found by a list: at or before that time)")
	}
	fmt.Fprintf(w, "\n")
	_, err = w.Write(y)
	return err
}

func newHistoryChangesCommand() *cobra.Command {
	var (
		store, since, until, output string
		namespaces, kinds           []string
		existing                    bool
	)
	cmd := &cobra.Command{
		Use:   "changes",
		Short: "List what changed since a time",
		Long: `List the changes recorded since --since (default 1h ago), oldest first: time,
change (added, modified, deleted), kind, namespace/name, and the manager
that made it where the API tells (deletions it does not). A change marked *
was found by a list, after a watch was away: it happened at or before the
time shown.

-o json prints a document described in docs/history.md.`,
		Example: `  dozor history changes -n shop --since 10m
  dozor history changes --since 2026-07-01T00:00:00Z --kind deployments --kind configmaps
  dozor history changes --since 1d -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return usageError("--output: want table or json")
			}
			now := time.Now()
			q := history.Query{Existing: existing}
			var err error
			if q.Since, err = history.ParseTime(since, now); err != nil {
				return usageError("--since: %v", err)
			}
			if until != "" {
				if q.Until, err = history.ParseTime(until, now); err != nil {
					return usageError("--until: %v", err)
				}
			}
			q.Namespaces = slices.DeleteFunc(namespaces, func(s string) bool { return s == "" })
			s, err := history.Open(store)
			if err != nil {
				return err
			}
			for _, k := range kinds {
				res, err := s.Resolve(k)
				if err != nil {
					return err
				}
				q.Resources = append(q.Resources, res.String())
			}
			changes, err := s.Changes(q)
			if err != nil {
				return err
			}
			if output == "json" {
				cl, err := s.Cluster()
				if err != nil {
					return err
				}
				doc := history.ChangesDocument{SchemaVersion: history.DocumentVersion, Cluster: cl, Since: q.Since.UTC(),
					Namespaces: q.Namespaces, Resources: q.Resources, Changes: changes}
				if !q.Until.IsZero() {
					doc.Until = q.Until.UTC()
				}
				if doc.Changes == nil {
					doc.Changes = []history.Change{}
				}
				return writeJSON(cmd.OutOrStdout(), doc)
			}
			if len(changes) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "dozor: no changes since %s\n", q.Since.Local().Format(time.RFC3339))
				return nil
			}
			return changesTable(cmd.OutOrStdout(), changes)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&store, "store", history.DefaultDir(), "directory of the history")
	fl.StringSliceVarP(&namespaces, "namespace", "n", nil, "only these namespaces (repeatable, comma-separated); cluster-scoped objects are then left out")
	fl.StringVar(&since, "since", "1h", "from this time: RFC 3339, a date, or a duration ago (10m)")
	fl.StringVar(&until, "until", "", "up to this time (excluded); default: now")
	fl.StringArrayVar(&kinds, "kind", nil, "only this kind or resource (repeatable): Deployment, deployments, deployments.apps")
	fl.BoolVar(&existing, "existing", false, "also list the objects found when a resource was first listed (not changes)")
	fl.StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

func changesTable(w io.Writer, changes []history.Change) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tCHANGE\tKIND\tNAMESPACE/NAME\tMANAGER")
	listed := false
	for _, c := range changes {
		change := string(c.Change)
		if c.Via == history.ViaList && c.Change != history.Existing {
			change += "*"
			listed = true
		}
		name := c.Name
		if c.Namespace != "" {
			name = c.Namespace + "/" + c.Name
		}
		manager := "-"
		if c.Manager != nil {
			manager = managerText(c.Manager)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Time.Local().Format(time.RFC3339), change, c.Kind, name, manager)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if listed {
		fmt.Fprintln(w, "* found by a list after a watch was away: at or before that time")
	}
	return nil
}

// managerText is "name (Operation)" or "name (Operation subresource)".
func managerText(m *history.Manager) string {
	op := m.Operation
	if m.Subresource != "" {
		op += " " + m.Subresource
	}
	return m.Name + " (" + op + ")"
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
