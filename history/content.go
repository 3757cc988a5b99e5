package history

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"

	"github.com/klauspost/compress/zstd"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// lastApplied is the annotation kubectl apply leaves, which holds a copy of
// the object as applied: for a Secret, its values.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// object is one object as a watch event or a list gave it, ready to store.
type object struct {
	apiVersion, kind         string
	namespace, name, uid, rv string
	// content is the object's JSON without metadata.resourceVersion and
	// metadata.managedFields, map keys sorted: equal objects, equal bytes.
	content []byte
	hash    [sha256.Size]byte
	managed []fingerprint
}

// fingerprint is what the store remembers of a managedFields entry: enough
// to tell which entry the next change wrote.
type fingerprint struct {
	Manager     string `json:"m"`
	Operation   string `json:"o"`
	Subresource string `json:"s,omitempty"`
	Time        int64  `json:"t,omitempty"`
	Fields      uint64 `json:"f"`
}

func fingerprints(entries []metav1.ManagedFieldsEntry) []fingerprint {
	var out []fingerprint
	for _, e := range entries {
		f := fingerprint{Manager: e.Manager, Operation: string(e.Operation), Subresource: e.Subresource}
		if e.Time != nil {
			f.Time = e.Time.Unix()
		}
		if e.FieldsV1 != nil {
			h := fnv.New64a()
			h.Write(e.FieldsV1.GetRawBytes())
			f.Fields = h.Sum64()
		}
		out = append(out, f)
	}
	return out
}

// maker returns the manager of a change from the managedFields before and
// after it: the entries the change wrote (new ones, or with a new time)
// come first, then entries whose fields changed (a manager that lost
// fields to another), then any; of those, the newest. Entries written in
// the same second cannot be told apart by time: the last in the API's
// order wins.
func maker(before, after []fingerprint) *Manager {
	if len(after) == 0 {
		return nil
	}
	type id struct{ m, o, s string }
	prev := map[id]fingerprint{}
	for _, f := range before {
		prev[id{f.Manager, f.Operation, f.Subresource}] = f
	}
	rank := func(f fingerprint) int {
		p, ok := prev[id{f.Manager, f.Operation, f.Subresource}]
		switch {
		case !ok || p.Time != f.Time:
			return 2
		case p.Fields != f.Fields:
			return 1
		}
		return 0
	}
	best := -1
	for i, f := range after {
		if best < 0 {
			best = i
			continue
		}
		b := after[best]
		if r, rb := rank(f), rank(b); r != rb {
			if r > rb {
				best = i
			}
			continue
		}
		if f.Time >= b.Time {
			best = i
		}
	}
	f := after[best]
	m := &Manager{Name: f.Manager, Operation: f.Operation, Subresource: f.Subresource}
	if f.Time != 0 {
		m.Time = unixTime(f.Time)
	}
	return m
}

// fromRuntime turns what a dynamic or metadata client returned into an
// object of resource r. Secrets (from the metadata client) lose the
// kubectl last-applied annotation, which holds their values.
func fromRuntime(r Resource, o runtime.Object) (*object, error) {
	var m map[string]any
	switch v := o.(type) {
	case *unstructured.Unstructured:
		m = v.Object
	case *metav1.PartialObjectMetadata:
		c := v.DeepCopy()
		c.APIVersion, c.Kind = apiVersion(r), r.Kind
		delete(c.Annotations, lastApplied)
		if len(c.Annotations) == 0 {
			c.Annotations = nil
		}
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(c)
		if err != nil {
			return nil, err
		}
		m = u
	default:
		return nil, fmt.Errorf("%s: unexpected object %T", r, o)
	}
	return fromMap(r, m)
}

// fromMap makes an object of resource r from its decoded JSON; m is
// changed (resourceVersion and managedFields removed).
func fromMap(r Resource, m map[string]any) (*object, error) {
	u := &unstructured.Unstructured{Object: m}
	md, ok := m["metadata"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: object without metadata", r)
	}
	obj := &object{apiVersion: u.GetAPIVersion(), kind: u.GetKind(), namespace: u.GetNamespace(),
		name: u.GetName(), uid: string(u.GetUID()), rv: u.GetResourceVersion(),
		managed: fingerprints(u.GetManagedFields())}
	if obj.apiVersion == "" {
		obj.apiVersion = apiVersion(r)
	}
	if obj.kind == "" {
		obj.kind = r.Kind
	}
	if obj.name == "" {
		return nil, fmt.Errorf("%s: object without a name", r)
	}
	delete(md, "managedFields")
	delete(md, "resourceVersion")
	var err error
	if obj.content, err = json.Marshal(m); err != nil {
		return nil, fmt.Errorf("%s %s: %w", r, obj.name, err)
	}
	obj.hash = sha256.Sum256(obj.content)
	return obj, nil
}

func apiVersion(r Resource) string {
	if r.Group == "" {
		return r.Version
	}
	return r.Group + "/" + r.Version
}

// contentName is how a Change names content.
func contentName(h []byte) string { return "sha256:" + hex.EncodeToString(h) }

var (
	encoder = sync.OnceValue(func() *zstd.Encoder {
		e, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		if err != nil {
			panic(err) // only for invalid options
		}
		return e
	})
	decoder = sync.OnceValue(func() *zstd.Decoder {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxContent))
		if err != nil {
			panic(err) // only for invalid options
		}
		return d
	})
)

// maxContent bounds an object's content: etcd keeps objects of at most
// 1.5 MiB, and JSON with its whitespace removed is no larger.
const maxContent = 64 << 20

func compress(b []byte) []byte { return encoder().EncodeAll(b, make([]byte, 0, len(b)/4)) }

func decompress(b []byte) ([]byte, error) { return decoder().DecodeAll(b, nil) }

// newer reports whether resourceVersion a comes after b. Resource versions
// are opaque to clients, but every API server backed by etcd gives its
// revision, an integer; for anything else, different is newer.
func newer(a, b string) bool {
	x, err1 := strconv.ParseUint(a, 10, 64)
	y, err2 := strconv.ParseUint(b, 10, 64)
	if err1 != nil || err2 != nil {
		return a != b
	}
	return x > y
}
