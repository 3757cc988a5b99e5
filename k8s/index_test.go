package k8s

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// TestPodMakersOwned: objects a controller in the index owns are not pod
// makers of their own (the controller stands for them); a Pod whose owner
// is not in the index, and a bare Pod, are.
func TestPodMakersOwned(t *testing.T) {
	yes := true
	owned := func(kind, uid string) []metav1.OwnerReference {
		return []metav1.OwnerReference{{Kind: kind, Name: "x", UID: types.UID(uid), Controller: &yes}}
	}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "web:1"}}}}
	var objs []*Object
	add := func(kind string, typed interface {
		GetObjectMeta() metav1.Object
	}, m *metav1.ObjectMeta) {
		objs = append(objs, &Object{Kind: kind, Meta: m, Pod: PodTemplateOf(typed), Seq: Seq{Doc: len(objs)}})
	}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "d-1"}, Spec: appsv1.DeploymentSpec{Template: tmpl}}
	add("Deployment", d, &d.ObjectMeta)
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop", UID: "r-1", OwnerReferences: owned("Deployment", "d-1")},
		Spec: appsv1.ReplicaSetSpec{Template: tmpl}}
	add("ReplicaSet", rs, &rs.ObjectMeta)
	for _, p := range []*corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "web-1-a", Namespace: "shop", UID: "p-1", Labels: tmpl.Labels, OwnerReferences: owned("ReplicaSet", "r-1")}, Spec: tmpl.Spec},
		{ObjectMeta: metav1.ObjectMeta{Name: "orphan", Namespace: "shop", UID: "p-2", Labels: tmpl.Labels, OwnerReferences: owned("ReplicaSet", "r-9")}, Spec: tmpl.Spec},
		{ObjectMeta: metav1.ObjectMeta{Name: "debug", Namespace: "shop", Labels: tmpl.Labels}, Spec: tmpl.Spec},
	} {
		add("Pod", p, &p.ObjectMeta)
	}
	ix := NewIndex(objs)
	var got []string
	for _, o := range ix.PodMakersMatchingMap("shop", map[string]string{"app": "web"}) {
		got = append(got, o.Kind+" "+o.Name())
	}
	want := []string{"Deployment web", "Pod orphan", "Pod debug"}
	if !slices.Equal(got, want) {
		t.Errorf("pod makers: got %q, want %q", got, want)
	}
	if n := len(ix.Kind("Pod")); n != 3 {
		t.Errorf("Kind(Pod): %d objects, want 3", n)
	}
}
