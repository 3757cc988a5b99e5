package scan

import (
	"slices"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// applyExceptions sorts raw findings into reported and suppressed ones, in
// output order. An object's ignore annotation is applied first, then the
// exceptions files. Expired exceptions do not apply and are listed.
func applyExceptions(res *Result, chunks [][]rawFinding, opts *Options) {
	clauses := map[*k8s.Object][]finding.IgnoreClause{}
	used := map[*finding.Exception]bool{}
	// Sort pointers to the raw findings, then build each Finding once, in
	// order: no large struct is swapped or copied twice.
	total := 0
	for _, c := range chunks {
		total += len(c)
	}
	order := make([]*rawFinding, 0, total)
	for _, c := range chunks {
		for i := range c {
			order = append(order, &c[i])
		}
	}
	slices.SortFunc(order, compareRaw)
	res.Findings = make([]finding.Finding, 0, total)
	for _, r := range order {
		f := r.finding()
		if s := annotationSuppression(r.obj, &f, clauses); s != nil {
			f.Suppressed = s
			res.Suppressed = append(res.Suppressed, f)
			continue
		}
		if e := matchException(&f, opts); e != nil {
			used[e] = true
			f.Suppressed = &finding.Suppression{Kind: "exceptions-file", Reason: e.Reason, Source: e.Source}
			res.Suppressed = append(res.Suppressed, f)
			continue
		}
		res.Findings = append(res.Findings, f)
	}
	for _, e := range opts.Exceptions {
		switch {
		case e.Expired(opts.Now):
			res.ExpiredExceptions = append(res.ExpiredExceptions, e)
		case !used[e]:
			res.UnusedExceptions = append(res.UnusedExceptions, e)
		}
	}
}

// matchException returns the first unexpired exception that covers f.
func matchException(f *finding.Finding, opts *Options) *finding.Exception {
	for _, e := range opts.Exceptions {
		if e.Matches(f) && !e.Expired(opts.Now) {
			return e
		}
	}
	return nil
}

// annotationSuppression returns the suppression an object's ignore
// annotation gives the finding, or nil. Parsed annotations are cached per
// object; an invalid annotation suppresses nothing (it is an input error).
func annotationSuppression(obj *k8s.Object, f *finding.Finding, cache map[*k8s.Object][]finding.IgnoreClause) *finding.Suppression {
	v, ok := obj.Meta.Annotations[finding.IgnoreAnnotation]
	if !ok {
		return nil
	}
	cl, ok := cache[obj]
	if !ok {
		cl, _ = finding.ParseIgnoreAnnotation(v)
		cache[obj] = cl
	}
	for _, c := range cl {
		if finding.MatchRuleID(c.Checks, f.Rule.ID) {
			return &finding.Suppression{Kind: "annotation", Reason: c.Reason,
				Source: obj.Location("").String()}
		}
	}
	return nil
}
