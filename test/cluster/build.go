package cluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
)

// Version is the Kubernetes release the test cluster runs. It must match
// the k8s.io/kubernetes requirement in go.mod (a test checks).
const Version = "v1.37.2"

// Binaries are the paths of the built components.
type Binaries struct {
	Etcd, APIServer, ControllerManager, Scheduler string
	// Kubectl is built too, for people and for the benchmark.
	Kubectl string
}

// components maps each binary to the package it is built from and whether
// it takes Kubernetes's version variables.
var components = []struct {
	name, pkg string
	kube      bool
}{
	{"etcd", "./cmd/etcd", false},
	{"kube-apiserver", "k8s.io/kubernetes/cmd/kube-apiserver", true},
	{"kube-controller-manager", "k8s.io/kubernetes/cmd/kube-controller-manager", true},
	{"kube-scheduler", "k8s.io/kubernetes/cmd/kube-scheduler", true},
	{"kubectl", "k8s.io/kubernetes/cmd/kubectl", true},
}

// Build builds the components from moduleDir (this module's directory) into
// moduleDir/.bin/<version>-<hash of go.sum>, unless they are there already,
// and returns their paths. A cold build takes about ten minutes on two
// cores; with a warm Go build cache, seconds. Progress goes to log.
func Build(ctx context.Context, moduleDir string, log func(format string, args ...any)) (Binaries, error) {
	sum, err := os.ReadFile(filepath.Join(moduleDir, "go.sum"))
	if err != nil {
		return Binaries{}, fmt.Errorf("reading go.sum: %w", err)
	}
	mod, err := os.ReadFile(filepath.Join(moduleDir, "go.mod"))
	if err != nil {
		return Binaries{}, err
	}
	if !regexp.MustCompile(`k8s\.io/kubernetes ` + regexp.QuoteMeta(Version) + `\b`).Match(mod) {
		return Binaries{}, fmt.Errorf("go.mod does not require k8s.io/kubernetes %s", Version)
	}
	h := sha256.Sum256(append(mod, sum...))
	dir := filepath.Join(moduleDir, ".bin", Version+"-"+hex.EncodeToString(h[:])[:12])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Binaries{}, err
	}
	// Test binaries of several packages start clusters at once: one builds,
	// the others wait for it.
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return Binaries{}, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return Binaries{}, err
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	major, minor := "1", regexp.MustCompile(`^v1\.(\d+)\.`).FindStringSubmatch(Version)[1]
	ldflags := fmt.Sprintf("-X k8s.io/component-base/version.gitVersion=%s -X k8s.io/component-base/version.gitMajor=%s "+
		"-X k8s.io/component-base/version.gitMinor=%s -X k8s.io/component-base/version.gitTreeState=clean "+
		"-X k8s.io/component-base/version.buildDate=2026-01-01T00:00:00Z", Version, major, minor)
	for _, c := range components {
		out := filepath.Join(dir, c.name)
		if st, err := os.Stat(out); err == nil && st.Mode().IsRegular() {
			continue
		}
		args := []string{"build", "-trimpath", "-o", out + ".tmp"}
		if c.kube {
			args = append(args, "-ldflags", ldflags)
		}
		args = append(args, c.pkg)
		log("building %s %s (minutes the first time)", c.name, Version)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = moduleDir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return Binaries{}, fmt.Errorf("building %s: %v\n%s", c.name, err, stderr.String())
		}
		if err := os.Rename(out+".tmp", out); err != nil {
			return Binaries{}, err
		}
	}
	return Binaries{
		Etcd:              filepath.Join(dir, "etcd"),
		APIServer:         filepath.Join(dir, "kube-apiserver"),
		ControllerManager: filepath.Join(dir, "kube-controller-manager"),
		Scheduler:         filepath.Join(dir, "kube-scheduler"),
		Kubectl:           filepath.Join(dir, "kubectl"),
	}, nil
}
