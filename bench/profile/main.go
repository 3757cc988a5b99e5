// Command profile runs a scan with every built-in check over the given
// paths in-process, prints how long each phase took, and writes a CPU
// profile and a heap profile taken at the peak of live memory, for `go tool
// pprof`. It is how the figures in docs/benchmarks.md were explained.
//
//	go run ./bench/profile -cpu /tmp/cpu.prof -heap /tmp/heap.prof bench/out/c50
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/dozor-dev/dozor/check/builtin"
	"github.com/dozor-dev/dozor/scan"
)

func main() {
	cpu := flag.String("cpu", "", "write a CPU profile to this file")
	heap := flag.String("heap", "", "write a heap profile at the peak of live memory (sampled every 300ms, which slows the scan)")
	allocs := flag.String("allocs", "", "write a profile of all allocations made by the scan")
	flag.Parse()
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
	}
	done := make(chan struct{})
	var best []byte
	var peak uint64
	if *heap != "" {
		go func() {
			for {
				select {
				case <-done:
					return
				case <-time.After(300 * time.Millisecond):
				}
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak {
					var b bytes.Buffer
					if err := pprof.WriteHeapProfile(&b); err != nil {
						log.Fatal(err)
					}
					best, peak = b.Bytes(), ms.HeapInuse
				}
			}
		}()
	}
	start := time.Now()
	res, err := scan.Run(context.Background(), scan.Options{Paths: flag.Args(), Checks: builtin.All(), Now: time.Now()})
	close(done)
	if *cpu != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		log.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	defer fmt.Printf("allocated %d MB in %d objects; %d GC cycles\n", ms.TotalAlloc>>20, ms.Mallocs, ms.NumGC)
	if *allocs != "" {
		f, err := os.Create(*allocs)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			log.Fatal(err)
		}
		f.Close()
	}
	ph := res.Stats.Phases
	fmt.Printf("%d objects, %d findings in %v: discover %v, decode and per-object checks %v, cross-object checks %v, finish %v\n",
		res.Stats.Objects, len(res.Findings), time.Since(start).Round(time.Millisecond), ph.Discover.Round(time.Millisecond),
		ph.Decode.Round(time.Millisecond), ph.CrossObject.Round(time.Millisecond), ph.Finish.Round(time.Millisecond))
	if *heap != "" {
		if err := os.WriteFile(*heap, best, 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("peak live heap %d MB\n", peak>>20)
	}
}
