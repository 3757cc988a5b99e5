package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"strings"
)

// Graph is a directed graph to draw: an attack graph whose edges lead
// towards a goal. Vertices are drawn in columns by their distance to the
// goal, along the edges given (for a tree of shortest paths, each vertex
// has one edge out).
type Graph struct {
	Title    string        `json:"title"`
	Vertices []GraphVertex `json:"vertices"`
	Edges    []GraphEdge   `json:"edges"`
}

// GraphVertex is one vertex: Kind picks its colour, Detail is shown when
// it is selected.
type GraphVertex struct {
	ID     string `json:"id"`
	Label  string `json:"label"`
	Kind   string `json:"kind"`
	Detail string `json:"detail,omitempty"`
	// Goal marks the vertex the edges lead to.
	Goal bool `json:"goal,omitempty"`
}

// GraphEdge is one edge: Label is short ("exec"), Detail the explanation;
// Free edges cost nothing (a choice, a membership) and are drawn dashed.
type GraphEdge struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Label  string `json:"label"`
	Detail string `json:"detail,omitempty"`
	Free   bool   `json:"free,omitempty"`
}

// WriteDOT writes the graph in Graphviz's DOT language, laid out left to
// right towards the goal.
func WriteDOT(w io.Writer, g *Graph) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fillcolor=\"#eef2f7\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n", dotQuote(g.Title))
	for _, v := range g.Vertices {
		attrs := []string{"label=" + dotQuote(v.Label)}
		if c := kindColour(v.Kind, v.Goal); c != "" {
			attrs = append(attrs, "fillcolor="+dotQuote(c))
		}
		if v.Detail != "" {
			attrs = append(attrs, "tooltip="+dotQuote(v.Detail))
		}
		fmt.Fprintf(&b, "  %s [%s];\n", dotQuote(v.ID), strings.Join(attrs, ", "))
	}
	for _, e := range g.Edges {
		attrs := []string{"label=" + dotQuote(e.Label)}
		if e.Detail != "" {
			attrs = append(attrs, "tooltip="+dotQuote(e.Detail))
		}
		if e.Free {
			attrs = append(attrs, "style=dashed")
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", dotQuote(e.From), dotQuote(e.To), strings.Join(attrs, ", "))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// dotQuote quotes a DOT ID: every character but the quote and backslash
// may stand in a quoted string; newlines are escaped.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", "")
	return `"` + r.Replace(s) + `"`
}

// WriteMermaid writes the graph as a Mermaid flowchart (GitHub and GitLab
// draw it inside a ```mermaid block).
func WriteMermaid(w io.Writer, g *Graph) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[string]string{}
	for i, v := range g.Vertices {
		id := fmt.Sprintf("v%d", i)
		ids[v.ID] = id
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", id, mermaidText(v.Label))
		if c := kindColour(v.Kind, v.Goal); c != "" {
			fmt.Fprintf(&b, "  style %s fill:%s\n", id, c)
		}
	}
	for _, e := range g.Edges {
		from, to := ids[e.From], ids[e.To]
		if from == "" || to == "" {
			continue
		}
		arrow := "-->"
		if e.Free {
			arrow = "-.->"
		}
		if e.Label != "" {
			fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", from, arrow, mermaidText(e.Label), to)
		} else {
			fmt.Fprintf(&b, "  %s %s %s\n", from, arrow, to)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidText escapes text inside a quoted Mermaid label: quotes and the
// characters Mermaid reads as markup become entity codes.
func mermaidText(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", " ", "`", "#96;")
	return r.Replace(s)
}

// kindColour is the fill of a vertex kind, shared by DOT, Mermaid and the
// HTML page.
func kindColour(kind string, goal bool) string {
	if goal {
		return "#f4b6b6"
	}
	switch kind {
	case "User":
		return "#cfe3ff"
	case "Group":
		return "#d9d2f7"
	case "ServiceAccount":
		return "#ffe8b3"
	case "Pod":
		return "#d4f0d4"
	case "Node":
		return "#f7d8c4"
	}
	return "#eceff3"
}

//go:embed graph.html
var graphHTML string

// WriteGraphHTML writes a self-contained interactive page of the graph:
// no script, style or font is fetched from anywhere. Click a vertex to
// see its path to the goal, explained; type to find vertices. A URL
// fragment "#v=ID" selects a vertex when the page opens.
func WriteGraphHTML(w io.Writer, g *Graph) error {
	data := struct {
		*Graph
		Colours map[string]string `json:"colours"`
	}{Graph: g, Colours: map[string]string{}}
	for _, v := range g.Vertices {
		data.Colours[v.Kind] = kindColour(v.Kind, false)
	}
	data.Colours["goal"] = kindColour("", true)
	// json.Marshal escapes <, > and & in strings, so nothing in the data
	// can close the script element it is placed in.
	js, err := json.Marshal(data)
	if err != nil {
		return err
	}
	page := strings.Replace(graphHTML, "/*DATA*/null", string(js), 1)
	page = strings.Replace(page, "<title>Graph</title>", "<title>"+html.EscapeString(g.Title)+"</title>", 1)
	_, err = io.WriteString(w, page)
	return err
}
