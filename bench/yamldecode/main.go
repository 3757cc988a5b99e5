// Command yamldecode is the floor under any YAML-reading scanner: it reads
// every .yaml file below a directory and decodes each document into a Go
// value with yaml.v3, on every core, and does nothing else. The benchmark
// compares Dozor's time with this.
package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: yamldecode DIR")
	}
	start := time.Now()
	var files []string
	err := filepath.WalkDir(os.Args[1], func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	ch := make(chan string)
	var mu sync.Mutex
	docs := 0
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			n := 0
			for f := range ch {
				data, err := os.ReadFile(f)
				if err != nil {
					log.Fatal(err)
				}
				dec := yaml.NewDecoder(bytes.NewReader(data))
				for {
					var v any
					if err := dec.Decode(&v); err != nil {
						break // io.EOF, or a bad document, which ends the file as in most tools
					}
					n++
				}
			}
			mu.Lock()
			docs += n
			mu.Unlock()
		})
	}
	for _, f := range files {
		ch <- f
	}
	close(ch)
	wg.Wait()
	fmt.Printf("%d files, %d documents decoded in %.2fs\n", len(files), docs, time.Since(start).Seconds())
}
