package history

import (
	"encoding/json"
	"time"
)

// DocumentVersion is the version of the JSON documents below; it changes
// when a field changes meaning or goes, not when one is added.
const DocumentVersion = 1

// ChangesDocument is what `dozor history changes -o json` prints
// (docs/history.md).
type ChangesDocument struct {
	SchemaVersion int     `json:"schemaVersion"`
	Cluster       Cluster `json:"cluster"`
	// Since and Until are the bounds asked for; Until is absent when none
	// was.
	Since time.Time `json:"since"`
	Until time.Time `json:"until,omitzero"`
	// Namespaces and Resources are the filters asked for, if any.
	Namespaces []string `json:"namespaces,omitempty"`
	Resources  []string `json:"resources,omitempty"`
	// Changes are oldest first; never null.
	Changes []Change `json:"changes"`
}

// ObjectDocument is what `dozor history get -o json` prints
// (docs/history.md).
type ObjectDocument struct {
	SchemaVersion int     `json:"schemaVersion"`
	Cluster       Cluster `json:"cluster"`
	// At is the time asked about.
	At time.Time `json:"at"`
	// Change is the change that made the version in force at At.
	Change Change `json:"change"`
	// Object is the object as the API served it after that change, with
	// its resourceVersion and without managedFields (Secrets: metadata
	// only).
	Object json.RawMessage `json:"object"`
}
