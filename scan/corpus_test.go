package scan_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/check/builtin"
	"github.com/dozor-dev/dozor/scan"
)

// TestSharedCorpus scans the 283 real-world files of ../shared/corpus, which
// hold files with duplicate keys (on which Polaris aborts its whole audit
// and kube-score refuses to score anything) and unrendered templates: each
// is an input error with its line, and every other object, including the
// ones in the files with duplicate keys, is still checked.
func TestSharedCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "corpus", "manifests")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("../shared/corpus/manifests is missing")
	}
	res, err := scan.Run(context.Background(), scan.Options{Paths: []string{dir}, Checks: builtin.All(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Objects < 440 {
		t.Errorf("scanned %d objects, want at least 440", res.Stats.Objects)
	}
	wantErrors := map[string]string{
		"ex-kubernetes+examples__archived_openshift-origin_etcd-controller.yaml:12":                           `key "selector" is already defined at line 6`,
		"ex-kubernetes+examples__archived_persistent-volume-provisioning_quobyte_quobyte-admin-secret.yaml:9": `key "type" is already defined at line 5`,
		"ex-kubernetes+examples__archived_volumes_scaleio_sc-pvc.yaml:12":                                     `key "storageClassName" is already defined`,
		"ex-kubernetes+examples__archived_storage_vitess_etcd-controller-template.yaml:6":                     "an unrendered template?",
	}
	for _, e := range res.Errors {
		key := filepath.Base(e.Location.File) + ":" + itoa(e.Location.Line)
		if want, ok := wantErrors[key]; ok {
			if !strings.Contains(e.Message, want) {
				t.Errorf("%s: %q, want it to say %q", key, e.Message, want)
			}
			delete(wantErrors, key)
		}
	}
	for key, want := range wantErrors {
		t.Errorf("no input error at %s (%s)", key, want)
	}
	// The Deployment with duplicate keys is still checked.
	found := false
	for _, f := range res.Findings {
		if f.Object.Kind == "Deployment" && f.Object.Name == "etcd" && strings.HasSuffix(f.Location.File, "etcd-controller.yaml") {
			found = true
			break
		}
	}
	if !found {
		t.Error("the Deployment in the file with duplicate keys raised no finding: it was lost")
	}
}
