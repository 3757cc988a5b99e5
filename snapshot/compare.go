package snapshot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/dozor-dev/dozor/finding"
)

// CompareOptions configure Compare.
type CompareOptions struct {
	// Ignore are ignore patterns added to DefaultIgnore (see ParsePattern).
	Ignore []string
	// NoDefaultIgnore drops DefaultIgnore: every difference is reported.
	NoDefaultIgnore bool
}

// Diff is what changed from one input (A) to another (B).
type Diff struct {
	A, B Side
	// Objects are the objects added, removed and changed, ordered by kind,
	// namespace, name and unit.
	Objects []ObjectDiff
	// Summary counts them.
	Summary Summary
	// Warnings say what makes the comparison less than complete or less
	// than like for like: gaps, inputs of different scopes.
	Warnings []string
}

// Side is one of the inputs compared.
type Side struct {
	Name   string
	Header Header
	End    End
}

// Summary counts the objects of a Diff.
type Summary struct {
	Added, Removed, Changed int
	// Unchanged counts objects in both inputs without a difference that
	// is not ignored.
	Unchanged int
	// NotCompared counts objects of one input that the other could not
	// read (its gaps), so that they were neither added nor removed.
	NotCompared int
}

// Differences returns the number of objects added, removed or changed.
func (s Summary) Differences() int { return s.Added + s.Removed + s.Changed }

// ObjectDiff is one object added, removed or changed.
type ObjectDiff struct {
	// Change is Added, Removed or Changed.
	Change string
	// APIVersion, Kind, Namespace and Name name the object (APIVersion as
	// in B, or A when removed).
	APIVersion, Kind, Namespace, Name string
	// Unit is the chart or kustomization an object of files came from.
	Unit string
	// Source is where an object of files is written (in B, or in A when
	// removed).
	Source *Origin
	// Recreated is set when the object was deleted and created again
	// between A and B: its uid changed (OldUID, NewUID).
	Recreated      bool
	OldUID, NewUID string
	// MetadataOnly is set when only the metadata could be compared: one
	// side kept only the metadata of a Secret.
	MetadataOnly bool
	// Fields are the differences of a changed object.
	Fields []FieldChange
}

// Identity returns "Kind namespace/name", or "Kind name".
func (o *ObjectDiff) Identity() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// identity is what tells objects apart.
type identity struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name         string `json:"name"`
		GenerateName string `json:"generateName"`
		Namespace    string `json:"namespace"`
		UID          string `json:"uid"`
	} `json:"metadata"`
}

func (id *identity) name() string {
	if id.Metadata.Name == "" {
		return id.Metadata.GenerateName
	}
	return id.Metadata.Name
}

func (id *identity) group() string {
	g, _, found := strings.Cut(id.APIVersion, "/")
	if !found {
		return ""
	}
	return g
}

// key is the identity within an input: group, kind, namespace, name, and
// the unit of an object rendered from a chart or kustomization. The
// version is left out: the same object read in another version is the
// same object.
func (id *identity) key(rec *Record) string {
	k := id.group() + "/" + id.Kind + "/" + id.Metadata.Namespace + "/" + id.name()
	if rec.Source != nil && rec.Source.Unit != "" {
		k += "@" + rec.Source.Unit
	}
	return k
}

func identityOf(obj map[string]any) (identity, error) {
	var id identity
	id.APIVersion, _ = obj["apiVersion"].(string)
	id.Kind, _ = obj["kind"].(string)
	md, _ := obj["metadata"].(map[string]any)
	if md != nil {
		id.Metadata.Name, _ = md["name"].(string)
		id.Metadata.GenerateName, _ = md["generateName"].(string)
		id.Metadata.Namespace, _ = md["namespace"].(string)
		id.Metadata.UID, _ = md["uid"].(string)
	}
	if id.Kind == "" || id.APIVersion == "" || id.name() == "" {
		return id, errors.New("an object without apiVersion, kind or metadata.name")
	}
	return id, nil
}

// occurrences tells apart objects files hold more than once (the same
// object in two files): the second is key#2, and so on. Objects of a
// cluster are unique: they are not counted, which spares a map of every
// key.
type occurrences map[string]int

func (o occurrences) next(key string, rec *Record) string {
	if rec.Source == nil {
		return key
	}
	n := o[key] + 1
	o[key] = n
	if n == 1 {
		return key
	}
	return key + "#" + strconv.Itoa(n)
}

// entry is what the first pass keeps of an object of A.
type entry struct {
	digest  [32]byte
	uid     string
	partial bool
	seen    bool // B has it
}

// pending is an object of B that differs from A's, kept until the second
// pass over A compares them field by field.
type pending struct {
	obj map[string]any
	id  identity
	rec *Record
}

// Compare compares A, which must be a snapshot file (it is read twice), with
// B (a snapshot, a live cluster, or files, read once). Memory holds a
// fingerprint of each object of A and the objects of B that differ, not
// the inputs. Records are decoded on every core.
func Compare(ctx context.Context, a, b *Input, opts *CompareOptions) (*Diff, error) {
	if opts == nil {
		opts = &CompareOptions{}
	}
	if !a.Rereadable {
		return nil, errors.New("the first input of a comparison must be a snapshot file")
	}
	m, err := compilePatterns(opts.Ignore, opts.NoDefaultIgnore)
	if err != nil {
		return nil, err
	}
	workers := runtime.GOMAXPROCS(0)
	d := &Diff{A: Side{Name: a.Name, Header: a.Header}, B: Side{Name: b.Name, Header: b.Header}}

	// fingerprint is what the workers make of a record: its identity, and
	// its object once the ignored fields are gone, with a digest.
	type fingerprint struct {
		rec    *Record
		id     identity
		norm   map[string]any
		digest [32]byte
	}
	fingerprintOf := func(rec *Record, obj map[string]any) (fingerprint, error) {
		id, err := identityOf(obj)
		if err != nil {
			return fingerprint{}, err
		}
		norm, _ := m.normalize(obj, m.start(id.Kind))
		return fingerprint{rec: rec, id: id, norm: norm.(map[string]any), digest: digest(norm)}, nil
	}
	fingerprints := worker[fingerprint]{
		line: func(in *Input, line []byte, n int) (fingerprint, error) {
			rec, obj, err := parseObjectLine(line, in.Name, n)
			if err != nil {
				return fingerprint{}, err
			}
			return fingerprintOf(rec, obj)
		},
		rec: func(rec *Record) (fingerprint, error) {
			obj, err := decodeObject(rec.Object)
			if err != nil {
				return fingerprint{}, err
			}
			return fingerprintOf(rec, obj)
		},
	}

	// Pass 1: a fingerprint of every object of A.
	entries := map[string]*entry{}
	seenA := occurrences{}
	nA, nB := 0, 0
	endA, err := each(ctx, a, workers, fingerprints, func(f fingerprint) error {
		nA++
		entries[seenA.next(f.id.key(f.rec), f.rec)] = &entry{digest: f.digest, uid: f.id.Metadata.UID, partial: f.rec.Partial != ""}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.A.End = endA
	d.A.End.Objects = nA

	// Pass over B: what is new, and what differs.
	changed := map[string]*pending{}
	seenB := occurrences{}
	endB, err := each(ctx, b, workers, fingerprints, func(f fingerprint) error {
		nB++
		key := seenB.next(f.id.key(f.rec), f.rec)
		e := entries[key]
		switch {
		case e == nil && covered(endA.Gaps, f.rec, &f.id):
			d.Summary.NotCompared++
		case e == nil:
			d.Objects = append(d.Objects, objectDiff(Added, &f.id, f.rec))
		case e.digest == f.digest && e.uid == f.id.Metadata.UID:
			e.seen = true
			d.Summary.Unchanged++
		default:
			e.seen = true
			changed[key] = &pending{obj: f.norm, id: f.id, rec: copyRecord(f.rec)}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.B.End = endB
	d.B.End.Objects = nB

	// Pass 2 over A: what is gone, and the fields of what differs. Only the
	// identity of each object is decoded, and the whole of those that
	// differ.
	type head struct {
		rec  *Record
		id   identity
		line []byte
		n    int
	}
	seenA = occurrences{}
	_, err = each(ctx, a, workers, worker[head]{line: func(in *Input, line []byte, n int) (head, error) {
		rec, id, err := parseObjectHead(line, in.Name, n)
		return head{rec, id, line, n}, err
	}}, func(x head) error {
		key := seenA.next(x.id.key(x.rec), x.rec)
		e := entries[key]
		if e == nil {
			return fmt.Errorf("%s changed while it was read", a.Name)
		}
		if !e.seen {
			if covered(endB.Gaps, x.rec, &x.id) {
				d.Summary.NotCompared++
			} else {
				d.Objects = append(d.Objects, objectDiff(Removed, &x.id, x.rec))
			}
			return nil
		}
		p := changed[key]
		if p == nil {
			return nil
		}
		delete(changed, key)
		_, obj, err := parseObjectLine(x.line, a.Name, x.n)
		if err != nil {
			return err
		}
		old, _ := m.normalize(obj, m.start(x.id.Kind))
		od := objectDiff(Changed, &p.id, p.rec)
		od.OldUID, od.NewUID = x.id.Metadata.UID, p.id.Metadata.UID
		od.Recreated = od.OldUID != "" && od.NewUID != "" && od.OldUID != od.NewUID
		oldObj, newObj := old.(map[string]any), p.obj
		if e.partial || p.rec.Partial != "" {
			// One side has only the metadata (a Secret read without its
			// values): compare what both have.
			oldObj, newObj = metadataOf(oldObj), metadataOf(newObj)
			od.MetadataOnly = e.partial != (p.rec.Partial != "")
		}
		diffValues(nil, oldObj, newObj, &od.Fields)
		if len(od.Fields) == 0 && !od.Recreated {
			d.Summary.Unchanged++
			return nil
		}
		if !od.Recreated {
			od.OldUID, od.NewUID = "", ""
		}
		d.Objects = append(d.Objects, od)
		return nil
	})
	if err != nil {
		return nil, err
	}

	for _, o := range d.Objects {
		switch o.Change {
		case Added:
			d.Summary.Added++
		case Removed:
			d.Summary.Removed++
		case Changed:
			d.Summary.Changed++
		}
	}
	slices.SortFunc(d.Objects, func(x, y ObjectDiff) int {
		return cmp.Or(cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Namespace, y.Namespace), cmp.Compare(x.Name, y.Name),
			cmp.Compare(x.Unit, y.Unit), cmp.Compare(x.APIVersion, y.APIVersion))
	})
	d.Warnings = warnings(d)
	return d, nil
}

// worker makes an R of a line of a snapshot file (line, numbered n), or of
// a record of another input (rec).
type worker[R any] struct {
	line func(in *Input, line []byte, n int) (R, error)
	rec  func(rec *Record) (R, error)
}

// each runs work on every record of in, on up to workers goroutines, and
// hands what it returns to collect, one at a time, in the order the
// records came. The lines of a snapshot file are decoded by the workers,
// not by the goroutine that reads them. The first error stops it.
func each[R any](ctx context.Context, in *Input, workers int, work worker[R], collect func(R) error) (End, error) {
	if in.path == "" && work.rec == nil {
		return End{}, fmt.Errorf("%s: not a snapshot file", in.Name)
	}
	type job struct {
		seq  int
		line []byte // a line of a snapshot file, numbered n
		n    int
		rec  *Record // or a record of another input
	}
	type result struct {
		seq int
		v   R
		err error
	}
	jobs := make(chan job, 4*workers)
	results := make(chan result, 4*workers)
	var (
		once    sync.Once
		stopErr error
		stopped = make(chan struct{})
	)
	fail := func(err error) {
		once.Do(func() { stopErr = err; close(stopped) })
	}

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				res := result{seq: j.seq}
				if j.line != nil {
					res.v, res.err = work.line(in, j.line, j.n)
				} else if res.v, res.err = work.rec(j.rec); res.err != nil {
					res.err = fmt.Errorf("%s: %w", in.Name, res.err)
				}
				results <- res
			}
		})
	}
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		waiting := map[int]result{}
		next := 0
		for res := range results {
			waiting[res.seq] = res
			for {
				r, ok := waiting[next]
				if !ok {
					break
				}
				delete(waiting, next)
				next++
				select {
				case <-stopped:
					continue // drain
				default:
				}
				if r.err == nil {
					r.err = collect(r.v)
				}
				if r.err != nil {
					fail(r.err)
				}
			}
		}
	}()

	var mu sync.Mutex
	seq := 0
	send := func(j job) error {
		mu.Lock()
		defer mu.Unlock()
		j.seq = seq
		select {
		case <-stopped:
			return stopErr
		case <-ctx.Done():
			return ctx.Err()
		case jobs <- j:
			seq++
			return nil
		}
	}
	var end End
	var err error
	if in.path != "" {
		var r *Reader
		if r, err = Open(in.path, in.readOpts); err == nil {
			var e *End
			if e, err = r.lines(func(line []byte, n int) error { return send(job{line: line, n: n}) }); e != nil {
				end = *e
			}
			_ = r.Close() // opened for reading: nothing to report
		}
	} else {
		end, err = in.Read(ctx, func(rec *Record) error { return send(job{rec: rec}) })
	}
	close(jobs)
	wg.Wait()
	close(results)
	<-collected
	select {
	case <-stopped:
		return End{}, stopErr
	default:
	}
	if err != nil {
		return End{}, err
	}
	return end, ctx.Err()
}

func copyRecord(rec *Record) *Record {
	c := *rec
	c.Object = nil // the object is kept decoded
	if rec.Source != nil {
		s := *rec.Source
		c.Source = &s
	}
	return &c
}

func objectDiff(change string, id *identity, rec *Record) ObjectDiff {
	od := ObjectDiff{Change: change, APIVersion: id.APIVersion, Kind: id.Kind, Namespace: id.Metadata.Namespace, Name: id.name()}
	if rec.Source != nil {
		s := *rec.Source
		od.Source, od.Unit = &s, s.Unit
	}
	return od
}

// metadataOf keeps what a Secret read as metadata only has.
func metadataOf(obj map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"apiVersion", "kind", "metadata"} {
		if v, ok := obj[k]; ok {
			out[k] = v
		}
	}
	return out
}

// covered reports whether an object belongs to a part of a cluster that
// could not be read (gaps), so that its absence there says nothing.
func covered(gaps []finding.Gap, rec *Record, id *identity) bool {
	for _, g := range gaps {
		if g.Namespace != "" && g.Namespace != id.Metadata.Namespace {
			continue
		}
		if rest, ok := strings.CutPrefix(g.Resource, "*."); ok {
			// A whole API group whose discovery failed: "*.group/version".
			group, _, _ := strings.Cut(rest, "/")
			if group == id.group() {
				return true
			}
			continue
		}
		if rec.Resource != "" {
			if g.Resource == rec.Resource {
				return true
			}
			continue
		}
		// An object of files against a cluster's gap: by group and kind.
		name, group, _ := strings.Cut(g.Resource, ".")
		kind := strings.ToLower(id.Kind)
		if group == id.group() && len(kind) > 1 && strings.HasPrefix(name, kind[:len(kind)-1]) {
			return true
		}
	}
	return false
}

// warnings say what makes a diff less than complete or like for like.
func warnings(d *Diff) []string {
	var out []string
	for _, s := range []*Side{&d.A, &d.B} {
		if n := len(s.End.Gaps); n > 0 {
			out = append(out, fmt.Sprintf("%s: %d parts of the cluster could not be read; their objects are not compared", s.Name, n))
		}
		if n := len(s.End.Errors); n > 0 {
			out = append(out, fmt.Sprintf("%s: %d inputs could not be read, or not completely", s.Name, n))
		}
	}
	ha, hb := d.A.Header.Source, d.B.Header.Source
	if ha.Type != hb.Type {
		out = append(out, fmt.Sprintf("comparing %s with %s: fields one side never has (defaults the API server fills in, status) show as changes", ha.Type, hb.Type))
	}
	if !slices.Equal(ha.Namespaces, hb.Namespaces) {
		out = append(out, fmt.Sprintf("the inputs were read in different namespaces (%s and %s)", scope(ha.Namespaces), scope(hb.Namespaces)))
	}
	if !slices.Equal(ha.Kinds, hb.Kinds) {
		out = append(out, fmt.Sprintf("the inputs were read for different kinds (%s and %s)", scope(ha.Kinds), scope(hb.Kinds)))
	}
	if ha.ReadSecrets != hb.ReadSecrets {
		out = append(out, "only one input has Secrets' values (as digests): Secrets are compared by their metadata")
	}
	return out
}

func scope(s []string) string {
	if len(s) == 0 {
		return "all"
	}
	return strings.Join(s, ",")
}
