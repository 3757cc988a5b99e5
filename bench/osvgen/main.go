// Command osvgen writes a large made-up OSV archive in the layout the OSV
// project publishes (ECOSYSTEM/all.zip), to measure `dozor db import` at
// the size of the real distribution archives (Debian's holds tens of
// thousands of advisories): N advisories over P packages, each with an
// alias, a summary and a range in Debian's version syntax.
package main

import (
	"archive/zip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	n := flag.Int("advisories", 100000, "advisories")
	p := flag.Int("packages", 10000, "packages")
	out := flag.String("out", "Debian/all.zip", "archive to write")
	flag.Parse()
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		fail(err)
	}
	f, err := os.Create(*out)
	if err != nil {
		fail(err)
	}
	zw := zip.NewWriter(f)
	for i := range *n {
		id := fmt.Sprintf("DEBIAN-CVE-%d-%05d", 2000+i%26, i)
		rec := map[string]any{
			"id": id, "modified": "2026-08-01T00:00:00Z", "published": "2020-01-01T00:00:00Z",
			"aliases": []string{fmt.Sprintf("CVE-%d-%05d", 2000+i%26, i)},
			"summary": fmt.Sprintf("made-up advisory %d for benchmarking the import", i),
			"affected": []any{map[string]any{
				"package": map[string]string{"ecosystem": "Debian:12", "name": fmt.Sprintf("pkg%05d", i%*p)},
				"ranges": []any{map[string]any{"type": "ECOSYSTEM", "events": []any{
					map[string]string{"introduced": "0"}, map[string]string{"fixed": fmt.Sprintf("1:%d.%d-%d+deb12u%d", i%7, i%13, i%5, i%9+1)},
				}}},
				"ecosystem_specific": map[string]string{"urgency": "medium"},
			}},
			"references": []any{map[string]string{"type": "ADVISORY", "url": "https://security-tracker.debian.org/tracker/" + id}},
		}
		w, err := zw.Create(id + ".json")
		if err != nil {
			fail(err)
		}
		if err := json.NewEncoder(w).Encode(rec); err != nil {
			fail(err)
		}
	}
	if err := zw.Close(); err != nil {
		fail(err)
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "osvgen:", err)
	os.Exit(1)
}
