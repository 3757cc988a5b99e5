package cluster

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

// Bulk says how many objects SeedBulk creates, spread over Namespaces
// namespaces named bench-0, bench-1, ...
type Bulk struct {
	Namespaces, Pods, ConfigMaps, CustomResources int
}

// SeedBulk creates many realistic objects quickly, for benchmarks: pods
// (bound to the seeded nodes, so the scheduler has nothing to do, with the
// status a kubelet would report), config maps with a few kilobytes of
// configuration, and BackupPolicy custom resources (Seed must have run).
// It reports progress to log every 10,000 objects.
func SeedBulk(ctx context.Context, kubeconfig string, b Bulk, log func(string, ...any)) error {
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: "admin"}).ClientConfig()
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 2000, 4000
	cfg.WarningHandler = rest.NoWarnings{}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if b.Namespaces <= 0 {
		b.Namespaces = 10
	}
	s := &seeder{ctx: ctx, cs: cs}
	var names []string
	for i := range b.Namespaces {
		name := fmt.Sprintf("bench-%d", i)
		names = append(names, name)
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name,
			Labels: map[string]string{"pod-security.kubernetes.io/enforce": "baseline"}}}, create)
		s.do("namespace "+name, err)
	}
	s.waitServiceAccountsIn(names)
	if s.err != nil {
		return s.err
	}
	gvr := schema.GroupVersionResource{Group: SeedCRDGroup, Version: "v1", Resource: "backuppolicies"}
	config := ""
	for i := range 40 {
		config += fmt.Sprintf("server.pool.%d.max_connections = %d\nserver.pool.%d.timeout_ms = %d\n", i, 100+i, i, 2500+i)
	}
	type job struct {
		kind string
		i    int
	}
	jobs := make(chan job, 256)
	var done atomic.Int64
	var firstErr error
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for range 24 {
		wg.Go(func() {
			for j := range jobs {
				ns := names[j.i%len(names)]
				name := fmt.Sprintf("%s-%06d", j.kind, j.i)
				var err error
				switch j.kind {
				case "pod":
					err = createPod(ctx, cs, ns, name, j.i)
				case "cm":
					_, err = cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name,
						Labels: map[string]string{"app": fmt.Sprintf("app-%d", j.i%50), "tier": "backend"}},
						Data: map[string]string{"app.properties": config, "LOG_LEVEL": "info"}}, create)
				case "cr":
					_, err = dyn.Resource(gvr).Namespace(ns).Create(ctx, &unstructured.Unstructured{Object: map[string]any{
						"apiVersion": SeedCRDGroup + "/v1", "kind": SeedCRDKind,
						"metadata": map[string]any{"name": name, "namespace": ns, "labels": map[string]any{"app": fmt.Sprintf("app-%d", j.i%50)}},
						"spec":     map[string]any{"schedule": "0 3 * * *", "retention": "30d", "target": map[string]any{"kind": "Deployment", "name": fmt.Sprintf("app-%d", j.i%50)}},
					}}, create)
				}
				if err != nil && !apierrors.IsAlreadyExists(err) {
					fail(fmt.Errorf("creating %s %s/%s: %w", j.kind, ns, name, err))
				}
				if n := done.Add(1); n%10000 == 0 && log != nil {
					log("bulk seed: %d objects", n)
				}
			}
		})
	}
	for _, k := range []struct {
		kind string
		n    int
	}{{"pod", b.Pods}, {"cm", b.ConfigMaps}, {"cr", b.CustomResources}} {
		for i := range k.n {
			if ctx.Err() != nil || firstErr != nil {
				break
			}
			jobs <- job{k.kind, i}
		}
	}
	close(jobs)
	wg.Wait()
	return firstErr
}

// createPod creates a pod bound to a seeded node and gives it the status a
// kubelet would report.
func createPod(ctx context.Context, cs kubernetes.Interface, ns, name string, i int) error {
	app := fmt.Sprintf("app-%d", i%50)
	image := fmt.Sprintf("registry.example.com/bench/%s:1.%d.0", app, i%7)
	node := SeedNodes[i%len(SeedNodes)].Name
	pod, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": app, "tier": "backend"}},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "app", Image: image,
			Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
			Env:             []corev1.EnvVar{{Name: "APP", Value: app}, {Name: "LOG_LEVEL", Value: "info"}},
			SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false)}}}},
	}, create)
	if err != nil {
		return err
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, StartTime: ptr.To(metav1.Now()), ContainerStatuses: []corev1.ContainerStatus{{
		Name: "app", Image: image, Ready: true,
		ImageID: fmt.Sprintf("registry.example.com/bench/%s@sha256:%064x", app, i%7+1),
		State:   corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}}}}
	_, err = cs.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	return err
}
