package scan

import (
	"slices"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// applyExceptions sorts raw findings into reported and suppressed ones. An
// object's ignore annotation is applied first, then the exceptions file.
// Expired exceptions do not apply and are listed.
func applyExceptions(res *Result, raw []rawFinding, opts *Options) {
	clauses := map[*k8s.Object][]finding.IgnoreClause{}
	used := map[*finding.Exception]bool{}
	for i := range raw {
		f := raw[i].f
		obj := raw[i].obj
		if s := annotationSuppression(obj, &f, clauses); s != nil {
			f.Suppressed = s
			res.Suppressed = append(res.Suppressed, f)
			continue
		}
		var applied *finding.Exception
		for _, e := range opts.Exceptions {
			if !e.Matches(&f) {
				continue
			}
			if e.Expired(opts.Now) {
				continue
			}
			applied = e
			break
		}
		if applied != nil {
			used[applied] = true
			f.Suppressed = &finding.Suppression{Kind: "exceptions-file", Reason: applied.Reason, Source: applied.Source}
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
	cmp := func(a, b finding.Finding) int { return finding.Compare(&a, &b) }
	slices.SortFunc(res.Findings, cmp)
	slices.SortFunc(res.Suppressed, cmp)
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
