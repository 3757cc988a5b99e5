// Package scan runs configuration checks over manifests, Helm charts and
// kustomizations: it finds the inputs, decodes and renders them in parallel,
// runs every per-object check as each object is decoded, runs cross-object
// checks over each group of objects deployed together, applies exceptions,
// and returns a Result that reports render.
package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/input"
	"github.com/dozor-dev/dozor/k8s/manifest"
)

// Options configure a scan.
type Options struct {
	// Paths are files, directories, globs, and "-" for Stdin.
	Paths []string
	// Stdin is read for the path "-".
	Stdin io.Reader
	// Checks are the checks to run.
	Checks []*check.Check
	// CheckOptions are passed to every check.
	CheckOptions check.Options
	// Exceptions suppress findings; Now decides which have expired.
	Exceptions []*finding.Exception
	Now        time.Time
	// MaxFileBytes bounds each file and standard input
	// (default input.DefaultMaxFileBytes).
	MaxFileBytes int64
	// Limits bound each document.
	Limits manifest.Options
	// Helm configures chart rendering.
	Helm HelmOptions
	// Workers is the number of objects decoded and checked at once
	// (default GOMAXPROCS).
	Workers int
	// Renderers render charts and kustomizations. Nil members make those
	// inputs an error.
	Renderers Renderers
	// Objects, when set, is a source of objects that need no decoding (a
	// live cluster), scanned with the Paths.
	Objects ObjectSource
	// KeepRepeated keeps the findings of objects that a controller in the
	// scan owns when the controller has them too (dropRepeated).
	KeepRepeated bool
	// Analyze, when set, looks at every object once the checks have run
	// (before the objects shed their content), for analyses that need the
	// whole: the cluster's components, say. Its findings go through
	// exceptions and ignore annotations like any check's.
	Analyze func(objects []*k8s.Object) []ObjectFinding
}

// ObjectFinding is a finding of Options.Analyze and the object it is
// about, which may be one of the objects scanned or one made for the
// purpose (the cluster itself).
type ObjectFinding struct {
	Object  *k8s.Object
	Finding finding.Finding
}

// ObjectSource hands decoded objects to emit, from any goroutine. It returns
// the parts of its input it could not read (gaps), and an error when it
// could read nothing.
type ObjectSource func(ctx context.Context, emit func(*k8s.Object)) ([]finding.Gap, error)

// HelmOptions are the values and settings charts are rendered with.
type HelmOptions struct {
	ValueFiles   []string
	Values       []string // --set
	StringValues []string // --set-string
	FileValues   []string // --set-file
	ReleaseName  string
	Namespace    string
	KubeVersion  string
}

// Rendered is one manifest produced by rendering a chart or building a
// kustomization.
type Rendered struct {
	// Data holds one or more YAML documents.
	Data []byte
	// Source is copied into every object decoded from Data.
	Source k8s.Source
}

// Renderers turn charts and kustomizations into manifests. They report
// problems that spoil the whole unit as an error, and may return both
// manifests and errors.
type Renderers struct {
	Chart         func(ctx context.Context, u input.Unit, opts HelmOptions) ([]Rendered, []*finding.InputError)
	Kustomization func(ctx context.Context, u input.Unit) ([]Rendered, []*finding.InputError)
}

// Result is what a scan found.
type Result struct {
	// Findings are the findings not suppressed, in stable order.
	Findings []finding.Finding
	// Suppressed are the findings an exception suppressed, with why.
	Suppressed []finding.Finding
	// Errors are problems with the input; each names where it is.
	Errors []*finding.InputError
	// ExpiredExceptions matched findings but had expired, so the findings stand.
	ExpiredExceptions []*finding.Exception
	// UnusedExceptions matched no finding.
	UnusedExceptions []*finding.Exception
	// Gaps are the parts of a live cluster that could not be read.
	Gaps []finding.Gap
	// Checks are the checks that ran.
	Checks []*check.Check
	// Objects lists every object scanned, in input order.
	Objects []ObjectInfo
	// Stats count the work done.
	Stats Stats
}

// ObjectInfo is what reports need to know of an object.
type ObjectInfo struct {
	Ref      finding.ObjectRef
	Location finding.Location
}

// Stats count the work of a scan.
type Stats struct {
	Units     int `json:"inputs"`
	Documents int `json:"documents"`
	Objects   int `json:"objects"`
	Skipped   int `json:"skippedDocuments"`
	// Repeated counts the findings dropped because the object's
	// controller, in the same scan, has them too.
	Repeated int           `json:"-"`
	Duration time.Duration `json:"-"`
	// Phases times the phases of the scan: discovering inputs, reading,
	// decoding and per-object checks, cross-object checks, and applying
	// exceptions and sorting.
	Phases struct{ Discover, Decode, CrossObject, Finish time.Duration } `json:"-"`
}

// rawFinding is a finding until the scan ends: the object it concerns, and
// only what differs from one finding of the object to the next. It is a
// third of the size of a finding.Finding, which matters at hundreds of
// thousands of findings; finish builds the Findings.
type rawFinding struct {
	obj          *k8s.Object
	rule         *finding.Rule
	path         string
	container    string
	message      string
	line, column int32
	sev          finding.Severity
}

func newRaw(obj *k8s.Object, f *finding.Finding, in interner) rawFinding {
	return rawFinding{obj: obj, rule: f.Rule, path: in.intern(f.Path), container: in.intern(f.Container), message: in.intern(f.Message),
		line: int32(f.Location.Line), column: int32(f.Location.Column), sev: f.Severity}
}

// interner keeps one copy of the strings of findings: the same path,
// container and message recur across objects (every replica of a pod in a
// cluster, every copy of a chart). Each goroutine has its own, unlocked
// (a shared one, unique.Make, cost 6% of a scan's CPU); the strings live
// as long as the findings that hold them.
type interner map[string]string

func (in interner) intern(s string) string {
	if c, ok := in[s]; ok {
		return c
	}
	if len(in) < maxInterned {
		in[s] = s
	}
	return s
}

// maxInterned bounds an interner: past it, strings are no longer shared.
const maxInterned = 1 << 16

// finding builds the Finding.
func (r *rawFinding) finding() finding.Finding {
	loc := r.obj.Location("")
	if r.line > 0 {
		loc.Line, loc.Column = int(r.line), int(r.column)
	}
	return finding.Finding{Rule: r.rule, Severity: r.sev, Object: r.obj.Ref(), Location: loc,
		Path: r.path, Container: r.container, Message: r.message}
}

// compareRaw orders findings for output: by file, template and line, then
// by object (in input order), rule, path and message.
func compareRaw(a, b *rawFinding) int {
	if c := cmp.Compare(a.obj.Source.File, b.obj.Source.File); c != 0 {
		return c
	}
	if c := cmp.Compare(a.obj.Source.Template, b.obj.Source.Template); c != 0 {
		return c
	}
	if c := cmp.Compare(a.lineOr(), b.lineOr()); c != 0 {
		return c
	}
	if a.obj != b.obj {
		if a.obj.Seq.Less(b.obj.Seq) {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(a.rule.ID, b.rule.ID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.path, b.path); c != 0 {
		return c
	}
	return cmp.Compare(a.message, b.message)
}

func (r *rawFinding) lineOr() int32 {
	if r.line > 0 {
		return r.line
	}
	return int32(r.obj.Source.Line)
}

// docJob is one document to decode and check, or one object to check.
type docJob struct {
	obj      *k8s.Object // a decoded object (from a live cluster)
	doc      manifest.Document
	src      k8s.Source
	seq      k8s.Seq
	rendered bool
	foreign  bool // skip documents that are not Kubernetes objects
}

// docResult is what decoding and checking one document gave.
type docResult struct {
	objects  []*k8s.Object
	findings []rawFinding
	errors   []*finding.InputError
	skipped  int
}

// Run scans. It returns an error only when it cannot scan at all; problems
// with the input are in Result.Errors.
func Run(ctx context.Context, opts Options) (*Result, error) {
	start := time.Now()
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = input.DefaultMaxFileBytes
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	res := &Result{Checks: opts.Checks}
	units, errs := input.Discover(opts.Paths)
	for _, err := range errs {
		ie := &finding.InputError{Message: err.Error()}
		var pe *input.Error
		if errors.As(err, &pe) {
			ie.Location.File, ie.Message = pe.Path, pe.Err.Error()
		}
		res.Errors = append(res.Errors, ie)
	}
	res.Stats.Units = len(units)
	res.Stats.Phases.Discover = time.Since(start)
	d := newDispatch(opts.Checks, &opts.CheckOptions)

	unitCh := make(chan int)
	docCh := make(chan docJob, 256)
	resCh := make(chan docResult, 256)
	var producers, decoders sync.WaitGroup
	for range workers {
		producers.Go(func() {
			for i := range unitCh {
				produce(ctx, units[i], i, &opts, docCh, resCh)
			}
		})
		decoders.Go(func() {
			in := interner{}
			for job := range docCh {
				resCh <- d.decode(job, opts.Limits, in)
			}
		})
	}
	go func() {
		defer close(unitCh)
		for i := range units {
			select {
			case unitCh <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var sourceErr error
	if opts.Objects != nil {
		producers.Go(func() {
			var gaps []finding.Gap
			gaps, sourceErr = opts.Objects(ctx, func(o *k8s.Object) {
				o.Seq.Unit += len(units) // after the files
				docCh <- docJob{obj: o}
			})
			res.Gaps = gaps
		})
	}
	go func() {
		producers.Wait()
		close(docCh)
		decoders.Wait()
		close(resCh)
	}()

	var objects []*k8s.Object
	var raw [][]rawFinding // one chunk per document: no copying as it grows
	for r := range resCh {
		objects = append(objects, r.objects...)
		if len(r.findings) > 0 {
			raw = append(raw, r.findings)
		}
		res.Errors = append(res.Errors, r.errors...)
		res.Stats.Skipped += r.skipped
		if r.objects != nil || r.errors != nil || r.skipped > 0 {
			res.Stats.Documents++
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if sourceErr != nil {
		return nil, sourceErr
	}
	slices.SortFunc(objects, func(a, b *k8s.Object) int {
		switch {
		case a.Seq.Less(b.Seq):
			return -1
		case b.Seq.Less(a.Seq):
			return 1
		}
		return 0
	})
	res.Stats.Objects = len(objects)
	res.Objects = make([]ObjectInfo, len(objects))
	for i, o := range objects {
		res.Objects[i] = ObjectInfo{Ref: o.Ref(), Location: o.Location("")}
	}

	res.Stats.Phases.Decode = time.Since(start) - res.Stats.Phases.Discover
	raw = append(raw, d.crossObject(ctx, objects, workers))
	if !opts.KeepRepeated {
		res.Stats.Repeated = dropRepeated(objects, raw)
	}
	if opts.Analyze != nil {
		var extra []rawFinding
		in := interner{}
		for _, of := range opts.Analyze(objects) {
			extra = append(extra, newRaw(of.Object, &of.Finding, in))
		}
		if len(extra) > 0 {
			raw = append(raw, extra)
		}
	}
	res.Stats.Phases.CrossObject = time.Since(start) - res.Stats.Phases.Discover - res.Stats.Phases.Decode
	for _, o := range objects {
		shed(o)
	}
	if len(objects) > shedCollect {
		// What the objects shed is most of the heap now: collect it before
		// the findings are built, so that the heap does not grow to twice
		// the size of the scan's working set. (A fraction of a second at
		// the sizes where it matters.)
		runtime.GC()
	}
	applyExceptions(res, raw, &opts)
	slices.SortFunc(res.Errors, finding.CompareInputErrors)
	res.Stats.Duration = time.Since(start)
	res.Stats.Phases.Finish = res.Stats.Duration - res.Stats.Phases.CrossObject - res.Stats.Phases.Decode - res.Stats.Phases.Discover
	return res, nil
}

// shedCollect is the number of objects above which Run collects garbage
// once they have shed their content.
const shedCollect = 5000

// shed drops what an object holds that findings no longer need once every
// check has run: its typed content and its document. Findings keep naming
// it and exceptions keep reading its ignore annotation. At hundreds of
// thousands of objects this halves the memory the scan ends with.
func shed(o *k8s.Object) {
	meta := &metav1.ObjectMeta{Name: o.Meta.Name, GenerateName: o.Meta.GenerateName, Namespace: o.Meta.Namespace,
		ResourceVersion: o.Meta.ResourceVersion}
	if v, ok := o.Meta.Annotations[finding.IgnoreAnnotation]; ok {
		meta.Annotations = map[string]string{finding.IgnoreAnnotation: v}
	}
	o.Meta, o.Typed, o.Unstructured, o.Pod, o.FieldErrors, o.Locator = meta, nil, nil, nil, nil, nil
}

// produce reads one unit and queues its documents.
func produce(ctx context.Context, u input.Unit, unit int, opts *Options, docCh chan<- docJob, resCh chan<- docResult) {
	fail := func(errs ...*finding.InputError) {
		if len(errs) > 0 {
			resCh <- docResult{errors: errs}
		}
	}
	queue := func(data []byte, src k8s.Source, rendered, foreign bool, docBase int) int {
		n := 0
		for _, doc := range manifest.Split(data) {
			doc.Index += docBase
			docCh <- docJob{doc: doc, src: src, seq: k8s.Seq{Unit: unit}, rendered: rendered, foreign: foreign}
			n++
		}
		return n
	}
	switch u.Kind {
	case input.File, input.Stdin:
		var data []byte
		var err error
		if u.Kind == input.Stdin {
			if opts.Stdin == nil {
				fail(&finding.InputError{Location: finding.Location{File: u.Name()}, Message: "no standard input"})
				return
			}
			data, err = input.ReadAll(opts.Stdin, opts.MaxFileBytes)
		} else {
			data, err = input.ReadFile(u.Path, opts.MaxFileBytes)
		}
		if err != nil {
			fail(&finding.InputError{Location: finding.Location{File: u.Name()}, Message: fmt.Sprint(unwrapPath(err))})
			return
		}
		queue(data, k8s.Source{File: u.Name(), Group: "files"}, false, !u.Explicit, 0)
	case input.Chart, input.ChartArchive:
		if opts.Renderers.Chart == nil {
			fail(&finding.InputError{Location: finding.Location{Chart: u.Path}, Message: "Helm charts are not supported in this build"})
			return
		}
		out, errs := opts.Renderers.Chart(ctx, u, opts.Helm)
		fail(errs...)
		base := 0
		for _, r := range out {
			base += queue(r.Data, r.Source, true, false, base)
		}
	case input.Kustomization:
		if opts.Renderers.Kustomization == nil {
			fail(&finding.InputError{Location: finding.Location{Kustomization: u.Path}, Message: "kustomizations are not supported in this build"})
			return
		}
		out, errs := opts.Renderers.Kustomization(ctx, u)
		fail(errs...)
		base := 0
		for _, r := range out {
			base += queue(r.Data, r.Source, true, false, base)
		}
	}
}

// unwrapPath drops the "open PATH:" prefix of file errors: reports name the
// file already.
func unwrapPath(err error) error {
	type unwrapper interface{ Unwrap() error }
	if pe, ok := err.(interface {
		unwrapper
		Timeout() bool
	}); ok {
		return pe.Unwrap()
	}
	return err
}
