package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	corev1 "k8s.io/api/core/v1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/image/imagescan"
	"github.com/dozor-dev/dozor/inventory"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/live"
	"github.com/dozor-dev/dozor/scan"
	"github.com/dozor-dev/dozor/vuln"
)

// clusterImages scans the images a cluster's workloads run, within a
// cluster scan: each image once per digest, several at a time, its
// findings raised on every workload that runs it.
type clusterImages struct {
	ctx         context.Context
	cluster     *live.Cluster
	checks      map[string]*check.Check
	db          *vuln.DB
	pullSecrets bool
	parallel    int

	mu       sync.Mutex
	errs     []string
	images   int
	byDigest map[string]*digestScan
}

// imageUse is a container of a workload that runs an image.
type imageUse struct {
	obj       *k8s.Object
	container string
	secrets   []string // the image pull secrets that apply, "ns/name"
}

// newClusterImages returns nil when --images is off or no image rule is
// selected.
func newClusterImages(ctx context.Context, f *scanFlags, checks []*check.Check, c *live.Cluster, db *vuln.DB) *clusterImages {
	if !f.images {
		return nil
	}
	ci := &clusterImages{ctx: ctx, cluster: c, checks: map[string]*check.Check{}, db: db, pullSecrets: f.imagePullSecrets, parallel: max(1, f.imageParallel)}
	for _, ch := range checks {
		for _, r := range imagescan.Rules() {
			if ch.ID == r.ID {
				ci.checks[ch.ID] = ch
			}
		}
	}
	if len(ci.checks) == 0 {
		return nil
	}
	return ci
}

// imagesOf sets up the image scan of a cluster scan, with the
// vulnerability database the components use, or its own; without one
// images are still scanned, and errw says vulnerabilities are not.
func imagesOf(ctx context.Context, f *scanFlags, checks []*check.Check, c *live.Cluster, comps *clusterComponents, errw io.Writer) (*clusterImages, error) {
	ci := newClusterImages(ctx, f, checks, c, nil)
	if ci == nil {
		return nil, nil
	}
	if comps != nil {
		ci.db = comps.db
		return ci, nil
	}
	db, err := f.db.open()
	switch {
	case errors.Is(err, vuln.ErrNoDatabase):
		fmt.Fprintf(errw, "dozor: warning: %v; the images were not matched against vulnerabilities\n", err)
	case err != nil:
		return nil, err
	default:
		ci.db = db // closed when the process ends
	}
	return ci, nil
}

// workloads are the objects whose pods run images and that no other
// object scanned controls: a Deployment rather than its ReplicaSets and
// pods, a bare Pod.
func workloads(objs []*k8s.Object) []*k8s.Object {
	uids := map[string]bool{}
	for _, o := range objs {
		if o.Pod != nil && o.Meta.UID != "" {
			uids[string(o.Meta.UID)] = true
		}
	}
	var out []*k8s.Object
	for _, o := range objs {
		if o.Pod == nil {
			continue
		}
		owned := false
		for _, ref := range o.Meta.OwnerReferences {
			if ref.Controller != nil && *ref.Controller && uids[string(ref.UID)] {
				owned = true
			}
		}
		if !owned {
			out = append(out, o)
		}
	}
	return out
}

// runKey is a workload's container.
type runKey struct{ uid, container string }

// runningImages are the images the pods' statuses say their containers
// run (repository@digest), by the workload at the top of each pod's
// controllers (a Deployment, through its ReplicaSet), sorted.
func runningImages(objs []*k8s.Object) map[runKey][]string {
	byUID := map[string]*k8s.Object{}
	for _, o := range objs {
		if o.Meta.UID != "" {
			byUID[string(o.Meta.UID)] = o
		}
	}
	top := func(o *k8s.Object) *k8s.Object {
		for range 8 {
			next := (*k8s.Object)(nil)
			for _, ref := range o.Meta.OwnerReferences {
				if ref.Controller != nil && *ref.Controller {
					next = byUID[string(ref.UID)]
				}
			}
			if next == nil || next.Pod == nil {
				return o
			}
			o = next
		}
		return o
	}
	out := map[runKey][]string{}
	for _, o := range objs {
		pod, ok := o.Typed.(*corev1.Pod)
		if !ok {
			continue
		}
		w := top(o)
		specs := map[string]string{}
		for _, c := range append(append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...), ephemeral(pod)...) {
			specs[c.Name] = c.Image
		}
		for _, st := range append(append(slices.Clone(pod.Status.InitContainerStatuses), pod.Status.ContainerStatuses...), pod.Status.EphemeralContainerStatuses...) {
			repo, digest := inventory.ParseImageID(st.ImageID)
			if !strings.HasPrefix(digest, "sha256:") {
				continue
			}
			if repo == "" {
				// An image ID alone: the spec's repository at that digest.
				spec := specs[st.Name]
				if i := strings.IndexAny(spec, "@"); i >= 0 {
					spec = spec[:i]
				}
				if i := strings.LastIndex(spec, ":"); i > strings.LastIndex(spec, "/") {
					spec = spec[:i]
				}
				repo = spec
			}
			if repo == "" {
				continue
			}
			k := runKey{string(w.Meta.UID), st.Name}
			if ref := repo + "@" + digest; !slices.Contains(out[k], ref) {
				out[k] = append(out[k], ref)
				slices.Sort(out[k])
			}
		}
	}
	return out
}

// ephemeral are a pod's ephemeral containers as containers.
func ephemeral(p *corev1.Pod) []corev1.Container {
	var out []corev1.Container
	for _, e := range p.Spec.EphemeralContainers {
		out = append(out, corev1.Container(e.EphemeralContainerCommon))
	}
	return out
}

// analyze is scan.Options.Analyze.
func (ci *clusterImages) analyze(objs []*k8s.Object) []scan.ObjectFinding {
	saSecrets := map[string][]corev1.LocalObjectReference{}
	for _, o := range objs {
		if sa, ok := o.Typed.(*corev1.ServiceAccount); ok {
			saSecrets[sa.Namespace+"/"+sa.Name] = sa.ImagePullSecrets
		}
	}
	running := runningImages(objs)
	uses := map[string][]imageUse{}
	for _, o := range workloads(objs) {
		spec := o.Pod.Spec
		var secrets []string
		sa := cmp.Or(spec.ServiceAccountName, "default")
		for _, s := range append(slices.Clone(spec.ImagePullSecrets), saSecrets[o.Meta.Namespace+"/"+sa]...) {
			if s.Name != "" && !slices.Contains(secrets, o.Meta.Namespace+"/"+s.Name) {
				secrets = append(secrets, o.Meta.Namespace+"/"+s.Name)
			}
		}
		add := func(name, ref string) {
			ref = strings.TrimSpace(ref)
			if ref == "" {
				return
			}
			// What the pods run, when their status says: a tag may have
			// moved since they pulled it.
			refs := running[runKey{string(o.Meta.UID), name}]
			if len(refs) == 0 || o.Meta.UID == "" {
				refs = []string{ref}
			}
			for _, r := range refs {
				uses[r] = append(uses[r], imageUse{obj: o, container: name, secrets: secrets})
			}
		}
		for _, c := range spec.InitContainers {
			add(c.Name, c.Image)
		}
		for _, c := range spec.Containers {
			add(c.Name, c.Image)
		}
		for _, c := range spec.EphemeralContainers {
			add(c.Name, c.Image)
		}
	}
	refs := slices.Sorted(func(yield func(string) bool) {
		for r := range uses {
			if !yield(r) {
				return
			}
		}
	})
	reports := make([]*imagescan.Report, len(refs))
	ci.byDigest = map[string]*digestScan{}
	sem := make(chan struct{}, ci.parallel)
	var wg sync.WaitGroup
	for i, ref := range refs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r, err := ci.scan(ref, uses[ref])
			if err != nil {
				var who []string
				for _, u := range uses[ref][:min(3, len(uses[ref]))] {
					who = append(who, strings.TrimSpace(u.obj.Kind+" "+strings.TrimPrefix(u.obj.Meta.Namespace+"/"+u.obj.Meta.Name, "/")))
				}
				if len(uses[ref]) > 3 {
					who = append(who, fmt.Sprintf("and %d more", len(uses[ref])-3))
				}
				ci.mu.Lock()
				ci.errs = append(ci.errs, fmt.Sprintf("image %s (run by %s): %v", ref, strings.Join(who, ", "), err))
				ci.mu.Unlock()
				return
			}
			reports[i] = r
		}()
	}
	wg.Wait()
	var out []scan.ObjectFinding
	for i, ref := range refs {
		r := reports[i]
		if r == nil {
			continue
		}
		fs := r.Findings
		if v := r.Vulnerable(); v != nil {
			fs = append([]imagescan.Finding{*v}, fs...)
		}
		for _, f := range fs {
			c := ci.checks[f.Rule.ID]
			if c == nil {
				continue
			}
			msg := "image " + ref + ": " + f.Message
			if len(f.Evidence) > 0 {
				msg += " (" + strings.Join(f.Evidence[:min(3, len(f.Evidence))], "; ") + ")"
			}
			for _, u := range uses[ref] {
				out = append(out, scan.ObjectFinding{Object: u.obj, Finding: finding.Finding{Rule: &c.Rule, Severity: f.Severity, Container: u.container, Message: msg}})
			}
		}
	}
	return out
}

// digestScan is one scan of an image, shared by the references that name
// the same digest.
type digestScan struct {
	once   sync.Once
	report *imagescan.Report
	err    error
}

// scan opens ref with the pull secrets of the workloads that run it, and
// scans it unless another reference of the same digest already has.
func (ci *clusterImages) scan(ref string, uses []imageUse) (*imagescan.Report, error) {
	kc := authn.Keychain(authn.DefaultKeychain)
	if ci.pullSecrets {
		var names []string
		for _, u := range uses {
			for _, s := range u.secrets {
				if !slices.Contains(names, s) {
					names = append(names, s)
				}
			}
		}
		pk := &image.PullSecretKeychain{}
		for _, n := range names {
			ns, name, _ := strings.Cut(n, "/")
			s, err := ci.cluster.Secret(ci.ctx, ns, name)
			if err != nil {
				return nil, fmt.Errorf("image pull secret: %w", err)
			}
			data := s.Data[corev1.DockerConfigJsonKey]
			if data == nil {
				data = s.Data[corev1.DockerConfigKey]
			}
			if data == nil {
				continue // not a registry credential
			}
			if err := pk.AddPullSecret(data); err != nil {
				return nil, fmt.Errorf("image pull secret %s: %v", n, err)
			}
		}
		kc = authn.NewMultiKeychain(pk, authn.DefaultKeychain)
	}
	o := imagescan.Options{Keychain: kc, DB: ci.db}
	im, err := image.Open(ci.ctx, ref, image.Options{Keychain: kc})
	if err != nil {
		return nil, err
	}
	ci.mu.Lock()
	d := ci.byDigest[im.Digest]
	if d == nil {
		d = &digestScan{}
		ci.byDigest[im.Digest] = d
	}
	ci.mu.Unlock()
	d.once.Do(func() {
		d.report, d.err = imagescan.ScanImage(ci.ctx, im, o)
		ci.mu.Lock()
		ci.images++
		ci.mu.Unlock()
	})
	return d.report, d.err
}

// finish says which images could not be scanned; it returns exitPartial
// when one could not.
func (ci *clusterImages) finish(errw io.Writer) int {
	slices.Sort(ci.errs)
	for _, e := range ci.errs {
		fmt.Fprintln(errw, "dozor:", e)
	}
	if len(ci.errs) > 0 {
		return exitPartial
	}
	return exitClean
}
