package history

// The store is a bbolt database (go.etcd.io/bbolt, already in the module
// graph through Kubernetes) in one file, DIR/history.db. Why bbolt:
//
//   - Crash safety comes with it: a write transaction is committed by
//     writing its pages, syncing, then writing a meta page with a checksum
//     and syncing again; a crash before that leaves the previous
//     transaction whole. The watcher commits each batch of changes
//     together with the resourceVersion its watch has reached, so what is
//     stored and where to resume can never disagree.
//   - Ordered keys are the indexes the two queries need: changes by time
//     (a range scan from --since) and each object's versions by name and
//     time (a seek to --at); content-addressed blobs make deduplication a
//     key lookup.
//   - It is pure Go, one file, no server, and adds no module to the graph.
//
// SQLite would give the same through a pure-Go driver at the cost of a
// large new dependency; an append-only file is simpler to write but needs
// its own index, recovery and compaction, which bbolt has.
//
// bbolt lets one process write, and readers in other processes only while
// nobody writes (it locks the file). So the watcher opens the database for
// each batch and closes it after the commit, and queries open it read-only
// for the moment of the query: `dozor history` works while `dozor watch`
// runs. A second watcher on the same store is refused (DIR/watch.lock).
//
// Buckets (keys and values in docs/history.md):
//
//	meta       "schema" -> "1"; "cluster" -> JSON {context, server, created}
//	resources  "deployments.apps" -> JSON Resource
//	changes    time (8 bytes, big-endian Unix nanoseconds, unique) -> JSON Change
//	objects    resource \0 namespace \0 name \0 time -> "" (each object's versions)
//	current    resource \0 namespace \0 name -> JSON currentEntry (the newest version of each object; a tombstone once deleted)
//	blobs      sha256 of content -> zstd-compressed content
//	cursors    resource \0 namespace -> resourceVersion to resume the watch from

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

const (
	dbFile        = "history.db"
	lockFile      = "watch.lock"
	schemaVersion = "1"
)

var (
	bucketMeta      = []byte("meta")
	bucketResources = []byte("resources")
	bucketChanges   = []byte("changes")
	bucketObjects   = []byte("objects")
	bucketCurrent   = []byte("current")
	bucketBlobs     = []byte("blobs")
	bucketCursors   = []byte("cursors")
	allBuckets      = [][]byte{bucketMeta, bucketResources, bucketChanges, bucketObjects, bucketCurrent, bucketBlobs, bucketCursors}
)

// Errors callers can test with errors.Is.
var (
	// ErrNoStore: the directory holds no history.
	ErrNoStore = errors.New("no history")
	// ErrNotRecorded: the object has no version at the time asked.
	ErrNotRecorded = errors.New("not recorded")
)

// Cluster is the cluster a store records.
type Cluster struct {
	// Context is the kubeconfig context the history was first recorded with.
	Context string `json:"context"`
	// Server is the API server's URL.
	Server string `json:"server"`
	// Created is when the store was created.
	Created time.Time `json:"created"`
}

// currentEntry is what the store keeps of the newest version of an object
// that exists: to tell whether an event is new, which manager made the next
// change, and which objects a list no longer has.
type currentEntry struct {
	Key        uint64        `json:"k"`
	UID        string        `json:"u"`
	RV         string        `json:"r"`
	Hash       []byte        `json:"h"`
	APIVersion string        `json:"a"`
	Kind       string        `json:"kind"`
	Managed    []fingerprint `json:"m,omitempty"`
	// Deleted marks a tombstone: the object was deleted at change Key and
	// resourceVersion RV.
	Deleted bool `json:"d,omitempty"`
}

// DefaultDir is where the history is kept unless --store says otherwise:
// $XDG_STATE_HOME/dozor/history, else ~/.local/state/dozor/history.
func DefaultDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "dozor", "history")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".dozor", "history")
	}
	return filepath.Join(home, ".local", "state", "dozor", "history")
}

// Store is a history on disk, for queries. Each query opens the database
// read-only for as long as it runs, so that a watcher can go on writing
// between its batches.
type Store struct {
	path string
	// Timeout bounds the wait for a writer's batch to finish (default 30s).
	Timeout time.Duration
}

// Open opens the history in dir for queries.
func Open(dir string) (*Store, error) {
	s := &Store{path: filepath.Join(dir, dbFile), Timeout: 30 * time.Second}
	if _, err := os.Stat(s.path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w in %s (dozor watch records it)", ErrNoStore, dir)
		}
		return nil, err
	}
	return s, s.view(func(tx *bolt.Tx) error { return checkSchema(tx) })
}

func (s *Store) view(fn func(*bolt.Tx) error) error {
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{ReadOnly: true, Timeout: s.Timeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return fmt.Errorf("%s: the store stayed locked for %v", s.path, s.Timeout)
		}
		return fmt.Errorf("%s: %w", s.path, err)
	}
	defer func() { _ = db.Close() }()
	return db.View(fn)
}

func checkSchema(tx *bolt.Tx) error {
	for _, b := range allBuckets {
		if tx.Bucket(b) == nil {
			return fmt.Errorf("%s: not a Dozor history (no bucket %q)", tx.DB().Path(), b)
		}
	}
	if v := string(tx.Bucket(bucketMeta).Get([]byte("schema"))); v != schemaVersion {
		return fmt.Errorf("%s: history schema %q, this Dozor reads %q", tx.DB().Path(), v, schemaVersion)
	}
	return nil
}

// Cluster returns the cluster the store records.
func (s *Store) Cluster() (Cluster, error) {
	var c Cluster
	err := s.view(func(tx *bolt.Tx) error {
		return json.Unmarshal(tx.Bucket(bucketMeta).Get([]byte("cluster")), &c)
	})
	return c, err
}

// Resources returns the resources the store has seen, sorted.
func (s *Store) Resources() ([]Resource, error) {
	var out []Resource
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketResources).ForEach(func(_, v []byte) error {
			var r Resource
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// Resolve finds the resource a name given on the command line names (see
// Resource.Matches). Several resources of one kind in different groups
// are an error that lists them.
func (s *Store) Resolve(name string) (Resource, error) {
	all, err := s.Resources()
	if err != nil {
		return Resource{}, err
	}
	var found []Resource
	for _, r := range all {
		if r.Matches(name) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return Resource{}, fmt.Errorf("%w: no resource %q in the history", ErrNotRecorded, name)
	case 1:
		return found[0], nil
	}
	var names []string
	for _, r := range found {
		names = append(names, r.String())
	}
	return Resource{}, fmt.Errorf("%q names %s: say which, with its group", name, strings.Join(names, ", "))
}

// Version is an object as it was at a time.
type Version struct {
	// Change is the change that made this version; Change.Change is Deleted
	// if the object did not exist at that time.
	Change Change
	// Object is the object's JSON as the API served it, with its
	// resourceVersion and without managedFields; for a deletion, the last
	// known content.
	Object []byte
}

// At returns the version of an object at time t: that of the newest change
// recorded at or before t. If there is none, the error wraps
// ErrNotRecorded and says when the object was first recorded.
func (s *Store) At(ref Ref, t time.Time) (*Version, error) {
	var v *Version
	err := s.view(func(tx *bolt.Tx) error {
		prefix := objectPrefix(ref)
		c := tx.Bucket(bucketObjects).Cursor()
		k, _ := c.Seek(append(slices.Clip(prefix), timeKey(uint64(t.UnixNano())+1)...))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
			first, _ := c.Seek(prefix)
			if first != nil && bytes.HasPrefix(first, prefix) {
				return fmt.Errorf("%s: %w at %s: first recorded at %s", ref, ErrNotRecorded, t.Format(time.RFC3339),
					time.Unix(0, int64(binary.BigEndian.Uint64(first[len(prefix):]))).Format(time.RFC3339Nano))
			}
			return fmt.Errorf("%s: %w", ref, ErrNotRecorded)
		}
		ch, err := getChange(tx, k[len(prefix):])
		if err != nil {
			return err
		}
		obj, err := getContent(tx, ch.Content)
		if err != nil {
			return fmt.Errorf("%s: %w", ref, err)
		}
		v = &Version{Change: *ch, Object: withResourceVersion(obj, ch.ResourceVersion)}
		return nil
	})
	return v, err
}

// Versions returns every recorded change of an object, oldest first.
func (s *Store) Versions(ref Ref) ([]Change, error) {
	var out []Change
	err := s.view(func(tx *bolt.Tx) error {
		prefix := objectPrefix(ref)
		c := tx.Bucket(bucketObjects).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ch, err := getChange(tx, k[len(prefix):])
			if err != nil {
				return err
			}
			out = append(out, *ch)
		}
		return nil
	})
	return out, err
}

// Query selects changes.
type Query struct {
	// Since and Until bound the changes' times (Since included, Until
	// excluded); a zero Until means no bound.
	Since, Until time.Time
	// Namespaces limits the changes to objects in these namespaces
	// (cluster-scoped objects are then left out); empty means all.
	Namespaces []string
	// Resources limits the changes to these resources (Resource.String());
	// empty means all.
	Resources []string
	// Existing includes the objects Dozor found when it first listed a
	// resource, which are not changes.
	Existing bool
	// Limit stops after this many changes; 0 means no limit.
	Limit int
}

// Changes returns the changes the query selects, oldest first.
func (s *Store) Changes(q Query) ([]Change, error) {
	var out []Change
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketChanges).Cursor()
		var start uint64
		if !q.Since.IsZero() && q.Since.UnixNano() > 0 {
			start = uint64(q.Since.UnixNano())
		}
		for k, v := c.Seek(timeKey(start)); k != nil; k, v = c.Next() {
			if !q.Until.IsZero() && int64(binary.BigEndian.Uint64(k)) >= q.Until.UnixNano() {
				break
			}
			var ch Change
			if err := json.Unmarshal(v, &ch); err != nil {
				return fmt.Errorf("change %x: %w", k, err)
			}
			if (ch.Change == Existing && !q.Existing) ||
				(len(q.Namespaces) > 0 && !slices.Contains(q.Namespaces, ch.Namespace)) ||
				(len(q.Resources) > 0 && !slices.Contains(q.Resources, ch.Resource)) {
				continue
			}
			out = append(out, ch)
			if q.Limit > 0 && len(out) >= q.Limit {
				break
			}
		}
		return nil
	})
	return out, err
}

// Stats counts what a store holds.
type Stats struct {
	// Changes recorded, Objects that exist (as last recorded), distinct
	// contents (Blobs).
	Changes, Objects, Blobs int
	// Bytes is the size of the database file.
	Bytes int64
}

// Stats counts what the store holds.
func (s *Store) Stats() (Stats, error) {
	var st Stats
	err := s.view(func(tx *bolt.Tx) error {
		st.Changes = tx.Bucket(bucketChanges).Stats().KeyN
		st.Blobs = tx.Bucket(bucketBlobs).Stats().KeyN
		st.Bytes = tx.Size()
		return tx.Bucket(bucketCurrent).ForEach(func(_, v []byte) error {
			if !bytes.Contains(v, []byte(`"d":true`)) {
				st.Objects++
			}
			return nil
		})
	})
	return st, err
}

func getChange(tx *bolt.Tx, key []byte) (*Change, error) {
	v := tx.Bucket(bucketChanges).Get(key)
	if v == nil {
		return nil, fmt.Errorf("the store is inconsistent: change %x is indexed but missing", key)
	}
	var ch Change
	if err := json.Unmarshal(v, &ch); err != nil {
		return nil, fmt.Errorf("change %x: %w", key, err)
	}
	return &ch, nil
}

func getContent(tx *bolt.Tx, name string) ([]byte, error) {
	h, err := parseContentName(name)
	if err != nil {
		return nil, err
	}
	z := tx.Bucket(bucketBlobs).Get(h)
	if z == nil {
		return nil, fmt.Errorf("the store is inconsistent: content %s is missing", name)
	}
	return decompress(z)
}

func parseContentName(name string) ([]byte, error) {
	hexHash, ok := strings.CutPrefix(name, "sha256:")
	h, err := hex.DecodeString(hexHash)
	if !ok || err != nil || len(h) != sha256.Size {
		return nil, fmt.Errorf("content %q: not a sha256 name", name)
	}
	return h, nil
}

// withResourceVersion puts the resourceVersion, which the content leaves
// out so that equal objects share it, back into the object's metadata.
func withResourceVersion(obj []byte, rv string) []byte {
	if rv == "" {
		return obj
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(obj, &m) != nil {
		return obj
	}
	var md map[string]json.RawMessage
	if json.Unmarshal(m["metadata"], &md) != nil {
		return obj
	}
	md["resourceVersion"], _ = json.Marshal(rv)
	m["metadata"], _ = json.Marshal(md)
	out, err := json.Marshal(m)
	if err != nil {
		return obj
	}
	return out
}

// Keys.

func timeKey(t uint64) []byte { return binary.BigEndian.AppendUint64(nil, t) }

func unixTime(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// objectKey is resource \0 namespace \0 name: object names hold no NUL.
func objectKey(ref Ref) []byte {
	return []byte(ref.Resource + "\x00" + ref.Namespace + "\x00" + ref.Name)
}

// objectPrefix is an object's key in the objects bucket, before the time.
func objectPrefix(ref Ref) []byte { return append(objectKey(ref), 0) }

func unitKey(resource, namespace string) []byte { return []byte(resource + "\x00" + namespace) }

// unitPrefix is the prefix of the current keys of a watch's objects.
func unitPrefix(resource, namespace string) []byte {
	if namespace == "" {
		return []byte(resource + "\x00")
	}
	return []byte(resource + "\x00" + namespace + "\x00")
}

func refOf(key []byte) Ref {
	parts := strings.SplitN(string(key), "\x00", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return Ref{Resource: parts[0], Namespace: parts[1], Name: parts[2]}
}
