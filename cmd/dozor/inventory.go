package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/inventory"
	"github.com/dozor-dev/dozor/k8s/live"
)

func newInventoryCommand() *cobra.Command {
	var (
		opts          live.Options
		output        string
		outputFile    string
		allNamespaces bool
	)
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "List what a live cluster is made of: version, distribution, nodes, components, images, exposure",
		Long: `Read a live cluster's inventory with the credentials of a kubeconfig context:
the Kubernetes version and distribution (EKS, GKE, AKS, OpenShift, k3s, RKE2,
kind, ...) and what told it; nodes with their kernel, OS, container runtime
and kubelet versions, readiness, roles and zone; control-plane components and
their versions; namespaces with their Pod Security labels; workloads by kind;
the images pods run, with the digests they really run and who runs them;
service accounts and the pods that use them; NodePort and LoadBalancer
services, external IPs and ingresses; custom resource definitions with the
number of their objects (counted, not listed).

Dozor only reads, and only the resources the inventory needs. What the
credentials may not list is reported as not visible. The JSON output
(-o json) is a versioned schema, documented in docs/inventory-json.md.

Exit codes: 0 the inventory is complete, or lacks only what the credentials
may not see; 2 invalid usage, or the cluster cannot be reached or rejects
the credentials; 3 parts of the cluster could not be read (lists that failed
after retries), or nothing could: the output lists them.`,
		Example: `  dozor inventory
  dozor inventory --context prod -o json --output-file prod-inventory.json
  dozor inventory -n shop -n payments`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Namespaces = slices.DeleteFunc(opts.Namespaces, func(s string) bool { return s == "" })
			if allNamespaces && len(opts.Namespaces) > 0 {
				return usageError("--all-namespaces and --namespace exclude each other")
			}
			if len(opts.ExcludeNamespaces) > 0 && len(opts.Namespaces) > 0 {
				return usageError("--exclude-namespaces and --namespace exclude each other")
			}
			if output != "table" && output != "json" {
				return usageError("--output: unknown format %q (want table or json)", output)
			}
			if outputFile != "" {
				abs, err := filepath.Abs(outputFile)
				if err != nil {
					return usageError("--output-file: %v", err)
				}
				outputFile = abs
			}
			opts.Kinds = inventory.Resources
			return runInventory(cmd, opts, output, outputFile)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&output, "output", "o", "table", "output format: table or json")
	fl.StringVar(&outputFile, "output-file", "", "write the inventory to this file instead of standard output")
	connectionFlags(fl, &opts)
	fl.StringSliceVarP(&opts.Namespaces, "namespace", "n", nil, "read only these namespaces (repeatable, comma-separated); nodes, namespaces and CRDs are still read in full")
	fl.BoolVarP(&allNamespaces, "all-namespaces", "A", false, "read every namespace (the default)")
	fl.StringSliceVar(&opts.ExcludeNamespaces, "exclude-namespaces", nil, "leave out these namespaces (repeatable, comma-separated): kube-system, say; the API server filters them out")
	return cmd
}

func runInventory(cmd *cobra.Command, opts live.Options, output, outputFile string) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	c, err := live.Connect(ctx, opts)
	if err != nil {
		return err
	}
	inv, err := inventory.Collect(ctx, c)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return exitError{exitInvalid}
		}
		return err
	}
	inv.Tool = inventory.Tool{Name: "dozor", Version: toolVersion()}

	w, err := openOutput(outputFile, cmd.OutOrStdout())
	if err != nil {
		return err
	}
	if output == "json" {
		err = inventory.WriteJSON(w, inv)
	} else {
		err = inventory.WriteTable(w, inv)
	}
	if err := w.finish(err); err != nil {
		return err
	}
	return exitError{inventoryExitCode(inv)}
}

// inventoryExitCode is 3 when parts of the cluster could not be read (a
// failed gap), or when nothing could (gaps, and no object): as for
// "dozor scan cluster". Gaps of what the credentials may not see are
// reported, and do not change the code.
func inventoryExitCode(inv *inventory.Inventory) int {
	for _, g := range inv.Gaps {
		if g.Kind == finding.GapFailed {
			return exitPartial
		}
	}
	if len(inv.Gaps) > 0 && inv.Summary.Objects == 0 {
		return exitPartial
	}
	return exitClean
}
