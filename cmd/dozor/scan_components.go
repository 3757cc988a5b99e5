package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/component"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/inventory"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/live"
	"github.com/dozor-dev/dozor/scan"
	"github.com/dozor-dev/dozor/vuln"
)

// clusterComponents runs the component analysis within a cluster scan:
// the inventory is built from the objects the scan read, and the findings
// of the selected component rules join the scan's.
type clusterComponents struct {
	db     *vuln.DB
	rules  map[string]*finding.Rule
	opts   component.Options
	report *component.Report
	err    error
}

// newClusterComponents opens the database for a cluster scan whose
// selection includes component rules. Without a database the scan goes
// on, and says so on errw: the components are not checked.
func newClusterComponents(f *scanFlags, checks []*check.Check, now time.Time, errw io.Writer) (*clusterComponents, error) {
	rules := map[string]*finding.Rule{}
	for _, c := range checks {
		for _, r := range component.Rules() {
			if c.ID == r.ID {
				rules[c.ID] = &c.Rule
			}
		}
	}
	if len(rules) == 0 || !f.components {
		return nil, nil
	}
	db, err := f.db.open()
	if errors.Is(err, vuln.ErrNoDatabase) {
		if f.db.failStale {
			return nil, err
		}
		fmt.Fprintf(errw, "dozor: warning: %v; the cluster's components were not checked for vulnerabilities and end of life\n", err)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &clusterComponents{db: db, rules: rules, opts: component.Options{Now: now, MaxAge: f.db.maxAge}}, nil
}

// analyze is scan.Options.Analyze.
func (cc *clusterComponents) analyze(c *live.Cluster) func([]*k8s.Object) []scan.ObjectFinding {
	return func(objs []*k8s.Object) []scan.ObjectFinding {
		inv := inventory.Build(objs, inventory.Facts{Cluster: inventory.Cluster{Name: c.Name, Server: c.Server}, Version: c.Version})
		rep, err := component.Analyze(inv, cc.db, cc.opts)
		if err != nil {
			cc.err = err
			return nil
		}
		rep.Database.Path = cc.db.Path()
		cc.report = rep
		type key struct{ kind, ns, name string }
		index := map[key]*k8s.Object{}
		for _, o := range objs {
			switch o.Kind {
			case "Node", "Pod", "DaemonSet", "Deployment", "StatefulSet", "ReplicaSet":
				index[key{o.Kind, o.Meta.Namespace, o.Meta.Name}] = o
			}
		}
		var out []scan.ObjectFinding
		var clusterObj *k8s.Object
		for _, f := range component.Findings(rep, c.Name) {
			rule := cc.rules[f.Finding.Rule.ID]
			if rule == nil {
				continue
			}
			f.Finding.Rule = rule
			o := index[key{f.Target.Ref.Kind, f.Target.Ref.Namespace, f.Target.Ref.Name}]
			if o == nil {
				if clusterObj == nil {
					ref := component.ClusterRef(c.Name)
					clusterObj = &k8s.Object{APIVersion: ref.APIVersion, Kind: ref.Kind, Meta: &metav1.ObjectMeta{Name: ref.Name},
						Source: k8s.Source{Cluster: c.Name}}
				}
				o = clusterObj
			}
			out = append(out, scan.ObjectFinding{Object: o, Finding: f.Finding})
		}
		return out
	}
}

// finish reports what the analysis needs said: a failure, or stale data.
// It returns exitInvalid when the scan must fail for it.
func (cc *clusterComponents) finish(f *scanFlags, errw io.Writer) int {
	if cc.err != nil {
		fmt.Fprintf(errw, "dozor: components: %v\n", cc.err)
		return exitInvalid
	}
	if cc.report != nil && cc.report.Database.Stale {
		fmt.Fprintf(errw, "dozor: warning: %s\n", staleMessage(cc.report))
		if f.db.failStale {
			return exitInvalid
		}
	}
	return exitClean
}
