package history

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// itemKind is what a watch hands the writer.
type itemKind int

const (
	// itemEvent: a watch event (added, modified or deleted); the unit's
	// cursor moves to its resourceVersion.
	itemEvent itemKind = iota
	// itemListed: an object a list returned; the cursor does not move
	// until the list is done.
	itemListed
	// itemListDone: a list is complete: objects the store has that it did
	// not return were deleted; the cursor moves to the list's
	// resourceVersion.
	itemListDone
	// itemBookmark: the watch has reached a resourceVersion.
	itemBookmark
	// itemGone: the resource is no longer served: its objects are gone.
	itemGone
)

// item is one thing for the writer to record.
type item struct {
	kind itemKind
	res  Resource
	// namespace is the watch's namespace ("" for all).
	namespace string
	// deleted marks a DELETED event.
	deleted bool
	// initial marks the first list of a resource: what it finds already
	// existed (Existing), rather than being added.
	initial bool
	// again marks a list made because a watch could not resume
	// (itemListDone): what it finds changed while the watch was away.
	again bool
	obj   *object
	// rv is the resourceVersion reached: the event's, the bookmark's, the
	// list's.
	rv string
	// seen are the object keys a list returned (itemListDone).
	seen map[string]bool
	// at is when the event arrived or the list was read.
	at time.Time
}

// listCounts counts what a list found, for the log.
type listCounts struct{ listed, added, modified, deleted int }

// writer writes to a store. There is one per store (watch.lock), and it
// opens the database only for the moment of each batch.
type writer struct {
	dir, path string
	lock      *os.File
	log       *slog.Logger

	mu     sync.Mutex
	last   uint64                 // the newest change key
	counts map[string]*listCounts // per watch, during a list
}

// openWriter opens (creating if need be) the store in dir for the cluster
// cl, refusing a store of another cluster or one another watcher writes to.
func openWriter(dir string, cl Cluster, log *slog.Logger) (*writer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := os.ReadFile(lock.Name())
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another dozor watch (pid %s) is writing to %s", bytes.TrimSpace(pid), dir)
		}
		return nil, fmt.Errorf("locking %s: %w", lock.Name(), err)
	}
	_ = lock.Truncate(0)
	_, _ = lock.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	w := &writer{dir: dir, path: filepath.Join(dir, dbFile), lock: lock, log: log, counts: map[string]*listCounts{}}
	err = w.update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get([]byte("schema")); {
		case v == nil:
			if err := meta.Put([]byte("schema"), []byte(schemaVersion)); err != nil {
				return err
			}
		case string(v) != schemaVersion:
			return fmt.Errorf("%s: history schema %q, this Dozor writes %q", w.path, v, schemaVersion)
		}
		if v := meta.Get([]byte("cluster")); v != nil {
			var had Cluster
			if err := json.Unmarshal(v, &had); err != nil {
				return err
			}
			if had.Server != cl.Server {
				return fmt.Errorf("%s holds the history of the cluster at %s (context %q), not of %s: use another --store",
					dir, had.Server, had.Context, cl.Server)
			}
		} else {
			cl.Created = time.Now().UTC()
			data, _ := json.Marshal(cl)
			if err := meta.Put([]byte("cluster"), data); err != nil {
				return err
			}
		}
		if k, _ := tx.Bucket(bucketChanges).Cursor().Last(); k != nil {
			w.last = binary.BigEndian.Uint64(k)
		}
		return nil
	})
	if err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func (w *writer) close() {
	if w.lock != nil {
		w.lock.Close() // releases the flock
		w.lock = nil
	}
}

// update runs fn in a write transaction, opening the database for it and
// closing it after, so that readers in other processes get their turn.
// Readers hold the database for at most their timeout; a writer waiting
// that long says so.
func (w *writer) update(fn func(*bolt.Tx) error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	start := time.Now()
	for {
		db, err := bolt.Open(w.path, 0o600, &bolt.Options{Timeout: 5 * time.Second, FreelistType: bolt.FreelistMapType})
		if errors.Is(err, bolterrors.ErrTimeout) {
			if time.Since(start) > 2*time.Minute {
				return fmt.Errorf("%s: locked by a reader for over %v", w.path, time.Since(start).Round(time.Second))
			}
			w.log.Warn("writing is behind: a reader holds the store", "store", w.dir, "waiting", time.Since(start).Round(time.Second))
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", w.path, err)
		}
		err = db.Update(fn)
		return errors.Join(err, db.Close())
	}
}

// setResources records the resources being watched.
func (w *writer) setResources(rs []Resource) error {
	return w.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketResources)
		for _, r := range rs {
			data, _ := json.Marshal(r)
			if err := b.Put([]byte(r.String()), data); err != nil {
				return err
			}
		}
		return nil
	})
}

// cursors returns the resourceVersion each watch stopped at, by unit key.
func (w *writer) cursors() (map[string]string, error) {
	out := map[string]string{}
	err := w.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCursors).ForEach(func(k, v []byte) error {
			out[string(k)] = string(v)
			return nil
		})
	})
	return out, err
}

// write records a batch of items in one transaction: all of them or, if
// the process dies before the commit, none.
func (w *writer) write(items []*item) error {
	type logLine struct {
		unit string
		c    listCounts
		it   *item
	}
	var done []logLine
	last := w.last
	err := w.update(func(tx *bolt.Tx) error {
		w.last = last // a failed attempt leaves no trace
		done = done[:0]
		for _, it := range items {
			if err := w.apply(tx, it); err != nil {
				return fmt.Errorf("%s: %w", it.res, err)
			}
			if it.kind == itemListDone || it.kind == itemGone {
				u := string(unitKey(it.res.String(), it.namespace))
				if c := w.counts[u]; c != nil {
					done = append(done, logLine{u, *c, it})
				}
			}
		}
		return nil
	})
	if err != nil {
		w.last = last
		return err
	}
	for _, d := range done {
		delete(w.counts, d.unit)
		switch {
		case d.it.kind == itemGone:
			w.log.Info("resource no longer served: its objects are recorded as deleted", "resource", d.it.res.String(), "deleted", d.c.deleted)
		case !d.it.again:
			w.log.Debug("listed", "resource", d.it.res.String(), "namespace", d.it.namespace, "objects", d.c.listed,
				"added", d.c.added, "modified", d.c.modified, "deleted", d.c.deleted)
		default:
			w.log.Info("listed again: recorded what changed while the watch was away", "resource", d.it.res.String(),
				"namespace", d.it.namespace, "objects", d.c.listed, "added", d.c.added, "modified", d.c.modified, "deleted", d.c.deleted)
		}
	}
	return nil
}

func (w *writer) apply(tx *bolt.Tx, it *item) error {
	unit := string(unitKey(it.res.String(), it.namespace))
	counts := func() *listCounts {
		c := w.counts[unit]
		if c == nil {
			c = &listCounts{}
			w.counts[unit] = c
		}
		return c
	}
	switch it.kind {
	case itemBookmark:
		return setCursor(tx, unit, it.rv)
	case itemEvent:
		var err error
		if it.deleted {
			_, err = w.remove(tx, it, ViaWatch)
		} else {
			_, err = w.upsert(tx, it, ViaWatch)
		}
		if err != nil {
			return err
		}
		return setCursor(tx, unit, it.rv)
	case itemListed:
		t, err := w.upsert(tx, it, ViaList)
		c := counts()
		c.listed++
		switch t {
		case Added:
			c.added++
		case Modified:
			c.modified++
		case Deleted: // replaced by an object of the same name
			c.deleted++
			c.added++
		}
		return err
	case itemListDone, itemGone:
		n, err := w.sweep(tx, it)
		counts().deleted += n
		if err != nil {
			return err
		}
		if it.kind == itemGone {
			return tx.Bucket(bucketCursors).Delete([]byte(unit))
		}
		return setCursor(tx, unit, it.rv)
	}
	return fmt.Errorf("unknown item %d", it.kind)
}

func setCursor(tx *bolt.Tx, unit, rv string) error {
	if rv == "" {
		return nil
	}
	return tx.Bucket(bucketCursors).Put([]byte(unit), []byte(rv))
}

// upsert records an object a watch or a list returned, if it is newer than
// what the store has: Added (or Existing on a first list) if the store has
// no such object, Modified if it has; Deleted, then Added, if the store has
// another object (another uid) of that name. It returns what it recorded
// (Deleted for the replacement), or "" for nothing.
func (w *writer) upsert(tx *bolt.Tx, it *item, via string) (Type, error) {
	o := it.obj
	ref := Ref{it.res.String(), o.namespace, o.name}
	key := objectKey(ref)
	cur, err := getCurrent(tx, key)
	if err != nil {
		return "", err
	}
	replaced := false
	if cur != nil {
		if !newer(o.rv, cur.RV) {
			return "", nil // recorded already (a list after a restart, a replay), or older
		}
		if cur.Deleted {
			cur = nil // created again after the deletion recorded
		} else if o.uid != cur.UID {
			// Deleted and created again while the watch was away.
			if _, err := w.put(tx, ref, &Change{Change: Deleted, Via: via, APIVersion: cur.APIVersion, Kind: cur.Kind,
				UID: cur.UID, ResourceVersion: o.rv, Content: contentName(cur.Hash)}, it.at); err != nil {
				return "", err
			}
			cur, replaced = nil, true
		}
	}
	t := Modified
	var before []fingerprint
	switch {
	case cur != nil:
		before = cur.Managed
	case it.initial:
		t = Existing
	default:
		t = Added
	}
	if err := putBlob(tx, o); err != nil {
		return "", err
	}
	k, err := w.put(tx, ref, &Change{Change: t, Via: via, APIVersion: o.apiVersion, Kind: o.kind, UID: o.uid,
		ResourceVersion: o.rv, Manager: maker(before, o.managed), Content: contentName(o.hash[:])}, it.at)
	if err != nil {
		return "", err
	}
	if err := putCurrent(tx, key, &currentEntry{Key: k, UID: o.uid, RV: o.rv, Hash: o.hash[:], APIVersion: o.apiVersion,
		Kind: o.kind, Managed: o.managed}); err != nil {
		return "", err
	}
	if replaced {
		return Deleted, nil
	}
	return t, nil
}

// remove records a DELETED event, if the store has the object and the
// event is newer.
func (w *writer) remove(tx *bolt.Tx, it *item, via string) (bool, error) {
	o := it.obj
	ref := Ref{it.res.String(), o.namespace, o.name}
	key := objectKey(ref)
	cur, err := getCurrent(tx, key)
	if err != nil || cur == nil || cur.Deleted || !newer(o.rv, cur.RV) {
		return false, err
	}
	if err := putBlob(tx, o); err != nil {
		return false, err
	}
	k, err := w.put(tx, ref, &Change{Change: Deleted, Via: via, APIVersion: o.apiVersion, Kind: o.kind, UID: o.uid,
		ResourceVersion: o.rv, Content: contentName(o.hash[:])}, it.at)
	if err != nil {
		return false, err
	}
	return true, putCurrent(tx, key, tombstone(k, o.rv, cur))
}

// tombstone is what the store keeps of an object it recorded as deleted at
// change k and resourceVersion rv: so that an older event, replayed by a
// watch that starts from an older resourceVersion, does not bring it back.
func tombstone(k uint64, rv string, cur *currentEntry) *currentEntry {
	return &currentEntry{Key: k, UID: cur.UID, RV: rv, Hash: cur.Hash, APIVersion: cur.APIVersion, Kind: cur.Kind, Deleted: true}
}

// sweep records as deleted the objects of a watch's scope that the store
// has and a complete list did not return (none, for a resource gone).
func (w *writer) sweep(tx *bolt.Tx, it *item) (int, error) {
	prefix := unitPrefix(it.res.String(), it.namespace)
	type gone struct {
		key []byte
		cur currentEntry
	}
	var found []gone
	c := tx.Bucket(bucketCurrent).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if it.seen[string(k)] {
			continue
		}
		g := gone{key: bytes.Clone(k)}
		if err := json.Unmarshal(v, &g.cur); err != nil {
			return 0, err
		}
		if !g.cur.Deleted {
			found = append(found, g)
		}
	}
	for _, g := range found {
		k, err := w.put(tx, refOf(g.key), &Change{Change: Deleted, Via: ViaList, APIVersion: g.cur.APIVersion,
			Kind: g.cur.Kind, UID: g.cur.UID, ResourceVersion: it.rv, Content: contentName(g.cur.Hash)}, it.at)
		if err != nil {
			return 0, err
		}
		if err := putCurrent(tx, g.key, tombstone(k, it.rv, &g.cur)); err != nil {
			return 0, err
		}
	}
	return len(found), nil
}

// put stores a change of ref at time at (or just after the newest change,
// so that times are unique and increase), and indexes it.
func (w *writer) put(tx *bolt.Tx, ref Ref, ch *Change, at time.Time) (uint64, error) {
	k := uint64(max(at.UnixNano(), 0))
	if k <= w.last {
		k = w.last + 1
	}
	w.last = k
	ch.Time = time.Unix(0, int64(k)).UTC()
	ch.Resource, ch.Namespace, ch.Name = ref.Resource, ref.Namespace, ref.Name
	data, err := json.Marshal(ch)
	if err != nil {
		return 0, err
	}
	key := timeKey(k)
	if err := tx.Bucket(bucketChanges).Put(key, data); err != nil {
		return 0, err
	}
	return k, tx.Bucket(bucketObjects).Put(append(objectPrefix(ref), key...), nil)
}

// putBlob stores an object's content, compressed, unless the store has it.
func putBlob(tx *bolt.Tx, o *object) error {
	b := tx.Bucket(bucketBlobs)
	if b.Get(o.hash[:]) != nil {
		return nil
	}
	return b.Put(bytes.Clone(o.hash[:]), compress(o.content))
}

func getCurrent(tx *bolt.Tx, key []byte) (*currentEntry, error) {
	v := tx.Bucket(bucketCurrent).Get(key)
	if v == nil {
		return nil, nil
	}
	var c currentEntry
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, fmt.Errorf("current %q: %w", key, err)
	}
	return &c, nil
}

func putCurrent(tx *bolt.Tx, key []byte, c *currentEntry) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketCurrent).Put(key, data)
}
