package main

import (
	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/rbac"
	"github.com/dozor-dev/dozor/scan"
)

// accessAnalysis runs the escalation graph within a scan when its rule is
// selected: a finding on each workload whose pods carry a path to
// cluster-admin. live says the objects come from a cluster.
func accessAnalysis(checks []*check.Check, live bool) func([]*k8s.Object) []scan.ObjectFinding {
	rules := map[string]*check.Check{}
	for _, c := range checks {
		for _, r := range rbac.Rules() {
			if c.ID == r.ID {
				rules[c.ID] = c
			}
		}
	}
	if len(rules) == 0 {
		return nil
	}
	return func(objs []*k8s.Object) []scan.ObjectFinding {
		g := rbac.FromObjects(objs, live).Graph(objs)
		index := map[k8s.Key]*k8s.Object{}
		for _, o := range objs {
			if o.Pod != nil {
				index[k8s.KeyOf(o)] = o
			}
		}
		var out []scan.ObjectFinding
		for _, f := range g.CarrierFindings() {
			c := rules[f.Finding.Rule.ID]
			o := index[k8s.Key{Kind: f.Kind, Namespace: f.Namespace, Name: f.Name}]
			if c == nil || o == nil {
				continue
			}
			f.Finding.Rule = &c.Rule
			out = append(out, scan.ObjectFinding{Object: o, Finding: f.Finding})
		}
		return out
	}
}

// chainAnalyses runs analyses one after the other; nil ones are left out.
func chainAnalyses(fns ...func([]*k8s.Object) []scan.ObjectFinding) func([]*k8s.Object) []scan.ObjectFinding {
	var set []func([]*k8s.Object) []scan.ObjectFinding
	for _, fn := range fns {
		if fn != nil {
			set = append(set, fn)
		}
	}
	if len(set) == 0 {
		return nil
	}
	return func(objs []*k8s.Object) []scan.ObjectFinding {
		var out []scan.ObjectFinding
		for _, fn := range set {
			out = append(out, fn(objs)...)
		}
		return out
	}
}
