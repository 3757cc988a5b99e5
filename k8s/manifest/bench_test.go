package manifest

import (
	"os"
	"path/filepath"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/dozor-dev/dozor/k8s"
)

func corpus(b *testing.B) [][]byte {
	files, _ := filepath.Glob("../../../shared/corpus/manifests/*.yaml")
	if len(files) == 0 {
		b.Skip("../shared/corpus/manifests is missing")
	}
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// BenchmarkDecodeCorpus decodes the shared corpus of real manifests (283
// files, 458 objects) once per iteration.
func BenchmarkDecodeCorpus(b *testing.B) {
	files := corpus(b)
	var size int64
	for _, f := range files {
		size += int64(len(f))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range files {
			for _, doc := range Split(data) {
				d := Decode(doc, k8s.Source{}, k8s.Seq{}, Options{})
				d.Release()
			}
		}
	}
}

// BenchmarkYAMLOnly parses the same corpus into yaml.v3 nodes only: the
// floor under any YAML-based scanner.
func BenchmarkYAMLOnly(b *testing.B) {
	files := corpus(b)
	var size int64
	for _, f := range files {
		size += int64(len(f))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range files {
			for _, doc := range Split(data) {
				var n yaml.Node
				_ = yaml.Unmarshal(doc.Data, &n)
			}
		}
	}
}

// BenchmarkFastParse parses the corpus with the fast parser (falling back to
// yaml.v3 where it declines), to compare with BenchmarkYAMLOnly.
func BenchmarkFastParse(b *testing.B) {
	files := corpus(b)
	var size int64
	for _, f := range files {
		size += int64(len(f))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range files {
			for _, doc := range Split(data) {
				_, t, _ := parseWith(doc.Data)
				t.free()
			}
		}
	}
}
