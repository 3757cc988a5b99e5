package snapshot

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dozor-dev/dozor/finding"
)

var testHeader = Header{Tool: "v0.0.0-test", Created: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC),
	Source: Source{Type: SourceCluster, Context: "admin", Server: "https://127.0.0.1:6443", ServerVersion: "v1.37.2", Namespaces: []string{"shop"}}}

// writeSnapshot writes a snapshot of objects (JSON) with Create and Commit,
// and returns its path.
func writeSnapshot(t *testing.T, dir, name string, h Header, end End, objects ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	w, err := Create(path, h)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objects {
		rec := &Record{Resource: "things", Object: json.RawMessage(compact(t, o))}
		if strings.Contains(o, `"kind":"Secret"`) && !strings.Contains(o, `"data"`) {
			rec.Partial = PartialMetadata
		}
		if err := w.Add(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(end); err != nil {
		t.Fatal(err)
	}
	return path
}

func compact(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return b.Bytes()
}

func readSnapshot(path string, opts *ReadOptions) (*Header, []*Record, *End, error) {
	r, err := Open(path, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	defer r.Close()
	var recs []*Record
	end, err := r.ReadAll(func(rec *Record) error { recs = append(recs, rec); return nil })
	return &r.Header, recs, end, err
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	objects := []string{
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"shop"},"data":{"k":"v\nw"}}`,
		`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},"spec":{"replicas":12345678901234567890}}`,
		`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"shop"}}`,
	}
	gaps := []finding.Gap{{Resource: "secrets", Kind: finding.GapNotVisible, Reason: "forbidden"}}
	path := writeSnapshot(t, dir, "s.jsonl.gz", testHeader, End{Gaps: gaps, Objects: 99}, objects...)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600: snapshots hold what the cluster holds", st.Mode().Perm())
	}
	h, recs, end, err := readSnapshot(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := testHeader
	want.Format = FormatVersion
	if diff := cmp.Diff(&want, h); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if len(recs) != len(objects) {
		t.Fatalf("%d records, want %d", len(recs), len(objects))
	}
	for i, r := range recs {
		if string(r.Object) != string(compact(t, objects[i])) || r.Resource != "things" {
			t.Errorf("record %d = %s %s", i, r.Resource, r.Object)
		}
	}
	if recs[2].Partial != PartialMetadata {
		t.Errorf("partial = %q", recs[2].Partial)
	}
	if diff := cmp.Diff(&End{Objects: 3, Gaps: gaps}, end); diff != "" {
		t.Errorf("end (-want +got):\n%s", diff)
	}
	// Nothing else is left in the directory.
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want the snapshot only", len(entries))
	}
}

// gzipLines compresses lines, one per line, as a snapshot would hold them.
func gzipLines(t *testing.T, lines ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	for _, l := range lines {
		if _, err := io.WriteString(zw, l+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const (
	headerLine = `{"record":"header","format":1,"tool":"x","created":"2026-11-01T12:00:00Z","source":{"type":"cluster"}}`
	objectLine = `{"record":"object","resource":"configmaps","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}}`
)

// TestCorruption: each kind of damage is refused with an error that says
// what is wrong, never a panic or a partial read passed off as whole.
func TestCorruption(t *testing.T) {
	dir := t.TempDir()
	good := writeSnapshot(t, dir, "good.jsonl.gz", testHeader, End{},
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"shop"},"data":{"k":"`+strings.Repeat("value ", 20000)+`"}}`,
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","namespace":"shop"},"data":{"k":"v"}}`)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		opts *ReadOptions
		want string
	}{
		{"empty", nil, nil, "empty file"},
		{"not gzip", []byte("apiVersion: v1\nkind: ConfigMap\n"), nil, "not a Dozor snapshot (not a gzip stream"},
		{"gzip of something else", gzipLines(t, "hello"), nil, "not a Dozor snapshot"},
		{"no header", gzipLines(t, objectLine), nil, "the first record is not a header"},
		{"newer format", gzipLines(t, strings.Replace(headerLine, `"format":1`, `"format":2`, 1), `{"record":"end","objects":0}`), nil, "snapshot format 2 is newer than this Dozor reads (1)"},
		{"no format", gzipLines(t, strings.Replace(headerLine, `"format":1,`, ``, 1)), nil, "snapshot format 0 is not a version"},
		{"truncated gzip, early", data[:len(data)/3], nil, "truncated"},
		{"truncated gzip, at the end", data[:len(data)-4], nil, "truncated"},
		{"truncated gzip, one byte short", data[:len(data)-1], nil, "truncated"},
		{"flipped byte", flip(data, len(data)/2), nil, "corrupted"},
		{"checksum", flip(data, len(data)-6), nil, "corrupted"},
		{"no end record", gzipLines(t, headerLine, objectLine), nil, "truncated: no end record after 1 objects"},
		{"cut-off record", gzipLines(t, headerLine, objectLine[:40]+"\n"+objectLine[:30]), nil, "corrupted: record 2 is not valid JSON"},
		{"last line without newline", append(gzipLines(t, headerLine), gzipNoNewline(t, objectLine[:30])...), nil, "truncated: record 2 is cut off"},
		{"wrong count", gzipLines(t, headerLine, objectLine, `{"record":"end","objects":2}`), nil, "the end record counts 2 objects, the snapshot holds 1"},
		{"data after the end", gzipLines(t, headerLine, `{"record":"end","objects":0}`, objectLine), nil, "data after the end record"},
		{"unknown record", gzipLines(t, headerLine, `{"record":"other"}`), nil, `unknown type "other"`},
		{"object not an object", gzipLines(t, headerLine, `{"record":"object","object":[1]}`), nil, "has no object"},
		{"oversized record", data, &ReadOptions{MaxRecordBytes: 64 << 10}, "record 2 is larger than 65536 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.jsonl.gz")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, _, err := readSnapshot(path, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), path+": ") {
				t.Errorf("the error does not name the file: %v", err)
			}
		})
	}
	// The intact file reads.
	if _, _, _, err := readSnapshot(good, &ReadOptions{MaxRecordBytes: 1 << 20}); err != nil {
		t.Errorf("the intact snapshot: %v", err)
	}
}

func flip(data []byte, i int) []byte {
	out := bytes.Clone(data)
	out[i] ^= 0x55
	return out
}

func gzipNoNewline(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = io.WriteString(zw, s)
	_ = zw.Close()
	return b.Bytes()
}

// TestAtomicWrite: an aborted snapshot leaves the previous file whole and
// no temporary file behind.
func TestAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	path := writeSnapshot(t, dir, "s.jsonl.gz", testHeader, End{}, objectJSON("a"))
	before, _ := os.ReadFile(path)
	w, err := Create(path, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(&Record{Object: json.RawMessage(objectJSON("b"))}); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("an aborted snapshot changed the file")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries left in the directory, want 1", len(entries))
	}
	if err := w.Add(&Record{Object: json.RawMessage(objectJSON("c"))}); err == nil {
		t.Error("Add after Abort succeeded")
	}
	if _, err := Create(filepath.Join(dir, "no", "such", "dir", "s.jsonl.gz"), testHeader); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
}

func objectJSON(name string) string {
	return `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"` + name + `","namespace":"shop"}}`
}

// TestSnapshotInput: a snapshot file read as an Input, twice.
func TestSnapshotInput(t *testing.T) {
	path := writeSnapshot(t, t.TempDir(), "s.jsonl.gz", testHeader, End{}, objectJSON("a"), objectJSON("b"))
	in, err := Snapshot(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.Header.Source.Context != "admin" || !in.Rereadable {
		t.Errorf("input = %+v", in)
	}
	for range 2 {
		n := 0
		end, err := in.Read(context.Background(), func(*Record) error { n++; return nil })
		if err != nil || n != 2 || end.Objects != 2 {
			t.Errorf("read %d objects, end %+v, err %v", n, end, err)
		}
	}
	stop := errors.New("stop")
	if _, err := in.Read(context.Background(), func(*Record) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("an error of emit: %v", err)
	}
}
