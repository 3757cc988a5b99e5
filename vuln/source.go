package vuln

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Kinds of source.
const (
	KindOSV     = "osv"
	KindKEV     = "kev"
	KindEPSS    = "epss"
	KindEOL     = "eol"
	KindK8sFeed = "kubernetes-cve-feed"
	kindBundle  = "bundle"
	// kindOSVRecord is one OSV advisory in a file of its own.
	kindOSVRecord = "osv-record"
	kindOther     = ""
	maxProblems   = 20
	maxJSONBytes  = 256 << 20
)

// Limits bound what reading a source may cost, against hostile or broken
// files: a zip bomb, an archive of millions of entries, a record of a
// gigabyte.
type Limits struct {
	// ZipEntries is the most entries an OSV archive may have.
	ZipEntries int
	// EntryBytes is the largest one advisory may be, uncompressed.
	EntryBytes int64
	// TotalBytes is the most an archive may expand to.
	TotalBytes int64
	// Ratio is the highest compression ratio an entry over a mebibyte may
	// have; advisories are JSON text and compress about ten times.
	Ratio int64
}

// DefaultLimits hold OSV's largest published archives with room to spare.
var DefaultLimits = Limits{ZipEntries: 4_000_000, EntryBytes: 32 << 20, TotalBytes: 16 << 30, Ratio: 200}

// problems collects the first reasons records were skipped.
type problems struct {
	n    int
	msgs []string
}

func (p *problems) add(format string, args ...any) {
	p.n++
	if len(p.msgs) < maxProblems {
		p.msgs = append(p.msgs, fmt.Sprintf(format, args...))
	}
}

// readOSVZip reads an OSV archive: every *.json entry an advisory. Entries
// with unsafe names, over the limits or malformed are skipped and
// counted; an archive that is not a zip, or that breaks a total limit, is
// an error.
func readOSVZip(file string, lim Limits, add func(*Advisory) error) (st SourceStatus, err error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return st, fmt.Errorf("%s: not a readable zip archive: %w", file, err)
	}
	defer func() { _ = zr.Close() }()
	if len(zr.File) > lim.ZipEntries {
		return st, fmt.Errorf("%s: %d entries, more than the limit of %d", file, len(zr.File), lim.ZipEntries)
	}
	var p problems
	var total int64
	var newest time.Time
	for _, f := range zr.File {
		name := f.Name
		if !safeName(name) {
			p.add("%s: unsafe entry name %q skipped", filepath.Base(file), name)
			continue
		}
		if f.FileInfo().IsDir() || !strings.HasSuffix(name, ".json") {
			continue
		}
		if f.UncompressedSize64 > uint64(lim.EntryBytes) {
			p.add("%s: entry %s of %d bytes, over the limit of %d", filepath.Base(file), name, f.UncompressedSize64, lim.EntryBytes)
			continue
		}
		if f.UncompressedSize64 > 1<<20 && f.CompressedSize64 > 0 && f.UncompressedSize64/f.CompressedSize64 > uint64(lim.Ratio) {
			p.add("%s: entry %s compressed %d times: a zip bomb?", filepath.Base(file), name, f.UncompressedSize64/f.CompressedSize64)
			continue
		}
		data, err := readEntry(f, lim.EntryBytes)
		if err != nil {
			p.add("%s: entry %s: %v", filepath.Base(file), name, err)
			continue
		}
		total += int64(len(data))
		if total > lim.TotalBytes {
			return st, fmt.Errorf("%s: expands to more than %d bytes", file, lim.TotalBytes)
		}
		if m := f.Modified; m.After(newest) && m.Year() > 1980 {
			newest = m
		}
		if err := readOSVRecord(name, data, &p, &st, &newest, add); err != nil {
			return st, err
		}
	}
	st.Kind, st.Date, st.Skipped, st.Problems = KindOSV, newest.UTC(), p.n, p.msgs
	return st, nil
}

// readOSVRecord reads one advisory of a source: malformed, it is
// counted; with nothing to match, left out; else added.
func readOSVRecord(name string, data []byte, p *problems, st *SourceStatus, newest *time.Time, add func(*Advisory) error) error {
	a, bad, err := ParseOSV(data)
	if err != nil {
		p.add("%s: %v", name, err)
		return nil
	}
	if bad > 0 {
		p.add("%s: %d malformed range(s) or package(s) skipped", a.ID, bad)
	}
	if a.Modified.After(*newest) {
		*newest = a.Modified
	}
	if len(a.Affected) == 0 {
		return nil
	}
	if err := add(a); err != nil {
		return err
	}
	st.Records++
	return nil
}

// readOSVFiles reads OSV records kept as loose files (a checkout of an
// advisory repository: golang/vulndb's data/osv/*.json), as one source.
func readOSVFiles(files []string, lim Limits, add func(*Advisory) error) (st SourceStatus, err error) {
	var p problems
	var newest time.Time
	for _, f := range files {
		data, err := readAllLimited(f, lim.EntryBytes)
		if err != nil {
			p.add("%s: %v", filepath.Base(f), err)
			continue
		}
		if err := readOSVRecord(filepath.Base(f), data, &p, &st, &newest, add); err != nil {
			return st, err
		}
	}
	st.Kind, st.Date, st.Skipped, st.Problems = KindOSV, newest.UTC(), p.n, p.msgs
	return st, nil
}

// readEntry reads a zip entry, trusting not its declared size but what it
// really expands to.
func readEntry(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("expands past the limit of %d bytes", limit)
	}
	return data, nil
}

// safeName reports whether an archive entry name stays inside the
// archive: relative, without "..", without a drive letter or backslashes.
// (Colons are fine elsewhere: Red Hat's advisories are RHSA-2023:5249.json.)
func safeName(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || driveLetter.MatchString(name) {
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return false
		}
	}
	return path.Clean(name) != ".."
}

// kevCatalogue is CISA's KEV JSON schema, the parts Dozor keeps.
type kevCatalogue struct {
	CatalogVersion  string `json:"catalogVersion"`
	DateReleased    string `json:"dateReleased"`
	Vulnerabilities []struct {
		CVE        string `json:"cveID"`
		Name       string `json:"vulnerabilityName"`
		DateAdded  string `json:"dateAdded"`
		DueDate    string `json:"dueDate"`
		Ransomware string `json:"knownRansomwareCampaignUse"`
	} `json:"vulnerabilities"`
}

var driveLetter = regexp.MustCompile(`^[A-Za-z]:`)

var cveID = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

func parseKEV(data []byte) (map[string]KEV, SourceStatus, error) {
	var c kevCatalogue
	var st SourceStatus
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, st, err
	}
	var p problems
	out := make(map[string]KEV, len(c.Vulnerabilities))
	for _, v := range c.Vulnerabilities {
		if !cveID.MatchString(v.CVE) {
			p.add("entry with cveID %q skipped", v.CVE)
			continue
		}
		out[v.CVE] = KEV{DateAdded: v.DateAdded, DueDate: v.DueDate, Name: v.Name, Ransomware: v.Ransomware}
	}
	st.Kind, st.Records, st.Skipped, st.Problems = KindKEV, len(out), p.n, p.msgs
	st.Date = parseDate(c.DateReleased)
	return out, st, nil
}

// parseEPSS reads FIRST's EPSS CSV: a "#model_version:...,score_date:..."
// comment, the header "cve,epss,percentile", then a row per CVE.
func parseEPSS(r io.Reader, maxRows int) (map[string]EPSS, SourceStatus, error) {
	var st SourceStatus
	br := bufio.NewReaderSize(r, 64<<10)
	out := map[string]EPSS{}
	var p problems
	if first, err := br.Peek(1); err == nil && first[0] == '#' {
		line, _ := br.ReadString('\n')
		for _, kv := range strings.Split(strings.TrimSpace(line[1:]), ",") {
			if k, v, ok := strings.Cut(kv, ":"); ok && k == "score_date" {
				st.Date = parseDate(v)
			}
		}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, st, fmt.Errorf("no header: %w", err)
	}
	if len(header) < 3 || header[0] != "cve" || header[1] != "epss" || header[2] != "percentile" {
		return nil, st, fmt.Errorf("header %q is not cve,epss,percentile", strings.Join(header, ","))
	}
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				p.add("line %d: %v", pe.Line, pe.Err)
				continue
			}
			return nil, st, err
		}
		if len(out) >= maxRows {
			return nil, st, fmt.Errorf("more than %d rows", maxRows)
		}
		if len(rec) < 3 || !cveID.MatchString(rec[0]) {
			p.add("row %d skipped: not cve,epss,percentile", row)
			continue
		}
		s, err1 := strconv.ParseFloat(rec[1], 64)
		pc, err2 := strconv.ParseFloat(rec[2], 64)
		if err1 != nil || err2 != nil || s < 0 || s > 1 || pc < 0 || pc > 1 {
			p.add("row %d (%s) skipped: scores are not between 0 and 1", row, rec[0])
			continue
		}
		out[strings.Clone(rec[0])] = EPSS{Score: s, Percentile: pc}
	}
	st.Kind, st.Records, st.Skipped, st.Problems = KindEPSS, len(out), p.n, p.msgs
	return out, st, nil
}

// eolFile reads end-of-life data in any of endoflife.date's forms: a
// product page's Markdown with YAML front matter (its repository), the
// API's JSON for one product (/api/PRODUCT.json, or v1's
// /api/v1/products/PRODUCT), or one JSON object of products keyed by name.
func parseEOL(name string, data []byte) (map[string][]Release, error) {
	product := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(name), ".md"), ".json")
	if bytes.HasPrefix(data, []byte("---")) {
		front, ok := frontMatter(data)
		if !ok {
			return nil, fmt.Errorf("front matter not closed by ---")
		}
		var page struct {
			Releases []map[string]any `json:"releases"`
		}
		if err := yaml.Unmarshal(front, &page); err != nil {
			return nil, err
		}
		rs, err := releases(page.Releases)
		if err != nil {
			return nil, err
		}
		return map[string][]Release{product: rs}, nil
	}
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("[")) {
		var list []map[string]any
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, err
		}
		rs, err := releases(list)
		if err != nil {
			return nil, err
		}
		return map[string][]Release{product: rs}, nil
	}
	var v1 struct {
		Result *struct {
			Name     string           `json:"name"`
			Releases []map[string]any `json:"releases"`
		} `json:"result"`
	}
	if err := json.Unmarshal(trimmed, &v1); err == nil && v1.Result != nil {
		rs, err := releases(v1.Result.Releases)
		if err != nil {
			return nil, err
		}
		if v1.Result.Name != "" {
			product = v1.Result.Name
		}
		return map[string][]Release{product: rs}, nil
	}
	var byProduct map[string][]map[string]any
	if err := json.Unmarshal(trimmed, &byProduct); err != nil {
		return nil, err
	}
	out := map[string][]Release{}
	for p, list := range byProduct {
		rs, err := releases(list)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out[p] = rs
	}
	return out, nil
}

func frontMatter(data []byte) ([]byte, bool) {
	rest := data[3:]
	i := bytes.Index(rest, []byte("\n---"))
	if i < 0 {
		return nil, false
	}
	return rest[:i], true
}

// releases reads release cycles whatever the field names of the form:
// releaseCycle/cycle/name, eoas/support/eoasFrom, eol/eolFrom/isEol.
func releases(list []map[string]any) ([]Release, error) {
	out := make([]Release, 0, len(list))
	for i, m := range list {
		r := Release{
			Cycle:       firstString(m, "releaseCycle", "cycle", "name"),
			ReleaseDate: firstString(m, "releaseDate"),
			EOAS:        firstString(m, "eoas", "support", "eoasFrom", "isEoas"),
			EOL:         firstString(m, "eol", "eolFrom", "isEol"),
			EOES:        firstString(m, "eoes", "extendedSupport", "eoesFrom", "isEoes"),
			Latest:      firstString(m, "latest"),
		}
		if lts, ok := m["lts"].(bool); ok {
			r.LTS = lts
		} else if lts, ok := m["isLts"].(bool); ok {
			r.LTS = lts
		}
		if r.Cycle == "" {
			return nil, fmt.Errorf("release %d has no cycle", i)
		}
		out = append(out, r)
	}
	return out, nil
}

// firstString returns the first of keys m has, as a string: dates as
// "2006-01-02", booleans as "true"/"false", a v1 "latest" object by name.
func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		switch v := m[k].(type) {
		case string:
			if v != "" {
				if t := parseDate(v); !t.IsZero() {
					return t.Format(time.DateOnly)
				}
				return v
			}
		case bool:
			return strconv.FormatBool(v)
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		case map[string]any:
			if s, ok := v["name"].(string); ok {
				return s
			}
		}
	}
	return ""
}

// jsonFeed is the Kubernetes project's official CVE feed, in JSON Feed
// 1.1 (https://kubernetes.io/docs/reference/issues-security/official-cve-feed/).
type jsonFeed struct {
	Version string `json:"version"`
	Meta    struct {
		UpdatedAt string `json:"updated_at"`
		Refreshed string `json:"feed_refreshed_at"`
	} `json:"_kubernetes_io"`
	Items []struct {
		ID            string `json:"id"`
		URL           string `json:"url"`
		ExternalURL   string `json:"external_url"`
		Summary       string `json:"summary"`
		Title         string `json:"title"`
		DatePublished string `json:"date_published"`
	} `json:"items"`
}

var cveIn = regexp.MustCompile(`CVE-\d{4}-\d{4,}`)

func parseK8sFeed(data []byte) (map[string]FeedItem, SourceStatus, error) {
	var f jsonFeed
	var st SourceStatus
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, st, err
	}
	var p problems
	out := map[string]FeedItem{}
	var newest time.Time
	for i, it := range f.Items {
		cve := cveIn.FindString(it.ID)
		if cve == "" {
			cve = cveIn.FindString(it.ExternalURL)
		}
		if cve == "" {
			p.add("item %d (%q) names no CVE", i, it.ID)
			continue
		}
		sum := it.Summary
		if sum == "" {
			sum = it.Title
		}
		url := it.URL
		if url == "" {
			url = it.ExternalURL
		}
		out[cve] = FeedItem{Summary: truncate(sum, maxSummary), URL: url, Published: it.DatePublished}
		if t := parseDate(it.DatePublished); t.After(newest) {
			newest = t
		}
	}
	st.Kind, st.Records, st.Skipped, st.Problems = KindK8sFeed, len(out), p.n, p.msgs
	st.Date = parseDate(f.Meta.UpdatedAt)
	if st.Date.IsZero() {
		st.Date = parseDate(f.Meta.Refreshed)
	}
	if st.Date.IsZero() {
		st.Date = newest
	}
	return out, st, nil
}

// parseDate reads the date forms the sources use; zero if none fits.
func parseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999Z", "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// sniff tells a file's kind from its name and first bytes.
func sniff(name string, head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return KindOSV
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		if strings.Contains(filepath.Base(name), "epss") || strings.HasSuffix(name, ".csv.gz") {
			return KindEPSS
		}
		return kindBundle
	case bytes.HasPrefix(head, []byte("#model_version")) || bytes.HasPrefix(head, []byte("cve,epss")):
		return KindEPSS
	case bytes.HasPrefix(head, []byte("---")):
		if strings.HasSuffix(name, ".md") && bytes.Contains(head, []byte("releaseCycle:")) {
			return KindEOL
		}
		return kindOther
	}
	h := string(head)
	switch {
	case strings.HasSuffix(name, ".json") && strings.Contains(h, `"affected"`) && strings.Contains(h, `"id"`) && !strings.Contains(h, `"catalogVersion"`):
		return kindOSVRecord
	case strings.Contains(h, `"catalogVersion"`) || strings.Contains(h, "Known Exploited Vulnerabilities"):
		return KindKEV
	case strings.Contains(h, "jsonfeed.org") || strings.Contains(h, `"_kubernetes_io"`):
		return KindK8sFeed
	case strings.Contains(h, `"releaseCycle"`) || strings.Contains(h, `"cycle"`) || strings.Contains(h, `"eolFrom"`):
		return KindEOL
	}
	return kindOther
}

// readAllLimited reads a whole file, refusing one over limit bytes.
func readAllLimited(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", file, limit)
	}
	return data, nil
}

// gunzipLimited wraps r in a gzip reader that stops at limit bytes.
func gunzipLimited(r io.Reader, limit int64) (io.Reader, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	return &limitedReader{r: zr, left: limit}, nil
}

type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		if n, err := l.r.Read(one[:]); n == 0 {
			return 0, err
		}
		return 0, errors.New("expands past its size limit (a decompression bomb?)")
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}
