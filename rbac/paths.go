package rbac

import (
	"cmp"
	"slices"
)

// Step is one edge of a path, for people and JSON.
type Step struct {
	From     string   `json:"from"`
	To       string   `json:"to"`
	How      string   `json:"how"`
	Why      string   `json:"why,omitempty"`
	Bindings []string `json:"bindings,omitempty"`
	// Free steps cost nothing: picking one of a choice ("any service
	// account of shop": this one), or being a member of a group.
	Free bool `json:"free,omitempty"`
}

// Steps is the shortest path from a vertex to cluster-admin as steps.
func (g *Graph) Steps(v int) []Step {
	path := g.Path(v)
	out := make([]Step, 0, len(path))
	for _, e := range path {
		out = append(out, Step{From: g.Vertices[e.From].String(), To: g.Vertices[e.To].String(), How: e.How, Why: e.Why, Bindings: e.Bindings, Free: e.Free})
	}
	return out
}

// SubjectPath is a subject's shortest path to cluster-admin.
type SubjectPath struct {
	Subject Vertex `json:"subject"`
	// Steps counts the steps that are not free; 1 is holding
	// cluster-admin's power directly.
	Steps int    `json:"steps"`
	Path  []Step `json:"path"`
	// ViaGroup is set when the path starts by being a member of a group
	// (every service account is in system:serviceaccounts, every user in
	// system:authenticated): the group's path is its members'.
	ViaGroup string `json:"viaGroup,omitempty"`
	vertex   int
}

// SubjectPaths lists the subjects with a path to cluster-admin, shortest
// first. Subjects only the API server's own bindings name (its
// components) are left out unless defaults is set, and subjects whose
// path is only that of a group they are in unless members is set.
func (g *Graph) SubjectPaths(defaults, members bool) []SubjectPath {
	var out []SubjectPath
	for i := range g.Vertices {
		v := &g.Vertices[i]
		if !v.Subject() || v.Steps < 0 || (v.Default && !defaults) {
			continue
		}
		sp := SubjectPath{Subject: *v, Steps: v.Steps, Path: g.Steps(i), vertex: i}
		if first := g.next[i]; first >= 0 && g.Edges[first].How == "member" {
			if !members {
				continue
			}
			sp.ViaGroup = g.Vertices[g.Edges[first].To].Name
		}
		out = append(out, sp)
	}
	slices.SortStableFunc(out, func(a, b SubjectPath) int {
		return cmp.Or(cmp.Compare(a.Steps, b.Steps), cmp.Compare(kindOrder(a.Subject.Kind), kindOrder(b.Subject.Kind)),
			cmp.Compare(a.Subject.Namespace, b.Subject.Namespace), cmp.Compare(a.Subject.Name, b.Subject.Name))
	})
	return out
}

func kindOrder(kind string) int {
	switch kind {
	case VertexUser:
		return 0
	case VertexGroup:
		return 1
	}
	return 2
}

// Carrier is a workload whose pods hold a token with a path to
// cluster-admin (or can take their node, which has one): whoever
// compromises one of its containers gets that path for free.
type Carrier struct {
	Workload  string `json:"workload"`
	Namespace string `json:"namespace"`
	// Pods are the pods of the workload that carry it (for manifests, the
	// workload itself).
	Pods  []string `json:"pods"`
	Steps int      `json:"steps"`
	// ServiceAccount is the first step: the token the pod holds, or "" when
	// the path goes through the node.
	ServiceAccount string `json:"serviceAccount,omitempty"`
	Path           []Step `json:"path"`
	vertex         int
}

// Carriers lists the workloads whose pods carry a path to cluster-admin,
// shortest first; the pods of one workload with the same first step are
// one entry.
func (g *Graph) Carriers() []Carrier {
	type key struct {
		workload string
		first    int
	}
	idx := map[key]int{}
	var out []Carrier
	for i := range g.Vertices {
		v := &g.Vertices[i]
		if v.Kind != VertexPod || v.Steps < 0 {
			continue
		}
		e := g.Edges[g.next[i]]
		k := key{v.Workload, e.To}
		if j, ok := idx[k]; ok {
			out[j].Pods = append(out[j].Pods, v.Name)
			continue
		}
		c := Carrier{Workload: v.Workload, Namespace: v.Namespace, Pods: []string{v.Name}, Steps: v.Steps, Path: g.Steps(i), vertex: i}
		if t := g.Vertices[e.To]; t.Kind == VertexServiceAccount {
			c.ServiceAccount = t.Namespace + "/" + t.Name
		}
		idx[k] = len(out)
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b Carrier) int {
		return cmp.Or(cmp.Compare(a.Steps, b.Steps), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Workload, b.Workload))
	})
	return out
}

// Subgraph is the vertices and edges of the shortest paths of the given
// starting vertices (from SubjectPaths and Carriers): a tree towards
// cluster-admin, for drawing.
func (g *Graph) Subgraph(starts []int) (vertices []int, edges []int) {
	seenV := map[int]bool{}
	seenE := map[int]bool{}
	for _, s := range starts {
		v := s
		for {
			if !seenV[v] {
				seenV[v] = true
				vertices = append(vertices, v)
			}
			ei := g.next[v]
			if ei < 0 || seenE[ei] {
				break
			}
			seenE[ei] = true
			edges = append(edges, ei)
			v = g.Edges[ei].To
		}
	}
	slices.Sort(vertices)
	slices.Sort(edges)
	return vertices, edges
}

// Vertex returns the index of a path's first vertex.
func (p *SubjectPath) Vertex() int { return p.vertex }

// Vertex returns the index of a carrier's first pod.
func (c *Carrier) Vertex() int { return c.vertex }
