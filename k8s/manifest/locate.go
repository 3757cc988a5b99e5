package manifest

import (
	"sync"

	yaml "go.yaml.in/yaml/v3"

	"github.com/dozor-dev/dozor/k8s"
)

// Locator finds the lines of an object's fields in its document. It holds
// the parsed document until Release, and after that parses it again on
// demand, keeping it until the next Release. It is safe for concurrent use.
type Locator struct {
	mu        sync.Mutex
	data      []byte
	firstLine int
	at        k8s.Path // the object's path in the document: "" or items[3]
	root      *yaml.Node
	own       *tree // the slabs of root, when this Locator parsed it itself
	fast      bool  // the document is in the fast parser's subset
}

// Release drops the parsed document; later calls to Locate parse it again.
func (l *Locator) Release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.root = nil
	l.own.free()
	l.own = nil
}

// Locate returns the line and column of the deepest field along path that
// the document has.
func (l *Locator) Locate(path k8s.Path) (line, column int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	root := l.root
	if root == nil && l.fast {
		// Walk the text rather than build the tree again.
		if line, column, ok := walkLocate(l.data, l.at, path); ok {
			return line + l.firstLine - 1, column
		}
	}
	if root == nil {
		var err error
		if root, l.own, err = parseWith(l.data); err != nil {
			return 0, 0
		}
		l.root = root
	}
	if len(root.Content) == 0 {
		return 0, 0
	}
	n := root.Content[0]
	line, column = n.Line, n.Column
	rest, inAt := l.at, l.at != ""
	if !inAt {
		rest = path
	}
	for {
		seg, after, ok := rest.Next()
		if !ok {
			if inAt {
				rest, inAt = path, false
				continue
			}
			break
		}
		rest = after
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		var next, key *yaml.Node
		switch {
		case seg.IsIndex && n.Kind == yaml.SequenceNode:
			if seg.Index < len(n.Content) {
				next = n.Content[seg.Index]
			}
		case !seg.IsIndex && n.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := n.Content[i]; k.Kind == yaml.ScalarNode && resolveScalar(k).text() == seg.Key {
					key, next = k, n.Content[i+1]
				}
			}
		}
		if next == nil {
			break
		}
		if key != nil {
			line, column = key.Line, key.Column
		} else {
			line, column = next.Line, next.Column
		}
		n = next
	}
	return line + l.firstLine - 1, column
}

// Held reports whether the locator holds a parsed document (for tests).
func (l *Locator) Held() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.root != nil
}
