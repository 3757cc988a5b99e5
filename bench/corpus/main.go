// Command corpus builds a benchmark corpus from the real-world manifests in
// ../shared/corpus/manifests: COPIES copies of every file, each in its own
// directory, with every object renamed (metadata.name gets a "-cNNN"
// suffix) so that copies are distinct objects. Files that are not valid YAML
// (the corpus has a few, on purpose of their authors) are copied unchanged:
// real bad input. With -clean, those files are left out, for tools that
// refuse to score anything when one file is bad (including objects that
// fail typed decoding, such as a string where an integer belongs).
//
//	go run ./bench/corpus -src ../shared/corpus/manifests -copies 50 -out bench/out/c50
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	yaml "go.yaml.in/yaml/v3"

	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/manifest"
)

func main() {
	src := flag.String("src", "../shared/corpus/manifests", "directory of source manifests")
	copies := flag.Int("copies", 50, "number of copies")
	out := flag.String("out", "bench/out/corpus", "output directory (replaced)")
	clean := flag.Bool("clean", false, "leave out files that are not valid YAML")
	flag.Parse()

	files, err := filepath.Glob(filepath.Join(*src, "*.yaml"))
	if err != nil || len(files) == 0 {
		log.Fatalf("no manifests in %s", *src)
	}
	if err := os.RemoveAll(*out); err != nil {
		log.Fatal(err)
	}
	objects, written, skipped := 0, 0, 0
	for c := 0; c < *copies; c++ {
		dir := filepath.Join(*out, fmt.Sprintf("copy-%03d", c))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				log.Fatal(err)
			}
			renamed, n, ok := rename(data, fmt.Sprintf("-c%03d", c))
			if *clean && (!ok || !valid(renamed)) {
				skipped++
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), renamed, 0o644); err != nil {
				log.Fatal(err)
			}
			objects += n
			written++
		}
	}
	fmt.Printf("%d files, %d objects (%d files left out)\n", written, objects, skipped/max(*copies, 1))
}

// rename suffixes metadata.name of every object (and of every item of a
// List) and re-encodes the documents. It returns the input unchanged, and
// ok false, when a document is not valid YAML or a value is not valid
// (duplicate keys).
func rename(data []byte, suffix string) (out []byte, objects int, ok bool) {
	var buf bytes.Buffer
	for _, doc := range manifest.Split(data) {
		if doc.Blank() {
			continue
		}
		var n yaml.Node
		if err := yaml.Unmarshal(doc.Data, &n); err != nil || len(n.Content) == 0 {
			return data, countDocs(data), false
		}
		var check any
		if err := n.Decode(&check); err != nil {
			return data, countDocs(data), false
		}
		root := n.Content[0]
		objects += renameObject(root, suffix)
		if items := value(root, "items"); items != nil && items.Kind == yaml.SequenceNode {
			for _, it := range items.Content {
				objects += renameObject(it, suffix)
			}
		}
		buf.WriteString("---\n")
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(root); err != nil {
			return data, countDocs(data), false
		}
		if err := enc.Close(); err != nil {
			return data, countDocs(data), false
		}
	}
	return buf.Bytes(), objects, true
}

// valid reports whether every document decodes without error, as kubectl
// would accept it.
func valid(data []byte) bool {
	for _, doc := range manifest.Split(data) {
		if d := manifest.Decode(doc, k8s.Source{}, k8s.Seq{}, manifest.Options{}); len(d.Errors) > 0 {
			return false
		}
	}
	return true
}

func countDocs(data []byte) int {
	n := 0
	for _, d := range manifest.Split(data) {
		if !d.Blank() {
			n++
		}
	}
	return n
}

func renameObject(obj *yaml.Node, suffix string) int {
	md := value(obj, "metadata")
	if md == nil {
		return 0
	}
	if name := value(md, "name"); name != nil && name.Kind == yaml.ScalarNode {
		name.Value += suffix
	}
	if value(obj, "kind") == nil {
		return 0
	}
	return 1
}

func value(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
