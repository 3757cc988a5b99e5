package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dozor-dev/dozor/rbac"
	"github.com/dozor-dev/dozor/report"
)

func newPathsCommand() *cobra.Command {
	var (
		f                 accessFlags
		defaults, members bool
		subject           string
	)
	cmd := &cobra.Command{
		Use:   "paths",
		Short: "Privilege-escalation paths: every subject's shortest way to cluster-admin",
		Long: `Build the escalation graph of a cluster or of manifests, in which an edge
means "can become": creating pods (or workloads) in a namespace makes one
any of its service accounts, and any node where Pod Security lets pods be
privileged; exec, attach and ephemeral containers make one the pod, which
holds its service account's token; a privileged or host-mounting pod is
its node, and a node holds the tokens of the pods on it (a control-plane
node, the cluster's credentials); bind, escalate and impersonate,
minting tokens, reading token Secrets, nodes/proxy, approving a
superuser's certificate and mutating admission webhooks are steps too.

For every subject with a way to power equal to cluster-admin it prints the
shortest path, each step explained with the bindings that grant it; then
the workloads whose pods carry such a path (a compromised container gets
it for free). Steps that are a choice ("any pod of shop": this one) or a
group's membership cost nothing.

Subjects only the API server's own bindings name are left out unless
--include-defaults; users and service accounts whose path is that of a
group they are in (system:authenticated, system:serviceaccounts) are left
out unless --members.

Output: table, json, or the graph of those paths as dot (Graphviz),
mermaid, or html (one self-contained interactive page).

Exit codes: 0 answered; 2 invalid usage or input; 3 objects could not all
be read (the answer may be incomplete).`,
		Example: `  dozor access paths
  dozor access paths --subject serviceaccount:shop:web
  dozor access paths -o html > paths.html
  dozor access paths -f deploy/ -o mermaid`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var one *rbac.Subject
			if subject != "" {
				s, err := parseSubject(subject)
				if err != nil {
					return usageError("--subject: %v", err)
				}
				one = &s
			}
			m, g, err := f.loadGraph(cmd, true, "table", "json", "dot", "mermaid", "html")
			if m == nil {
				return err
			}
			var (
				paths    []rbac.SubjectPath
				carriers []rbac.Carrier
			)
			if one != nil {
				v := rbac.Vertex{Kind: one.Kind, Namespace: one.Namespace, Name: one.Name}
				if i := g.Lookup(v.ID()); i >= 0 && g.Vertices[i].Steps >= 0 {
					for _, p := range g.SubjectPaths(true, true) {
						if p.Vertex() == i {
							paths = append(paths, p)
						}
					}
				}
			} else {
				paths = g.SubjectPaths(defaults, members)
				carriers = g.Carriers()
			}
			w := cmd.OutOrStdout()
			var werr error
			switch f.output {
			case "json":
				werr = writePathsJSON(w, g, paths, carriers)
			case "dot", "mermaid", "html":
				d := drawing(g, paths, carriers)
				switch f.output {
				case "dot":
					werr = report.WriteDOT(w, d)
				case "mermaid":
					werr = report.WriteMermaid(w, d)
				default:
					werr = report.WriteGraphHTML(w, d)
				}
			default:
				if one != nil && len(paths) == 0 {
					_, werr = fmt.Fprintf(w, "%s has no path to cluster-admin\n", subject)
				} else {
					werr = writePaths(w, paths, carriers, one == nil)
				}
			}
			if werr != nil {
				return werr
			}
			return err
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().Lookup("output").Usage = "output format: table, json, dot, mermaid or html"
	cmd.Flags().BoolVar(&defaults, "include-defaults", false, "include subjects only the API server's own bindings name (its components)")
	cmd.Flags().BoolVar(&members, "members", false, "include users and service accounts whose path is a group's they are in")
	cmd.Flags().StringVar(&subject, "subject", "", "only this subject's path: user:NAME, group:NAME or serviceaccount:NS:NAME")
	return cmd
}

// writePaths prints each path with its steps numbered; free steps (a
// choice, a membership) are folded into the step before.
func writePaths(w io.Writer, paths []rbac.SubjectPath, carriers []rbac.Carrier, summary bool) error {
	var b strings.Builder
	direct := 0
	for _, p := range paths {
		if p.Steps == 1 {
			direct++
		}
		noun := "steps"
		if p.Steps == 1 {
			noun = "step"
		}
		fmt.Fprintf(&b, "%s: %d %s to cluster-admin\n", p.Subject.String(), p.Steps, noun)
		writeSteps(&b, p.Path, "  ")
		b.WriteString("\n")
	}
	if len(carriers) > 0 {
		b.WriteString("Workloads that carry a path to cluster-admin (a compromised container has it for free):\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "STEPS\tWORKLOAD\tPODS\tFIRST STEP")
		for _, c := range carriers {
			first := ""
			if len(c.Path) > 0 {
				first = c.Path[0].How + " → " + c.Path[0].To
			}
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\n", c.Steps, c.Workload, len(c.Pods), first)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		b.WriteString("\n")
	}
	if summary {
		subjects, workloads := "subjects have", "workloads carry"
		if len(paths) == 1 {
			subjects = "subject has"
		}
		if len(carriers) == 1 {
			workloads = "workload carries"
		}
		fmt.Fprintf(&b, "%d %s a path to cluster-admin (%d with its power directly); %d %s one.\n", len(paths), subjects, direct, len(carriers), workloads)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSteps numbers the steps that cost something and folds each free
// step into the one before it ("→ any pod of shop → Pod shop/web").
func writeSteps(b *strings.Builder, steps []rbac.Step, indent string) {
	n := 0
	for i, s := range steps {
		if s.Free {
			if s.How == "member" {
				fmt.Fprintf(b, "%s   as a member of %s\n", indent, s.To)
			} else if i == 0 {
				fmt.Fprintf(b, "%s   → %s\n", indent, s.To)
			}
			continue
		}
		n++
		fmt.Fprintf(b, "%s%d. %s", indent, n, s.Why)
		if len(s.Bindings) > 0 {
			fmt.Fprintf(b, " [%s]", strings.Join(s.Bindings, ", "))
		}
		b.WriteString("\n")
		to := s.To
		for _, next := range steps[i+1:] {
			if !next.Free || next.How == "member" {
				break
			}
			to += " → " + next.To
		}
		fmt.Fprintf(b, "%s   → %s\n", indent, to)
	}
}

func writePathsJSON(w io.Writer, g *rbac.Graph, paths []rbac.SubjectPath, carriers []rbac.Carrier) error {
	if paths == nil {
		paths = []rbac.SubjectPath{}
	}
	if carriers == nil {
		carriers = []rbac.Carrier{}
	}
	out := struct {
		Subjects  []rbac.SubjectPath `json:"subjects"`
		Workloads []rbac.Carrier     `json:"workloads"`
		Graph     struct {
			Vertices int `json:"vertices"`
			Edges    int `json:"edges"`
		} `json:"graph"`
	}{Subjects: paths, Workloads: carriers}
	out.Graph.Vertices, out.Graph.Edges = len(g.Vertices), len(g.Edges)
	return writeJSON(w, out)
}

// drawing is the tree of the paths listed, for DOT, Mermaid and HTML.
func drawing(g *rbac.Graph, paths []rbac.SubjectPath, carriers []rbac.Carrier) *report.Graph {
	var starts []int
	for i := range paths {
		starts = append(starts, paths[i].Vertex())
	}
	for i := range carriers {
		starts = append(starts, carriers[i].Vertex())
	}
	vs, es := g.Subgraph(starts)
	d := &report.Graph{Title: "Dozor: privilege-escalation paths to cluster-admin"}
	for _, i := range vs {
		v := &g.Vertices[i]
		detail := ""
		switch {
		case v.Kind == rbac.VertexClusterAdmin:
			detail = "Power equal to cluster-admin: every verb on every resource."
		case v.Steps == 1:
			detail = "1 step to cluster-admin"
		case v.Steps >= 0:
			detail = fmt.Sprintf("%d steps to cluster-admin", v.Steps)
		}
		d.Vertices = append(d.Vertices, report.GraphVertex{ID: v.ID(), Label: v.String(), Kind: v.Kind, Detail: detail, Goal: v.Kind == rbac.VertexClusterAdmin})
	}
	for _, i := range es {
		e := &g.Edges[i]
		detail := e.Why
		if len(e.Bindings) > 0 {
			detail += " [" + strings.Join(e.Bindings, ", ") + "]"
		}
		d.Edges = append(d.Edges, report.GraphEdge{From: g.Vertices[e.From].ID(), To: g.Vertices[e.To].ID(), Label: e.How, Detail: detail, Free: e.Free})
	}
	return d
}
