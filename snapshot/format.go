package snapshot

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/dozor-dev/dozor/finding"
)

// FormatVersion is the version of the snapshot format this package writes,
// and the newest it reads.
const FormatVersion = 1

// DefaultMaxRecordBytes bounds one record of a snapshot when reading: 32
// MiB. The API server stores objects of at most about 1.5 MiB, and a
// document in a file is at most 16 MiB.
const DefaultMaxRecordBytes = 32 << 20

// Record types: the value of "record" on each line.
const (
	recordHeader = "header"
	recordObject = "object"
	recordEnd    = "end"
)

// Source types.
const (
	SourceCluster = "cluster"
	SourceFiles   = "files"
)

// Header is the first record of a snapshot: what it is a picture of.
type Header struct {
	// Format is FormatVersion when written.
	Format int `json:"format"`
	// Tool is the Dozor version that wrote the snapshot.
	Tool string `json:"tool"`
	// Created is when reading began.
	Created time.Time `json:"created"`
	// Source says what was read.
	Source Source `json:"source"`
}

// Source is what a snapshot was taken of: a cluster, or files.
type Source struct {
	// Type is SourceCluster or SourceFiles.
	Type string `json:"type"`
	// Context, Server and ServerVersion name the cluster: the kubeconfig
	// context, the API server's URL and its version (v1.37.2).
	Context       string `json:"context,omitempty"`
	Server        string `json:"server,omitempty"`
	ServerVersion string `json:"serverVersion,omitempty"`
	// Namespaces and Kinds are the scope a cluster was read in; empty means
	// all.
	Namespaces []string `json:"namespaces,omitempty"`
	Kinds      []string `json:"kinds,omitempty"`
	// Roots are the paths files were read from, as given.
	Roots []string `json:"roots,omitempty"`
	// ReadSecrets is set when Secrets were read in full, their values
	// replaced by digests; else only their metadata is kept.
	ReadSecrets bool `json:"readSecrets,omitempty"`
}

// Record is one object of a snapshot.
type Record struct {
	// Resource is the resource a cluster object was listed from:
	// "deployments.apps", "pods".
	Resource string `json:"resource,omitempty"`
	// Source says where an object read from files came from.
	Source *Origin `json:"source,omitempty"`
	// Partial is "metadata" when only the object's metadata was read (a
	// Secret without --read-secrets).
	Partial string `json:"partial,omitempty"`
	// Object is the object, as JSON.
	Object json.RawMessage `json:"object"`
}

// PartialMetadata is Record.Partial for objects of which only the metadata
// was kept.
const PartialMetadata = "metadata"

// Origin is where an object read from files came from.
type Origin struct {
	// File and Line are where the object is written, as scan reports name
	// them: the file as found, or for a rendered object the file of the
	// kustomization resource or Helm template.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Chart and Template name a Helm chart and its template; Kustomization
	// names a kustomization.
	Chart         string `json:"chart,omitempty"`
	Template      string `json:"template,omitempty"`
	Kustomization string `json:"kustomization,omitempty"`
	// Unit is the chart or kustomization the object was rendered from,
	// relative to the root it was found under ("kustomize/overlays/prod"),
	// "" for plain files. Objects are told apart by it: the same
	// Deployment in two overlays is two objects.
	Unit string `json:"unit,omitempty"`
}

// End is the last record of a snapshot. A snapshot without it is truncated.
type End struct {
	// Objects counts the object records.
	Objects int `json:"objects"`
	// Gaps are the parts of a cluster that could not be read.
	Gaps []finding.Gap `json:"gaps,omitempty"`
	// Errors are the inputs (files, charts, kustomizations) that could not
	// be read, or not completely, each with where and why.
	Errors []string `json:"errors,omitempty"`
}

// Complete reports whether everything in scope was read.
func (e *End) Complete() bool { return len(e.Gaps) == 0 && len(e.Errors) == 0 }

// Writer writes a snapshot. Add may be called from several goroutines.
type Writer struct {
	mu   sync.Mutex
	zw   *gzip.Writer
	bw   *bufio.Writer
	n    int
	err  error
	buf  []byte
	done bool

	// Create's temporary file and its destination.
	file       *os.File
	tmp, final string
}

// NewWriter starts a snapshot on w with header h (its Format is set).
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	zw, err := gzip.NewWriterLevel(bw, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	sw := &Writer{zw: zw, bw: bw}
	h.Format = FormatVersion
	line, err := json.Marshal(struct {
		Record string `json:"record"`
		Header
	}{recordHeader, h})
	if err != nil {
		return nil, err
	}
	sw.write(append(line, '\n'))
	return sw, sw.err
}

// Create starts a snapshot that Commit moves to path when complete: it is
// written to a temporary file in the same directory, readable by its owner
// only, so that path holds either the previous file or the new one, whole.
func Create(path string, h Header) (*Writer, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	w, err := NewWriter(f, h)
	if err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, err
	}
	w.file, w.tmp, w.final = f, f.Name(), path
	return w, nil
}

func (w *Writer) write(b []byte) {
	if w.err == nil {
		_, w.err = w.zw.Write(b)
	}
}

// Add writes one object record.
func (w *Writer) Add(r *Record) error {
	if len(r.Object) == 0 || r.Object[0] != '{' {
		return errors.New("snapshot: a record's object must be a JSON object")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return errors.New("snapshot: Add after Close")
	}
	if w.err != nil {
		return w.err
	}
	b := append(w.buf[:0], `{"record":"object"`...)
	if r.Resource != "" {
		b = append(b, `,"resource":`...)
		b = appendJSON(b, r.Resource)
	}
	if r.Source != nil {
		b = append(b, `,"source":`...)
		b = appendJSON(b, r.Source)
	}
	if r.Partial != "" {
		b = append(b, `,"partial":`...)
		b = appendJSON(b, r.Partial)
	}
	b = append(b, `,"object":`...)
	b = append(b, r.Object...)
	b = append(b, "}\n"...)
	w.buf = b
	w.write(b)
	w.n++
	return w.err
}

func appendJSON(b []byte, v any) []byte {
	out, _ := json.Marshal(v) // strings and Origin: cannot fail
	return append(b, out...)
}

// Close writes the end record (its Objects is set to the records added)
// and flushes the stream. For a Writer of Create, it does not move the
// file into place: see Commit.
func (w *Writer) Close(end End) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return w.err
	}
	w.done = true
	end.Objects = w.n
	line, err := json.Marshal(struct {
		Record string `json:"record"`
		End
	}{recordEnd, end})
	if err != nil && w.err == nil {
		w.err = err
	}
	w.write(append(line, '\n'))
	if err := w.zw.Close(); err != nil && w.err == nil {
		w.err = err
	}
	if err := w.bw.Flush(); err != nil && w.err == nil {
		w.err = err
	}
	return w.err
}

// Objects returns the number of records added so far.
func (w *Writer) Objects() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// Commit closes a snapshot of Create with end, syncs it to disk and
// renames it to its path. On failure the temporary file is removed.
func (w *Writer) Commit(end End) error {
	if w.file == nil {
		return errors.New("snapshot: Commit of a Writer that Create did not make")
	}
	err := w.Close(end)
	if err == nil {
		err = w.file.Sync()
	}
	if cerr := w.file.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.tmp, w.final)
	}
	if err != nil {
		_ = os.Remove(w.tmp)
		return fmt.Errorf("writing the snapshot %s: %w", w.final, err)
	}
	w.file = nil
	return nil
}

// Abort drops a snapshot of Create: its temporary file is removed, and
// path is left as it was.
func (w *Writer) Abort() {
	if w.file == nil {
		return
	}
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
	_ = w.file.Close()
	_ = os.Remove(w.tmp)
	w.file = nil
}

// Reader reads a snapshot: Header first (read by NewReader), then Next
// until io.EOF, then End.
type Reader struct {
	// Header is the snapshot's header.
	Header Header

	name   string
	closer io.Closer
	zr     *gzip.Reader
	br     *bufio.Reader
	max    int
	line   int
	n      int
	end    *End
	buf    []byte
}

// ReadOptions bound reading.
type ReadOptions struct {
	// MaxRecordBytes bounds one record (default DefaultMaxRecordBytes).
	MaxRecordBytes int
}

// Open opens the snapshot at path and reads its header.
func Open(path string, opts *ReadOptions) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := newReader(f, path, opts)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads a snapshot's header from r; name is how errors name it.
func NewReader(r io.Reader, name string, opts *ReadOptions) (*Reader, error) {
	return newReader(r, name, opts)
}

func newReader(r io.Reader, name string, opts *ReadOptions) (*Reader, error) {
	max := DefaultMaxRecordBytes
	if opts != nil && opts.MaxRecordBytes > 0 {
		max = opts.MaxRecordBytes
	}
	sr := &Reader{name: name, max: max}
	zr, err := gzip.NewReader(r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, sr.errorf("empty file: not a Dozor snapshot")
		}
		return nil, sr.errorf("not a Dozor snapshot (not a gzip stream: %v)", err)
	}
	sr.zr = zr
	sr.br = bufio.NewReaderSize(zr, 64<<10)
	line, err := sr.readLine(min(max, 1<<20))
	if err == io.EOF {
		return nil, sr.errorf("not a Dozor snapshot (no header)")
	}
	if err != nil {
		return nil, err
	}
	var h struct {
		Record string `json:"record"`
		Header
	}
	if err := json.Unmarshal(line, &h); err != nil || h.Record != recordHeader {
		return nil, sr.errorf("not a Dozor snapshot (the first record is not a header)")
	}
	switch {
	case h.Format > FormatVersion:
		return nil, sr.errorf("snapshot format %d is newer than this Dozor reads (%d): use a newer Dozor", h.Format, FormatVersion)
	case h.Format < 1:
		return nil, sr.errorf("snapshot format %d is not a version Dozor wrote", h.Format)
	}
	sr.Header = h.Header
	return sr, nil
}

func (r *Reader) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: "+format, append([]any{r.name}, args...)...)
}

// readLine reads one line of at most max bytes, without its newline.
// io.EOF means the stream ended cleanly before a line began.
func (r *Reader) readLine(max int) ([]byte, error) {
	r.line++
	buf := r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(buf)+len(chunk) > max+1 {
			return nil, r.errorf("record %d is larger than %d bytes: the snapshot is corrupted, or holds an object larger than the limit", r.line, max)
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			r.buf = buf
			return buf[:len(buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(buf) == 0:
			return nil, io.EOF
		case errors.Is(err, io.EOF):
			return nil, r.errorf("truncated: record %d is cut off", r.line)
		}
		return nil, r.streamError(err)
	}
}

// streamError words an error of the compressed stream.
func (r *Reader) streamError(err error) error {
	var ce flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return r.errorf("truncated: the compressed stream ends early (an interrupted copy or write?)")
	case errors.Is(err, gzip.ErrChecksum):
		return r.errorf("corrupted: the compressed data does not match its checksum")
	case errors.As(err, &ce), errors.Is(err, gzip.ErrHeader):
		return r.errorf("corrupted: %v", err)
	}
	return r.errorf("%v", err)
}

// Next returns the next object record, or io.EOF after the last one, when
// End is set. The record is valid until the next call.
func (r *Reader) Next() (*Record, error) {
	if r.end != nil {
		return nil, io.EOF
	}
	line, err := r.readLine(r.max)
	if err == io.EOF {
		return nil, r.errorf("truncated: no end record after %d objects", r.n)
	}
	if err != nil {
		return nil, err
	}
	var rec struct {
		Type string `json:"record"`
		Record
		Objects *int          `json:"objects"`
		Gaps    []finding.Gap `json:"gaps"`
		Errors  []string      `json:"errors"`
	}
	if err := json.Unmarshal(line, &rec); err != nil {
		return nil, r.errorf("corrupted: record %d is not valid JSON: %v", r.line, err)
	}
	switch rec.Type {
	case recordObject:
		if len(rec.Object) == 0 || rec.Object[0] != '{' {
			return nil, r.errorf("corrupted: record %d has no object", r.line)
		}
		r.n++
		out := rec.Record
		return &out, nil
	case recordEnd:
		if rec.Objects == nil || *rec.Objects != r.n {
			return nil, r.errorf("corrupted: the end record counts %v objects, the snapshot holds %d", deref(rec.Objects), r.n)
		}
		// Nothing may follow the end record; reading to the end of the
		// stream also checks the gzip checksum.
		var one [1]byte
		n, err := io.ReadFull(r.br, one[:])
		switch {
		case n > 0:
			return nil, r.errorf("corrupted: data after the end record")
		case err != io.EOF:
			return nil, r.streamError(err)
		}
		r.end = &End{Objects: r.n, Gaps: rec.Gaps, Errors: rec.Errors}
		return nil, io.EOF
	}
	return nil, r.errorf("corrupted: record %d is of unknown type %q", r.line, rec.Type)
}

// lines hands each object line to each, from the calling goroutine, as a
// copy numbered by its line in the snapshot, without parsing it: for
// callers that parse lines in parallel (parseObjectLine). The last line
// must be the end record, and is checked as Next checks it.
func (r *Reader) lines(each func(line []byte, n int) error) (*End, error) {
	var prev []byte
	prevNo := 0
	for {
		line, err := r.readLine(r.max)
		if err == io.EOF {
			break // the stream ended whole: its checksum is checked
		}
		if err != nil {
			return nil, err
		}
		if prev != nil {
			if err := each(prev, prevNo); err != nil {
				return nil, err
			}
			r.n++
		}
		prev, prevNo = bytes.Clone(line), r.line
	}
	if prev == nil {
		return nil, r.errorf("truncated: no end record after %d objects", r.n)
	}
	var rec struct {
		Type    string        `json:"record"`
		Objects *int          `json:"objects"`
		Gaps    []finding.Gap `json:"gaps"`
		Errors  []string      `json:"errors"`
	}
	if err := json.Unmarshal(prev, &rec); err != nil {
		return nil, r.errorf("corrupted: record %d is not valid JSON: %v", prevNo, err)
	}
	switch {
	case rec.Type == recordObject:
		return nil, r.errorf("truncated: no end record after %d objects", r.n+1)
	case rec.Type != recordEnd:
		return nil, r.errorf("corrupted: record %d is of unknown type %q", prevNo, rec.Type)
	case rec.Objects == nil || *rec.Objects != r.n:
		return nil, r.errorf("corrupted: the end record counts %v objects, the snapshot holds %d", deref(rec.Objects), r.n)
	}
	r.end = &End{Objects: r.n, Gaps: rec.Gaps, Errors: rec.Errors}
	return r.end, nil
}

// parseObjectLine decodes an object line of a snapshot in one pass, the
// object into a map (numbers as json.Number). name and n word errors as
// Next does.
func parseObjectLine(line []byte, name string, n int) (*Record, map[string]any, error) {
	var ol struct {
		Type     string         `json:"record"`
		Resource string         `json:"resource"`
		Source   *Origin        `json:"source"`
		Partial  string         `json:"partial"`
		Object   map[string]any `json:"object"`
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&ol); err != nil {
		return nil, nil, fmt.Errorf("%s: corrupted: record %d is not valid JSON: %v", name, n, err)
	}
	switch {
	case ol.Type == recordEnd:
		return nil, nil, fmt.Errorf("%s: corrupted: data after the end record (record %d)", name, n)
	case ol.Type != recordObject:
		return nil, nil, fmt.Errorf("%s: corrupted: record %d is of unknown type %q", name, n, ol.Type)
	case ol.Object == nil:
		return nil, nil, fmt.Errorf("%s: corrupted: record %d has no object", name, n)
	}
	return &Record{Resource: ol.Resource, Source: ol.Source, Partial: ol.Partial}, ol.Object, nil
}

// parseObjectHead decodes what tells an object line apart, skipping the
// rest of the object: a third of the work of parseObjectLine.
func parseObjectHead(line []byte, name string, n int) (*Record, identity, error) {
	var ol struct {
		Type     string   `json:"record"`
		Resource string   `json:"resource"`
		Source   *Origin  `json:"source"`
		Partial  string   `json:"partial"`
		Object   identity `json:"object"`
	}
	if err := json.Unmarshal(line, &ol); err != nil {
		return nil, identity{}, fmt.Errorf("%s: corrupted: record %d is not valid JSON: %v", name, n, err)
	}
	if ol.Type != recordObject || ol.Object.Kind == "" {
		return nil, identity{}, fmt.Errorf("%s: corrupted: record %d is not an object", name, n)
	}
	return &Record{Resource: ol.Resource, Source: ol.Source, Partial: ol.Partial}, ol.Object, nil
}

func deref(p *int) any {
	if p == nil {
		return "no"
	}
	return *p
}

// End returns the end record once Next has returned io.EOF, else nil.
func (r *Reader) End() *End { return r.end }

// Close closes the file Open opened.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// ReadAll reads the rest of a snapshot, handing each record to each.
func (r *Reader) ReadAll(each func(*Record) error) (*End, error) {
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return r.end, nil
		}
		if err != nil {
			return nil, err
		}
		if err := each(rec); err != nil {
			return nil, err
		}
	}
}
