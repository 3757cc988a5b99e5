package finding

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// ObjectRef names the Kubernetes object a finding concerns.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	// ResourceVersion is the version of a live object that was checked.
	ResourceVersion string `json:"resourceVersion,omitempty"`
}

// String renders the reference as "Kind namespace/name" or "Kind name".
func (o ObjectRef) String() string {
	if o.Namespace != "" {
		return o.Kind + " " + o.Namespace + "/" + o.Name
	}
	return o.Kind + " " + o.Name
}

// Location says where a finding or an input error can be fixed. File and Line
// point into a file the user edits: Line is always a line of File, never a
// line of rendered output. For objects rendered from a Helm chart or a
// kustomization, Chart, Template and Kustomization name where they came from.
type Location struct {
	// File is the path of the file as the user gave it (or "<stdin>").
	File string `json:"file,omitempty"`
	// Line and Column are 1-based; 0 means unknown.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Chart is the directory or archive of the Helm chart that rendered the object.
	Chart string `json:"chart,omitempty"`
	// Template is the chart template that rendered the object, "mychart/templates/deployment.yaml".
	Template string `json:"template,omitempty"`
	// Kustomization is the kustomization directory that built the object.
	Kustomization string `json:"kustomization,omitempty"`
	// Cluster names the live cluster (its kubeconfig context) the object
	// was read from.
	Cluster string `json:"cluster,omitempty"`
}

// String renders the location as people read it: "file.yaml:12",
// "chart/templates/x.yaml (chart ./chart)".
func (l Location) String() string {
	var b strings.Builder
	switch {
	case l.File != "":
		b.WriteString(l.File)
	case l.Template != "":
		b.WriteString(l.Template)
	}
	if l.Line > 0 {
		fmt.Fprintf(&b, ":%d", l.Line)
	}
	origin := ""
	switch {
	case l.Chart != "":
		origin = "chart " + l.Chart
	case l.Kustomization != "":
		origin = "kustomization " + l.Kustomization
	case l.Cluster != "":
		origin = "cluster " + l.Cluster
	}
	switch {
	case origin != "" && b.Len() > 0:
		fmt.Fprintf(&b, " (%s)", origin)
	case origin != "":
		b.WriteString(origin)
	}
	return b.String()
}

// Finding is one result: a rule found a problem in an object.
type Finding struct {
	// Rule is the rule that raised the finding; never nil.
	Rule *Rule `json:"-"`
	// Severity is the rule's severity unless the check raised it or lowered it
	// for this case.
	Severity Severity  `json:"severity"`
	Object   ObjectRef `json:"object"`
	// Location is where to fix it.
	Location Location `json:"location"`
	// Path is the field the finding is about, in the form
	// spec.template.spec.containers[0].securityContext.privileged; empty for the
	// object as a whole.
	Path string `json:"path,omitempty"`
	// Container names the container concerned, if any.
	Container string `json:"container,omitempty"`
	// Message says what is wrong in this object. It never contains a secret value.
	Message string `json:"message"`
	// Suppressed is set when an exception suppresses the finding.
	Suppressed *Suppression `json:"suppressed,omitempty"`
}

// Suppression records why a finding is not reported.
type Suppression struct {
	// Kind is "annotation" or "exceptions-file".
	Kind string `json:"kind"`
	// Reason is the justification the user gave.
	Reason string `json:"reason"`
	// Source is where the exception was written: the exceptions file and line,
	// or the annotated object.
	Source string `json:"source"`
}

// Compare orders findings for stable output: by file, line, object, rule,
// path and message.
func Compare(a, b *Finding) int {
	if c := cmp.Compare(a.Location.File, b.Location.File); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Location.Template, b.Location.Template); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Location.Line, b.Location.Line); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Object.Namespace, b.Object.Namespace); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Object.Kind, b.Object.Kind); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Object.Name, b.Object.Name); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Rule.ID, b.Rule.ID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Path, b.Path); c != 0 {
		return c
	}
	return cmp.Compare(a.Message, b.Message)
}

// Sorted returns the findings in Compare order, in a new slice. It sorts an
// index and moves each finding once, which is much faster than swapping the
// large structs in place.
func Sorted(fs []Finding) []Finding {
	if len(fs) < 2 {
		return fs
	}
	idx := make([]int32, len(fs))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return Compare(&fs[a], &fs[b]) })
	sorted := make([]Finding, len(fs))
	for i, j := range idx {
		sorted[i] = fs[j]
	}
	return sorted
}

// InputError is a problem with the input itself: a file that cannot be read
// or parsed, an object kubectl would refuse, a chart that fails to render.
// The rest of the input is still scanned.
type InputError struct {
	Location Location `json:"location"`
	// Object names the object concerned, when known: "Deployment web".
	Object  string `json:"object,omitempty"`
	Message string `json:"message"`
}

// Error renders the error as "file:line: object: message".
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.Location.String())
	if e.Location.Column > 0 && e.Location.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Location.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Object != "" {
		b.WriteString(e.Object)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// CompareInputErrors orders input errors by location and message.
func CompareInputErrors(a, b *InputError) int {
	return cmp.Or(
		cmp.Compare(a.Location.File, b.Location.File),
		cmp.Compare(a.Location.Chart, b.Location.Chart),
		cmp.Compare(a.Location.Kustomization, b.Location.Kustomization),
		cmp.Compare(a.Location.Template, b.Location.Template),
		cmp.Compare(a.Location.Line, b.Location.Line),
		cmp.Compare(a.Location.Column, b.Location.Column),
		cmp.Compare(a.Message, b.Message),
	)
}

// Gap is a part of a live cluster a scan could not read: a resource the
// credentials may not list ("not visible"), or one whose reading failed.
// Reports list gaps, so that no part is left out silently.
type Gap struct {
	// Resource is the resource, as "deployments.apps" or "pods".
	Resource string `json:"resource"`
	// Namespace is set when only one namespace of it could not be read.
	Namespace string `json:"namespace,omitempty"`
	// Kind is GapNotVisible or GapFailed.
	Kind string `json:"kind"`
	// Reason says why, in the API server's words where it gave some.
	Reason string `json:"reason"`
}

// Kinds of gap.
const (
	// GapNotVisible: the credentials may not list the resource.
	GapNotVisible = "not-visible"
	// GapFailed: listing or discovering it failed, after retries.
	GapFailed = "failed"
)
