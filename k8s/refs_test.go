package k8s

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestReferences(t *testing.T) {
	yes := true
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		Volumes: []corev1.Volume{
			{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "app-config"}}}},
			{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "app-tls", Optional: &yes}}},
			{Name: "bundle", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}}},
			}}}},
			{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		},
		Containers: []corev1.Container{{
			Name: "app",
			Env: []corev1.EnvVar{{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}}},
			EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: ""}}}},
		}},
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "registry"}},
	}}
	got := PodTemplateOf(pod).References()
	want := []PodRef{
		{Kind: "ConfigMap", Name: "app-config", Path: "spec.volumes[0].configMap.name", Via: `volume "config"`},
		{Kind: "Secret", Name: "app-tls", Optional: true, Path: "spec.volumes[1].secret.secretName", Via: `volume "tls"`},
		{Kind: "Secret", Name: "creds", Path: "spec.volumes[2].projected.sources[0].secret.name", Via: `volume "bundle"`},
		{Kind: "Secret", Name: "db", Path: "spec.containers[0].env[0].valueFrom.secretKeyRef.name",
			Via: `environment variable "DB_PASSWORD" of container "app"`},
		{Kind: "Secret", Name: "registry", Path: "spec.imagePullSecrets[0].name", Via: "imagePullSecrets"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("References() mismatch (-want +got):\n%s", diff)
	}
}
