package inventory_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dozor-dev/dozor/inventory"
)

func TestParseRuntime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want inventory.Runtime
	}{
		{"containerd://1.7.13", inventory.Runtime{Name: "containerd", Version: "1.7.13"}},
		{"containerd://1.6.28-1.amzn2023.0.1", inventory.Runtime{Name: "containerd", Version: "1.6.28-1.amzn2023.0.1"}},
		{"cri-o://1.29.1", inventory.Runtime{Name: "cri-o", Version: "1.29.1"}},
		{"docker://24.0.7", inventory.Runtime{Name: "docker", Version: "24.0.7"}},
		{"containerd://2.0.0-rc.3", inventory.Runtime{Name: "containerd", Version: "2.0.0-rc.3"}},
		{"remote://unknown", inventory.Runtime{Name: "remote", Version: "unknown"}},
		{"containerd", inventory.Runtime{Name: "containerd"}},
		{"", inventory.Runtime{}},
	} {
		if got := inventory.ParseRuntime(tc.in); got != tc.want {
			t.Errorf("ParseRuntime(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestVersionCore(t *testing.T) {
	for in, want := range map[string]string{
		"v1.29.3-eks-adc7111": "v1.29.3", "v1.30.2-gke.1587003": "v1.30.2", "v1.31.1+k3s1": "v1.31.1",
		"v1.30.4+rke2r1": "v1.30.4", "v1.29.0-minimal-eksbuild.1": "v1.29.0", "3.5.12-0": "3.5.12",
		"v1.11.1": "v1.11.1", "1.11.1-eksbuild.4": "1.11.1", "v1.29": "v1.29", "latest": "", "": "",
		"stable-v1.29": "",
	} {
		if got := inventory.VersionCore(in); got != want {
			t.Errorf("VersionCore(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewNode(t *testing.T) {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "cp-1", Labels: map[string]string{
			"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/etcd": "true", "kubernetes.io/role": "master",
			"failure-domain.beta.kubernetes.io/zone": "dc1-a", "beta.kubernetes.io/instance-type": "bare-metal",
		}},
		Spec: corev1.NodeSpec{Unschedulable: true},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse}},
			NodeInfo: corev1.NodeSystemInfo{ContainerRuntimeVersion: "cri-o://1.29.1", KubeletVersion: "v1.29.1", KernelVersion: "6.1.90-flatcar",
				OSImage: "Flatcar Container Linux by Kinvolk 3815.2.2 (Oklo)", OperatingSystem: "linux", Architecture: "arm64"},
		},
	}
	got := inventory.NewNode(n)
	want := inventory.Node{Name: "cp-1", Ready: "False", Roles: []string{"control-plane", "etcd", "master"}, Unschedulable: true,
		Zone: "dc1-a", InstanceType: "bare-metal", KubeletVersion: "v1.29.1", ContainerRuntime: inventory.Runtime{Name: "cri-o", Version: "1.29.1"},
		KernelVersion: "6.1.90-flatcar", OSImage: "Flatcar Container Linux by Kinvolk 3815.2.2 (Oklo)", OperatingSystem: "linux",
		Architecture: "arm64", Labels: n.Labels}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("NewNode() (-want +got):\n%s", d)
	}
	// No Ready condition: unknown, not ready nor not ready.
	if got := inventory.NewNode(&corev1.Node{}); got.Ready != "Unknown" || got.Roles == nil {
		t.Errorf("NewNode(empty) = ready %q, roles %v", got.Ready, got.Roles)
	}
}

func TestParseImageID(t *testing.T) {
	const d = "sha256:db142d433cdde11f10ae479dbf92f3b13d693fd1c91053da9979728cceb1dc68"
	for _, tc := range []struct{ in, repo, digest string }{
		{"docker.io/library/busybox@" + d, "docker.io/library/busybox", d},               // containerd
		{"docker-pullable://busybox@" + d, "docker.io/library/busybox", d},               // dockershim
		{"quay.io/prometheus/node-exporter@" + d, "quay.io/prometheus/node-exporter", d}, // CRI-O
		{d, "", d}, // an image built or loaded on the node
		{"", "", ""},
	} {
		repo, digest := inventory.ParseImageID(tc.in)
		if repo != tc.repo || digest != tc.digest {
			t.Errorf("ParseImageID(%q) = %q, %q; want %q, %q", tc.in, repo, digest, tc.repo, tc.digest)
		}
	}
}
