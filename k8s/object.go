package k8s

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/dozor-dev/dozor/finding"
)

// Object is one Kubernetes object and where it came from.
type Object struct {
	// APIVersion and Kind as written.
	APIVersion string
	Kind       string
	// Meta is the object's metadata; never nil. For typed objects it points
	// into Typed.
	Meta *metav1.ObjectMeta
	// Typed is the object decoded into its Go type from k8s.io/api, or nil
	// for kinds Dozor has no type for (custom resources).
	Typed runtime.Object
	// Unstructured holds the content of objects without a Go type.
	Unstructured map[string]any
	// Pod is the pod template inside a workload, or nil.
	Pod *PodTemplate
	// Source says where the object came from.
	Source Source
	// FieldErrors are fields that are not part of the kind's schema:
	// unknown fields, which the API server drops or rejects.
	FieldErrors []FieldError
	// Seq orders objects as they appeared in the input.
	Seq Seq
	// Locator finds the line of a field; nil when lines are unknown.
	Locator Locator
}

// FieldError is a problem with one field of an object.
type FieldError struct {
	Path    Path
	Message string
}

// Seq orders objects by input unit, document within the unit, and item
// within a List.
type Seq struct {
	Unit, Doc, Item int
}

// Less orders sequence numbers.
func (s Seq) Less(o Seq) bool {
	if s.Unit != o.Unit {
		return s.Unit < o.Unit
	}
	if s.Doc != o.Doc {
		return s.Doc < o.Doc
	}
	return s.Item < o.Item
}

// Source says where an object came from.
type Source struct {
	// File is the file as the user named it, or the file a kustomization
	// resource came from, or "<stdin>".
	File string
	// Line is the first line of the object in File; 0 when unknown.
	Line int
	// Chart, Template and Kustomization name the Helm chart, its template,
	// and the kustomization that produced a rendered object.
	Chart, Template, Kustomization string
	// Cluster names the live cluster (kubeconfig context) the object was
	// read from.
	Cluster string
	// Group names the set of objects deployed together: a Helm release, a
	// kustomization, or the plain files of one scan. Cross-object checks
	// compare objects within one group.
	Group string
	// DefaultNamespace is the namespace an object without one is created in,
	// when the source knows it (a Helm release's namespace); else "".
	DefaultNamespace string
}

// Locator finds where a field of an object is written.
type Locator interface {
	// Locate returns the 1-based line and column of the deepest existing
	// field along path; 0, 0 when unknown.
	Locate(path Path) (line, column int)
}

// GVK returns the object's group, version and kind.
func (o *Object) GVK() schema.GroupVersionKind {
	return schema.FromAPIVersionAndKind(o.APIVersion, o.Kind)
}

// Group returns the object's API group ("" for the core group).
func (o *Object) Group() string {
	g, _, found := strings.Cut(o.APIVersion, "/")
	if !found {
		return ""
	}
	return g
}

// Name returns metadata.name (or generateName when name is empty).
func (o *Object) Name() string {
	if o.Meta.Name == "" && o.Meta.GenerateName != "" {
		return o.Meta.GenerateName
	}
	return o.Meta.Name
}

// Namespaced reports whether the object's kind lives in a namespace.
func (o *Object) Namespaced() bool {
	return !IsClusterScoped(o.Group(), o.Kind)
}

// Namespace returns the namespace the object is created in: its own, else
// its source's default, else "default"; "" for cluster-scoped kinds.
func (o *Object) Namespace() string {
	if !o.Namespaced() {
		return ""
	}
	switch {
	case o.Meta.Namespace != "":
		return o.Meta.Namespace
	case o.Source.DefaultNamespace != "":
		return o.Source.DefaultNamespace
	}
	return "default"
}

// Ref returns the reference findings carry. The namespace is the one
// written in the object (or its source's default), not a guess.
func (o *Object) Ref() finding.ObjectRef {
	ns := o.Meta.Namespace
	if ns == "" && o.Namespaced() {
		ns = o.Source.DefaultNamespace
	}
	return finding.ObjectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: ns, Name: o.Name(), ResourceVersion: o.Meta.ResourceVersion}
}

// Location returns where the field at path is written, as precisely as the
// source allows.
func (o *Object) Location(path Path) finding.Location {
	loc := finding.Location{
		File:          o.Source.File,
		Line:          o.Source.Line,
		Chart:         o.Source.Chart,
		Template:      o.Source.Template,
		Kustomization: o.Source.Kustomization,
		Cluster:       o.Source.Cluster,
	}
	if o.Locator != nil && path != "" {
		if line, col := o.Locator.Locate(path); line > 0 {
			loc.Line, loc.Column = line, col
		}
	}
	return loc
}

// String renders "Kind namespace/name".
func (o *Object) String() string { return o.Ref().String() }
