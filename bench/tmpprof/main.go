package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/dozor-dev/dozor/check/builtin"
	"github.com/dozor-dev/dozor/scan"
)

func main() {
	start := time.Now()
	f, _ := os.Create("/tmp/pf/cpu.prof")
	pprof.StartCPUProfile(f)
	done := make(chan bool)
	var best []byte
	var bestInuse uint64
	go func() {
		if os.Getenv("HEAP") == "" {
			return
		}
		for {
			select {
			case <-done:
				return
			case <-time.After(300 * time.Millisecond):
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > bestInuse {
				var b bytes.Buffer
				pprof.WriteHeapProfile(&b)
				best, bestInuse = b.Bytes(), ms.HeapInuse
			}
		}
	}()
	res, err := scan.Run(context.Background(), scan.Options{Paths: os.Args[1:], Checks: builtin.All(), Now: time.Now()})
	close(done)
	pprof.StopCPUProfile()
	if err != nil {
		panic(err)
	}
	os.WriteFile("/tmp/pf/heap.prof", best, 0o644)
	fmt.Println(time.Since(start), len(res.Findings), res.Stats.Objects, "peak live MB", bestInuse>>20, fmt.Sprintf("%+v", res.Stats.Phases))
}
