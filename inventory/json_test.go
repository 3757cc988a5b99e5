package inventory_test

import (
	"bytes"
	"encoding/json"
	"github.com/dozor-dev/dozor/internal/jsondoc"
	"reflect"
	"testing"

	"github.com/dozor-dev/dozor/inventory"
)

// TestJSONDocumented fails when a field of the inventory's JSON is not
// documented in docs/inventory-json.md. Every field is written there with
// its full path in backquotes: `nodes[].containerRuntime.version`.
func TestJSONDocumented(t *testing.T) {
	jsondoc.Check(t, "../docs/inventory-json.md", 100, []reflect.Type{reflect.TypeFor[inventory.Inventory]()}, "*.go")
}

// TestJSONSchema: the identifiers of the schema, and a round trip: what is
// written reads back the same into the Go types.
func TestJSONSchema(t *testing.T) {
	inv := eks(t)
	var b bytes.Buffer
	if err := inventory.WriteJSON(&b, inv); err != nil {
		t.Fatal(err)
	}
	var back inventory.Inventory
	dec := json.NewDecoder(&b)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if back.APIVersion != "dozor.io/v1" || back.Kind != "Inventory" {
		t.Errorf("apiVersion, kind = %q, %q", back.APIVersion, back.Kind)
	}
	if !reflect.DeepEqual(*inv, back) {
		t.Error("the inventory does not read back as written")
	}
}
