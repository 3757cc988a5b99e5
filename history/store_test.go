package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

var (
	configMaps = Resource{Version: "v1", Kind: "ConfigMap", Name: "configmaps", Namespaced: true}
	quiet      = slog.New(slog.NewTextHandler(io.Discard, nil))
	t0         = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
)

// cm makes a ConfigMap as a watch would give it, with managedFields
// entries written at t0 plus their seconds.
func cm(t *testing.T, ns, name, uid, rv string, data map[string]any, managers ...managed) *object {
	t.Helper()
	o, err := newConfigMap(ns, name, uid, rv, data, managers...)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func newConfigMap(ns, name, uid, rv string, data map[string]any, managers ...managed) (*object, error) {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": data}}
	u.SetNamespace(ns)
	u.SetName(name)
	u.SetUID(types.UID("uid-" + uid))
	u.SetResourceVersion(rv)
	var entries []metav1.ManagedFieldsEntry
	for _, m := range managers {
		tm := metav1.NewTime(t0.Add(time.Duration(m.sec) * time.Second))
		entries = append(entries, metav1.ManagedFieldsEntry{Manager: m.name, Operation: metav1.ManagedFieldsOperationType(m.op),
			Time: &tm, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(m.fields)})
	}
	u.SetManagedFields(entries)
	return fromMap(configMaps, u.Object)
}

type managed struct {
	name, op string
	sec      int
	fields   string
}

func newTestWriter(t *testing.T) (*writer, *Store, string) {
	t.Helper()
	dir := t.TempDir()
	w, err := openWriter(dir, Cluster{Context: "test", Server: "https://test.invalid"}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.close)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return w, s, dir
}

func write(t *testing.T, w *writer, items ...*item) {
	t.Helper()
	for _, it := range items {
		if it.res.Name == "" {
			it.res = configMaps
		}
	}
	if err := w.write(items); err != nil {
		t.Fatal(err)
	}
}

func event(o *object, at time.Time) *item {
	return &item{kind: itemEvent, obj: o, rv: o.rv, at: at}
}

func deleted(o *object, at time.Time) *item {
	it := event(o, at)
	it.deleted = true
	return it
}

func sec(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

type row struct {
	Change  Type
	Name    string
	RV      string
	Manager string
}

func rows(chs []Change) []row {
	var out []row
	for _, c := range chs {
		r := row{c.Change, c.Namespace + "/" + c.Name, c.ResourceVersion, ""}
		if c.Manager != nil {
			r.Manager = c.Manager.Name + ":" + c.Manager.Operation
		}
		out = append(out, r)
	}
	return out
}

// TestStoreOrdering: changes come back in the order they were recorded,
// with unique increasing times even when events arrive out of order or in
// the same nanosecond, filtered by time, namespace and resource.
func TestStoreOrdering(t *testing.T) {
	w, s, _ := newTestWriter(t)
	a1 := cm(t, "shop", "a", "a", "10", map[string]any{"k": "1"})
	b1 := cm(t, "ops", "b", "b", "11", map[string]any{"k": "1"})
	a2 := cm(t, "shop", "a", "a", "12", map[string]any{"k": "2"})
	write(t, w, event(a1, sec(10)), event(b1, sec(5)), event(a2, sec(10)))
	write(t, w, deleted(cm(t, "ops", "b", "b", "13", map[string]any{"k": "1"}), sec(20)))

	all, err := s.Changes(Query{})
	if err != nil {
		t.Fatal(err)
	}
	want := []row{{Added, "shop/a", "10", ""}, {Added, "ops/b", "11", ""}, {Modified, "shop/a", "12", ""}, {Deleted, "ops/b", "13", ""}}
	if diff := cmp.Diff(want, rows(all)); diff != "" {
		t.Fatalf("Changes() mismatch (-want +got):\n%s", diff)
	}
	for i := 1; i < len(all); i++ {
		if !all[i].Time.After(all[i-1].Time) {
			t.Errorf("change %d at %v, not after %v", i, all[i].Time, all[i-1].Time)
		}
	}
	if !all[0].Time.Equal(sec(10)) || !all[3].Time.Equal(sec(20)) {
		t.Errorf("times %v and %v, want the arrival times %v and %v", all[0].Time, all[3].Time, sec(10), sec(20))
	}

	since, _ := s.Changes(Query{Since: all[2].Time})
	if got := rows(since); len(got) != 2 || got[0].RV != "12" {
		t.Errorf("Changes(since the third) = %v", got)
	}
	until, _ := s.Changes(Query{Until: all[2].Time})
	if len(until) != 2 {
		t.Errorf("Changes(until the third) = %v", rows(until))
	}
	shop, _ := s.Changes(Query{Namespaces: []string{"shop"}})
	if got := rows(shop); len(got) != 2 || got[0].Name != "shop/a" || got[1].Name != "shop/a" {
		t.Errorf("Changes(shop) = %v", got)
	}
	if none, _ := s.Changes(Query{Resources: []string{"secrets"}}); len(none) != 0 {
		t.Errorf("Changes(secrets) = %v", rows(none))
	}
	if one, _ := s.Changes(Query{Limit: 1}); len(one) != 1 {
		t.Errorf("Changes(limit 1) = %v", rows(one))
	}
}

// TestStoreAt: the version at a time is that of the newest change at or
// before it; before the first, an error that says when that was; after a
// deletion, the deletion.
func TestStoreAt(t *testing.T) {
	w, s, _ := newTestWriter(t)
	ref := Ref{"configmaps", "shop", "web"}
	write(t, w, event(cm(t, "shop", "web", "1", "100", map[string]any{"v": "one"}), sec(10)))
	write(t, w, event(cm(t, "shop", "web", "1", "105", map[string]any{"v": "two"}), sec(20)))
	write(t, w, event(cm(t, "shop", "webby", "2", "106", map[string]any{"v": "other"}), sec(25))) // a name with web as prefix
	write(t, w, deleted(cm(t, "shop", "web", "1", "110", map[string]any{"v": "two"}), sec(30)))
	write(t, w, event(cm(t, "shop", "web", "3", "120", map[string]any{"v": "three"}), sec(40)))

	_, err := s.At(ref, sec(9))
	if !errors.Is(err, ErrNotRecorded) || !strings.Contains(err.Error(), "first recorded at 2026-07-01T12:00:10Z") {
		t.Errorf("At(before) error = %v, want ErrNotRecorded saying when it was first recorded", err)
	}
	for _, c := range []struct {
		at      time.Time
		change  Type
		v, rv   string
		uidTail string
	}{
		{sec(10), Added, "one", "100", "1"},
		{sec(15), Added, "one", "100", "1"},
		{sec(20).Add(-time.Nanosecond), Added, "one", "100", "1"},
		{sec(20), Modified, "two", "105", "1"},
		{sec(29), Modified, "two", "105", "1"},
		{sec(35), Deleted, "two", "110", "1"},
		{sec(40), Added, "three", "120", "3"},
		{sec(1000), Added, "three", "120", "3"},
	} {
		v, err := s.At(ref, c.at)
		if err != nil {
			t.Errorf("At(%v): %v", c.at, err)
			continue
		}
		var obj struct {
			Metadata struct {
				UID             string `json:"uid"`
				ResourceVersion string `json:"resourceVersion"`
				ManagedFields   []any  `json:"managedFields"`
			} `json:"metadata"`
			Data map[string]string `json:"data"`
		}
		if err := json.Unmarshal(v.Object, &obj); err != nil {
			t.Fatal(err)
		}
		if v.Change.Change != c.change || obj.Data["v"] != c.v || obj.Metadata.ResourceVersion != c.rv || obj.Metadata.UID != "uid-"+c.uidTail {
			t.Errorf("At(%v) = %s %s rv %s uid %s, want %s %s rv %s", c.at.Format(time.RFC3339Nano), v.Change.Change, obj.Data["v"],
				obj.Metadata.ResourceVersion, obj.Metadata.UID, c.change, c.v, c.rv)
		}
	}
	if _, err := s.At(Ref{"configmaps", "shop", "we"}, sec(100)); !errors.Is(err, ErrNotRecorded) {
		t.Errorf("At(a name never recorded) error = %v", err)
	}
	versions, err := s.Versions(ref)
	if err != nil || len(versions) != 4 {
		t.Errorf("Versions() = %v, %v; want 4", rows(versions), err)
	}
}

// TestStoreDedupe: an event the store has already (a replay after a
// restart, or a list) records nothing; an older one neither; a change of
// only managedFields is a change whose content is stored once.
func TestStoreDedupe(t *testing.T) {
	w, s, _ := newTestWriter(t)
	data := map[string]any{"big": strings.Repeat("x", 10000)}
	v1 := cm(t, "shop", "web", "1", "100", data, managed{"alice", "Update", 0, `{"f:data":{}}`})
	write(t, w, event(v1, sec(1)))
	write(t, w, event(v1, sec(2)))                                                                                                            // the same event again
	write(t, w, &item{kind: itemListed, obj: cm(t, "shop", "web", "1", "100", data), at: sec(3)})                                             // listed again
	write(t, w, event(cm(t, "shop", "web", "1", "99", map[string]any{"old": "x"}), sec(4)))                                                   // older
	v2 := cm(t, "shop", "web", "1", "101", data, managed{"alice", "Update", 0, `{"f:data":{}}`}, managed{"bob", "Apply", 5, `{"f:data":{}}`}) // same content
	write(t, w, event(v2, sec(5)))

	chs, _ := s.Changes(Query{})
	want := []row{{Added, "shop/web", "100", "alice:Update"}, {Modified, "shop/web", "101", "bob:Apply"}}
	if diff := cmp.Diff(want, rows(chs)); diff != "" {
		t.Fatalf("Changes() mismatch (-want +got):\n%s", diff)
	}
	if chs[0].Content != chs[1].Content {
		t.Errorf("equal content named %s and %s", chs[0].Content, chs[1].Content)
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Blobs != 1 {
		t.Errorf("%d contents stored, want 1", st.Blobs)
	}
	if st.Bytes > 200<<10 {
		t.Errorf("the store takes %d bytes for one 10 kB object", st.Bytes)
	}
	// Content is compressed: 10,000 x-es take far less than 10 kB.
	err = s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBlobs).ForEach(func(_, v []byte) error {
			if len(v) > 1000 {
				return fmt.Errorf("a content takes %d bytes compressed", len(v))
			}
			return nil
		})
	})
	if err != nil {
		t.Error(err)
	}
}

// TestStoreList: a list after the watch's resourceVersion expired records
// what changed meanwhile: new objects, changed ones, deleted ones (those
// the store has and the list has not, in the list's scope only), and an
// object deleted and created again under the same name.
func TestStoreList(t *testing.T) {
	w2, s2, _ := newTestWriter(t)
	seen := map[string]bool{}
	var first []*item
	for _, o := range []*object{cm(t, "shop", "kept", "k", "1", nil), cm(t, "shop", "changed", "c", "2", nil),
		cm(t, "shop", "gone", "g", "3", nil), cm(t, "shop", "replaced", "r1", "4", nil)} {
		first = append(first, &item{kind: itemListed, namespace: "shop", initial: true, obj: o, at: sec(1)})
		seen[string(objectKey(Ref{"configmaps", o.namespace, o.name}))] = true
	}
	first = append(first, &item{kind: itemListed, namespace: "", initial: true, obj: cm(t, "ops", "other", "o", "5", nil), at: sec(1)})
	first = append(first, &item{kind: itemListDone, namespace: "shop", initial: true, rv: "5", seen: seen, at: sec(1)})
	write(t, w2, first...)

	// Away: "changed" changes, "gone" goes, "replaced" is deleted and made
	// again, "new" appears. The list, in namespace shop, sees that.
	seen = map[string]bool{}
	var second []*item
	for _, o := range []*object{cm(t, "shop", "kept", "k", "1", nil), cm(t, "shop", "changed", "c", "7", map[string]any{"x": "y"}),
		cm(t, "shop", "replaced", "r2", "8", nil), cm(t, "shop", "new", "n", "9", nil)} {
		second = append(second, &item{kind: itemListed, namespace: "shop", obj: o, at: sec(10)})
		seen[string(objectKey(Ref{"configmaps", o.namespace, o.name}))] = true
	}
	second = append(second, &item{kind: itemListDone, namespace: "shop", rv: "10", seen: seen, at: sec(11)})
	write(t, w2, second...)

	all, _ := s2.Changes(Query{Existing: true})
	want := []row{
		{Existing, "shop/kept", "1", ""}, {Existing, "shop/changed", "2", ""}, {Existing, "shop/gone", "3", ""},
		{Existing, "shop/replaced", "4", ""}, {Existing, "ops/other", "5", ""},
		{Modified, "shop/changed", "7", ""}, {Deleted, "shop/replaced", "8", ""}, {Added, "shop/replaced", "8", ""},
		{Added, "shop/new", "9", ""}, {Deleted, "shop/gone", "10", ""},
	}
	if diff := cmp.Diff(want, rows(all)); diff != "" {
		t.Fatalf("Changes() mismatch (-want +got):\n%s", diff)
	}
	for _, c := range all[5:] {
		if c.Via != ViaList {
			t.Errorf("%s %s via %q, want %q", c.Change, c.Name, c.Via, ViaList)
		}
	}
	if changes, _ := s2.Changes(Query{}); len(changes) != 5 {
		t.Errorf("Changes() without Existing = %v, want the 5 changes", rows(changes))
	}
	// The cursor is the list's resourceVersion.
	cur, _ := w2.cursors()
	if cur[string(unitKey("configmaps", "shop"))] != "10" {
		t.Errorf("cursors = %v", cur)
	}
	// The deleted object's last content is kept: its state before.
	v, err := s2.At(Ref{"configmaps", "shop", "gone"}, sec(100))
	if err != nil || v.Change.Change != Deleted || !strings.Contains(string(v.Object), `"name":"gone"`) {
		t.Errorf("At(gone) = %+v, %v", v, err)
	}
}

// TestManager: the manager of a change is the managedFields entry the
// change wrote, not merely the newest: times have seconds only.
func TestManager(t *testing.T) {
	w, s, _ := newTestWriter(t)
	write(t, w, event(cm(t, "shop", "web", "1", "1", nil, managed{"alice", "Update", 0, `{"a":{}}`}), sec(0)))
	// bob writes in the same second as alice did: his entry is new.
	write(t, w, event(cm(t, "shop", "web", "1", "2", nil, managed{"alice", "Update", 0, `{"a":{}}`}, managed{"bob", "Update", 0, `{"b":{}}`}), sec(1)))
	// alice writes again, in the same second: her entry's fields changed.
	write(t, w, event(cm(t, "shop", "web", "1", "3", nil, managed{"alice", "Update", 0, `{"a":{},"c":{}}`}, managed{"bob", "Update", 0, `{"b":{}}`}), sec(2)))
	// carol applies later and takes b from bob: bob's fields change, carol
	// is new and newest.
	write(t, w, event(cm(t, "shop", "web", "1", "4", nil, managed{"carol", "Apply", 9, `{"b":{}}`}, managed{"alice", "Update", 0, `{"a":{},"c":{}}`}, managed{"bob", "Update", 0, `{}`}), sec(3)))
	// the scale subresource.
	write(t, w, event(cm(t, "shop", "web", "1", "5", nil, managed{"carol", "Apply", 9, `{"b":{}}`}, managed{"alice", "Update", 0, `{"a":{},"c":{}}`}, managed{"hpa", "Update", 9, `{"r":{}}`}), sec(4)))
	chs, _ := s.Changes(Query{})
	var got []string
	for _, c := range chs {
		got = append(got, c.Manager.Name+":"+c.Manager.Operation)
	}
	want := []string{"alice:Update", "bob:Update", "alice:Update", "carol:Apply", "hpa:Update"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("managers mismatch (-want +got):\n%s", diff)
	}
	if m := chs[3].Manager; !m.Time.Equal(sec(9)) {
		t.Errorf("carol's time = %v, want %v", m.Time, sec(9))
	}
}

// TestPrune: pruning keeps each object's state at the cutoff and
// everything after, and drops contents nobody names.
func TestPrune(t *testing.T) {
	w, s, _ := newTestWriter(t)
	write(t, w, event(cm(t, "shop", "a", "a", "1", map[string]any{"v": "1"}), sec(1)))
	write(t, w, event(cm(t, "shop", "a", "a", "2", map[string]any{"v": "2"}), sec(2)))
	write(t, w, event(cm(t, "shop", "b", "b", "3", map[string]any{"v": "b"}), sec(3)))
	write(t, w, deleted(cm(t, "shop", "b", "b", "4", map[string]any{"v": "b"}), sec(4)))
	write(t, w, event(cm(t, "shop", "a", "a", "5", map[string]any{"v": "3"}), sec(10)))
	n, blobs, err := w.prune(sec(5))
	if err != nil {
		t.Fatal(err)
	}
	// Dropped: a@1 (superseded before the cutoff), b@3 and b@4 (deleted).
	if n != 3 || blobs != 2 {
		t.Errorf("prune() = %d changes, %d contents; want 3, 2", n, blobs)
	}
	v, err := s.At(Ref{"configmaps", "shop", "a"}, sec(6))
	if err != nil || !strings.Contains(string(v.Object), `"v":"2"`) {
		t.Errorf("At(a, after the cutoff) = %v, %v; want v 2", v, err)
	}
	if v, err := s.At(Ref{"configmaps", "shop", "a"}, sec(11)); err != nil || !strings.Contains(string(v.Object), `"v":"3"`) {
		t.Errorf("At(a, now) = %v, %v", v, err)
	}
	if n, _, _ := w.prune(sec(5)); n != 0 {
		t.Errorf("pruning again dropped %d", n)
	}
	checkConsistent(t, s)
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"now":                         now,
		"10m":                         now.Add(-10 * time.Minute),
		"1h30m":                       now.Add(-90 * time.Minute),
		"2d":                          now.Add(-48 * time.Hour),
		"1w":                          now.Add(-7 * 24 * time.Hour),
		"1d12h":                       now.Add(-36 * time.Hour),
		"2026-06-30T10:00:00Z":        time.Date(2026, 6, 30, 10, 0, 0, 0, time.UTC),
		"2026-06-30T10:00:00.5+02:00": time.Date(2026, 6, 30, 8, 0, 0, 5e8, time.UTC),
		"2026-06-30":                  time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC),
	} {
		got, err := ParseTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"yesterday", "-5m", "10", "2026-13-01"} {
		if _, err := ParseTime(in, now); err == nil {
			t.Errorf("ParseTime(%q) accepted", in)
		}
	}
}

// TestStoreRefusesAnotherCluster: a store records one cluster, and one
// watcher writes to it at a time.
func TestStoreRefusesAnotherCluster(t *testing.T) {
	_, _, dir := newTestWriter(t)
	if _, err := openWriter(dir, Cluster{Server: "https://test.invalid"}, quiet); err == nil || !strings.Contains(err.Error(), "another dozor watch") {
		t.Errorf("a second writer: %v", err)
	}
	dir2 := t.TempDir()
	w, err := openWriter(dir2, Cluster{Server: "https://a.invalid"}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	w.close()
	if _, err := openWriter(dir2, Cluster{Server: "https://b.invalid"}, quiet); err == nil || !strings.Contains(err.Error(), "holds the history of the cluster at https://a.invalid") {
		t.Errorf("another cluster: %v", err)
	}
	if _, err := Open(t.TempDir()); !errors.Is(err, ErrNoStore) {
		t.Errorf("Open(empty dir) = %v, want ErrNoStore", err)
	}
}
