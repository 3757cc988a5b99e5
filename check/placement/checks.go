package placement

import (
	"github.com/dozor-dev/dozor/check"
)

// Checks returns the placement checks.
func Checks() []*check.Check {
	return []*check.Check{
		defaultNamespace(), singleReplica(), noSpreading(), noDisruptionBudget(), budgetBlocksEviction(),
		nodeName(), toleratesAll(), systemPriority(),
	}
}
