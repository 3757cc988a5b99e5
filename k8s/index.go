package k8s

import (
	"slices"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// Key identifies an object by kind, effective namespace and name.
type Key struct {
	Kind, Namespace, Name string
}

// KeyOf returns the key of an object.
func KeyOf(o *Object) Key {
	return Key{Kind: o.Kind, Namespace: o.Namespace(), Name: o.Name()}
}

type labelKey struct {
	namespace, key, value string
}

// Index answers the questions cross-object checks ask, without comparing
// every object with every other: objects by kind, by name, and pod templates
// by namespace and label.
type Index struct {
	objects    []*Object
	byKind     map[string][]*Object
	byKey      map[Key][]*Object
	pods       map[string][]*Object // effective namespace -> objects that make pods
	podLabels  map[labelKey][]*Object
	namespaces []string
}

// NewIndex indexes objs, which it keeps in input order.
func NewIndex(objs []*Object) *Index {
	ix := &Index{
		objects:   slices.Clone(objs),
		byKind:    map[string][]*Object{},
		byKey:     make(map[Key][]*Object, len(objs)),
		pods:      map[string][]*Object{},
		podLabels: map[labelKey][]*Object{},
	}
	slices.SortStableFunc(ix.objects, func(a, b *Object) int {
		switch {
		case a.Seq.Less(b.Seq):
			return -1
		case b.Seq.Less(a.Seq):
			return 1
		}
		return 0
	})
	uids := map[types.UID]bool{}
	for _, o := range ix.objects {
		if o.Meta.UID != "" {
			uids[o.Meta.UID] = true
		}
	}
	seenNS := map[string]bool{}
	for _, o := range ix.objects {
		ix.byKind[o.Kind] = append(ix.byKind[o.Kind], o)
		k := KeyOf(o)
		ix.byKey[k] = append(ix.byKey[k], o)
		ns := o.Namespace()
		if ns != "" && !seenNS[ns] {
			seenNS[ns] = true
			ix.namespaces = append(ix.namespaces, ns)
		}
		if o.Kind == "Namespace" && !seenNS[o.Name()] {
			seenNS[o.Name()] = true
			ix.namespaces = append(ix.namespaces, o.Name())
		}
		if o.Pod == nil || o.Kind == "PodTemplate" {
			continue
		}
		if ref := metav1.GetControllerOfNoCopy(o.Meta); ref != nil && uids[ref.UID] {
			// Made by a controller in the index (a Pod of a ReplicaSet, a
			// ReplicaSet of a Deployment): the controller stands for it.
			continue
		}
		ix.pods[ns] = append(ix.pods[ns], o)
		for lk, lv := range o.Pod.Meta.Labels {
			key := labelKey{ns, lk, lv}
			ix.podLabels[key] = append(ix.podLabels[key], o)
		}
	}
	sort.Strings(ix.namespaces)
	return ix
}

// Objects returns every object in input order.
func (ix *Index) Objects() []*Object { return ix.objects }

// Kind returns the objects of one kind (any API version) in input order.
func (ix *Index) Kind(kind string) []*Object { return ix.byKind[kind] }

// Get returns the objects with the given kind, effective namespace and name;
// more than one when the input defines the same object twice.
func (ix *Index) Get(kind, namespace, name string) []*Object {
	return ix.byKey[Key{kind, namespace, name}]
}

// Has reports whether an object with the kind, namespace and name exists.
func (ix *Index) Has(kind, namespace, name string) bool {
	return len(ix.byKey[Key{kind, namespace, name}]) > 0
}

// Namespaces returns the effective namespaces of all namespaced objects and
// the names of all Namespace objects, sorted.
func (ix *Index) Namespaces() []string { return ix.namespaces }

// PodMakers returns the objects in a namespace that create pods: Pods and
// the workloads with pod templates, except PodTemplate objects, and except
// objects that a controller in the index owns (read from a cluster, a
// Deployment stands for its ReplicaSets and their Pods).
func (ix *Index) PodMakers(namespace string) []*Object { return ix.pods[namespace] }

// PodMakersMatching returns the pod-making objects in a namespace whose pod
// template labels match sel. A nil selector matches nothing; an empty one
// matches everything, as in Kubernetes.
func (ix *Index) PodMakersMatching(namespace string, sel *metav1.LabelSelector) []*Object {
	if sel == nil {
		return nil
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return nil
	}
	return ix.podMakersMatching(namespace, sel.MatchLabels, s)
}

// PodMakersMatchingMap is PodMakersMatching for the map selectors of
// Services and ReplicationControllers. An empty map matches nothing, as a
// Service without selector selects no pods.
func (ix *Index) PodMakersMatchingMap(namespace string, sel map[string]string) []*Object {
	if len(sel) == 0 {
		return nil
	}
	return ix.podMakersMatching(namespace, sel, labels.SelectorFromSet(sel))
}

func (ix *Index) podMakersMatching(namespace string, eq map[string]string, s labels.Selector) []*Object {
	candidates := ix.pods[namespace]
	// Start from the shortest posting list among the equality terms.
	for k, v := range eq {
		if p := ix.podLabels[labelKey{namespace, k, v}]; len(p) < len(candidates) {
			candidates = p
		}
	}
	var out []*Object
	for _, o := range candidates {
		if s.Matches(labels.Set(o.Pod.Meta.Labels)) {
			out = append(out, o)
		}
	}
	return out
}
