package snapshot

// DefaultIgnore are the fields a diff ignores unless told otherwise: what
// changes without anyone changing the object (bookkeeping of the API
// server, clocks of controllers, leader elections), and copies of fields
// that are compared themselves. Each is an ignore pattern (see
// ParsePattern); docs/snapshot-format.md says why each is here.
//
// The uid is among them because a recreated object is reported as such
// (ObjectDiff.Recreated), not as a field that changed.
var DefaultIgnore = []string{
	// Bookkeeping of the API server.
	"metadata.managedFields",
	"metadata.resourceVersion",
	"metadata.generation",
	"metadata.creationTimestamp",
	"metadata.uid",
	"metadata.selfLink",
	// A copy of the object as last applied: its fields are compared
	// themselves (and for a Secret it holds the values).
	`metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`,
	// Clocks and counters of controllers.
	`metadata.annotations["endpoints.kubernetes.io/last-change-trigger-time"]`,
	`metadata.annotations["control-plane.alpha.kubernetes.io/leader"]`,
	`metadata.annotations["node.alpha.kubernetes.io/ttl"]`,
	"status.**.observedGeneration",
	"status.**.lastTransitionTime",
	"status.**.lastHeartbeatTime",
	"status.**.lastProbeTime",
	"status.**.lastUpdateTime",
	"status.lastScheduleTime",
	"status.lastSuccessfulTime",
	"status.lastScaleTime",
	"HorizontalPodAutoscaler:status.currentMetrics",
	// Leader election: the holder renews its lease every few seconds.
	"Lease:spec.renewTime",
	"Lease:spec.acquireTime",
	"Lease:spec.holderIdentity",
	"Lease:spec.leaseTransitions",
}

// compilePatterns compiles the default patterns (unless noDefaults) and
// extra ones.
func compilePatterns(extra []string, noDefaults bool) (*matcher, error) {
	m := &matcher{}
	var all []string
	if !noDefaults {
		all = append(all, DefaultIgnore...)
	}
	all = append(all, extra...)
	for _, s := range all {
		p, err := ParsePattern(s)
		if err != nil {
			return nil, err
		}
		m.pats = append(m.pats, p)
	}
	return m, nil
}
