package snapshot

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzSnapshot feeds arbitrary content, gzipped as a snapshot is (so that
// the fuzzer reaches the records, not the gzip checksum), to the reader
// and to the comparison of the snapshot with itself: an error or a result,
// never a panic or a hang; a snapshot that reads compares equal to itself.
func FuzzSnapshot(f *testing.F) {
	f.Add([]byte(headerLine + "\n" + objectLine + "\n" + `{"record":"end","objects":1}` + "\n"))
	f.Add([]byte(headerLine + "\n" + `{"record":"end","objects":0}` + "\n"))
	f.Add([]byte(headerLine + "\n" + objectLine + "\n" +
		`{"record":"object","resource":"deployments.apps","object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","uid":"1"},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"x","env":[{"name":"A","value":"1"}]}]}}}}}` + "\n" +
		`{"record":"end","objects":2,"gaps":[{"resource":"secrets","kind":"not-visible","reason":"forbidden"}]}` + "\n"))
	f.Add([]byte(`{"record":"header","format":1}` + "\n" + `{"record":"object","object":{"kind":"List","items":[1,{"a":null}]}}` + "\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		var z bytes.Buffer
		gz := gzip.NewWriter(&z)
		_, _ = gz.Write(content)
		_ = gz.Close()
		path := filepath.Join(t.TempDir(), "s.jsonl.gz")
		if err := os.WriteFile(path, z.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		opts := &ReadOptions{MaxRecordBytes: 1 << 20}
		in, err := Snapshot(path, opts)
		if err != nil {
			return
		}
		if _, err := in.Read(context.Background(), func(*Record) error { return nil }); err != nil {
			return
		}
		d, err := Compare(context.Background(), in, in, nil)
		if err != nil {
			return
		}
		if n := len(d.Objects); n != 0 {
			t.Fatalf("a snapshot differs from itself in %d objects", n)
		}
	})
}
