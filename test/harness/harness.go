// Package harness starts the test cluster of the test/cluster module (real
// etcd, kube-apiserver, kube-controller-manager and kube-scheduler, built
// from the Go module proxy) for Dozor's tests, one per test binary, and
// always stops it. test/cluster is a module of its own; this package runs
// its command rather than importing it, so that Dozor's module does not
// depend on k8s.io/kubernetes.
package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Cluster is a running test cluster.
type Cluster struct {
	// Kubeconfig has a context per user: admin (current), viewer, narrow,
	// scanner and nobody (see test/cluster.Users).
	Kubeconfig string
	// Server is the API server's URL, on 127.0.0.1.
	Server string

	mu    sync.Mutex
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
	done  chan struct{}
}

// ModuleDir returns the directory of the test/cluster module.
func ModuleDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "cluster")
}

// StartTimeout bounds building and starting: a cold build of the
// components takes about ten minutes on two cores.
const StartTimeout = 30 * time.Minute

// Start builds the components if needed, starts a cluster, and seeds it
// when seed is set. Progress of the build goes to log (os.Stderr if nil).
func Start(ctx context.Context, seed bool, log io.Writer) (*Cluster, error) {
	if log == nil {
		log = os.Stderr
	}
	args := []string{"run", "./cmd/testcluster", "up", "-control"}
	if seed {
		args = append(args, "-seed")
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = ModuleDir()
	cmd.Stderr = log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the test cluster: %w", err)
	}
	c := &Cluster{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout), done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(c.done) }()
	ready := make(chan error, 1)
	go func() {
		for c.out.Scan() {
			line := c.out.Text()
			if rest, ok := strings.CutPrefix(line, "READY "); ok {
				for _, f := range strings.Fields(rest) {
					if v, ok := strings.CutPrefix(f, "kubeconfig="); ok {
						c.Kubeconfig = v
					}
					if v, ok := strings.CutPrefix(f, "server="); ok {
						c.Server = v
					}
				}
				ready <- nil
				return
			}
		}
		ready <- errors.New("the test cluster exited before it was ready (its output is above)")
	}()
	select {
	case err := <-ready:
		if err != nil {
			c.Stop()
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		c.Stop()
		return nil, ctx.Err()
	}
}

// RestartAPIServer stops the API server for pause and starts it again.
func (c *Cluster) RestartAPIServer(pause time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := fmt.Fprintf(c.stdin, "restart-apiserver %s\n", pause); err != nil {
		return err
	}
	if !c.out.Scan() {
		return errors.New("the test cluster is gone")
	}
	if reply := c.out.Text(); reply != "OK" {
		return errors.New(reply)
	}
	return nil
}

// Stop stops the cluster and waits until it is gone.
func (c *Cluster) Stop() {
	_ = c.stdin.Close()
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
	}
}

var (
	shared    *Cluster
	sharedErr error
)

// Main runs a package's tests with one seeded cluster, started first and
// always stopped. Call it from TestMain: os.Exit(harness.Main(m)).
// DOZOR_NO_CLUSTER=1 skips the live tests instead.
func Main(m *testing.M) int {
	if os.Getenv("DOZOR_NO_CLUSTER") != "" {
		sharedErr = errors.New("DOZOR_NO_CLUSTER is set")
		return m.Run()
	}
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	shared, sharedErr = Start(ctx, true, os.Stderr)
	cancel()
	if sharedErr != nil {
		fmt.Fprintln(os.Stderr, "harness: no test cluster:", sharedErr)
		// Live tests fail (not skip): a cluster that cannot start is a bug.
		return 1
	}
	defer shared.Stop()
	return m.Run()
}

// Get returns the cluster Main started, or skips the test saying why there
// is none.
func Get(t testing.TB) *Cluster {
	t.Helper()
	if shared == nil {
		t.Skipf("no test cluster: %v", sharedErr)
	}
	return shared
}
