package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"time"
)

// startProfiles starts the profiles developers ask for through the
// environment (not flags: they are not for users): DOZOR_CPUPROFILE=FILE
// writes a CPU profile, DOZOR_MEMPROFILE=FILE a heap profile taken when
// the command ends and, whenever the live heap reached a new high (checked
// every 100 ms), the heap as of then: what the peak was made of. The
// returned function stops them.
func startProfiles() func() {
	var stops []func()
	if path := os.Getenv("DOZOR_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "dozor: DOZOR_CPUPROFILE:", err)
		} else {
			stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	if path := os.Getenv("DOZOR_MEMPROFILE"); path != "" {
		done := make(chan struct{})
		go peakProfiles(path+".peak", done)
		stops = append(stops, func() {
			close(done)
			f, err := os.Create(path)
			if err == nil {
				runtime.GC()
				err = pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "dozor: DOZOR_MEMPROFILE:", err)
			}
		})
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}

// peakProfiles writes the heap profile to path each time the live heap
// (as of the last collection) is higher than ever before, until done.
func peakProfiles(path string, done <-chan struct{}) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var peak uint64
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		metrics.Read(sample)
		if live := sample[0].Value.Uint64(); live > peak {
			peak = live
			if f, err := os.Create(path); err == nil {
				_ = pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	}
}
