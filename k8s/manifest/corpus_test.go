package manifest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dozor-dev/dozor/k8s"
)

func TestCorpusDecode(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/corpus/manifests/*.yaml")
	if len(files) == 0 {
		t.Skip("../shared/corpus/manifests is missing")
	}
	start := time.Now()
	objs, errs := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range Split(data) {
			d := Decode(doc, k8s.Source{File: filepath.Base(f)}, k8s.Seq{}, Options{})
			objs += len(d.Objects)
			for _, e := range d.Errors {
				errs++
				t.Log(e)
			}
			for _, o := range d.Objects {
				for _, fe := range o.FieldErrors {
					t.Logf("%s: %s %s", o.Location(fe.Path), o, fe.Message)
				}
			}
		}
	}
	t.Logf("%d files, %d objects, %d errors in %v", len(files), objs, errs, time.Since(start))
}
