package k8s

import (
	appsv1 "k8s.io/api/apps/v1"
	appsv1beta1 "k8s.io/api/apps/v1beta1"
	appsv1beta2 "k8s.io/api/apps/v1beta2"
	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	corev1 "k8s.io/api/core/v1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WorkloadKinds are the kinds that carry a pod template, in every API
// version Dozor decodes.
var WorkloadKinds = []string{
	"Pod", "PodTemplate", "ReplicationController", "Deployment", "ReplicaSet",
	"StatefulSet", "DaemonSet", "Job", "CronJob",
}

// PodTemplate is the pod inside any workload: a Pod itself, the template of a
// Deployment, the job template's template of a CronJob, and so on.
type PodTemplate struct {
	// Meta is the pod template's metadata (for a Pod, the Pod's own).
	Meta *metav1.ObjectMeta
	// Spec is the pod spec; never nil.
	Spec *corev1.PodSpec
	// MetaPath and SpecPath are where Meta and Spec are in the object.
	MetaPath, SpecPath Path
}

// ContainerType tells regular, init and ephemeral containers apart.
type ContainerType uint8

// Container types.
const (
	RegularContainer ContainerType = iota
	InitContainer
	EphemeralContainer
)

// String returns the field name the container type is listed under.
func (t ContainerType) String() string {
	switch t {
	case InitContainer:
		return "initContainers"
	case EphemeralContainer:
		return "ephemeralContainers"
	}
	return "containers"
}

// Container is one container of a pod template with its place in the object.
type Container struct {
	*corev1.Container
	Type ContainerType
	// Path is where the container is in the object:
	// spec.template.spec.containers[1].
	Path Path
}

// Sidecar reports whether an init container is a restartable sidecar, which
// runs for the life of the pod.
func (c Container) Sidecar() bool {
	return c.Type == InitContainer && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// LongRunning reports whether the container runs for the life of the pod:
// a regular container or a sidecar.
func (c Container) LongRunning() bool {
	return c.Type == RegularContainer || c.Sidecar()
}

// Containers lists every container of the pod template: init containers
// first, then regular, then ephemeral ones.
func (pt *PodTemplate) Containers() []Container {
	s := pt.Spec
	out := make([]Container, 0, len(s.InitContainers)+len(s.Containers)+len(s.EphemeralContainers))
	for i := range s.InitContainers {
		out = append(out, Container{Container: &s.InitContainers[i], Type: InitContainer,
			Path: pt.SpecPath.Field("initContainers").Index(i)})
	}
	for i := range s.Containers {
		out = append(out, Container{Container: &s.Containers[i], Type: RegularContainer,
			Path: pt.SpecPath.Field("containers").Index(i)})
	}
	for i := range s.EphemeralContainers {
		c := corev1.Container(s.EphemeralContainers[i].EphemeralContainerCommon)
		out = append(out, Container{Container: &c, Type: EphemeralContainer,
			Path: pt.SpecPath.Field("ephemeralContainers").Index(i)})
	}
	return out
}

func template(t *corev1.PodTemplateSpec, at Path) *PodTemplate {
	if t == nil {
		return nil
	}
	return &PodTemplate{Meta: &t.ObjectMeta, Spec: &t.Spec, MetaPath: at.Field("metadata"), SpecPath: at.Field("spec")}
}

var specTemplate = Path("spec.template")

// PodTemplateOf returns the pod template inside a typed workload, or nil.
func PodTemplateOf(obj any) *PodTemplate {
	switch o := obj.(type) {
	case *corev1.Pod:
		return &PodTemplate{Meta: &o.ObjectMeta, Spec: &o.Spec, MetaPath: "metadata", SpecPath: "spec"}
	case *corev1.PodTemplate:
		return template(&o.Template, "template")
	case *corev1.ReplicationController:
		return template(o.Spec.Template, specTemplate)
	case *appsv1.Deployment:
		return template(&o.Spec.Template, specTemplate)
	case *appsv1.ReplicaSet:
		return template(&o.Spec.Template, specTemplate)
	case *appsv1.StatefulSet:
		return template(&o.Spec.Template, specTemplate)
	case *appsv1.DaemonSet:
		return template(&o.Spec.Template, specTemplate)
	case *appsv1beta1.Deployment:
		return template(&o.Spec.Template, specTemplate)
	case *appsv1beta1.StatefulSet:
		return template(&o.Spec.Template, specTemplate)
	case *appsv1beta2.Deployment:
		return template(&o.Spec.Template, specTemplate)
	case *appsv1beta2.ReplicaSet:
		return template(&o.Spec.Template, specTemplate)
	case *appsv1beta2.StatefulSet:
		return template(&o.Spec.Template, specTemplate)
	case *appsv1beta2.DaemonSet:
		return template(&o.Spec.Template, specTemplate)
	case *extensionsv1beta1.Deployment:
		return template(&o.Spec.Template, specTemplate)
	case *extensionsv1beta1.ReplicaSet:
		return template(&o.Spec.Template, specTemplate)
	case *extensionsv1beta1.DaemonSet:
		return template(&o.Spec.Template, specTemplate)
	case *batchv1.Job:
		return template(&o.Spec.Template, specTemplate)
	case *batchv1.CronJob:
		return template(&o.Spec.JobTemplate.Spec.Template, "spec.jobTemplate.spec.template")
	case *batchv1beta1.CronJob:
		return template(&o.Spec.JobTemplate.Spec.Template, "spec.jobTemplate.spec.template")
	}
	return nil
}

// Replicas returns the desired replica count of a scalable workload and
// whether the kind has one. An unset count is 1, as the API server defaults it.
func Replicas(obj *Object) (int32, bool) {
	var r *int32
	switch o := obj.Typed.(type) {
	case *corev1.ReplicationController:
		r = o.Spec.Replicas
	case *appsv1.Deployment:
		r = o.Spec.Replicas
	case *appsv1.ReplicaSet:
		r = o.Spec.Replicas
	case *appsv1.StatefulSet:
		r = o.Spec.Replicas
	case *appsv1beta1.Deployment:
		r = o.Spec.Replicas
	case *appsv1beta1.StatefulSet:
		r = o.Spec.Replicas
	case *appsv1beta2.Deployment:
		r = o.Spec.Replicas
	case *appsv1beta2.ReplicaSet:
		r = o.Spec.Replicas
	case *appsv1beta2.StatefulSet:
		r = o.Spec.Replicas
	case *extensionsv1beta1.Deployment:
		r = o.Spec.Replicas
	case *extensionsv1beta1.ReplicaSet:
		r = o.Spec.Replicas
	default:
		return 0, false
	}
	if r == nil {
		return 1, true
	}
	return *r, true
}

// WorkloadSelector returns the label selector of a workload that has one,
// with its path. A ReplicationController's map selector is returned as
// matchLabels.
func WorkloadSelector(obj *Object) (*metav1.LabelSelector, Path) {
	const at = Path("spec.selector")
	switch o := obj.Typed.(type) {
	case *corev1.ReplicationController:
		if o.Spec.Selector == nil {
			return nil, at
		}
		return &metav1.LabelSelector{MatchLabels: o.Spec.Selector}, at
	case *appsv1.Deployment:
		return o.Spec.Selector, at
	case *appsv1.ReplicaSet:
		return o.Spec.Selector, at
	case *appsv1.StatefulSet:
		return o.Spec.Selector, at
	case *appsv1.DaemonSet:
		return o.Spec.Selector, at
	case *appsv1beta1.Deployment:
		return o.Spec.Selector, at
	case *appsv1beta1.StatefulSet:
		return o.Spec.Selector, at
	case *appsv1beta2.Deployment:
		return o.Spec.Selector, at
	case *appsv1beta2.ReplicaSet:
		return o.Spec.Selector, at
	case *appsv1beta2.StatefulSet:
		return o.Spec.Selector, at
	case *appsv1beta2.DaemonSet:
		return o.Spec.Selector, at
	case *extensionsv1beta1.Deployment:
		return o.Spec.Selector, at
	case *extensionsv1beta1.ReplicaSet:
		return o.Spec.Selector, at
	case *extensionsv1beta1.DaemonSet:
		return o.Spec.Selector, at
	case *batchv1.Job:
		return o.Spec.Selector, at
	}
	return nil, ""
}
