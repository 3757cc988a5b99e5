// Package vuln is Dozor's offline vulnerability database: OSV advisories
// per ecosystem, the Kubernetes project's CVE feed, end-of-life dates,
// CISA's Known Exploited Vulnerabilities and FIRST's EPSS scores, built
// into one file from the files their publishers publish, and the version
// semantics of each ecosystem to match installed versions against it.
//
// The database is a bbolt file (go.etcd.io/bbolt, already used by the
// history store). It opens by mapping the file, so loading costs nothing
// however large it is, and a lookup reads only the pages of the package
// asked for. It is built whole into a temporary file beside the old one and
// renamed over it when complete: readers keep the database they opened, a
// failed or interrupted update leaves the previous one in place, and a
// half-written database is never seen. Buckets (docs/vulnerability-db.md):
//
//	meta   "schema" -> "1"; "status" -> JSON Status
//	adv    advisory id -> JSON Advisory without its Affected
//	pkg    lower(ecosystem) \0 name -> JSON []pkgEntry (the advisories of a package)
//	kev    CVE id -> JSON KEV
//	epss   CVE id -> JSON EPSS
//	eol    product -> JSON []Release
//	feed   CVE id -> JSON FeedItem (the Kubernetes CVE feed)
//	cve    CVE id -> JSON []string (the advisories that name it, as id or alias)
package vuln

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the database layout this package reads and writes.
const SchemaVersion = "1"

// FileName is the database's file name in its directory.
const FileName = "vuln.db"

var (
	bMeta = []byte("meta")
	bAdv  = []byte("adv")
	bPkg  = []byte("pkg")
	bKEV  = []byte("kev")
	bEPSS = []byte("epss")
	bEOL  = []byte("eol")
	bFeed = []byte("feed")
	bCVE  = []byte("cve")
)

var buckets = [][]byte{bMeta, bAdv, bPkg, bKEV, bEPSS, bEOL, bFeed, bCVE}

// ErrNoDatabase is returned by Open when there is no database at the path.
var ErrNoDatabase = errors.New("no vulnerability database")

// DefaultPath is where the database lives unless --db says otherwise:
// dozor/vuln.db under the user's cache directory.
func DefaultPath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "dozor", FileName), nil
}

// Status says what the database holds and how old it is.
type Status struct {
	Schema string `json:"schema"`
	// Built is when the database was written.
	Built   time.Time      `json:"built"`
	Sources []SourceStatus `json:"sources"`
	// FeedWithoutAdvisory are the CVEs of the Kubernetes CVE feed that no
	// advisory in the database gives affected versions for: they cannot
	// be matched, and are for people to check.
	FeedWithoutAdvisory []string `json:"feedWithoutAdvisory,omitempty"`
}

// SourceStatus is what one source contributed.
type SourceStatus struct {
	// Name identifies the source: "osv/Go", "kev", "epss", "eol",
	// "kubernetes-cve-feed".
	Name string `json:"name"`
	// Kind is the format: osv, kev, epss, eol, kubernetes-cve-feed.
	Kind string `json:"kind"`
	// Origin is the URL or file it was read from.
	Origin string `json:"origin"`
	// Date is how recent the data is, by its own account: the newest
	// advisory's modification, the catalogue's release, the scores' date;
	// failing those, when the file was published (Last-Modified) or
	// written.
	Date time.Time `json:"date"`
	// Records counts what was stored: advisories, CVEs, products.
	Records int `json:"records"`
	// Skipped counts records or ranges left out because they were
	// malformed; Problems says why, for the first few.
	Skipped  int      `json:"skipped,omitempty"`
	Problems []string `json:"problems,omitempty"`
}

// Age is how old the stalest source is at now: reports state it, and warn
// when it passes a limit. A database without sources is infinitely old.
func (s *Status) Age(now time.Time) time.Duration {
	if len(s.Sources) == 0 {
		return time.Duration(1<<63 - 1)
	}
	oldest := s.Sources[0].Date
	for _, src := range s.Sources[1:] {
		if src.Date.Before(oldest) {
			oldest = src.Date
		}
	}
	return now.Sub(oldest)
}

// Source returns the status of the named source, or nil.
func (s *Status) Source(name string) *SourceStatus {
	for i := range s.Sources {
		if s.Sources[i].Name == name {
			return &s.Sources[i]
		}
	}
	return nil
}

// KEV is an entry of CISA's Known Exploited Vulnerabilities catalogue.
type KEV struct {
	DateAdded string `json:"dateAdded"`
	DueDate   string `json:"dueDate,omitempty"`
	Name      string `json:"name,omitempty"`
	// Ransomware is "Known" when the CVE is known to be used in
	// ransomware campaigns.
	Ransomware string `json:"ransomware,omitempty"`
}

// EPSS is FIRST's Exploit Prediction Scoring System score of a CVE: the
// probability of exploitation in the next 30 days, and its percentile.
type EPSS struct {
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
}

// Release is one release cycle of a product, as endoflife.date lists it.
// EOL and EOAS are dates ("2026-10-27"), or "true"/"false" where only that
// is known.
type Release struct {
	Cycle       string `json:"cycle"`
	ReleaseDate string `json:"releaseDate,omitempty"`
	// EOAS is the end of active support (bug fixes); EOL the end of
	// security support.
	EOAS string `json:"eoas,omitempty"`
	EOL  string `json:"eol,omitempty"`
	// EOES is the end of extended support (Debian LTS, Ubuntu ESM), past
	// EOL.
	EOES   string `json:"eoes,omitempty"`
	Latest string `json:"latest,omitempty"`
	LTS    bool   `json:"lts,omitempty"`
}

// Passed reports whether an end date of a Release ("2026-10-27", or
// "true") is past at now; "false", "" and what is not a date are not.
func Passed(date string, now time.Time) bool {
	if date == "true" {
		return true
	}
	t, err := time.Parse(time.DateOnly, date)
	return err == nil && !now.Before(t)
}

// FeedItem is a CVE of the Kubernetes project's official CVE feed.
type FeedItem struct {
	Summary   string `json:"summary,omitempty"`
	URL       string `json:"url,omitempty"`
	Published string `json:"published,omitempty"`
}

// DB is an open database. Its methods may be called from several
// goroutines.
type DB struct {
	bolt   *bolt.DB
	path   string
	status Status
}

// Open opens the database at path read-only.
func Open(path string) (*DB, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s: run `dozor db update`, or `dozor db import` a bundle", ErrNoDatabase, path)
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("vulnerability database %s: %w", path, err)
	}
	db := &DB{bolt: b, path: path}
	err = b.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if m == nil {
			return fmt.Errorf("not a Dozor vulnerability database (no meta bucket)")
		}
		if s := string(m.Get([]byte("schema"))); s != SchemaVersion {
			return fmt.Errorf("database schema %q, this Dozor reads %q: run `dozor db update`", s, SchemaVersion)
		}
		return json.Unmarshal(m.Get([]byte("status")), &db.status)
	})
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("vulnerability database %s: %w", path, err)
	}
	return db, nil
}

// Close releases the database.
func (db *DB) Close() error { return db.bolt.Close() }

// Path is the file the database was opened from.
func (db *DB) Path() string { return db.path }

// Status says what the database holds.
func (db *DB) Status() *Status { return &db.status }

// pkgEntry is an advisory's entry under one package.
type pkgEntry struct {
	ID       string   `json:"id"`
	Affected Affected `json:"affected"`
}

func pkgKey(ecosystem, name string) []byte {
	eco := strings.ToLower(ecosystem)
	if baseEcosystem(eco) == "pypi" {
		name = normalizePyPI(name)
	}
	return []byte(eco + "\x00" + name)
}

// normalizePyPI is PEP 503's normal form of a project name.
func normalizePyPI(name string) string {
	name = strings.ToLower(name)
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '.' {
			return '-'
		}
		return r
	}, name)
}

// Match is an advisory that affects a version of a package.
type Match struct {
	Advisory *Advisory
	// Affected is the advisory's entry for the package.
	Affected Affected
}

// Affecting returns the advisories that affect version of the package
// name in ecosystem ("Go", "Debian:12", "kubernetes", ...), in id order.
// Withdrawn advisories are left out. An error is returned only when the
// version cannot be read in the ecosystem.
func (db *DB) Affecting(ecosystem, name, version string) ([]Match, error) {
	entries, err := db.Package(ecosystem, name)
	if err != nil {
		return nil, err
	}
	var out []Match
	var firstErr error
	for _, e := range entries {
		in, err := e.Affected.Affects(version)
		if err != nil {
			if errors.Is(err, ErrVersion) && firstErr == nil {
				firstErr = err
			}
			continue
		}
		if !in {
			continue
		}
		a, err := db.Advisory(e.ID)
		if err != nil {
			return nil, err
		}
		if a == nil || !a.Withdrawn.IsZero() {
			continue
		}
		out = append(out, Match{Advisory: a, Affected: e.Affected})
	}
	if len(out) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// Package returns the entries of every advisory that names the package.
func (db *DB) Package(ecosystem, name string) ([]pkgEntry, error) {
	var entries []pkgEntry
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bPkg).Get(pkgKey(ecosystem, name))
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &entries)
	})
	return entries, err
}

// IDs returns the ids of the advisories that name a package.
func (db *DB) IDs(ecosystem, name string) []string {
	entries, _ := db.Package(ecosystem, name)
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.ID)
	}
	return out
}

// Advisory returns the advisory of id, without its Affected, or nil.
func (db *DB) Advisory(id string) (*Advisory, error) {
	var a *Advisory
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bAdv).Get([]byte(id))
		if v == nil {
			return nil
		}
		a = new(Advisory)
		return json.Unmarshal(v, a)
	})
	return a, err
}

// AdvisoriesOf returns the advisories that name a CVE, as their id or an
// alias, in id order: the GHSA, GO and distribution advisories of one CVE.
func (db *DB) AdvisoriesOf(cve string) ([]*Advisory, error) {
	var ids []string
	db.get(bCVE, cve, &ids)
	out := make([]*Advisory, 0, len(ids))
	for _, id := range ids {
		a, err := db.Advisory(id)
		if err != nil {
			return nil, err
		}
		if a != nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// CVSS returns the highest CVSS v3 base score any advisory of a CVE
// gives, with its vector; ok is false when none scores it.
func (db *DB) CVSS(cve string) (score float64, vector string, ok bool) {
	advs, err := db.AdvisoriesOf(cve)
	if err != nil {
		return 0, "", false
	}
	for _, a := range advs {
		for _, s := range a.Severity {
			if sc, valid := CVSS3Score(s.Score); valid && (!ok || sc > score) {
				score, vector, ok = sc, s.Score, true
			}
		}
	}
	return score, vector, ok
}

// KEV returns the catalogue entry of a CVE.
func (db *DB) KEV(cve string) (KEV, bool) {
	var k KEV
	ok := db.get(bKEV, cve, &k)
	return k, ok
}

// EPSS returns the EPSS score of a CVE.
func (db *DB) EPSS(cve string) (EPSS, bool) {
	var e EPSS
	ok := db.get(bEPSS, cve, &e)
	return e, ok
}

// Feed returns the Kubernetes CVE feed's item for a CVE.
func (db *DB) Feed(cve string) (FeedItem, bool) {
	var f FeedItem
	ok := db.get(bFeed, cve, &f)
	return f, ok
}

// FeedCVEs lists the CVEs of the Kubernetes CVE feed.
func (db *DB) FeedCVEs() []string {
	var out []string
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bFeed).ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	return out
}

// EOL returns a product's release cycles (endoflife.date's names:
// "kubernetes", "containerd", "ubuntu", ...), newest first as published.
func (db *DB) EOL(product string) []Release {
	var r []Release
	db.get(bEOL, product, &r)
	return r
}

func (db *DB) get(bucket []byte, key string, into any) bool {
	found := false
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucket).Get([]byte(key))
		if v == nil {
			return nil
		}
		found = json.Unmarshal(v, into) == nil
		return nil
	})
	return found
}

// Counts returns how many keys each bucket holds, for `dozor db status`.
func (db *DB) Counts() map[string]int {
	out := map[string]int{}
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		for _, b := range buckets[1:] {
			out[string(b)] = tx.Bucket(b).Stats().KeyN
		}
		return nil
	})
	return out
}
