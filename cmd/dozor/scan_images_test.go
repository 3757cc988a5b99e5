package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/test/harness"
)

// privateRegistry serves a real OCI registry on 127.0.0.1 that wants a
// user and password, and counts the blobs it serves.
type privateRegistry struct {
	host, user, password string
	mu                   sync.Mutex
	blobGets             map[string]int
}

func newPrivateRegistry(t *testing.T) *privateRegistry {
	t.Helper()
	secret := make([]byte, 12)
	_, _ = rand.Read(secret)
	p := &privateRegistry{user: "puller", password: hex.EncodeToString(secret), blobGets: map[string]int{}}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, pw, ok := r.BasicAuth(); !ok || u != p.user || pw != p.password {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			p.mu.Lock()
			p.blobGets[r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]]++
			p.mu.Unlock()
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.host = strings.TrimPrefix(srv.URL, "http://")
	if !strings.HasPrefix(p.host, "127.0.0.1:") {
		t.Fatalf("the registry listens on %s, not loopback", p.host)
	}
	return p
}

// TestScanImagesLive scans the images a live cluster's workloads run,
// pulled from a private registry on loopback with the workloads' own
// image pull secrets (the pod's, and a service account's): one scan per
// digest, findings on each workload, and without the secrets a partial
// result that names the image and who runs it.
func TestScanImagesLive(t *testing.T) {
	kc := harness.Get(t).Kubeconfig
	reg := newPrivateRegistry(t)
	img := imagetest.Build(t, imagetest.Config{Cmd: []string{"/app"}},
		imagetest.Layer(t, imagetest.File("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n"),
			imagetest.File("var/lib/dpkg/status", "Package: libssl3\nStatus: install ok installed\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\nSource: openssl\n")))
	ref, err := name.ParseReference(reg.host + "/shop/web:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuth(&authn.Basic{Username: reg.user, Password: reg.password})); err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()
	layers, _ := img.Layers()
	layerDigest, _ := layers[0].Digest()
	reg.blobGets = map[string]int{}

	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	create := metav1.CreateOptions{}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "images"}}, create))
	t.Cleanup(func() {
		// Gone before the next test looks at the cluster (the snapshot
		// tests compare it at rest).
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), "images", metav1.DeleteOptions{})
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if _, err := cs.CoreV1().Namespaces().Get(context.Background(), "images", metav1.GetOptions{}); err != nil {
				return
			}
		}
		t.Error("the namespace images was not deleted within a minute")
	})
	auth := base64.StdEncoding.EncodeToString([]byte(reg.user + ":" + reg.password))
	must(cs.CoreV1().Secrets("images").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "regcred"}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: fmt.Appendf(nil, `{"auths": {"http://%s/v2/": {"auth": %q}}}`, reg.host, auth)}}, create))
	must(cs.CoreV1().ServiceAccounts("images").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder"},
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "regcred"}}}, create))
	labels := map[string]string{"app": "web"}
	must(cs.AppsV1().Deployments("images").Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{ImagePullSecrets: []corev1.LocalObjectReference{{Name: "regcred"}}, Containers: []corev1.Container{{Name: "web", Image: reg.host + "/shop/web:1"}}}}}}, create))
	// The same image by digest, pulled with the service account's secret.
	must(cs.CoreV1().Pods("images").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "batch"},
		Spec: corev1.PodSpec{ServiceAccountName: "builder", Containers: []corev1.Container{{Name: "job", Image: reg.host + "/shop/web@" + digest.String()}}}}, create))

	dbPath := filepath.Join(t.TempDir(), "vuln.db")
	if r := dozor(t, "", "db", "import", "--db", dbPath, filepath.Join("..", "..", "vuln", "match", "testdata", "debian")); r.code != 0 {
		t.Fatalf("db import: exit %d: %s", r.code, r.stderr)
	}
	scanArgs := []string{"scan", "cluster", "--kubeconfig", kc, "-n", "images", "--images", "--db", dbPath, "--components=false", "--fail-on", "none", "-o", "json",
		"--checks", "DZ-IMG-001,DZ-IMH-001,DZ-IMH-010"}
	r := dozor(t, "", append(scanArgs, "--image-pull-secrets")...)
	var rep struct {
		Findings []struct {
			CheckID, Severity, Message, Container string
			Object                                struct{ Kind, Namespace, Name string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("exit %d, %v: %s", r.code, err, r.stderr)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		got[f.CheckID+" "+f.Object.Kind+" "+f.Object.Namespace+"/"+f.Object.Name+" "+f.Container] = f.Severity + ": " + f.Message
	}
	want := map[string]string{
		"DZ-IMG-001 Deployment images/web web": "high: image " + reg.host + "/shop/web:1: 1 vulnerabilities (1 high); worst: CVE-2023-5678 (high) in libssl3 3.0.11-1~deb12u2, fixed in 3.0.13-1~deb12u1",
		"DZ-IMH-001 Deployment images/web web": "medium: image " + reg.host + "/shop/web:1: the image runs as root (no USER)",
		"DZ-IMG-001 Pod images/batch job":      "high: image " + reg.host + "/shop/web@" + digest.String() + ": 1 vulnerabilities (1 high)",
		"DZ-IMH-001 Pod images/batch job":      "medium: image " + reg.host + "/shop/web@" + digest.String() + ": the image runs as root (no USER)",
	}
	for k, w := range want {
		if !strings.HasPrefix(got[k], w) {
			t.Errorf("%s: %q, want %q...", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("findings: %v", got)
	}
	// One image, two references: its layer was read once.
	if n := reg.blobGets[layerDigest.String()]; n != 1 {
		t.Errorf("the layer was fetched %d times", n)
	}

	// Without the pull secrets the registry refuses: the rest is scanned,
	// the image and who runs it are named, and the exit code says partial.
	r = dozor(t, "", scanArgs...)
	if r.code != 3 || !strings.Contains(r.stderr, "dozor: image "+reg.host+"/shop/web:1 (run by Deployment images/web): ") || !strings.Contains(r.stderr, "UNAUTHORIZED") {
		t.Errorf("without pull secrets: exit %d: %s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, reg.password) || strings.Contains(r.stdout+r.stderr, auth) {
		t.Error("the registry password was printed")
	}

	// The tag moves to a fixed image, while the Deployment's pod still runs
	// the old digest, as its status says: what runs is what is scanned.
	fixed := imagetest.Build(t, imagetest.Config{User: "app"}, imagetest.Layer(t, imagetest.File("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")))
	if err := remote.Write(ref, fixed, remote.WithAuth(&authn.Basic{Username: reg.user, Password: reg.password})); err != nil {
		t.Fatal(err)
	}
	dep, err := cs.AppsV1().Deployments("images").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	_, err = cs.CoreV1().Pods("images").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-running", Labels: labels,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: dep.UID, Controller: &yes}}},
		Spec: corev1.PodSpec{ImagePullSecrets: []corev1.LocalObjectReference{{Name: "regcred"}}, Containers: []corev1.Container{{Name: "web", Image: reg.host + "/shop/web:1"}}}}, create)
	if err != nil {
		t.Fatal(err)
	}
	for try := 0; ; try++ { // the scheduler may write the pod meanwhile
		pod, err := cs.CoreV1().Pods("images").Get(ctx, "web-running", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", Image: reg.host + "/shop/web:1", ImageID: reg.host + "/shop/web@" + digest.String()}}
		if _, err = cs.CoreV1().Pods("images").UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err == nil {
			break
		} else if try == 10 {
			t.Fatal(err)
		}
	}
	r = dozor(t, "", append(scanArgs, "--image-pull-secrets")...)
	rep.Findings = nil
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("exit %d, %v: %s", r.code, err, r.stderr)
	}
	found := false
	for _, f := range rep.Findings {
		if f.CheckID == "DZ-IMG-001" && f.Object.Kind == "Deployment" && f.Object.Name == "web" {
			found = strings.HasPrefix(f.Message, "image "+reg.host+"/shop/web@"+digest.String()+": 1 vulnerabilities")
		}
		if f.Object.Kind == "Pod" && f.Object.Name == "web-running" {
			t.Errorf("a finding on the Deployment's pod, not the Deployment: %+v", f)
		}
	}
	if !found {
		t.Errorf("the Deployment's running digest was not scanned: %+v", rep.Findings)
	}
}

// TestScanManifestImages: `dozor scan --images` scans the images the
// manifests name, from a registry on loopback, and raises the findings on
// the workloads, at their files.
func TestScanManifestImages(t *testing.T) {
	host := imagetest.Registry(t)
	imagetest.Push(t, host+"/shop/web:1", imagetest.Build(t, imagetest.Config{},
		imagetest.Layer(t, imagetest.File("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
			imagetest.File("var/lib/dpkg/status", "Package: libssl3\nStatus: install ok installed\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\nSource: openssl\n"))))
	dir := writeFiles(t, map[string]string{"deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: ` + host + `/shop/web:1}
      - {name: gone, image: ` + host + `/shop/missing:1}
`})
	dbPath := filepath.Join(t.TempDir(), "vuln.db")
	if r := dozor(t, "", "db", "import", "--db", dbPath, filepath.Join("..", "..", "vuln", "match", "testdata", "debian")); r.code != 0 {
		t.Fatalf("db import: exit %d: %s", r.code, r.stderr)
	}
	r := dozor(t, "", "scan", dir, "--images", "--db", dbPath, "--checks", "DZ-IMG-001,DZ-IMH-001", "--fail-on", "none", "-o", "json")
	var rep struct {
		Findings []struct {
			CheckID, Message, Container string
			Location                    struct{ File string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 3 {
		t.Fatalf("exit %d (want 3: one image is missing), %v: %s", r.code, err, r.stderr)
	}
	if !strings.Contains(r.stderr, "dozor: image "+host+"/shop/missing:1 (run by Deployment shop/web): ") {
		t.Errorf("the missing image is not named: %s", r.stderr)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.CheckID+" "+f.Container+" "+filepath.Base(f.Location.File)+" "+f.Message[:min(len(f.Message), 60)])
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "DZ-IMG-001 web deploy.yaml image "+host+"/shop/web:1: 1 vulnerabilities (1 high)") ||
		!strings.HasPrefix(got[1], "DZ-IMH-001 web deploy.yaml image "+host+"/shop/web:1: the image runs as root") {
		t.Errorf("findings:\n%s", strings.Join(got, "\n"))
	}
}
