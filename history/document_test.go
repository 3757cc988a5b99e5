package history

import (
	"reflect"
	"testing"

	"github.com/dozor-dev/dozor/internal/jsondoc"
)

// TestDocumentsDocumented fails when a field of what `dozor history
// changes -o json` and `dozor history get -o json` print is not documented
// in docs/history.md with its full path.
func TestDocumentsDocumented(t *testing.T) {
	jsondoc.Check(t, "../docs/history.md", 15,
		[]reflect.Type{reflect.TypeFor[ChangesDocument](), reflect.TypeFor[ObjectDocument]()}, "document.go")
}
