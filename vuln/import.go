package vuln

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Input is a file or directory to import.
type Input struct {
	Path string
	// Kind is the source's format; empty to tell it from the file.
	Kind string
	// Origin is where the file came from (a URL); empty means Path.
	Origin string
	// Date is when the file was published (its Last-Modified), used for
	// data that states no date of its own; zero means the file's mtime.
	Date time.Time
}

// ImportOptions tune Import.
type ImportOptions struct {
	// Now is the build time written into the database.
	Now    time.Time
	Limits Limits
	// Partial commits the database even when some inputs failed; without
	// it a failure leaves the previous database in place.
	Partial bool
	// Log, if set, is told of each source as it is read.
	Log func(format string, args ...any)
}

// ImportResult says what an import did.
type ImportResult struct {
	// Status is the new database's, nil when nothing was committed.
	Status *Status
	// Failed are the inputs that could not be read, each naming its file.
	Failed []error
	// Ignored are files that are no source Dozor knows.
	Ignored []string
}

// maxEPSSRows bounds the EPSS file (about 300,000 CVEs today).
const maxEPSSRows = 5_000_000

// Import builds the database at dbPath from source files: OSV archives,
// the KEV catalogue, EPSS scores, end-of-life data and the Kubernetes CVE
// feed, found by walking directories and told apart by content. A bundle
// written by Export is installed as it is. The previous database stays
// usable until the new one is complete, and stays in place if an input
// fails (unless Partial).
func Import(ctx context.Context, dbPath string, inputs []Input, opts ImportOptions) (*ImportResult, error) {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	logf := opts.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	files, res, err := expand(inputs)
	if err != nil {
		return nil, err
	}
	if len(files) == 1 && files[0].Kind == kindBundle {
		st, err := ImportBundle(files[0].Path, dbPath, opts.Limits)
		if err != nil {
			return nil, err
		}
		res.Status = st
		return res, nil
	}
	for _, f := range files {
		if f.Kind == kindBundle {
			return nil, fmt.Errorf("%s is a database bundle: import it on its own", f.Path)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no vulnerability data found in %s", describeInputs(inputs))
	}
	b, err := NewBuilder(dbPath)
	if err != nil {
		return nil, err
	}
	eol := map[string][]Release{}
	var eolStatus *SourceStatus
	// Loose OSV records make one source per directory, read where the
	// directory's first record comes.
	loose := map[string][]string{}
	for _, f := range files {
		if f.Kind == kindOSVRecord {
			loose[filepath.Dir(f.Path)] = append(loose[filepath.Dir(f.Path)], f.Path)
		}
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			b.Abort()
			return nil, err
		}
		origin := cmp.Or(f.Origin, f.Path)
		date := f.Date
		if date.IsZero() {
			if fi, err := os.Stat(f.Path); err == nil {
				date = fi.ModTime().UTC()
			}
		}
		fail := func(err error) { res.Failed = append(res.Failed, fmt.Errorf("%s: %w", origin, err)) }
		switch f.Kind {
		case kindOSVRecord:
			dir := filepath.Dir(f.Path)
			records, first := loose[dir]
			if !first {
				continue
			}
			delete(loose, dir)
			st, err := readOSVFiles(records, opts.Limits, b.AddAdvisory)
			if err != nil {
				fail(err)
				continue
			}
			st.Name, st.Origin = "osv/"+filepath.Base(dir), cmp.Or(f.Origin, dir)
			if st.Date.IsZero() {
				st.Date = date
			}
			b.AddSource(st)
			logf("%s: %d advisories (%d skipped) from %d files", st.Name, st.Records, st.Skipped, len(records))
		case KindOSV:
			st, err := readOSVZip(f.Path, opts.Limits, b.AddAdvisory)
			if err != nil {
				fail(err)
				continue
			}
			st.Name, st.Origin = "osv/"+osvEcosystem(f.Path), origin
			if st.Date.IsZero() {
				st.Date = date
			}
			b.AddSource(st)
			logf("%s: %d advisories (%d skipped)", st.Name, st.Records, st.Skipped)
		case KindKEV:
			data, err := readAllLimited(f.Path, maxJSONBytes)
			if err != nil {
				fail(err)
				continue
			}
			m, st, err := parseKEV(data)
			if err == nil {
				err = b.AddKEV(m)
			}
			if err != nil {
				fail(err)
				continue
			}
			st.Name, st.Origin = KindKEV, origin
			if st.Date.IsZero() {
				st.Date = date
			}
			b.AddSource(st)
			logf("kev: %d CVEs", st.Records)
		case KindEPSS:
			st, err := importEPSS(b, f.Path)
			if err != nil {
				fail(err)
				continue
			}
			st.Name, st.Origin = KindEPSS, origin
			if st.Date.IsZero() {
				st.Date = date
			}
			b.AddSource(st)
			logf("epss: %d CVEs", st.Records)
		case KindK8sFeed:
			data, err := readAllLimited(f.Path, maxJSONBytes)
			if err != nil {
				fail(err)
				continue
			}
			m, st, err := parseK8sFeed(data)
			if err == nil {
				err = b.AddFeed(m)
			}
			if err != nil {
				fail(err)
				continue
			}
			st.Name, st.Origin = KindK8sFeed, origin
			if st.Date.IsZero() {
				st.Date = date
			}
			b.AddSource(st)
			logf("%s: %d CVEs", st.Name, st.Records)
		case KindEOL:
			data, err := readAllLimited(f.Path, maxJSONBytes)
			if err != nil {
				fail(err)
				continue
			}
			m, err := parseEOL(f.Path, data)
			if err != nil {
				fail(err)
				continue
			}
			maps.Copy(eol, m)
			if eolStatus == nil {
				eolStatus = &SourceStatus{Name: KindEOL, Kind: KindEOL, Origin: origin, Date: date}
			} else {
				eolStatus.Origin = commonOrigin(eolStatus.Origin, origin)
				if date.After(eolStatus.Date) {
					eolStatus.Date = date
				}
			}
		}
	}
	if eolStatus != nil {
		if err := b.AddEOL(eol); err != nil {
			b.Abort()
			return nil, err
		}
		eolStatus.Records = len(eol)
		b.AddSource(*eolStatus)
		logf("eol: %d products", len(eol))
	}
	if len(res.Failed) > 0 && !opts.Partial {
		b.Abort()
		return res, fmt.Errorf("%d input(s) could not be read; the previous database is unchanged: %w", len(res.Failed), errors.Join(res.Failed...))
	}
	if len(b.status.Sources) == 0 {
		b.Abort()
		return res, fmt.Errorf("no source could be read from %s", describeInputs(inputs))
	}
	st, err := b.Commit(opts.Now)
	if err != nil {
		return res, err
	}
	res.Status = st
	return res, nil
}

func importEPSS(b *Builder, file string) (SourceStatus, error) {
	f, err := os.Open(file)
	if err != nil {
		return SourceStatus{}, err
	}
	defer func() { _ = f.Close() }()
	var r io.Reader = f
	var magic [2]byte
	if n, _ := io.ReadFull(f, magic[:]); n == 2 && magic == [2]byte{0x1f, 0x8b} {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return SourceStatus{}, err
		}
		if r, err = gunzipLimited(f, 1<<30); err != nil {
			return SourceStatus{}, err
		}
	} else if _, err := f.Seek(0, io.SeekStart); err != nil {
		return SourceStatus{}, err
	}
	m, st, err := parseEPSS(r, maxEPSSRows)
	if err != nil {
		return st, err
	}
	return st, b.AddEPSS(m)
}

// osvEcosystem names an OSV archive's ecosystem from its path: OSV
// publishes ECOSYSTEM/all.zip; a file may also be named ECOSYSTEM.zip.
func osvEcosystem(file string) string {
	base := filepath.Base(file)
	if base == "all.zip" {
		return filepath.Base(filepath.Dir(file))
	}
	return strings.TrimSuffix(base, ".zip")
}

// commonOrigin is the longest common directory of two origins.
func commonOrigin(a, b string) string {
	for a != "" && !strings.HasPrefix(b, a) {
		i := strings.LastIndexAny(strings.TrimRight(a, "/"), "/")
		if i < 0 {
			return ""
		}
		a = a[:i+1]
	}
	return a
}

func describeInputs(in []Input) string {
	var names []string
	for _, i := range in {
		names = append(names, cmp.Or(i.Origin, i.Path))
	}
	return strings.Join(names, ", ")
}

// expand walks directories into files with their kinds, in path order.
// Files no source knows are listed as ignored.
func expand(inputs []Input) ([]Input, *ImportResult, error) {
	res := &ImportResult{}
	var out []Input
	for _, in := range inputs {
		fi, err := os.Stat(in.Path)
		if err != nil {
			return nil, nil, err
		}
		if !fi.IsDir() {
			if !fi.Mode().IsRegular() {
				return nil, nil, fmt.Errorf("%s: not a regular file", in.Path)
			}
			k := in.Kind
			if k == "" {
				if k, err = sniffFile(in.Path); err != nil {
					return nil, nil, err
				}
			}
			if k == kindOther {
				return nil, nil, fmt.Errorf("%s: not a vulnerability source Dozor knows (OSV zip, KEV JSON, EPSS CSV, endoflife.date data, Kubernetes CVE feed, or a bundle)", in.Path)
			}
			in.Kind = k
			out = append(out, in)
			continue
		}
		var found []Input
		err = filepath.WalkDir(in.Path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && p != in.Path {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			k, err := sniffFile(p)
			if err != nil {
				return err
			}
			if k == kindOther {
				res.Ignored = append(res.Ignored, p)
				return nil
			}
			found = append(found, Input{Path: p, Kind: k, Date: in.Date})
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		// endoflife.date's per-product pages and a combined JSON of the
		// same products: the pages are the source, read last so they win.
		slices.SortStableFunc(found, func(a, b Input) int {
			return cmp.Compare(filepath.Ext(a.Path), filepath.Ext(b.Path))
		})
		out = append(out, found...)
	}
	return out, res, nil
}

func sniffFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	head := make([]byte, 64<<10)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	return sniff(p, head[:n]), nil
}
