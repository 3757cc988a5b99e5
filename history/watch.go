package history

// Why our own list and watch, on client-go's dynamic and metadata clients,
// rather than client-go informers: an informer always starts with a full
// list, keeps every object in memory, and hides the resourceVersions of
// its events and bookmarks. The history needs the opposite: to resume each
// watch from the resourceVersion it stored before it stopped (across
// restarts of the process), to store that resourceVersion in the same
// transaction as the changes up to it, and, when a list is needed after
// all (410 Gone), to compare it with the store, which knows what the
// cluster held, rather than with an in-memory cache that a restart loses.
// The objects live in the store, not in memory.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"

	"github.com/dozor-dev/dozor/k8s/live"
)

// DefaultSkip are the resources Watch leaves out unless Options.Skip says
// otherwise: Leases are heartbeats. Every node renews its Lease every ten
// seconds and each leader-elected controller every two: recorded, they
// would be most of the history and say nothing about the cluster's
// configuration.
var DefaultSkip = []string{"leases.coordination.k8s.io"}

// Options configure Watch.
type Options struct {
	// Dir is the store's directory; empty means DefaultDir().
	Dir string
	// Namespaces limits namespaced resources to these namespaces (as
	// live.Options.Namespaces, which the cluster should be connected with
	// too): cluster-scoped resources are then left out, but for the
	// Namespaces themselves.
	Namespaces []string
	// Skip are resources not to watch, named as for live.Options.Kinds;
	// nil means DefaultSkip, empty (non-nil) means none.
	Skip []string
	// Retain drops changes older than this, but for the version of each
	// object at the cutoff, so that every time since stays answerable; 0
	// keeps everything.
	Retain time.Duration
	// Rediscover is how often discovery runs again, to watch resources that
	// appeared (new custom resources) and record the objects of resources
	// that went as deleted (default 1m).
	Rediscover time.Duration
	// Parallel bounds the lists run at once (default 4).
	Parallel int
	// MaxBackoff bounds the wait between attempts to reach the API server
	// (default 10s).
	MaxBackoff time.Duration
	// Log receives what the watcher does; nil discards it.
	Log *slog.Logger
	// Ready, if set, is called once every resource has been listed (or
	// resumed from the store) and is being watched.
	Ready func()

	// beforeConnect, for tests, is called before every attempt to watch
	// again after a watch ended.
	beforeConnect func(context.Context)
}

func (o *Options) defaults() {
	if o.Dir == "" {
		o.Dir = DefaultDir()
	}
	if o.Skip == nil {
		o.Skip = DefaultSkip
	}
	if o.Rediscover <= 0 {
		o.Rediscover = time.Minute
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Watch records every change of the cluster c in the store of opts.Dir
// until ctx is done, then writes what it has and returns nil. It returns an
// error if the store cannot be opened or written, or discovery fails at
// the start; the API server going away is not an error: Watch retries,
// with backoff, and says in its log when it is behind.
func Watch(ctx context.Context, c *live.Cluster, opts Options) error {
	opts.defaults()
	cfg := c.Config()
	cfg.Timeout = 0 // watches last minutes; requests are bounded by their context
	cfg.QPS, cfg.Burst = 100, 200
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return err
	}
	wr, err := openWriter(opts.Dir, Cluster{Context: c.Name, Server: c.Server}, opts.Log)
	if err != nil {
		return err
	}
	defer wr.close()
	w := &watcher{c: c, opts: opts, dyn: dyn, md: md, wr: wr, log: opts.Log,
		queue: make(chan *item, 4096), units: map[string]*unit{}, missing: map[string]time.Time{}, lists: make(chan struct{}, opts.Parallel),
		lag: &lag{log: opts.Log, down: map[string]time.Time{}}}
	return w.run(ctx)
}

type watcher struct {
	c     *live.Cluster
	opts  Options
	dyn   dynamic.Interface
	md    metadata.Interface
	wr    *writer
	log   *slog.Logger
	queue chan *item
	lists chan struct{} // a semaphore for lists
	lag   *lag

	mu      sync.Mutex
	units   map[string]*unit
	missing map[string]time.Time // units whose resource discovery no longer returns, since when
	ready   sync.WaitGroup
}

func (w *watcher) run(ctx context.Context) error {
	resources, err := w.discover(ctx)
	if err != nil {
		return err
	}
	if err := w.wr.setResources(resources); err != nil {
		return err
	}
	cursors, err := w.wr.cursors()
	if err != nil {
		return err
	}
	if w.opts.Retain > 0 {
		w.prune()
	}

	unitCtx, stopUnits := context.WithCancel(context.Background())
	defer stopUnits()
	writeErr := make(chan error, 1)
	go func() { writeErr <- w.writeLoop() }()

	var unitsDone sync.WaitGroup
	for _, s := range w.scopes(resources) {
		rv := cursors[string(unitKey(s.res.String(), s.namespace))]
		w.start(unitCtx, &unitsDone, s, rv, rv == "", true)
	}
	w.log.Info("watching", "cluster", w.c.Name, "server", w.c.Server, "store", w.opts.Dir, "resources", len(resources), "watches", len(w.units))
	go func() {
		w.ready.Wait()
		w.log.Info("ready: every resource is listed and watched")
		if w.opts.Ready != nil {
			w.opts.Ready()
		}
	}()

	rediscover := time.NewTicker(w.opts.Rediscover)
	defer rediscover.Stop()
	report := time.NewTicker(30 * time.Second)
	defer report.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	var failed error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-writeErr:
			failed = err
			break loop
		case <-rediscover.C:
			w.rediscover(ctx, unitCtx, &unitsDone)
		case <-report.C:
			w.mu.Lock()
			n := len(w.units)
			w.mu.Unlock()
			w.lag.report(n)
		case <-prune.C:
			if w.opts.Retain > 0 {
				w.prune()
			}
		}
	}
	stopUnits()
	unitsDone.Wait()
	close(w.queue)
	if failed != nil {
		return failed
	}
	if err := <-writeErr; err != nil {
		return err
	}
	w.log.Info("stopped; the history is written", "store", w.opts.Dir)
	return nil
}

// discover returns the resources to watch.
func (w *watcher) discover(ctx context.Context) ([]Resource, error) {
	rs, gaps, err := w.c.Resources(ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range gaps {
		w.log.Warn("not watched: discovery failed", "resource", g.Resource, "reason", g.Reason)
	}
	var out []Resource
	for _, r := range rs {
		res := Resource{Group: r.Group, Version: r.Version, Kind: r.Kind, Name: r.Name, Namespaced: r.Namespaced}
		if slices.ContainsFunc(w.opts.Skip, res.Matches) {
			continue
		}
		out = append(out, res)
	}
	return out, nil
}

// scope is one watch: a resource, in one namespace or all.
type scope struct {
	res       Resource
	namespace string
}

// scopes are the watches of resources: one per resource, or per resource
// and namespace; with namespaces, cluster-scoped resources are left out
// but for the Namespaces themselves (as k8s/live reads them).
func (w *watcher) scopes(resources []Resource) []scope {
	var out []scope
	for _, r := range resources {
		switch {
		case !r.Namespaced && len(w.opts.Namespaces) > 0 && !(r.Group == "" && r.Name == "namespaces"):
		case r.Namespaced && len(w.opts.Namespaces) > 0:
			for _, ns := range w.opts.Namespaces {
				out = append(out, scope{r, ns})
			}
		default:
			out = append(out, scope{r, ""})
		}
	}
	return out
}

// start starts the watch of a scope from resourceVersion rv ("" lists
// first). initial marks a first list whose objects already existed.
func (w *watcher) start(ctx context.Context, wg *sync.WaitGroup, s scope, rv string, initial, atStart bool) {
	ctx, cancel := context.WithCancel(ctx)
	gvr := schema.GroupVersionResource{Group: s.res.Group, Version: s.res.Version, Resource: s.res.Name}
	var client resourceClient
	if s.res.Group == "" && s.res.Name == "secrets" {
		client = metadataClient{w.md.Resource(gvr).Namespace(s.namespace)}
	} else {
		client = dynamicClient{w.dyn.Resource(gvr).Namespace(s.namespace)}
	}
	u := &unit{w: w, scope: s, client: client, rv: rv, initial: initial, again: rv != "", cancel: cancel, done: make(chan struct{}),
		log: w.log.With("resource", s.res.String())}
	if s.namespace != "" {
		u.log = u.log.With("namespace", s.namespace)
	}
	if atStart {
		w.ready.Add(1)
		u.ready = w.ready.Done
	}
	w.mu.Lock()
	w.units[u.key()] = u
	w.mu.Unlock()
	wg.Go(func() { u.run(ctx) })
}

// rediscover starts watches of resources that appeared, and stops those of
// resources that went, recording their objects as deleted. Resources of
// API groups whose discovery failed are left as they are.
func (w *watcher) rediscover(ctx, unitCtx context.Context, wg *sync.WaitGroup) {
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rs, gaps, err := w.c.Resources(dctx)
	if err != nil {
		w.log.Debug("discovery failed; trying again later", "error", err)
		return
	}
	failedGroups := map[string]bool{}
	for _, g := range gaps {
		failedGroups[strings.TrimPrefix(g.Resource, "*.")] = true
	}
	var resources []Resource
	for _, r := range rs {
		res := Resource{Group: r.Group, Version: r.Version, Kind: r.Kind, Name: r.Name, Namespaced: r.Namespaced}
		if !slices.ContainsFunc(w.opts.Skip, res.Matches) {
			resources = append(resources, res)
		}
	}
	want := map[string]scope{}
	for _, s := range w.scopes(resources) {
		want[string(unitKey(s.res.String(), s.namespace))] = s
	}
	w.mu.Lock()
	var added, changed []scope
	var gone []*unit
	for k, s := range want {
		u, ok := w.units[k]
		switch {
		case !ok:
			added = append(added, s)
		case u.scope.res != s.res: // another preferred version
			gone = append(gone, u)
			changed = append(changed, s)
		}
	}
	// A resource missing from discovery is gone only when it stays missing:
	// an API server that has just started may not serve every custom
	// resource yet.
	missingFor := max(3*w.opts.Rediscover, time.Minute)
	for k, u := range w.units {
		gv := schema.GroupVersion{Group: u.scope.res.Group, Version: u.scope.res.Version}.String()
		if _, ok := want[k]; ok || failedGroups[gv] {
			delete(w.missing, k)
			continue
		}
		if _, ok := w.missing[k]; !ok {
			w.missing[k] = time.Now()
		}
		if time.Since(w.missing[k]) >= missingFor {
			delete(w.missing, k)
			gone = append(gone, u)
		}
	}
	w.mu.Unlock()
	if len(added)+len(changed) > 0 {
		if err := w.wr.setResources(resources); err != nil {
			w.log.Error("recording resources", "error", err)
		}
	}
	for _, u := range gone {
		u.cancel()
		<-u.done
		w.mu.Lock()
		delete(w.units, u.key())
		w.mu.Unlock()
		if !slices.ContainsFunc(changed, func(s scope) bool { return s.res.String() == u.scope.res.String() }) {
			w.log.Info("resource no longer served", "resource", u.scope.res.String())
			w.enqueue(ctx, &item{kind: itemGone, res: u.scope.res, namespace: u.scope.namespace, at: time.Now()})
		}
	}
	for _, s := range changed {
		w.log.Info("resource served in another version", "resource", s.res.String(), "version", s.res.Version)
		w.start(unitCtx, wg, s, w.storedCursor(s), false, false)
	}
	for _, s := range added {
		w.log.Info("new resource: watching it", "resource", s.res.String())
		w.start(unitCtx, wg, s, "", false, false)
	}
}

// storedCursor returns the resourceVersion the store has for a scope.
func (w *watcher) storedCursor(s scope) string {
	cursors, err := w.wr.cursors()
	if err != nil {
		return ""
	}
	return cursors[string(unitKey(s.res.String(), s.namespace))]
}

func (w *watcher) enqueue(ctx context.Context, it *item) bool {
	select {
	case w.queue <- it:
		return true
	case <-ctx.Done():
		return false
	}
}

// writeLoop writes what the watches queue, in batches of what has queued
// up while the last batch was written. A batch that cannot be written is
// tried again; after that the watch stops with the error, rather than go
// on without recording.
func (w *watcher) writeLoop() error {
	var batch []*item
	var warned time.Time
	for it := range w.queue {
		batch = append(batch[:0], it)
	fill:
		for len(batch) < 1000 {
			select {
			case it, ok := <-w.queue:
				if !ok {
					break fill
				}
				batch = append(batch, it)
			default:
				break fill
			}
		}
		if n := len(w.queue); n > cap(w.queue)/2 && time.Since(warned) > 10*time.Second {
			w.log.Warn("writing is behind: changes are queued", "queued", n)
			warned = time.Now()
		}
		var err error
		for attempt, wait := 0, time.Second; attempt < 4; attempt, wait = attempt+1, wait*2 {
			if err = w.wr.write(batch); err == nil {
				break
			}
			w.log.Error("writing to the store failed; trying again", "error", err, "in", wait)
			time.Sleep(wait)
		}
		if err != nil {
			return fmt.Errorf("writing the history: %w", err)
		}
	}
	return nil
}

func (w *watcher) prune() {
	cutoff := time.Now().Add(-w.opts.Retain)
	n, blobs, err := w.wr.prune(cutoff)
	if err != nil {
		w.log.Error("pruning the history", "error", err)
		return
	}
	if n > 0 {
		w.log.Info("pruned the history", "before", cutoff.Format(time.RFC3339), "changes", n, "contents", blobs)
	}
}

// resourceClient lists and watches one resource in one scope.
type resourceClient interface {
	list(ctx context.Context, opts metav1.ListOptions) (items []runtime.Object, cont, rv string, err error)
	watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

type dynamicClient struct{ ri dynamic.ResourceInterface }

func (d dynamicClient) list(ctx context.Context, opts metav1.ListOptions) ([]runtime.Object, string, string, error) {
	l, err := d.ri.List(ctx, opts)
	if err != nil {
		return nil, "", "", err
	}
	items := make([]runtime.Object, len(l.Items))
	for i := range l.Items {
		items[i] = &l.Items[i]
	}
	return items, l.GetContinue(), l.GetResourceVersion(), nil
}

func (d dynamicClient) watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return d.ri.Watch(ctx, opts)
}

type metadataClient struct{ ri metadata.ResourceInterface }

func (m metadataClient) list(ctx context.Context, opts metav1.ListOptions) ([]runtime.Object, string, string, error) {
	l, err := m.ri.List(ctx, opts)
	if err != nil {
		return nil, "", "", err
	}
	items := make([]runtime.Object, len(l.Items))
	for i := range l.Items {
		items[i] = &l.Items[i]
	}
	return items, l.Continue, l.ResourceVersion, nil
}

func (m metadataClient) watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return m.ri.Watch(ctx, opts)
}

// unit is the watch of one scope.
type unit struct {
	w       *watcher
	scope   scope
	client  resourceClient
	rv      string // where to resume; "" to list first
	initial bool   // the first list finds what existed (Existing)
	again   bool   // a list now is because a watch could not resume
	cancel  context.CancelFunc
	done    chan struct{}
	log     *slog.Logger
	ready   func() // called once, when first watching
}

func (u *unit) key() string { return string(unitKey(u.scope.res.String(), u.scope.namespace)) }

func (u *unit) name() string {
	if u.scope.namespace == "" {
		return u.scope.res.String()
	}
	return u.scope.res.String() + " in " + u.scope.namespace
}

func (u *unit) markReady() {
	if u.ready != nil {
		u.ready()
		u.ready = nil
	}
}

// run lists (if it has no resourceVersion) and watches until ctx is done:
// from the resourceVersion it reached when a watch ends; listing again
// when that has expired (410 Gone); waiting, with backoff, while the API
// server cannot be reached.
func (u *unit) run(ctx context.Context) {
	defer close(u.done)
	defer u.markReady()
	defer u.w.lag.back(u.name())
	backoff := 200 * time.Millisecond
	var ended time.Time // when the last watch ended
	tooLarge := 0
	checked := false // the resourceVersion to resume from is known to be reached
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if attempt > 0 && u.w.opts.beforeConnect != nil {
			u.w.opts.beforeConnect(ctx)
		}
		if u.rv == "" {
			rv, err := u.list(ctx)
			if err != nil {
				backoff = u.failed(ctx, ended, err, backoff)
				continue
			}
			u.rv, u.initial, u.again, checked = rv, false, true, true
		}
		if !checked {
			// A watch from a resourceVersion the API server has not reached
			// waits for it, silently: after etcd was restored from a backup
			// it would never see a change. So before resuming, ask where the
			// server is; if behind the store, list.
			_, _, now, err := u.client.list(ctx, metav1.ListOptions{Limit: 1})
			if err != nil {
				backoff = u.failed(ctx, ended, err, backoff)
				continue
			}
			if newer(u.rv, now) {
				u.log.Warn("the API server is behind the store (etcd restored from a backup?): listing again", "stored", u.rv, "server", now)
				u.rv = ""
				continue
			}
		}
		checked = false
		timeout := int64((5*time.Minute + rand.N(5*time.Minute)) / time.Second)
		wi, err := u.client.watch(ctx, metav1.ListOptions{ResourceVersion: u.rv, AllowWatchBookmarks: true, TimeoutSeconds: &timeout})
		if err == nil {
			ended = time.Time{}
			err = u.consume(ctx, wi)
			wi.Stop()
			if err == nil {
				// The watch ended (its timeout, or the server went away):
				// resume at once; if the server is gone, that fails.
				ended, backoff, tooLarge = time.Now(), 200*time.Millisecond, 0
				continue
			}
		}
		switch {
		case ctx.Err() != nil:
			return
		case apierrors.IsResourceExpired(err) || apierrors.IsGone(err):
			u.log.Info("resourceVersion expired (410 Gone): listing again, to record what changed meanwhile", "resourceVersion", u.rv)
			u.rv = ""
			continue
		case apierrors.HasStatusCause(err, metav1.CauseTypeResourceVersionTooLarge):
			// The API server has not caught up with etcd (just restarted):
			// wait; if it never does (etcd restored from a backup), list.
			if tooLarge++; tooLarge > 5 {
				u.rv = ""
			}
		}
		backoff = u.failed(ctx, ended, err, backoff)
	}
}

// failed says the watch is down (the lag log), waits, and returns the next
// backoff. Refusals (forbidden, not found) are not an outage: they are
// said once and tried again at the longest backoff.
func (u *unit) failed(ctx context.Context, since time.Time, err error, backoff time.Duration) time.Duration {
	if ctx.Err() != nil {
		return backoff
	}
	wait := backoff
	if apierrors.IsForbidden(err) || apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
		u.log.Warn("cannot watch: not recorded until this changes", "error", err)
		u.markReady()
		u.w.lag.back(u.name()) // refused, not down: the history is not behind
		wait = u.w.opts.MaxBackoff * 6
	} else {
		if since.IsZero() {
			since = time.Now()
		}
		u.w.lag.lost(u.name(), since, err)
	}
	wait += rand.N(wait/5 + 1)
	select {
	case <-time.After(wait):
	case <-ctx.Done():
	}
	return min(backoff*2, u.w.opts.MaxBackoff)
}

// list lists the scope, page by page, hands every object to the writer,
// and then the end of the list, which records what the store has and the
// list does not as deleted. It returns the list's resourceVersion.
func (u *unit) list(ctx context.Context) (string, error) {
	select {
	case u.w.lists <- struct{}{}:
		defer func() { <-u.w.lists }()
	case <-ctx.Done():
		return "", ctx.Err()
	}
	seen := map[string]bool{}
	cont, restarts := "", 0
	at := time.Now()
	for {
		pageCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		items, next, rv, err := u.client.list(pageCtx, metav1.ListOptions{Limit: 500, Continue: cont})
		cancel()
		if err != nil {
			if (apierrors.IsResourceExpired(err) || apierrors.IsGone(err)) && cont != "" && restarts < 3 {
				// The continue token expired: list again from the start.
				// What was handed over already is recorded; a newer
				// version replaces it.
				cont, restarts, seen = "", restarts+1, map[string]bool{}
				continue
			}
			return "", err
		}
		for _, it := range items {
			o, err := fromRuntime(u.scope.res, it)
			if err != nil {
				u.log.Warn("skipping an object that cannot be read", "error", err)
				continue
			}
			seen[string(objectKey(Ref{u.scope.res.String(), o.namespace, o.name}))] = true
			if !u.w.enqueue(ctx, &item{kind: itemListed, res: u.scope.res, namespace: u.scope.namespace, initial: u.initial, obj: o, at: at}) {
				return "", ctx.Err()
			}
		}
		if next == "" {
			if !u.w.enqueue(ctx, &item{kind: itemListDone, res: u.scope.res, namespace: u.scope.namespace, initial: u.initial, again: u.again,
				rv: rv, seen: seen, at: time.Now()}) {
				return "", ctx.Err()
			}
			return rv, nil
		}
		cont = next
	}
}

// consume hands a watch's events to the writer until the watch ends
// (nil), fails (the error: an expired resourceVersion, or another), or ctx
// is done.
func (u *unit) consume(ctx context.Context, wi watch.Interface) error {
	// The watch counts as up when its first event is not an error, or
	// after a second without one (an expired resourceVersion comes at once).
	up := time.NewTimer(time.Second)
	defer up.Stop()
	isUp := false
	markUp := func() {
		if !isUp {
			isUp = true
			u.w.lag.back(u.name())
			u.markReady()
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-up.C:
			markUp()
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return nil
			}
			switch ev.Type {
			case watch.Error:
				return apierrors.FromObject(ev.Object)
			case watch.Bookmark:
				markUp()
				m, err := meta.Accessor(ev.Object)
				if err != nil || m.GetResourceVersion() == "" {
					continue
				}
				u.rv = m.GetResourceVersion()
				if !u.w.enqueue(ctx, &item{kind: itemBookmark, res: u.scope.res, namespace: u.scope.namespace, rv: u.rv}) {
					return nil
				}
			case watch.Added, watch.Modified, watch.Deleted:
				markUp()
				o, err := fromRuntime(u.scope.res, ev.Object)
				if err != nil {
					u.log.Warn("skipping an event that cannot be read", "error", err)
					continue
				}
				u.rv = o.rv
				if !u.w.enqueue(ctx, &item{kind: itemEvent, res: u.scope.res, namespace: u.scope.namespace,
					deleted: ev.Type == watch.Deleted, obj: o, rv: o.rv, at: time.Now()}) {
					return nil
				}
			}
		}
	}
}

// lag tracks the watches that are down, and says in the log when the
// history is behind, and when it has caught up.
type lag struct {
	mu       sync.Mutex
	log      *slog.Logger
	down     map[string]time.Time
	since    time.Time
	lastErr  error
	reported time.Time
}

func (l *lag) lost(unit string, since time.Time, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lastErr = err
	if _, ok := l.down[unit]; ok {
		return
	}
	l.down[unit] = since
	if len(l.down) == 1 {
		l.since, l.reported = since, time.Now()
		l.log.Warn("behind: a watch is down; retrying with backoff, and what changes meanwhile is recorded when it is back",
			"resource", unit, "since", since.Format(time.RFC3339), "error", err)
	}
}

func (l *lag) back(unit string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.down[unit]; !ok {
		return
	}
	delete(l.down, unit)
	if len(l.down) == 0 {
		l.log.Info("caught up: every watch is back", "after", time.Since(l.since).Round(time.Millisecond))
	}
}

// report repeats, every call, that the history is behind, while it is.
func (l *lag) report(total int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.down) == 0 {
		return
	}
	l.log.Warn("still behind", "since", l.since.Format(time.RFC3339), "for", time.Since(l.since).Round(time.Second),
		"watchesDown", len(l.down), "of", total, "error", l.lastErr)
	l.reported = time.Now()
}
