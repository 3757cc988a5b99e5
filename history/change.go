package history

import (
	"strings"
	"time"
)

// Type is the kind of a change.
type Type string

// The types of change.
const (
	// Existing: the object was there when Dozor first listed its resource;
	// not a change, but the state the history starts from. Changes leaves
	// these out unless asked.
	Existing Type = "existing"
	// Added: the object was created (or first seen in a resource that
	// appeared while Dozor was watching).
	Added Type = "added"
	// Modified: the object was written.
	Modified Type = "modified"
	// Deleted: the object was deleted.
	Deleted Type = "deleted"
)

// How Dozor learnt of a change (Change.Via).
const (
	// ViaWatch: a watch event.
	ViaWatch = "watch"
	// ViaList: a list, the first of a resource or one after the watch's
	// resourceVersion expired (410 Gone); the change happened at or before
	// Time, while Dozor was not watching.
	ViaList = "list"
)

// Change is one recorded change of one object: what `dozor history changes
// -o json` prints, and what the store keeps, one per change.
type Change struct {
	// Time is when Dozor recorded the change: for a watch event, when it
	// arrived; for a change found by a list, when the list was read. Times
	// are unique and increase in the order changes were recorded.
	Time time.Time `json:"time"`
	// Change is added, modified, deleted or existing.
	Change Type `json:"change"`
	// Via is watch or list.
	Via string `json:"via"`
	// Resource is the resource as kubectl names it: "deployments.apps".
	Resource string `json:"resource"`
	// APIVersion and Kind of the object.
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Namespace is empty for cluster-scoped objects.
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	UID       string `json:"uid"`
	// ResourceVersion is the object's after the change; for a deletion
	// found by a list, the list's.
	ResourceVersion string `json:"resourceVersion"`
	// Manager is who made the change, where the API tells (its
	// managedFields); nil for deletions, which the API does not attribute.
	Manager *Manager `json:"manager,omitempty"`
	// Content names the object's content after the change (for a deletion,
	// its last known content): "sha256:" and the hash of its JSON without
	// resourceVersion and managedFields. Equal content, equal name: it is
	// stored once.
	Content string `json:"content"`
}

// Manager is the field manager of a change: of the object's managedFields
// entries, the one this change wrote (new, or with a new time or new
// fields), else the newest.
type Manager struct {
	// Name is the field manager: "kubectl-client-side-apply", a
	// controller's name, or what a client sent as fieldManager.
	Name string `json:"name"`
	// Operation is Apply (server-side apply) or Update.
	Operation string `json:"operation"`
	// Subresource is the subresource written through ("status", "scale"),
	// if any.
	Subresource string `json:"subresource,omitempty"`
	// Time is the API server's time of the manager's last write, to the
	// second.
	Time time.Time `json:"time,omitzero"`
}

// Ref names an object: its resource, namespace and name.
type Ref struct {
	Resource, Namespace, Name string
}

func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Resource + " " + r.Name
	}
	return r.Resource + " " + r.Namespace + "/" + r.Name
}

// Resource is a resource of the cluster as the store keeps it.
type Resource struct {
	Group      string `json:"group,omitempty"`
	Version    string `json:"version"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Namespaced bool   `json:"namespaced"`
}

// String names the resource as kubectl does: "deployments.apps", "pods".
func (r Resource) String() string {
	if r.Group == "" {
		return r.Name
	}
	return r.Name + "." + r.Group
}

// Matches reports whether a name given on the command line names the
// resource: its plural ("deployments"), kind ("Deployment"), either with
// the group ("deployments.apps", "Deployment.apps"), in any case.
func (r Resource) Matches(name string) bool {
	for _, n := range []string{r.Name, r.Kind, r.String(), r.Kind + "." + r.Group} {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}
