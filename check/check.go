package check

import (
	"fmt"
	"slices"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

// Check is one rule and the code that looks for it. Exactly one of Object
// and Index is set.
type Check struct {
	finding.Rule
	// Kinds restricts Object to objects of these kinds (in any API version);
	// nil means every kind. It also tells reports which objects a check
	// passed.
	Kinds []string
	// Object looks at one object.
	Object func(ctx *Context, obj *k8s.Object)
	// Index looks across the objects deployed together (a Helm release, a
	// kustomization, the plain files of a scan, or a cluster). It sees
	// ConfigMaps and Secrets without their values (data, binaryData,
	// stringData): only Object checks read those, and the scan drops them
	// once those have run.
	Index func(ctx *Context, ix *k8s.Index)
}

// AppliesTo reports whether the check's Object function looks at obj.
func (c *Check) AppliesTo(obj *k8s.Object) bool {
	return c.Object != nil && (c.Kinds == nil || slices.Contains(c.Kinds, obj.Kind))
}

// Options are what checks may depend on besides the objects.
type Options struct {
	// KubeVersion is the Kubernetes version the objects are meant for.
	KubeVersion Version
}

// Version is a Kubernetes major.minor version.
type Version struct {
	Major, Minor int
}

// Before reports whether v is older than o.
func (v Version) Before(o Version) bool {
	return v.Major < o.Major || v.Major == o.Major && v.Minor < o.Minor
}

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// ParseVersion reads "1.31", "v1.31" or "1.31.2".
func ParseVersion(s string) (Version, error) {
	var v Version
	in := s
	if len(in) > 0 && (in[0] == 'v' || in[0] == 'V') {
		in = in[1:]
	}
	var patch int
	n, _ := fmt.Sscanf(in, "%d.%d.%d", &v.Major, &v.Minor, &patch)
	if n < 2 || v.Major != 1 || v.Minor < 0 || v.Minor > 99 {
		return Version{}, fmt.Errorf("invalid Kubernetes version %q: want 1.MINOR such as 1.31", s)
	}
	return v, nil
}

// Context is how a check reports findings. A Context is used by one
// goroutine at a time.
type Context struct {
	check      *Check
	opts       *Options
	emit       func(*k8s.Object, finding.Finding)
	findings   int
	deferLines bool
}

// NewContext returns a Context for running c, handing its findings, and the
// objects they concern, to emit.
func NewContext(c *Check, opts *Options, emit func(*k8s.Object, finding.Finding)) *Context {
	return &Context{check: c, opts: opts, emit: emit}
}

// WithCheck makes the context run c from now on, so that one Context can
// serve every check in turn, and returns it.
func (ctx *Context) WithCheck(c *Check) *Context {
	ctx.check = c
	return ctx
}

// DeferLines makes the context leave field lines out of findings: their
// Location holds the object's own line, and the caller resolves each
// finding's Path later, all the findings of an object at once. Runners of
// cross-object checks use it, because by then an object's document must be
// parsed again to find a field's line.
func (ctx *Context) DeferLines() *Context {
	ctx.deferLines = true
	return ctx
}

// Options returns the options of the run.
func (ctx *Context) Options() *Options { return ctx.opts }

// Rule returns the rule being checked.
func (ctx *Context) Rule() *finding.Rule { return &ctx.check.Rule }

// Count returns how many findings the context has reported.
func (ctx *Context) Count() int { return ctx.findings }

// Report raises a finding about obj at path (empty for the object itself).
// The message must not contain secret values.
func (ctx *Context) Report(obj *k8s.Object, path k8s.Path, format string, args ...any) {
	ctx.report(obj, path, "", 0, format, args...)
}

// ReportSeverity is Report with a severity other than the rule's.
func (ctx *Context) ReportSeverity(sev finding.Severity, obj *k8s.Object, path k8s.Path, format string, args ...any) {
	ctx.report(obj, path, "", sev, format, args...)
}

// ReportContainerSeverity is ReportContainer with a severity other than the
// rule's.
func (ctx *Context) ReportContainerSeverity(sev finding.Severity, obj *k8s.Object, c k8s.Container, rel k8s.Path, format string, args ...any) {
	ctx.report(obj, c.Path.Join(rel), c.Name, sev, format, args...)
}

// ReportContainer raises a finding about a container, at a path relative to
// the container.
func (ctx *Context) ReportContainer(obj *k8s.Object, c k8s.Container, rel k8s.Path, format string, args ...any) {
	ctx.report(obj, c.Path.Join(rel), c.Name, 0, format, args...)
}

func (ctx *Context) report(obj *k8s.Object, path k8s.Path, container string, sev finding.Severity, format string, args ...any) {
	if sev == 0 {
		sev = ctx.check.Severity
	}
	ctx.findings++
	at := path
	if ctx.deferLines {
		at = ""
	}
	ctx.emit(obj, finding.Finding{
		Rule:      &ctx.check.Rule,
		Severity:  sev,
		Object:    obj.Ref(),
		Location:  obj.Location(at),
		Path:      string(path),
		Container: container,
		Message:   fmt.Sprintf(format, args...),
	})
}
