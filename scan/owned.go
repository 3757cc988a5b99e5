package scan

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/dozor-dev/dozor/k8s"
)

// dropRepeated drops the findings of objects that a controller in the same
// scan owns (a Pod of a ReplicaSet, a ReplicaSet of a Deployment, a Job of
// a CronJob) when an owner up the chain has the same finding: in a live
// cluster every replica would otherwise repeat its workload's findings,
// and the workload is where they are fixed. What only the owned object has
// stays: a sidecar an admission webhook injected, the digest a pod really
// runs, a pod without a controller. Findings are the same when they have
// the same rule, container and field, the field taken inside the pod
// template (spec.containers[*].image in a Pod is
// spec.template.spec.containers[*].image in its ReplicaSet and
// spec.jobTemplate.spec.template.spec.containers[*].image in a CronJob).
// It returns how many findings it dropped.
func dropRepeated(objects []*k8s.Object, raw [][]rawFinding) int {
	byUID := map[types.UID]*k8s.Object{}
	for _, o := range objects {
		if o.Meta.UID != "" {
			byUID[o.Meta.UID] = o
		}
	}
	owner := map[*k8s.Object]*k8s.Object{}
	for _, o := range objects {
		ref := metav1.GetControllerOfNoCopy(o.Meta)
		if ref == nil {
			continue
		}
		if p, ok := byUID[ref.UID]; ok && p != o && p.Source.Group == o.Source.Group {
			owner[o] = p
		}
	}
	if len(owner) == 0 {
		return 0
	}
	keys := map[*k8s.Object]map[string]bool{}
	for _, p := range owner {
		keys[p] = nil
	}
	for _, chunk := range raw {
		for i := range chunk {
			r := &chunk[i]
			if m, ok := keys[r.obj]; ok {
				if m == nil {
					m = map[string]bool{}
					keys[r.obj] = m
				}
				m[repeatKey(r)] = true
			}
		}
	}
	dropped := 0
	for c, chunk := range raw {
		kept := chunk[:0]
		for _, r := range chunk {
			if repeatsOwner(&r, owner, keys) {
				dropped++
				continue
			}
			kept = append(kept, r)
		}
		raw[c] = kept
	}
	return dropped
}

// repeatsOwner reports whether an owner of r's object, up the chain, has
// the same finding.
func repeatsOwner(r *rawFinding, owner map[*k8s.Object]*k8s.Object, keys map[*k8s.Object]map[string]bool) bool {
	p, ok := owner[r.obj]
	if !ok {
		return false
	}
	key := repeatKey(r)
	for depth := 0; ok && depth < 8; depth++ { // ownership cycles are invalid, but bounded
		if keys[p][key] {
			return true
		}
		p, ok = owner[p]
	}
	return false
}

// repeatKey names a finding the same way in an object and in its owner:
// rule, container, and the field inside the innermost template.
func repeatKey(r *rawFinding) string {
	p := r.path
	if i := strings.LastIndex(p, "emplate."); i > 0 && (p[i-1] == 't' || p[i-1] == 'T') {
		if rest := p[i+len("emplate."):]; strings.HasPrefix(rest, "spec") || strings.HasPrefix(rest, "metadata") {
			p = rest
		}
	}
	if r.container != "" {
		// The container is named: its index may differ (a sidecar injected
		// before it).
		p = containerIndex(p)
	}
	return r.rule.ID + "\x00" + r.container + "\x00" + p
}

// containerIndex replaces the index of the first containers[N],
// initContainers[N] or ephemeralContainers[N] of p by *.
func containerIndex(p string) string {
	i := strings.Index(p, "ontainers[")
	if i < 0 {
		return p
	}
	start := i + len("ontainers[")
	end := strings.IndexByte(p[start:], ']')
	if end < 0 {
		return p
	}
	return p[:start] + "*" + p[start+end:]
}
