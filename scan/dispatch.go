package scan

import (
	"context"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/manifest"
)

// dispatch knows which checks look at which kinds.
type dispatch struct {
	byKind  map[string][]*check.Check
	anyKind []*check.Check
	index   []*check.Check
	opts    *check.Options
}

func newDispatch(checks []*check.Check, opts *check.Options) *dispatch {
	d := &dispatch{byKind: map[string][]*check.Check{}, opts: opts}
	for _, c := range checks {
		switch {
		case c.Index != nil:
			d.index = append(d.index, c)
		case c.Object == nil:
			// Raised by Options.Analyze, over all the objects.
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
func (d *dispatch) decode(job docJob, limits manifest.Options, in interner) docResult {
	if job.obj != nil {
		r := docResult{objects: []*k8s.Object{job.obj}}
		d.check(&r, job.obj, in)
		return r
	}
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
	for _, obj := range dec.Objects {
		if job.rendered {
			obj.Locator = nil
			obj.Source.Line = job.src.Line
		}
		d.check(&r, obj, in)
	}
	dec.Release()
	return r
}

// check validates an object's ignore annotation and runs the per-object
// checks that apply to its kind, adding to r.
func (d *dispatch) check(r *docResult, obj *k8s.Object, in interner) {
	if v, ok := obj.Meta.Annotations[finding.IgnoreAnnotation]; ok {
		if _, err := finding.ParseIgnoreAnnotation(v); err != nil {
			r.errors = append(r.errors, &finding.InputError{Location: obj.Location(k8s.Path("metadata.annotations").Key(finding.IgnoreAnnotation)),
				Object: obj.Kind + " " + obj.Name(), Message: err.Error()})
		}
	}
	ctx := check.NewContext(nil, d.opts, func(obj *k8s.Object, f finding.Finding) {
		r.findings = append(r.findings, newRaw(obj, &f, in))
	})
	for _, c := range d.byKind[obj.Kind] {
		c.Object(ctx.WithCheck(c), obj)
	}
	for _, c := range d.anyKind {
		c.Object(ctx.WithCheck(c), obj)
	}
	dropValues(obj)
}

// dropValues drops the values of a ConfigMap or Secret once the per-object
// checks have read them: cross-object checks need their names and types,
// not their values (check.Check.Index). Values are often most of a
// cluster's bytes (dashboards, certificates, Helm release records), and
// secret values are then held no longer than needed.
func dropValues(obj *k8s.Object) {
	switch t := obj.Typed.(type) {
	case *corev1.ConfigMap:
		t.Data, t.BinaryData = nil, nil
	case *corev1.Secret:
		t.Data, t.StringData = nil, nil
	}
}

// crossObject runs the cross-object checks over each group of objects.
// Groups, and the checks within a group, run in parallel on workers
// goroutines; the index is read-only while they run. Findings carry the
// object's line until the end, when each object with findings has its
// document parsed once to turn every finding's field into a line.
func (d *dispatch) crossObject(ctx context.Context, objects []*k8s.Object, workers int) []rawFinding {
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
	indexes := make([]*k8s.Index, len(names))
	type job struct{ group, check int }
	var jobs []job
	for g := range names {
		for c := range d.index {
			jobs = append(jobs, job{g, c})
		}
	}
	results := make([][]rawFinding, len(jobs))
	var once = make([]sync.Once, len(names))
	run := func(jobCh <-chan int) {
		in := interner{}
		for j := range jobCh {
			if ctx.Err() != nil {
				continue
			}
			g, c := jobs[j].group, d.index[jobs[j].check]
			once[g].Do(func() { indexes[g] = k8s.NewIndex(groups[names[g]]) })
			cc := check.NewContext(c, d.opts, func(obj *k8s.Object, f finding.Finding) {
				results[j] = append(results[j], newRaw(obj, &f, in))
			}).DeferLines()
			c.Index(cc, indexes[g])
		}
	}
	jobCh := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { run(jobCh) })
	}
	for j := range jobs {
		jobCh <- j
	}
	close(jobCh)
	wg.Wait()

	n := 0
	for _, r := range results {
		n += len(r)
	}
	out := make([]rawFinding, 0, n)
	for _, r := range results {
		out = append(out, r...)
	}
	resolveLines(out, workers)
	// A check may have located a field itself: drop every parsed document.
	for _, o := range objects {
		if l, ok := o.Locator.(*manifest.Locator); ok {
			l.Release()
		}
	}
	return out
}

// resolveLines sets the field line of findings whose lines were deferred:
// each object's document is parsed once, by one goroutine, then released.
func resolveLines(fs []rawFinding, workers int) {
	byObject := map[*k8s.Object][]int{}
	var order []*k8s.Object
	for i := range fs {
		o := fs[i].obj
		if o.Locator == nil || fs[i].path == "" {
			continue
		}
		if _, ok := byObject[o]; !ok {
			order = append(order, o)
		}
		byObject[o] = append(byObject[o], i)
	}
	ch := make(chan *k8s.Object)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for o := range ch {
				for _, i := range byObject[o] {
					f := &fs[i]
					loc := o.Location(k8s.Path(f.path))
					f.line, f.column = int32(loc.Line), int32(loc.Column)
				}
				if l, ok := o.Locator.(*manifest.Locator); ok {
					l.Release()
				}
			}
		})
	}
	for _, o := range order {
		ch <- o
	}
	close(ch)
	wg.Wait()
}
