package vuln_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/dozor-dev/dozor/vuln"
	"github.com/dozor-dev/dozor/vuln/vulntest"
)

// sharedData returns ../shared/data, or skips the test without it.
func sharedData(t testing.TB) string { return vulntest.SharedData(t) }

var testNow = time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)

func importOK(t *testing.T, db string, in ...Input) *Status {
	t.Helper()
	res, err := Import(context.Background(), db, in, ImportOptions{Now: testNow})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return res.Status
}

func TestImportShared(t *testing.T) {
	data := sharedData(t)
	path := filepath.Join(t.TempDir(), "vuln.db")
	res, err := Import(context.Background(), path, []Input{{Path: data}, {Path: "testdata"}}, ImportOptions{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	for _, ig := range res.Ignored {
		if strings.Contains(ig, "/osv/") || strings.Contains(ig, "/kev/known") || strings.Contains(ig, "/eol/products") {
			t.Errorf("a source file was ignored: %s", ig)
		}
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	st := db.Status()
	want := map[string]int{"osv/Go": 4000, "osv/Kubernetes": 40, KindKEV: 1404, KindEOL: 23, KindEPSS: 7, KindK8sFeed: 4}
	for name, min := range want {
		s := st.Source(name)
		if s == nil {
			t.Errorf("source %s missing; have %+v", name, st.Sources)
			continue
		}
		if s.Records < min {
			t.Errorf("%s: %d records, want at least %d", name, s.Records, min)
		}
		if s.Date.IsZero() {
			t.Errorf("%s: no date", name)
		}
	}
	if s := st.Source("osv/Kubernetes"); s != nil && !s.Date.Truncate(time.Minute).Equal(time.Date(2024, 9, 16, 6, 32, 0, 0, time.UTC)) {
		t.Errorf("osv/Kubernetes dated %v, want the archive's 2024-09-16 06:32", s.Date)
	}
	if s := st.Source(KindEPSS); s != nil && s.Skipped != 2 {
		t.Errorf("epss: %d rows skipped, want the 2 malformed ones: %v", s.Skipped, s.Problems)
	}
	if s := st.Source(KindK8sFeed); s != nil && s.Skipped != 1 {
		t.Errorf("feed: %d items skipped, want 1", s.Skipped)
	}

	// Lookups, at the fix boundary.
	ids := func(ms []Match) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Advisory.ID)
		}
		return out
	}
	m, err := db.Affecting("Go", "github.com/opencontainers/runc", "1.1.11")
	if err != nil || !slices.Contains(ids(m), "GO-2024-2491") {
		t.Errorf("runc 1.1.11: %v %v, want GO-2024-2491 (CVE-2024-21626)", ids(m), err)
	}
	m, _ = db.Affecting("Go", "github.com/opencontainers/runc", "1.1.12")
	if slices.Contains(ids(m), "GO-2024-2491") {
		t.Errorf("runc 1.1.12 is fixed, got %v", ids(m))
	}
	m, _ = db.Affecting("kubernetes", "k8s.io/kubelet", "v1.26.7-eks-1")
	if !slices.Contains(ids(m), "CVE-2023-3676") {
		t.Errorf("kubelet 1.26.7: %v, want CVE-2023-3676", ids(m))
	}
	m, _ = db.Affecting("kubernetes", "k8s.io/kubelet", "v1.26.8")
	if slices.Contains(ids(m), "CVE-2023-3676") {
		t.Errorf("kubelet 1.26.8 is fixed, got %v", ids(m))
	}
	if a, _ := db.Advisory("CVE-2023-3676"); a == nil || len(a.Severity) == 0 || a.Summary == "" {
		t.Errorf("CVE-2023-3676: %+v, want a summary and a CVSS vector", a)
	}
	if k, ok := db.KEV("CVE-2024-1086"); !ok || k.DateAdded == "" {
		t.Errorf("KEV CVE-2024-1086: %+v %v", k, ok)
	}
	if e, ok := db.EPSS("CVE-2024-21626"); !ok || e.Score < 0.8 {
		t.Errorf("EPSS CVE-2024-21626: %+v %v", e, ok)
	}
	// The feed's Image Builder CVE has no advisory with versions in the
	// data (image-builder is no Go module); its other three have.
	if got := st.FeedWithoutAdvisory; len(got) != 1 || got[0] != "CVE-2025-7342" {
		t.Errorf("feed CVEs without an advisory: %v, want [CVE-2025-7342]", got)
	}
	if f, ok := db.Feed("CVE-2025-1974"); !ok || f.URL == "" {
		t.Errorf("feed CVE-2025-1974: %+v %v", f, ok)
	}
	k8s := db.EOL("kubernetes")
	if len(k8s) < 10 || k8s[0].Cycle != "1.36" || k8s[0].EOL != "2027-06-28" || k8s[0].EOAS != "2027-04-28" {
		t.Errorf("EOL kubernetes: %+v", k8s[:min(2, len(k8s))])
	}
	if age := st.Age(testNow); age < 300*24*time.Hour {
		t.Errorf("age %v: the stalest source (Kubernetes advisories of 2024-09) should make it about a year", age)
	}
}

// zipOf writes a zip of name -> content, with the given method.
func zipOf(t *testing.T, entries map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(entries[n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func advisoryJSON(id, eco, name, fixed string) []byte {
	return []byte(`{"id":"` + id + `","modified":"2025-07-01T00:00:00Z","summary":"test advisory","affected":[{"package":{"ecosystem":"` + eco +
		`","name":"` + name + `"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"` + fixed + `"}]}]}]}`)
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHostileArchives(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "db", "vuln.db")
	good := writeFile(t, filepath.Join(dir, "Debian", "all.zip"), zipOf(t, map[string][]byte{
		"DSA-1.json": advisoryJSON("DSA-1", "Debian:12", "openssl", "3.0.11-1~deb12u2"),
	}))
	st := importOK(t, path, Input{Path: good})
	if st.Source("osv/Debian") == nil || st.Source("osv/Debian").Records != 1 {
		t.Fatalf("status %+v", st)
	}

	// Entries that are hostile or broken are skipped and counted; the
	// good ones are kept.
	bomb := bytes.Repeat([]byte{' '}, 20<<20)
	mixed := writeFile(t, filepath.Join(dir, "mixed", "Alpine.zip"), zipOf(t, map[string][]byte{
		"../../etc/evil.json": advisoryJSON("EVIL-1", "Alpine:v3.19", "busybox", "1.36.1-r15"),
		"/abs.json":           advisoryJSON("EVIL-2", "Alpine:v3.19", "busybox", "1.36.1-r15"),
		"C:/windows.json":     advisoryJSON("EVIL-3", "Alpine:v3.19", "busybox", "1.36.1-r15"),
		"bomb.json":           bomb,
		"broken.json":         []byte(`{"id": "BROKEN-1", "affected": [`),
		"badrange.json":       []byte(`{"id":"BAD-1","affected":[{"package":{"ecosystem":"Alpine:v3.19","name":"musl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1.2.5-r0"}]}]}]}`),
		"ALPINE-1.json":       advisoryJSON("ALPINE-1", "Alpine:v3.19", "busybox", "1.36.1-r15"),
	}))
	st = importOK(t, path, Input{Path: mixed})
	s := st.Source("osv/Alpine")
	if s == nil || s.Records != 1 || s.Skipped != 6 {
		t.Fatalf("osv/Alpine = %+v, want 1 record and 6 skipped", s)
	}
	for _, want := range []string{"unsafe entry name", "zip bomb", "BAD-1"} {
		if !slices.ContainsFunc(s.Problems, func(p string) bool { return strings.Contains(p, want) }) {
			t.Errorf("problems %q do not mention %q", s.Problems, want)
		}
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := db.Advisory("EVIL-1"); a != nil {
		t.Error("an entry named ../../etc/evil.json was imported")
	}
	m, err := db.Affecting("Alpine:v3.19", "busybox", "1.36.1-r5")
	if err != nil || len(m) != 1 {
		t.Errorf("busybox 1.36.1-r5: %v %v", m, err)
	}
	_ = db.Close()

	// A truncated archive or one over the limits fails the import, and the
	// database before it is untouched.
	whole := zipOf(t, map[string][]byte{"A-1.json": advisoryJSON("A-1", "Go", "example.com/m", "1.0.0")})
	truncated := writeFile(t, filepath.Join(dir, "truncated", "Go.zip"), whole[:len(whole)-30])
	before, _ := os.ReadFile(path)
	if _, err := Import(context.Background(), path, []Input{{Path: truncated}, {Path: good}}, ImportOptions{Now: testNow}); err == nil {
		t.Error("import of a truncated zip succeeded")
	} else if !strings.Contains(err.Error(), "Go.zip") {
		t.Errorf("error %q does not name the file", err)
	}
	many := writeFile(t, filepath.Join(dir, "many", "Go.zip"), zipOf(t, map[string][]byte{
		"A-1.json": advisoryJSON("A-1", "Go", "example.com/m", "1.0.0"), "A-2.json": advisoryJSON("A-2", "Go", "example.com/m", "1.0.0"),
	}))
	_, err = Import(context.Background(), path, []Input{{Path: many}}, ImportOptions{Now: testNow, Limits: Limits{ZipEntries: 1, EntryBytes: 1 << 20, TotalBytes: 1 << 30, Ratio: 100}})
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("import over the entry limit: %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a failed import changed the database")
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "db", ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
	// With Partial, what could be read is committed.
	res, err := Import(context.Background(), path, []Input{{Path: truncated}, {Path: good}}, ImportOptions{Now: testNow, Partial: true})
	if err != nil || len(res.Failed) != 1 || res.Status.Source("osv/Debian") == nil {
		t.Errorf("partial import: %v, %+v", err, res)
	}
}

// One advisory naming a package in two affected blocks matches both
// blocks' ranges; the same advisory imported twice is kept once.
func TestAdvisoryBlocksMerged(t *testing.T) {
	dir := t.TempDir()
	two := []byte(`{"id":"GO-2099-0001","affected":[
		{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}],"ecosystem_specific":{"imports":[{"path":"example.com/m/a"}]}},
		{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"2.0.0"},{"fixed":"2.3.0"}]}],"ecosystem_specific":{"imports":[{"path":"example.com/m/b"}]}}]}`)
	a := writeFile(t, filepath.Join(dir, "a", "Go.zip"), zipOf(t, map[string][]byte{"GO-2099-0001.json": two}))
	b := writeFile(t, filepath.Join(dir, "b", "Go.zip"), zipOf(t, map[string][]byte{"GO-2099-0001.json": two}))
	path := filepath.Join(dir, "vuln.db")
	importOK(t, path, Input{Path: a}, Input{Path: b})
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for v, want := range map[string]int{"1.1.0": 1, "1.2.0": 0, "2.2.0": 1, "2.3.0": 0} {
		ms, err := db.Affecting("Go", "example.com/m", v)
		if err != nil || len(ms) != want {
			t.Errorf("%s: %d matches (%v), want %d", v, len(ms), err, want)
		}
		if len(ms) == 1 && len(ms[0].Affected.Imports) != 2 {
			t.Errorf("%s: imports %v, want both blocks'", v, ms[0].Affected.Imports)
		}
	}
}

// OSV records kept as loose files (a checkout of an advisory
// repository) import as one source per directory.
func TestImportLooseRecords(t *testing.T) {
	dir := t.TempDir()
	repo := filepath.Join(dir, "vulndb", "osv")
	writeFile(t, filepath.Join(repo, "GO-2099-0001.json"), advisoryJSON("GO-2099-0001", "Go", "example.com/a", "1.2.0"))
	writeFile(t, filepath.Join(repo, "GO-2099-0002.json"), advisoryJSON("GO-2099-0002", "Go", "example.com/b", "0.3.0"))
	writeFile(t, filepath.Join(repo, "GO-2099-0003.json"), []byte(`{"id": "GO-2099-0003", "affected": [`))
	writeFile(t, filepath.Join(dir, "vulndb", "README.md"), []byte("# not a source\n"))
	path := filepath.Join(dir, "vuln.db")
	res, err := Import(context.Background(), path, []Input{{Path: filepath.Join(dir, "vulndb")}}, ImportOptions{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Status.Source("osv/osv")
	if s == nil || s.Records != 2 || s.Skipped != 1 || len(res.Status.Sources) != 1 {
		t.Fatalf("status %+v", res.Status)
	}
	if len(res.Ignored) != 1 {
		t.Errorf("ignored %v, want the README", res.Ignored)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ms, _ := db.Affecting("Go", "example.com/b", "v0.2.9"); len(ms) != 1 {
		t.Errorf("example.com/b v0.2.9: %v", ms)
	}
}

// A reader keeps the database it opened while an update replaces it.
func TestUpdateIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vuln.db")
	v1 := writeFile(t, filepath.Join(dir, "v1", "Go.zip"), zipOf(t, map[string][]byte{"A-1.json": advisoryJSON("A-1", "Go", "example.com/m", "1.0.0")}))
	v2 := writeFile(t, filepath.Join(dir, "v2", "Go.zip"), zipOf(t, map[string][]byte{"A-2.json": advisoryJSON("A-2", "Go", "example.com/m", "2.0.0")}))
	importOK(t, path, Input{Path: v1})
	old, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	importOK(t, path, Input{Path: v2})
	if m, err := old.Affecting("Go", "example.com/m", "0.9.0"); err != nil || len(m) != 1 || m[0].Advisory.ID != "A-1" {
		t.Errorf("the open database changed under its reader: %v %v", m, err)
	}
	cur, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	if m, _ := cur.Affecting("Go", "example.com/m", "1.5.0"); len(m) != 1 || m[0].Advisory.ID != "A-2" {
		t.Errorf("the new database: %v", m)
	}
}

func TestBundle(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "a", "vuln.db")
	importOK(t, src, Input{Path: writeFile(t, filepath.Join(dir, "Go.zip"), zipOf(t, map[string][]byte{"A-1.json": advisoryJSON("A-1", "Go", "example.com/m", "1.0.0")}))},
		Input{Path: "testdata"})
	var buf bytes.Buffer
	man, err := Export(src, &buf)
	if err != nil {
		t.Fatal(err)
	}
	bundle := writeFile(t, filepath.Join(dir, "dozor-db.tar.gz"), buf.Bytes())
	dst := filepath.Join(dir, "b", "vuln.db")
	res, err := Import(context.Background(), dst, []Input{{Path: bundle}}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Status.Built.Equal(man.Built) || len(res.Status.Sources) != 3 {
		t.Errorf("imported %+v, exported %+v", res.Status, man.Status)
	}
	db, err := Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := db.Affecting("Go", "example.com/m", "0.1.0"); len(m) != 1 {
		t.Errorf("the bundle's database does not answer: %v", m)
	}
	_ = db.Close()

	// A bundle whose database was altered, or cut short, is refused.
	before, _ := os.ReadFile(dst)
	raw := gunzip(t, buf.Bytes())
	i := bytes.Index(raw, []byte("example.com/m"))
	if i < 0 {
		t.Fatal("package name not found in the bundle")
	}
	raw[i] = 'X'
	for name, data := range map[string][]byte{"altered": gz(t, raw), "truncated": buf.Bytes()[:buf.Len()/2]} {
		p := writeFile(t, filepath.Join(dir, name+".tar.gz"), data)
		if _, err := Import(context.Background(), dst, []Input{{Path: p}}, ImportOptions{}); err == nil {
			t.Errorf("%s bundle imported", name)
		}
	}
	after, _ := os.ReadFile(dst)
	if !bytes.Equal(before, after) {
		t.Error("a refused bundle changed the database")
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

func TestUpdate(t *testing.T) {
	_, m := vulntest.Mirror(t)
	path := filepath.Join(t.TempDir(), "vuln.db")
	remotes := m.Remotes([]string{"Go", "Kubernetes"}, []string{"kubernetes", "containerd", "ubuntu"})
	res, err := Update(context.Background(), path, remotes, UpdateOptions{ImportOptions: ImportOptions{Now: testNow}})
	if err != nil {
		t.Fatal(err)
	}
	st := res.Status
	for _, name := range []string{"osv/Go", "osv/Kubernetes", KindKEV, KindEPSS, KindEOL, KindK8sFeed} {
		if s := st.Source(name); s == nil || s.Records == 0 || !strings.HasPrefix(s.Origin, "http://127.0.0.1:") {
			t.Errorf("source %s: %+v", name, s)
		}
	}
	if s := st.Source(KindEOL); s == nil || s.Records != 3 || !s.Date.Equal(time.Date(2025, 8, 22, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("eol: %+v, want 3 products dated by Last-Modified", s)
	}

	// A source that cannot be fetched leaves the database as it was.
	before, _ := os.ReadFile(path)
	bad := append(remotes, Remote{Name: "osv/Nope", Kind: KindOSV, URL: m.OSV + "/Nope/all.zip"})
	_, err = Update(context.Background(), path, bad, UpdateOptions{ImportOptions: ImportOptions{Now: testNow}})
	if err == nil || !strings.Contains(err.Error(), "osv/Nope") {
		t.Errorf("update with a missing source: %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a failed update changed the database")
	}
	// A download over its limit is refused.
	_, err = Update(context.Background(), path, remotes[:1], UpdateOptions{ImportOptions: ImportOptions{Now: testNow}, MaxDownload: 1000})
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("update over the download limit: %v", err)
	}
	if _, err := Open(path); err != nil {
		t.Errorf("the database is no longer usable: %v", err)
	}
	if errors.Is(err, ErrNoDatabase) {
		t.Error("unexpected")
	}
}
