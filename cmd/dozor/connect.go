package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/dozor-dev/dozor/k8s/live"
)

// connectionFlags registers how a command reaches a cluster: --kubeconfig,
// --context, --request-timeout, --retries and --parallel.
func connectionFlags(fl *pflag.FlagSet, o *live.Options) {
	fl.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
	fl.StringVar(&o.Context, "context", "", "kubeconfig context (default: the current one)")
	fl.DurationVar(&o.RequestTimeout, "request-timeout", 60*time.Second, "timeout of each request to the API server")
	fl.IntVar(&o.Retries, "retries", 4, "retries, with backoff, of requests that failed for a passing reason")
	fl.IntVar(&o.Parallel, "parallel", 4, "resources listed at once")
}
