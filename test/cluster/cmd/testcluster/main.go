// Command testcluster builds the Kubernetes components and runs a test
// cluster on loopback.
//
//	testcluster build            build (or find cached) components and exit
//	testcluster up [-seed] [-dir DIR] [-control]
//	testcluster run [-seed] -- COMMAND [ARG...]
//
// "run" starts a cluster, runs COMMAND with KUBECONFIG set to it, stops the
// cluster and exits with COMMAND's exit code.
//
// "up" prints "READY kubeconfig=PATH server=URL" when the cluster is ready.
// It stops on SIGINT or SIGTERM, and, with -control, when standard input
// closes: a test that starts it keeps the pipe open, so the cluster dies
// with the test. With -control it also reads commands on standard input:
//
//	restart-apiserver DURATION   stop the API server, wait, start it again
//
// and answers each with "OK" or "ERROR message" on standard output.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dozor-dev/dozor/test/cluster"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "testcluster: "+format+"\n", args...) }
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	wd, err := os.Getwd()
	if err != nil {
		fatal(err)
	}
	switch os.Args[1] {
	case "build":
		if _, err := cluster.Build(ctx, wd, logf); err != nil {
			fatal(err)
		}
	case "run":
		fs := flag.NewFlagSet("run", flag.ExitOnError)
		seed := fs.Bool("seed", false, "create realistic objects")
		bulk := bulkFlags(fs)
		_ = fs.Parse(os.Args[2:])
		if fs.NArg() == 0 {
			usage()
		}
		bins, err := cluster.Build(ctx, wd, logf)
		if err != nil {
			fatal(err)
		}
		c, err := cluster.Start(ctx, bins, cluster.Options{Log: logf})
		if err != nil {
			fatal(err)
		}
		if err := seedAll(ctx, c, *seed, bulk, logf); err != nil {
			c.Stop()
			fatal(err)
		}
		cmd := exec.CommandContext(ctx, fs.Arg(0), fs.Args()[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig, "KUBECTL="+bins.Kubectl)
		err = cmd.Run()
		c.Stop()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			os.Exit(ee.ExitCode())
		}
		if err != nil {
			fatal(err)
		}
	case "up":
		fs := flag.NewFlagSet("up", flag.ExitOnError)
		seed := fs.Bool("seed", false, "create realistic objects")
		dir := fs.String("dir", "", "directory for the cluster's data (default: a temporary one, removed on exit)")
		control := fs.Bool("control", false, "stop when standard input closes, and take commands on it")
		bulk := bulkFlags(fs)
		_ = fs.Parse(os.Args[2:])
		bins, err := cluster.Build(ctx, wd, logf)
		if err != nil {
			fatal(err)
		}
		c, err := cluster.Start(ctx, bins, cluster.Options{Dir: *dir, Log: logf})
		if err != nil {
			fatal(err)
		}
		defer c.Stop()
		if err := seedAll(ctx, c, *seed, bulk, logf); err != nil {
			c.Stop()
			fatal(err)
		}
		fmt.Printf("READY kubeconfig=%s server=%s\n", c.Kubeconfig, c.Server)
		if !*control {
			fmt.Fprintf(os.Stderr, "\nexport KUBECONFIG=%s   # contexts: admin (current), viewer, narrow, scanner, nobody\nCtrl-C stops the cluster.\n", c.Kubeconfig)
			<-ctx.Done()
			return
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(os.Stdin)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case line, ok := <-lines:
				if !ok {
					return // the test is gone
				}
				fmt.Println(command(ctx, c, line))
			}
		}
	default:
		usage()
	}
}

// bulkFlags registers the flags of a bulk seed.
func bulkFlags(fs *flag.FlagSet) *cluster.Bulk {
	var b cluster.Bulk
	fs.IntVar(&b.Pods, "bulk-pods", 0, "also create this many pods (implies -seed)")
	fs.IntVar(&b.ConfigMaps, "bulk-configmaps", 0, "also create this many config maps (implies -seed)")
	fs.IntVar(&b.CustomResources, "bulk-crs", 0, "also create this many custom resources (implies -seed)")
	return &b
}

func seedAll(ctx context.Context, c *cluster.Cluster, seed bool, bulk *cluster.Bulk, logf func(string, ...any)) error {
	many := bulk.Pods+bulk.ConfigMaps+bulk.CustomResources > 0
	if !seed && !many {
		return nil
	}
	if err := cluster.Seed(ctx, c.Kubeconfig); err != nil {
		return err
	}
	logf("seeded")
	if many {
		start := time.Now()
		if err := cluster.SeedBulk(ctx, c.Kubeconfig, *bulk, logf); err != nil {
			return err
		}
		logf("bulk seed of %d objects in %v", bulk.Pods+bulk.ConfigMaps+bulk.CustomResources, time.Since(start).Round(time.Second))
	}
	return nil
}

func command(ctx context.Context, c *cluster.Cluster, line string) string {
	f := strings.Fields(line)
	if len(f) == 2 && f[0] == "restart-apiserver" {
		d, err := time.ParseDuration(f[1])
		if err != nil {
			return "ERROR " + err.Error()
		}
		if err := c.RestartAPIServer(ctx, d); err != nil {
			return "ERROR " + strings.ReplaceAll(err.Error(), "\n", " ")
		}
		return "OK"
	}
	return "ERROR unknown command " + fmt.Sprintf("%q", line)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: testcluster build | testcluster up [-seed] [-dir DIR] [-control] | testcluster run [-seed] -- COMMAND [ARG...]")
	os.Exit(2)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "testcluster:", err)
	os.Exit(1)
}
