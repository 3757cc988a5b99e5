package scan

import (
	"context"
	"sort"
	"sync"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/manifest"
)

// dispatch knows which checks look at which kinds.
type dispatch struct {
	byKind   map[string][]*check.Check
	anyKind  []*check.Check
	index    []*check.Check
	opts     *check.Options
	contexts sync.Pool // of *workerContexts
}

func newDispatch(checks []*check.Check, opts *check.Options) *dispatch {
	d := &dispatch{byKind: map[string][]*check.Check{}, opts: opts}
	for _, c := range checks {
		switch {
		case c.Index != nil:
			d.index = append(d.index, c)
		case c.Kinds == nil:
			d.anyKind = append(d.anyKind, c)
		default:
			for _, k := range c.Kinds {
				d.byKind[k] = append(d.byKind[k], c)
			}
		}
	}
	return d
}

// decode decodes one document and runs the per-object checks on each object
// while its parsed form is still at hand for locating fields.
func (d *dispatch) decode(job docJob, limits manifest.Options) docResult {
	limits.SkipForeign = job.foreign
	dec := manifest.Decode(job.doc, job.src, job.seq, limits)
	r := docResult{objects: dec.Objects, skipped: dec.Skipped}
	for _, e := range dec.Errors {
		loc := finding.Location{File: e.File, Line: e.Line, Column: e.Column,
			Chart: job.src.Chart, Template: job.src.Template, Kustomization: job.src.Kustomization}
		if job.rendered {
			// Lines of rendered output are not lines of any file the user wrote.
			loc.File, loc.Line, loc.Column = job.src.File, job.src.Line, 0
		}
		r.errors = append(r.errors, &finding.InputError{Location: loc, Object: e.Object, Message: e.Msg})
	}
	emit := func(obj *k8s.Object, f finding.Finding) {
		r.findings = append(r.findings, rawFinding{obj: obj, f: f})
	}
	for _, obj := range dec.Objects {
		loc, _ := obj.Locator.(*manifest.Locator)
		if job.rendered {
			obj.Locator = nil
			obj.Source.Line = job.src.Line
		}
		if v, ok := obj.Meta.Annotations[finding.IgnoreAnnotation]; ok {
			if _, err := finding.ParseIgnoreAnnotation(v); err != nil {
				r.errors = append(r.errors, &finding.InputError{Location: obj.Location(k8s.Path("metadata.annotations").Key(finding.IgnoreAnnotation)),
					Object: obj.Kind + " " + obj.Name(), Message: err.Error()})
			}
		}
		for _, c := range d.byKind[obj.Kind] {
			c.Object(check.NewContext(c, d.opts, emit), obj)
		}
		for _, c := range d.anyKind {
			c.Object(check.NewContext(c, d.opts, emit), obj)
		}
		if loc != nil {
			loc.Release()
		}
	}
	return r
}

// crossObject runs the cross-object checks over each group of objects, the
// groups in parallel.
func (d *dispatch) crossObject(ctx context.Context, objects []*k8s.Object) []rawFinding {
	if len(d.index) == 0 {
		return nil
	}
	groups := map[string][]*k8s.Object{}
	var names []string
	for _, o := range objects {
		g := o.Source.Group
		if _, ok := groups[g]; !ok {
			names = append(names, g)
		}
		groups[g] = append(groups[g], o)
	}
	sort.Strings(names)
	results := make([][]rawFinding, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, name := range names {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return
			}
			ix := k8s.NewIndex(groups[name])
			emit := func(obj *k8s.Object, f finding.Finding) {
				results[i] = append(results[i], rawFinding{obj: obj, f: f})
			}
			for _, c := range d.index {
				c.Index(check.NewContext(c, d.opts, emit), ix)
			}
			for _, o := range groups[name] {
				if l, ok := o.Locator.(*manifest.Locator); ok {
					l.Release()
				}
			}
		})
	}
	wg.Wait()
	var out []rawFinding
	for _, r := range results {
		out = append(out, r...)
	}
	return out
}
