package kustomize

import (
	"os"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/dozor-dev/dozor/k8s/manifest"
)

// maxLineFileBytes bounds the files read again to find lines in. Kustomize
// has read them already; this only guards against files that changed since.
const maxLineFileBytes = 64 << 20

// located is an object found in a file, and the line it starts on.
type located struct {
	kind, name string
	line       int
}

// objectLine returns the line where the object of that kind and name starts
// in file, or 0.
//
// name is the name after the build: Kustomize records the names objects had
// before prefixes, suffixes and hashes were added, but removes that record
// at the end of the build. So an object written with a name that the built
// name contains matches too, the longest such name winning.
func (b *builder) objectLine(file, kind, name string) int {
	objs, ok := b.lines[file]
	if !ok {
		objs = locateObjects(file)
		b.lines[file] = objs
	}
	best, line := -1, 0
	for _, o := range objs {
		if o.kind != kind || o.name == "" || !strings.Contains(name, o.name) {
			continue
		}
		if o.name == name {
			return o.line
		}
		if len(o.name) > best {
			best, line = len(o.name), o.line
		}
	}
	return line
}

// generatorLine returns the line of the configMapGenerator or
// secretGenerator entry called name in a kustomization file, or 0.
func (b *builder) generatorLine(file, name string) int {
	data := readSmall(file)
	if data == nil {
		return 0
	}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return 0
	}
	doc := root.Content[0]
	best, line := 0, 0
	for i := 0; i+1 < len(doc.Content); i += 2 {
		switch doc.Content[i].Value {
		case "configMapGenerator", "secretGenerator":
		default:
			continue
		}
		seq := doc.Content[i+1]
		if seq.Kind != yaml.SequenceNode {
			continue
		}
		for _, item := range seq.Content {
			if item.Kind != yaml.MappingNode {
				continue
			}
			// As in objectLine, name is the generated name, with any
			// prefix, suffix and hash.
			if n := scalar(item, "name"); n != "" && strings.Contains(name, n) && len(n) > best {
				best, line = len(n), item.Line
			}
		}
	}
	return line
}

// locateObjects lists the objects of a file of manifests, with their lines,
// items of List kinds included.
func locateObjects(file string) []located {
	data := readSmall(file)
	if data == nil {
		return nil
	}
	var out []located
	for _, d := range manifest.Split(data) {
		var root yaml.Node
		if yaml.Unmarshal(d.Data, &root) != nil || len(root.Content) == 0 {
			continue
		}
		n := root.Content[0]
		if n.Kind != yaml.MappingNode {
			continue
		}
		add := func(n *yaml.Node) {
			name := ""
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "metadata" && n.Content[i+1].Kind == yaml.MappingNode {
					name = scalar(n.Content[i+1], "name")
				}
			}
			out = append(out, located{kind: scalar(n, "kind"), name: name, line: n.Line + d.Line - 1})
		}
		add(n)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "items" && n.Content[i+1].Kind == yaml.SequenceNode {
				for _, item := range n.Content[i+1].Content {
					if item.Kind == yaml.MappingNode {
						add(item)
					}
				}
			}
		}
	}
	return out
}

func readSmall(file string) []byte {
	st, err := os.Stat(file)
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxLineFileBytes {
		return nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	return data
}
