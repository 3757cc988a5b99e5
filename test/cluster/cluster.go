package cluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Options configure a cluster.
type Options struct {
	// Dir holds the cluster's data, certificates, kubeconfig and logs; a new
	// temporary directory when empty (removed by Stop).
	Dir string
	// Log reports progress; nil for silence.
	Log func(format string, args ...any)
}

// Cluster is a running test cluster.
type Cluster struct {
	// Kubeconfig is the path of a kubeconfig with a context per user
	// (see Users); "admin" is current.
	Kubeconfig string
	// Server is the API server's URL (https://127.0.0.1:port).
	Server string
	// Dir is the cluster's directory.
	Dir string

	bins      Binaries
	pki       *pki
	log       func(string, ...any)
	ownDir    bool
	apiPort   int
	etcdURL   string
	mu        sync.Mutex
	procs     map[string]*proc
	apiClient *http.Client
}

// proc is a running component; done closes when it exits.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts etcd and the control plane from the built binaries, waits
// until all are ready, and grants the users their rights.
func Start(ctx context.Context, bins Binaries, opts Options) (c *Cluster, err error) {
	logf := opts.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	c = &Cluster{bins: bins, log: logf, Dir: opts.Dir, procs: map[string]*proc{}}
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "dozor-cluster-"); err != nil {
			return nil, err
		}
		c.ownDir = true
	}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	for _, d := range []string{"pki", "etcd", "logs"} {
		if err := os.MkdirAll(filepath.Join(c.Dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	if c.pki, err = newPKI(filepath.Join(c.Dir, "pki")); err != nil {
		return nil, err
	}
	ports, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	etcdClient, etcdPeer, cmPort, schedPort := ports[0], ports[1], ports[3], ports[4]
	c.apiPort = ports[2]
	c.Server = "https://127.0.0.1:" + strconv.Itoa(c.apiPort)
	c.etcdURL = "http://127.0.0.1:" + strconv.Itoa(etcdClient)

	// etcd, plain HTTP on loopback.
	peer := "http://127.0.0.1:" + strconv.Itoa(etcdPeer)
	if err := c.run(ctx, "etcd", bins.Etcd,
		"--name=default", "--data-dir="+filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls="+c.etcdURL, "--advertise-client-urls="+c.etcdURL,
		"--listen-peer-urls="+peer, "--initial-advertise-peer-urls="+peer,
		"--initial-cluster=default="+peer, "--log-level=warn"); err != nil {
		return nil, err
	}
	if err := c.waitHTTP(ctx, "etcd", c.etcdURL+"/health", http.DefaultClient, 60*time.Second); err != nil {
		return nil, err
	}

	// The API server, with certificates from our CA.
	if _, _, err := c.pki.issue("apiserver", "kube-apiserver", nil, true,
		[]net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(10, 96, 0, 1)},
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}); err != nil {
		return nil, err
	}
	if err := c.startAPIServer(ctx); err != nil {
		return nil, err
	}
	adminCert, adminKey, err := c.pki.issue("health-admin", "dozor-health", []string{"system:masters"}, false, nil, nil)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(adminCert, adminKey)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(c.pki.caCert)
	c.apiClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: roots, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}}}
	if err := c.waitHTTP(ctx, "kube-apiserver", c.Server+"/readyz", c.apiClient, 120*time.Second); err != nil {
		return nil, err
	}

	// Controllers and the scheduler.
	cmKube := filepath.Join(c.Dir, "pki", "controller-manager.kubeconfig")
	if err := componentKubeconfig(cmKube, c.Server, c.pki, "controller-manager", "system:kube-controller-manager", nil); err != nil {
		return nil, err
	}
	if err := c.run(ctx, "kube-controller-manager", bins.ControllerManager,
		"--kubeconfig="+cmKube, "--authentication-kubeconfig="+cmKube, "--authorization-kubeconfig="+cmKube,
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(cmPort), "--leader-elect=false",
		"--service-account-private-key-file="+c.pki.path("sa.key"), "--root-ca-file="+c.pki.path("ca.crt"),
		"--cluster-signing-cert-file="+c.pki.path("ca.crt"), "--cluster-signing-key-file="+c.pki.path("ca.key"),
		"--use-service-account-credentials=true", "--profiling=false",
		// No kubelet reports for the seeded Nodes: keep them as seeded,
		// rather than tainted and their pods evicted.
		"--controllers=*,-nodelifecycle"); err != nil {
		return nil, err
	}
	schedKube := filepath.Join(c.Dir, "pki", "scheduler.kubeconfig")
	if err := componentKubeconfig(schedKube, c.Server, c.pki, "scheduler", "system:kube-scheduler", nil); err != nil {
		return nil, err
	}
	if err := c.run(ctx, "kube-scheduler", bins.Scheduler,
		"--kubeconfig="+schedKube, "--authentication-kubeconfig="+schedKube, "--authorization-kubeconfig="+schedKube,
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(schedPort), "--leader-elect=false", "--profiling=false"); err != nil {
		return nil, err
	}
	insecure := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // #nosec: loopback health checks of self-signed components
	if err := c.waitHTTP(ctx, "kube-controller-manager", "https://127.0.0.1:"+strconv.Itoa(cmPort)+"/healthz", insecure, 60*time.Second); err != nil {
		return nil, err
	}
	if err := c.waitHTTP(ctx, "kube-scheduler", "https://127.0.0.1:"+strconv.Itoa(schedPort)+"/healthz", insecure, 60*time.Second); err != nil {
		return nil, err
	}

	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	if err := writeKubeconfig(c.Kubeconfig, c.Server, c.pki); err != nil {
		return nil, err
	}
	if err := grantUsers(ctx, c.Kubeconfig); err != nil {
		return nil, err
	}
	logf("cluster %s ready at %s; kubeconfig %s", Version, c.Server, c.Kubeconfig)
	return c, nil
}

func (c *Cluster) startAPIServer(ctx context.Context) error {
	return c.run(ctx, "kube-apiserver", c.bins.APIServer,
		"--etcd-servers="+c.etcdURL,
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(c.apiPort),
		"--tls-cert-file="+c.pki.path("apiserver.crt"), "--tls-private-key-file="+c.pki.path("apiserver.key"),
		"--client-ca-file="+c.pki.path("ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+c.pki.path("sa.pub"), "--service-account-signing-key-file="+c.pki.path("sa.key"),
		"--authorization-mode=Node,RBAC", "--service-cluster-ip-range=10.96.0.0/16",
		"--allow-privileged=true", "--profiling=false", "--endpoint-reconciler-type=none")
}

// RestartAPIServer stops the API server and starts it again on the same
// port and data, and waits until it is ready: for tests of what a client
// does while the server is away. pause is how long it stays down.
func (c *Cluster) RestartAPIServer(ctx context.Context, pause time.Duration) error {
	c.stopProc("kube-apiserver")
	select {
	case <-time.After(pause):
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := c.startAPIServer(ctx); err != nil {
		return err
	}
	return c.waitHTTP(ctx, "kube-apiserver", c.Server+"/readyz", c.apiClient, 120*time.Second)
}

// run starts a component with its output in logs/<name>.log. The process
// is killed if this one dies.
func (c *Cluster) run(ctx context.Context, name, bin string, args ...string) error {
	logFile, err := os.OpenFile(filepath.Join(c.Dir, "logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logFile.Close(); close(p.done) }()
	c.mu.Lock()
	c.procs[name] = p
	c.mu.Unlock()
	c.log("started %s (pid %d)", name, cmd.Process.Pid)
	return nil
}

// waitHTTP polls url until it answers 200.
func (c *Cluster) waitHTTP(ctx context.Context, name, url string, client *http.Client, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		last = err
		c.mu.Lock()
		p := c.procs[name]
		c.mu.Unlock()
		if p != nil {
			select {
			case <-p.done:
				return fmt.Errorf("%s exited (%s); its log ends:\n%s", name, p.cmd.ProcessState, c.logTail(name))
			default:
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready after %v (%v); its log ends:\n%s", name, timeout, last, c.logTail(name))
}

func (c *Cluster) logTail(name string) string {
	data, _ := os.ReadFile(filepath.Join(c.Dir, "logs", name+".log"))
	if len(data) > 3000 {
		data = data[len(data)-3000:]
	}
	return string(bytes.TrimSpace(data))
}

func (c *Cluster) stopProc(name string) {
	c.mu.Lock()
	p := c.procs[name]
	delete(c.procs, name)
	c.mu.Unlock()
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Stop stops every component, in reverse order, and removes the cluster's
// directory if Start made it.
func (c *Cluster) Stop() {
	for _, name := range []string{"kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"} {
		c.stopProc(name)
	}
	if c.ownDir {
		_ = os.RemoveAll(c.Dir)
	}
}

// freePorts reserves n distinct free ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
