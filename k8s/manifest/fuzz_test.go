package manifest

import (
	"testing"

	"github.com/dozor-dev/dozor/k8s"
)

// FuzzDecode feeds arbitrary bytes through splitting, decoding and field
// location: nothing may panic, and every object must have a kind and a
// source line.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x\n",
		"---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n",
		"a: &a [*a, *a]\n",
		"base: &b {x: 1}\nobj:\n  <<: *b\n  y: 2\n",
		"{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"},\"data\":{\"k\":\"dg==\"}}",
		"%YAML 1.1\n---\nkind: Service\napiVersion: v1\nmetadata: {name: s}\nspec: {ports: [{port: 0x50}]}\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: yes\n  template: {spec: {containers: [{name: c, image: i, securityContext: {privileged: on}}]}}\n",
		"key: value\nkey: other\n",
		"? [a, b]\n: c\n",
		"...\n--- |\n  text\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, doc := range Split(data) {
			d := Decode(doc, k8s.Source{File: "fuzz.yaml"}, k8s.Seq{}, Options{MaxDocumentBytes: 1 << 20})
			for _, o := range d.Objects {
				if o.Kind == "" || o.APIVersion == "" || o.Meta == nil {
					t.Fatalf("object without kind, apiVersion or metadata: %+v", o)
				}
				if o.Source.Line < 1 {
					t.Fatalf("object without line")
				}
				o.Location("spec.template.spec.containers[0].image")
				o.Location(`metadata.annotations["a.b/c"]`)
				o.Locator.(*Locator).Release()
				o.Location("metadata.name")
			}
			for _, e := range d.Errors {
				if e.Msg == "" {
					t.Fatal("error without message")
				}
			}
		}
	})
}
