package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/live"
	"github.com/dozor-dev/dozor/rbac"
	"github.com/dozor-dev/dozor/scan"
)

// accessFlags say where the roles and bindings come from: manifests
// (--filename) or a live cluster.
type accessFlags struct {
	files   []string
	cluster live.Options
	output  string
}

func (f *accessFlags) register(fl *pflag.FlagSet) {
	fl.StringSliceVarP(&f.files, "filename", "f", nil, "read roles and bindings from these manifests, directories, charts or kustomizations instead of a cluster (repeatable)")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	connectionFlags(fl, &f.cluster)
}

// rbacResources are what the model reads of a cluster.
var rbacResources = []string{"roles.rbac.authorization.k8s.io", "clusterroles.rbac.authorization.k8s.io",
	"rolebindings.rbac.authorization.k8s.io", "clusterrolebindings.rbac.authorization.k8s.io"}

// graphResources are what the escalation graph reads beside RBAC: where
// tokens are (service accounts, pods and what made them, nodes, the
// metadata of token Secrets) and the namespaces' Pod Security labels.
var graphResources = []string{"serviceaccounts", "pods", "nodes", "namespaces", "secrets",
	"deployments.apps", "replicasets.apps", "statefulsets.apps", "daemonsets.apps", "jobs.batch", "cronjobs.batch", "replicationcontrollers"}

// load builds the model, reading objects through the scan's inputs (so
// that charts and kustomizations render) or from the cluster.
func (f *accessFlags) load(cmd *cobra.Command) (*rbac.Model, error) {
	m, _, err := f.loadGraph(cmd, false, "table", "json")
	return m, err
}

// loadGraph builds the model, and when graph is set reads what the
// escalation graph needs beside RBAC and builds the graph too. formats
// are the output formats the command takes.
func (f *accessFlags) loadGraph(cmd *cobra.Command, graph bool, formats ...string) (*rbac.Model, *rbac.Graph, error) {
	if !slices.Contains(formats, f.output) {
		return nil, nil, usageError("--output: unknown format %q (want %s)", f.output, strings.Join(formats, ", "))
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	opts := scan.Options{Paths: f.files, Stdin: cmd.InOrStdin(), Renderers: renderers(), Now: time.Now()}
	clusterRead := len(f.files) == 0
	if clusterRead {
		f.cluster.Kinds = rbacResources
		if graph {
			f.cluster.Kinds = slices.Concat(rbacResources, graphResources)
		}
		c, err := live.Connect(ctx, f.cluster)
		if err != nil {
			return nil, nil, err
		}
		opts.Objects = c.Objects
	}
	var (
		model *rbac.Model
		g     *rbac.Graph
	)
	opts.Analyze = func(objs []*k8s.Object) []scan.ObjectFinding {
		model = rbac.FromObjects(objs, clusterRead)
		if graph {
			// Here, while the objects are whole: the scan sheds their
			// contents once it is done.
			g = model.Graph(objs)
		}
		return nil
	}
	res, err := scan.Run(ctx, opts)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, nil, exitError{exitInvalid}
		}
		return nil, nil, err
	}
	for _, e := range res.Errors {
		fmt.Fprintln(cmd.ErrOrStderr(), "dozor:", e.Error())
	}
	for _, g := range res.Gaps {
		fmt.Fprintf(cmd.ErrOrStderr(), "dozor: %s: %s (%s): the answer may be incomplete\n", g.Resource, g.Kind, g.Reason)
	}
	if len(res.Errors) > 0 {
		return model, g, exitError{exitInvalid}
	}
	if len(res.Gaps) > 0 {
		return model, g, exitError{exitPartial}
	}
	return model, g, nil
}

func newAccessCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "access",
		Short: "Who can do what: effective RBAC permissions, from a cluster or manifests",
		Long: `Answer RBAC questions as the API server's authorizer would: through
RoleBindings and ClusterRoleBindings, aggregated ClusterRoles, resourceNames,
subresources, non-resource URLs, wildcards, and the implicit groups
(system:authenticated, system:serviceaccounts, system:serviceaccounts:NS).
The answers are held to the API server's own SubjectAccessReview by a
property test.

Roles and bindings come from the current kubeconfig context, or from
manifests with -f.`,
	}
	cmd.AddCommand(newWhoCanCommand(), newCanCommand(), newRisksCommand(), newPathsCommand())
	return cmd
}

func newRisksCommand() *cobra.Command {
	var (
		f        accessFlags
		defaults bool
	)
	cmd := &cobra.Command{
		Use:   "risks",
		Short: "List dangerous access: who can read secrets, create pods, exec, escalate, impersonate, ...",
		Long: `List every subject that holds a dangerous access (29 patterns: reading
secrets, creating pods or workloads, exec, attach and port-forward, ephemeral
containers, escalate, bind and impersonate, minting tokens, approving and
signing certificates, nodes/proxy, admission webhooks, CRDs, RBAC,
namespace labels, deleting events, grants to anonymous or to every
authenticated identity, default service accounts with roles, ...), with the
Microsoft Threat Matrix technique, where it holds, and the bindings that
grant it. The bindings the API server makes for its own components are left
out unless --include-defaults.

Exit codes: 0 answered; 2 invalid usage or input; 3 roles or bindings could
not all be read (the answer may be incomplete).`,
		Example: `  dozor access risks
  dozor access risks -o json -f rbac/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := f.load(cmd)
			if m == nil {
				return err
			}
			risks := m.Risks(defaults)
			w := cmd.OutOrStdout()
			if f.output == "json" {
				type riskJSON struct {
					ID         string   `json:"id"`
					Name       string   `json:"name"`
					Title      string   `json:"title"`
					Severity   string   `json:"severity"`
					Techniques []string `json:"techniques"`
					Why        string   `json:"why"`
					rbac.Risk
				}
				out := make([]riskJSON, 0, len(risks))
				for _, r := range risks {
					p := r.Pattern
					out = append(out, riskJSON{ID: p.ID, Name: p.Name, Title: p.Title, Severity: p.Severity.String(), Techniques: p.Techniques, Why: p.Why, Risk: r})
				}
				if jerr := writeJSON(w, out); jerr != nil {
					return jerr
				}
				return err
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SEVERITY\tID\tTITLE\tSUBJECT\tWHERE\tBINDINGS")
			for _, r := range risks {
				sub := r.Subject.Kind + " " + r.Subject.Name
				if r.Subject.Namespace != "" {
					sub = r.Subject.Kind + " " + r.Subject.Namespace + "/" + r.Subject.Name
				}
				where := strings.Join(r.Namespaces, ",")
				if where == "" {
					where = "cluster-wide"
				}
				title := r.Pattern.Title
				if n := len(r.Implied); n > 0 {
					title += fmt.Sprintf(" (and the %d patterns it implies)", n)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", strings.ToUpper(r.Pattern.Severity.String()), r.Pattern.ID, title, sub, where, strings.Join(r.Bindings, ","))
			}
			if ferr := tw.Flush(); ferr != nil {
				return ferr
			}
			fmt.Fprintf(w, "\n%d dangerous accesses\n", len(risks))
			return err
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&defaults, "include-defaults", false, "include the bindings the API server makes for its own components")
	return cmd
}

func newWhoCanCommand() *cobra.Command {
	var (
		f                            accessFlags
		namespace, subresource, name string
	)
	cmd := &cobra.Command{
		Use:   "who-can VERB RESOURCE|PATH",
		Short: "List the subjects that may do something",
		Long: `List the users, groups and service accounts that may do VERB on RESOURCE
(pods, deployments.apps, pods/exec, "*") in --namespace (or cluster-wide
without it), or on a non-resource PATH (/healthz), with the binding and role
that grant it. Members of system:masters may do anything and are not listed.

Exit codes: 0 answered; 2 invalid usage or input; 3 roles or bindings could
not all be read (the answer may be incomplete).`,
		Example: `  dozor access who-can create pods -n shop
  dozor access who-can get secrets --name db-password -n shop
  dozor access who-can create pods/exec -n shop
  dozor access who-can get /metrics
  dozor access who-can escalate clusterroles.rbac.authorization.k8s.io -f deploy/`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a := rbac.Attributes{Verb: args[0], Namespace: namespace, Name: name}
			if strings.HasPrefix(args[1], "/") {
				a.Path = args[1]
			} else {
				a.Resource, a.APIGroup, a.Subresource = parseResource(args[1])
				if subresource != "" {
					a.Subresource = subresource
				}
			}
			m, err := f.load(cmd)
			if m == nil {
				return err
			}
			grants := m.WhoCan(&a)
			w := cmd.OutOrStdout()
			if f.output == "json" {
				type grantJSON struct {
					Subject rbac.Subject   `json:"subject"`
					Binding string         `json:"binding"`
					Kind    string         `json:"bindingKind"`
					NS      string         `json:"bindingNamespace,omitempty"`
					RoleRef rbacv1.RoleRef `json:"roleRef"`
				}
				out := make([]grantJSON, 0, len(grants))
				for _, g := range grants {
					kind := "ClusterRoleBinding"
					if g.Binding.Namespace != "" {
						kind = "RoleBinding"
					}
					out = append(out, grantJSON{Subject: g.Subject, Binding: g.Binding.Name, Kind: kind, NS: g.Binding.Namespace, RoleRef: g.Binding.RoleRef})
				}
				if jerr := writeJSON(w, out); jerr != nil {
					return jerr
				}
				return err
			}
			if werr := writeWhoCan(w, grants); werr != nil {
				return werr
			}
			return err
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "the namespace of the request (empty: cluster-wide)")
	cmd.Flags().StringVar(&subresource, "subresource", "", "the subresource (or RESOURCE/SUBRESOURCE)")
	cmd.Flags().StringVar(&name, "name", "", "the object's name (for roles that name resources)")
	return cmd
}

// parseResource reads "deployments.apps/scale" as deployments, apps, scale.
func parseResource(s string) (resource, group, subresource string) {
	resource, subresource, _ = strings.Cut(s, "/")
	resource, group, _ = strings.Cut(resource, ".")
	return resource, group, subresource
}

func writeWhoCan(w io.Writer, grants []rbac.Grant) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tSUBJECT\tBINDING\tROLE")
	for _, g := range grants {
		sub := g.Subject.Name
		if g.Subject.Namespace != "" {
			sub = g.Subject.Namespace + "/" + sub
		}
		binding := "ClusterRoleBinding " + g.Binding.Name
		if g.Binding.Namespace != "" {
			binding = "RoleBinding " + g.Binding.Namespace + "/" + g.Binding.Name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\n", g.Subject.Kind, sub, binding, g.Binding.RoleRef.Kind, g.Binding.RoleRef.Name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d subjects (members of %s may do anything and are not listed)\n", len(grants), rbac.SuperuserGroup)
	return err
}

func newCanCommand() *cobra.Command {
	var f accessFlags
	cmd := &cobra.Command{
		Use:   "can SUBJECT",
		Short: "List what a subject may do, per namespace",
		Long: `List every rule a subject holds, cluster-wide and per namespace, with the
binding, role and subject (itself, or a group it is in) that grant it.
SUBJECT is user:NAME (or just NAME), group:NAME, or serviceaccount:NS:NAME
(or system:serviceaccount:NS:NAME). Implicit groups count: every
authenticated user is in system:authenticated, a service account in
system:serviceaccounts and system:serviceaccounts:NS.

Exit codes: 0 answered; 2 invalid usage or input; 3 roles or bindings could
not all be read (the answer may be incomplete).`,
		Example: `  dozor access can serviceaccount:shop:web
  dozor access can group:devs -o json
  dozor access can alice -f rbac/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := parseSubject(args[0])
			if err != nil {
				return usageError("%v", err)
			}
			m, err := f.load(cmd)
			if m == nil {
				return err
			}
			perms := m.Can(s)
			if perms == nil {
				perms = []rbac.Permission{}
			}
			w := cmd.OutOrStdout()
			if f.output == "json" {
				if jerr := writeJSON(w, perms); jerr != nil {
					return jerr
				}
				return err
			}
			if werr := writeCan(w, perms); werr != nil {
				return werr
			}
			return err
		},
	}
	f.register(cmd.Flags())
	return cmd
}

func parseSubject(s string) (rbac.Subject, error) {
	switch {
	case strings.HasPrefix(s, "system:serviceaccount:"):
		parts := strings.Split(strings.TrimPrefix(s, "system:serviceaccount:"), ":")
		if len(parts) == 2 && parts[0] != "" && parts[1] != "" {
			return rbac.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: parts[0], Name: parts[1]}, nil
		}
	case strings.HasPrefix(s, "serviceaccount:"), strings.HasPrefix(s, "sa:"):
		_, rest, _ := strings.Cut(s, ":")
		ns, name, ok := strings.Cut(rest, ":")
		if ok && ns != "" && name != "" {
			return rbac.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}, nil
		}
	case strings.HasPrefix(s, "group:"):
		if name := strings.TrimPrefix(s, "group:"); name != "" {
			return rbac.Subject{Kind: rbacv1.GroupKind, Name: name}, nil
		}
	case strings.HasPrefix(s, "user:"):
		if name := strings.TrimPrefix(s, "user:"); name != "" {
			return rbac.Subject{Kind: rbacv1.UserKind, Name: name}, nil
		}
	case s != "" && !strings.Contains(s, " "):
		return rbac.Subject{Kind: rbacv1.UserKind, Name: s}, nil
	}
	return rbac.Subject{}, fmt.Errorf("subject %q: want user:NAME, group:NAME or serviceaccount:NS:NAME", s)
}

func writeCan(w io.Writer, perms []rbac.Permission) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tVERBS\tRESOURCES\tNAMES\tVIA\tBINDING\tROLE")
	for _, p := range perms {
		ns := p.Namespace
		if ns == "" {
			ns = "*"
		}
		what := strings.Join(p.Rule.NonResourceURLs, ",")
		if len(p.Rule.Resources) > 0 {
			var rs []string
			for _, r := range p.Rule.Resources {
				for _, g := range p.Rule.APIGroups {
					if g == "" {
						rs = append(rs, r)
					} else {
						rs = append(rs, r+"."+g)
					}
				}
			}
			what = strings.Join(rs, ",")
		}
		names := strings.Join(p.Rule.ResourceNames, ",")
		if names == "" {
			names = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s %s\t%s\t%s %s\n", ns, strings.Join(p.Rule.Verbs, ","), what, names, p.Via.Kind, p.Via.Name,
			p.Binding, p.RoleRef.Kind, p.RoleRef.Name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d rules\n", len(perms))
	return err
}
