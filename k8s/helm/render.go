package helm

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/engine"

	"github.com/dozor-dev/dozor/finding"
)

// maxFailures bounds how many failing templates renderAll sets aside to
// render the rest of a chart.
const maxFailures = 16

// renderAll renders every template of the chart.
//
// Helm's engine gives no partial output: it stops at the first template that
// fails and returns nothing. So when a template fails, renderAll reports it,
// sets it aside and renders the chart again, until the rest renders or
// maxFailures templates have failed:
//
//   - a template that fails to execute is set aside by renaming it as a
//     partial ("_" prefix): it is still parsed, so the named templates it
//     defines stay available to the others, but it renders nothing;
//   - a template that fails to parse is left out (when a partial fails to
//     parse, every template that uses it would fail too, so nothing is
//     rendered);
//   - when the error arose in a named template called with the "template"
//     action, the message names only the partial that defines it; the
//     template being rendered is then found by bisection, rendering the
//     chart with half of the candidates at a time.
//
// Each extra rendering renders the whole chart again; failures are rare and
// charts small, so this costs little where it matters.
func (r *renderer) renderAll(ctx context.Context, ch *chart.Chart, top common.Values) (map[string]string, []*finding.InputError) {
	set := newTemplateSet(ch)
	var errs []*finding.InputError
	for failures := 0; ; failures++ {
		out, err := set.render(ctx, top)
		if err == nil {
			return out, errs
		}
		te := parseTemplateError(err, set.refs)
		if failures >= maxFailures || ctx.Err() != nil {
			errs = append(errs, r.templateError(te, ""))
			return nil, errs
		}
		switch {
		case te.template == "" || set.off[te.template] || set.removed[te.template]:
			// Not a template of this chart, or one already set aside
			// (included by name): nothing more can be done.
			errs = append(errs, r.templateError(te, ""))
			return nil, errs
		case isPartial(te.template) && te.parse:
			errs = append(errs, r.templateError(te, ""))
			return nil, errs
		case te.parse:
			errs = append(errs, r.templateError(te, ""))
			set.removed[te.template] = true
		case !isPartial(te.template):
			errs = append(errs, r.templateError(te, ""))
			set.off[te.template] = true
		default:
			culprit := set.bisect(ctx, top)
			errs = append(errs, r.templateError(te, culprit))
			if culprit == "" {
				return nil, errs
			}
			set.off[culprit] = true
		}
	}
}

func isPartial(name string) bool { return strings.HasPrefix(path.Base(name), "_") }

// templateSet is the templates of a chart tree, some of them set aside.
type templateSet struct {
	root *chart.Chart
	// orig holds each chart's templates as loaded.
	orig map[*chart.Chart][]*common.File
	// refs indexes templates by the names the engine gives them
	// ("webapp/charts/db/templates/x.yaml").
	refs map[string]templateRef
	// off are set aside (parsed, not rendered); removed are left out.
	off, removed map[string]bool
}

// templateRef is where a template sits in the chart tree.
type templateRef struct {
	chart *chart.Chart
	file  *common.File
}

func newTemplateSet(ch *chart.Chart) *templateSet {
	s := &templateSet{root: ch, orig: map[*chart.Chart][]*common.File{}, refs: map[string]templateRef{},
		off: map[string]bool{}, removed: map[string]bool{}}
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		if _, seen := s.orig[c]; seen {
			return
		}
		s.orig[c] = c.Templates
		for _, t := range c.Templates {
			if t != nil {
				s.refs[path.Join(c.ChartFullPath(), t.Name)] = templateRef{chart: c, file: t}
			}
		}
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(ch)
	return s
}

// render renders the chart with the templates in s.off and s.removed, and
// those in extraOff, set aside.
func (s *templateSet) render(ctx context.Context, top common.Values, extraOff ...map[string]bool) (map[string]string, error) {
	off := func(name string) bool {
		if s.off[name] {
			return true
		}
		for _, m := range extraOff {
			if m[name] {
				return true
			}
		}
		return false
	}
	for c, orig := range s.orig {
		// New slices and files: aliased subcharts share the loaded ones
		// with the chart they alias.
		tpls := make([]*common.File, 0, len(orig))
		for _, t := range orig {
			if t == nil {
				continue
			}
			name := path.Join(c.ChartFullPath(), t.Name)
			switch {
			case s.removed[name]:
				continue
			case off(name):
				f := *t
				dir, base := path.Split(f.Name)
				f.Name = dir + "_dozor-set-aside-" + base
				tpls = append(tpls, &f)
			default:
				tpls = append(tpls, t)
			}
		}
		c.Templates = tpls
	}
	return engine.Engine{}.RenderWithContext(ctx, s.root, top)
}

// bisect finds a template that fails to render among those not set aside,
// or returns "".
func (s *templateSet) bisect(ctx context.Context, top common.Values) string {
	var candidates []string
	for name := range s.refs {
		if !isPartial(name) && !s.off[name] && !s.removed[name] {
			candidates = append(candidates, name)
		}
	}
	slices.Sort(candidates)
	// fails reports whether the chart fails to render with only keep
	// among the candidates rendered.
	fails := func(keep []string) bool {
		off := map[string]bool{}
		for _, c := range candidates {
			off[c] = true
		}
		for _, k := range keep {
			delete(off, k)
		}
		_, err := s.render(ctx, top, off)
		return err != nil
	}
	for len(candidates) > 1 && ctx.Err() == nil {
		half := candidates[:len(candidates)/2]
		if fails(half) {
			candidates = half
		} else {
			candidates = candidates[len(candidates)/2:]
		}
	}
	if len(candidates) == 1 && fails(candidates) {
		return candidates[0]
	}
	return ""
}

// templateError turns a rendering error into an input error at the
// template's file and line. rendering names the template being rendered when
// the error is in a named template it called.
func (r *renderer) templateError(te templateError, rendering string) *finding.InputError {
	msg := oneLine(te.message)
	if rendering != "" {
		msg = fmt.Sprintf("rendering %s: %s", rendering, msg)
	}
	e := &finding.InputError{
		Location: finding.Location{Chart: r.unit.Path, Template: te.template},
		Message:  msg,
	}
	if te.template != "" {
		e.Location.File = r.files.path(te.template)
		if !r.files.archive {
			// In an archive, the line is in a file inside it.
			e.Location.Line, e.Location.Column = te.line, te.column
		}
	}
	return e
}

var spaces = regexp.MustCompile(`\s*\n\s*`)

// oneLine joins the lines of Helm's multi-line messages.
func oneLine(s string) string {
	return spaces.ReplaceAllString(strings.TrimSpace(s), " ")
}
