// Package builtin lists Dozor's built-in checks. The list is literal: a
// library user decides what loads, and a test proves that every check is
// listed, documented and has passing and failing fixtures.
package builtin

import (
	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/check/apiversion"
	"github.com/dozor-dev/dozor/check/consistency"
	"github.com/dozor-dev/dozor/check/exposure"
	"github.com/dozor-dev/dozor/check/hostpath"
	"github.com/dozor-dev/dozor/check/image"
	"github.com/dozor-dev/dozor/check/job"
	"github.com/dozor-dev/dozor/check/live"
	"github.com/dozor-dev/dozor/check/netpol"
	"github.com/dozor-dev/dozor/check/placement"
	"github.com/dozor-dev/dozor/check/probes"
	"github.com/dozor-dev/dozor/check/pss"
	"github.com/dozor-dev/dozor/check/rbac"
	"github.com/dozor-dev/dozor/check/resources"
	"github.com/dozor-dev/dozor/check/schema"
	"github.com/dozor-dev/dozor/check/secret"
	"github.com/dozor-dev/dozor/check/security"
	"github.com/dozor-dev/dozor/check/serviceaccount"
	"github.com/dozor-dev/dozor/check/webhook"
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
	{Name: "Resources", Dir: "resources", Checks: resources.Checks},
	{Name: "Probes", Dir: "probes", Checks: probes.Checks},
	{Name: "Images", Dir: "image", Checks: image.Checks},
	{Name: "Security context", Dir: "security", Checks: security.Checks},
	{Name: "Service accounts", Dir: "serviceaccount", Checks: serviceaccount.Checks},
	{Name: "Placement", Dir: "placement", Checks: placement.Checks},
	{Name: "Credentials", Dir: "secret", Checks: secret.Checks},
	{Name: "Host paths", Dir: "hostpath", Checks: hostpath.Checks},
	{Name: "Exposure", Dir: "exposure", Checks: exposure.Checks},
	{Name: "Network policies", Dir: "netpol", Checks: netpol.Checks},
	{Name: "Consistency", Dir: "consistency", Checks: consistency.Checks},
	{Name: "API versions", Dir: "apiversion", Checks: apiversion.Checks},
	{Name: "RBAC", Dir: "rbac", Checks: rbac.Checks},
	{Name: "Admission webhooks", Dir: "webhook", Checks: webhook.Checks},
	{Name: "Jobs and CronJobs", Dir: "job", Checks: job.Checks},
	{Name: "Live clusters", Dir: "live", Checks: live.Checks},
	{Name: "Schema", Dir: "schema", Checks: schema.Checks},
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
