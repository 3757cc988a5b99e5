// Package placement checks where and how many pods run: namespaces, replica
// counts, spreading across nodes, disruption budgets, node pinning,
// tolerations and priority classes.
//
// Replica counts are the ones the workload will run with: spec.replicas (1
// when unset), or, when a HorizontalPodAutoscaler or a KEDA ScaledObject
// deployed with it scales the workload, the autoscaler's bounds.
package placement

import (
	"fmt"
	"slices"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/dozor-dev/dozor/k8s"
)

// scalableKinds are the kinds with a replica count.
var scalableKinds = []string{"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}

// scale is the range of replicas a workload runs with.
type scale struct {
	min, max int32
	// by names the autoscaler that sets the range; "" for spec.replicas.
	by string
}

// autoscalers returns the replica bounds that HorizontalPodAutoscalers and
// KEDA ScaledObjects in the index set on their targets.
func autoscalers(ix *k8s.Index) map[k8s.Key]scale {
	out := map[k8s.Key]scale{}
	for _, o := range ix.Kind("HorizontalPodAutoscaler") {
		var kind, name string
		var minR *int32
		var maxR int32
		switch h := o.Typed.(type) {
		case *autoscalingv1.HorizontalPodAutoscaler:
			kind, name, minR, maxR = h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name, h.Spec.MinReplicas, h.Spec.MaxReplicas
		case *autoscalingv2.HorizontalPodAutoscaler:
			kind, name, minR, maxR = h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name, h.Spec.MinReplicas, h.Spec.MaxReplicas
		default:
			continue
		}
		s := scale{min: 1, max: maxR, by: fmt.Sprintf("HorizontalPodAutoscaler %q", o.Name())}
		if minR != nil {
			s.min = *minR
		}
		out[k8s.Key{Kind: kind, Namespace: o.Namespace(), Name: name}] = s
	}
	// KEDA creates and owns an HPA for each ScaledObject.
	for _, o := range ix.Kind("ScaledObject") {
		spec, _ := o.Unstructured["spec"].(map[string]any)
		ref, _ := spec["scaleTargetRef"].(map[string]any)
		name, _ := ref["name"].(string)
		if name == "" {
			continue
		}
		kind, _ := ref["kind"].(string)
		if kind == "" {
			kind = "Deployment"
		}
		s := scale{min: number(spec["minReplicaCount"], 0), max: number(spec["maxReplicaCount"], 100), by: fmt.Sprintf("ScaledObject %q", o.Name())}
		out[k8s.Key{Kind: kind, Namespace: o.Namespace(), Name: name}] = s
	}
	return out
}

// number reads a JSON number, or def.
func number(v any, def int32) int32 {
	if f, ok := v.(float64); ok && f >= 0 && f < 1<<31 {
		return int32(f)
	}
	return def
}

// replicas returns the range of replicas a scalable workload runs with.
func replicas(obj *k8s.Object, auto map[k8s.Key]scale) (scale, bool) {
	if !slices.Contains(scalableKinds, obj.Kind) {
		return scale{}, false
	}
	r, ok := k8s.Replicas(obj)
	if !ok {
		return scale{}, false
	}
	if s, ok := auto[k8s.KeyOf(obj)]; ok {
		return s, true
	}
	return scale{min: r, max: r}, true
}
