package vuln

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
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
	// Advisories wait here and are written in batches, in key order:
	// bbolt writes sorted keys much faster than random ones. Package
	// entries (small) wait for the whole import, so that each package's
	// list is written once rather than rewritten at every batch.
	adv        map[string][]byte
	pkg        map[string][]pkgEntry
	pkgPending int
	// cves maps the CVEs advisories name (as id or alias) to them; feed
	// are the Kubernetes feed's CVEs, to tell which cannot be matched.
	cves map[string][]string
	feed []string
}

// Buffer sizes: advisories buffered before a write, and package entries
// (about 200 bytes each) held before their lists are written.
const (
	flushEvery    = 20000
	pkgFlushEvery = 2_000_000
)

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
	return &Builder{path: path, tmp: tmp, db: db, adv: map[string][]byte{}, pkg: map[string][]pkgEntry{}, cves: map[string][]string{}}, nil
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
		if strings.HasPrefix(id, "CVE-") && !slices.Contains(b.cves[id], a.ID) {
			b.cves[id] = append(b.cves[id], a.ID)
		}
	}
	// An advisory may name one package in several affected blocks (the Go
	// database does, for different packages of a module): one entry per
	// package, with the ranges and versions of every block.
	mine := map[string]int{}
	for _, af := range a.Affected {
		k := string(pkgKey(af.Ecosystem, af.Name))
		if i, ok := mine[k]; ok {
			e := &b.pkg[k][i].Affected
			e.Ranges = append(e.Ranges, af.Ranges...)
			e.Versions = append(e.Versions, af.Versions...)
			for _, imp := range af.Imports {
				if !slices.Contains(e.Imports, imp) {
					e.Imports = append(e.Imports, imp)
				}
			}
			e.Severity = cmp.Or(e.Severity, af.Severity)
			continue
		}
		mine[k] = len(b.pkg[k])
		b.pkg[k] = append(b.pkg[k], pkgEntry{ID: a.ID, Affected: af})
		b.pkgPending++
	}
	if len(b.adv) >= flushEvery {
		if err := b.flushAdvisories(); err != nil {
			return err
		}
	}
	if b.pkgPending >= pkgFlushEvery {
		return b.flushPackages()
	}
	return nil
}

func (b *Builder) flushAdvisories() error {
	if len(b.adv) == 0 {
		return nil
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		adv := tx.Bucket(bAdv)
		for _, k := range slices.Sorted(maps.Keys(b.adv)) {
			if err := adv.Put([]byte(k), b.adv[k]); err != nil {
				return err
			}
		}
		return nil
	})
	clear(b.adv)
	return err
}

// flushPackages writes each package's list of entries, merged with what
// an earlier flush wrote. An advisory met twice (imported from two
// sources) keeps its last entry.
func (b *Builder) flushPackages() error {
	if len(b.pkg) == 0 {
		return nil
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		pkg := tx.Bucket(bPkg)
		for _, k := range slices.Sorted(maps.Keys(b.pkg)) {
			entries := b.pkg[k]
			if old := pkg.Get([]byte(k)); old != nil {
				var prev []pkgEntry
				if err := json.Unmarshal(old, &prev); err != nil {
					return err
				}
				entries = append(prev, entries...)
			}
			slices.SortStableFunc(entries, func(x, y pkgEntry) int { return cmp.Compare(x.ID, y.ID) })
			entries = lastOfEach(entries)
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
	clear(b.pkg)
	b.pkgPending = 0
	return err
}

// lastOfEach keeps the last of each run of entries with one id.
func lastOfEach(sorted []pkgEntry) []pkgEntry {
	out := sorted[:0]
	for i, e := range sorted {
		if i+1 < len(sorted) && sorted[i+1].ID == e.ID {
			continue
		}
		out = append(out, e)
	}
	return out
}

func (b *Builder) flush() error {
	if err := b.flushAdvisories(); err != nil {
		return err
	}
	return b.flushPackages()
}

// putAll writes key -> JSON value pairs into a bucket, in key order.
func putAll[V any](b *Builder, bucket []byte, m map[string]V) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucket)
		for _, k := range slices.Sorted(maps.Keys(m)) {
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
	for _, ids := range b.cves {
		slices.Sort(ids)
	}
	if err := putAll(b, bCVE, b.cves); err != nil {
		b.Abort()
		return nil, err
	}
	for _, cve := range b.feed {
		if len(b.cves[cve]) == 0 {
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
