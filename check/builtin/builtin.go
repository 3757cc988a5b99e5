// Package builtin lists Dozor's built-in checks. The list is literal: a
// library user decides what loads, and a test proves that every check is
// listed, documented and has passing and failing fixtures.
package builtin

import (
	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/check/hostpath"
	"github.com/dozor-dev/dozor/check/pss"
)

// Set is the checks of one topic package.
type Set struct {
	// Name is the topic; Dir is its package directory under check/.
	Name, Dir string
	Checks    func() []*check.Check
}

// Sets lists every topic in catalogue order.
var Sets = []Set{
	{Name: "Pod Security Standards", Dir: "pss", Checks: pss.Checks},
	{Name: "Host paths", Dir: "hostpath", Checks: hostpath.Checks},
}

// All returns every built-in check, in catalogue order. Each call builds new
// values.
func All() []*check.Check {
	var out []*check.Check
	for _, s := range Sets {
		out = append(out, s.Checks()...)
	}
	return out
}
