package vuln

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Builder writes a new database into a temporary file beside path, and
// Commit puts it in place in one rename. Until then the database at path,
// if any, is untouched and usable.
type Builder struct {
	path, tmp string
	db        *bolt.DB
	status    Status
	// advisories and package entries wait here and are written in batches,
	// in key order: bbolt writes sorted keys much faster than random ones.
	adv     map[string][]byte
	pkg     map[string][]pkgEntry
	pending int
	// cves are the CVEs advisories with affected versions name, and feed
	// the Kubernetes feed's: to tell which of the feed cannot be matched.
	cves map[string]bool
	feed []string
}

// flushEvery is how many advisories are buffered before a write.
const flushEvery = 20000

// NewBuilder starts a database that will replace the one at path.
func NewBuilder(path string) (*Builder, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".new-*")
	if err != nil {
		return nil, err
	}
	tmp := f.Name()
	_ = f.Close()
	db, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second, NoSync: true, NoFreelistSync: true})
	if err != nil {
		_ = os.Remove(tmp)
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range buckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		_ = os.Remove(tmp)
		return nil, err
	}
	return &Builder{path: path, tmp: tmp, db: db, adv: map[string][]byte{}, pkg: map[string][]pkgEntry{}, cves: map[string]bool{}}, nil
}

// AddSource records what a source contributed.
func (b *Builder) AddSource(s SourceStatus) { b.status.Sources = append(b.status.Sources, s) }

// AddAdvisory stores an advisory and indexes it under each package it
// affects. An advisory with the id of one stored before replaces it.
func (b *Builder) AddAdvisory(a *Advisory) error {
	stored := *a
	stored.Affected = nil
	data, err := json.Marshal(&stored)
	if err != nil {
		return err
	}
	b.adv[a.ID] = data
	for _, id := range append([]string{a.ID}, a.Aliases...) {
		if strings.HasPrefix(id, "CVE-") {
			b.cves[id] = true
		}
	}
	for _, af := range a.Affected {
		k := string(pkgKey(af.Ecosystem, af.Name))
		entries := b.pkg[k]
		entries = slices.DeleteFunc(entries, func(e pkgEntry) bool { return e.ID == a.ID })
		b.pkg[k] = append(entries, pkgEntry{ID: a.ID, Affected: af})
	}
	b.pending++
	if b.pending >= flushEvery {
		return b.flush()
	}
	return nil
}

func (b *Builder) flush() error {
	if len(b.adv) == 0 && len(b.pkg) == 0 {
		return nil
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		adv := tx.Bucket(bAdv)
		for _, k := range sortedKeys(b.adv) {
			if err := adv.Put([]byte(k), b.adv[k]); err != nil {
				return err
			}
		}
		pkg := tx.Bucket(bPkg)
		for _, k := range sortedKeys(b.pkg) {
			entries := b.pkg[k]
			if old := pkg.Get([]byte(k)); old != nil {
				var prev []pkgEntry
				if err := json.Unmarshal(old, &prev); err != nil {
					return err
				}
				prev = slices.DeleteFunc(prev, func(p pkgEntry) bool {
					return slices.ContainsFunc(entries, func(e pkgEntry) bool { return e.ID == p.ID })
				})
				entries = append(prev, entries...)
			}
			slices.SortFunc(entries, func(x, y pkgEntry) int { return cmp.Compare(x.ID, y.ID) })
			data, err := json.Marshal(entries)
			if err != nil {
				return err
			}
			if err := pkg.Put([]byte(k), data); err != nil {
				return err
			}
		}
		return nil
	})
	clear(b.adv)
	clear(b.pkg)
	b.pending = 0
	return err
}

// putAll writes key -> JSON value pairs into a bucket, in key order.
func putAll[V any](b *Builder, bucket []byte, m map[string]V) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucket)
		for _, k := range sortedKeys(m) {
			data, err := json.Marshal(m[k])
			if err != nil {
				return err
			}
			if err := bk.Put([]byte(k), data); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddKEV stores catalogue entries by CVE.
func (b *Builder) AddKEV(m map[string]KEV) error { return putAll(b, bKEV, m) }

// AddEPSS stores scores by CVE.
func (b *Builder) AddEPSS(m map[string]EPSS) error { return putAll(b, bEPSS, m) }

// AddEOL stores release cycles by product.
func (b *Builder) AddEOL(m map[string][]Release) error { return putAll(b, bEOL, m) }

// AddFeed stores the Kubernetes CVE feed by CVE.
func (b *Builder) AddFeed(m map[string]FeedItem) error {
	for cve := range m {
		b.feed = append(b.feed, cve)
	}
	return putAll(b, bFeed, m)
}

// Commit writes the status, syncs the file and renames it over path.
func (b *Builder) Commit(built time.Time) (*Status, error) {
	if err := b.flush(); err != nil {
		b.Abort()
		return nil, err
	}
	b.status.Schema = SchemaVersion
	b.status.Built = built.UTC()
	for _, cve := range b.feed {
		if !b.cves[cve] {
			b.status.FeedWithoutAdvisory = append(b.status.FeedWithoutAdvisory, cve)
		}
	}
	slices.Sort(b.status.FeedWithoutAdvisory)
	slices.SortStableFunc(b.status.Sources, func(x, y SourceStatus) int { return cmp.Compare(x.Name, y.Name) })
	status, err := json.Marshal(&b.status)
	if err != nil {
		b.Abort()
		return nil, err
	}
	err = b.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if err := m.Put([]byte("schema"), []byte(SchemaVersion)); err != nil {
			return err
		}
		return m.Put([]byte("status"), status)
	})
	if err == nil {
		err = b.db.Sync()
	}
	if cerr := b.db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(b.tmp)
		return nil, fmt.Errorf("writing the vulnerability database: %w", err)
	}
	if err := install(b.tmp, b.path); err != nil {
		return nil, err
	}
	return &b.status, nil
}

// install renames a complete database file over path and syncs the
// directory, so that the rename itself survives a crash.
func install(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("installing the vulnerability database: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// Abort drops the new database; the one at path stays as it was.
func (b *Builder) Abort() {
	_ = b.db.Close()
	_ = os.Remove(b.tmp)
}
