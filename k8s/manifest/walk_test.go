package manifest

import (
	"os"
	"path/filepath"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/dozor-dev/dozor/k8s"
)

// allPaths lists the path of every node under n, and for each a path one
// step deeper that does not exist.
func allPaths(n *yaml.Node, at k8s.Path, out *[]k8s.Path) {
	*out = append(*out, at, at.Field("zzNoSuchField"), at.Index(999))
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			allPaths(n.Content[i+1], at.Key(resolveScalar(n.Content[i]).text()), out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			allPaths(c, at.Index(i), out)
		}
	}
}

// checkWalk compares walkLocate with the tree on every path of a document.
func checkWalk(t *testing.T, name string, data []byte) (walked, fellBack int) {
	t.Helper()
	root, ok := fastParse(data)
	if !ok {
		return 0, 0
	}
	var paths []k8s.Path
	allPaths(root.Content[0], "", &paths)
	tree := &Locator{data: data, firstLine: 1, root: root}
	for _, p := range paths {
		wl, wc, ok := walkLocate(data, "", p)
		if !ok {
			fellBack++
			continue
		}
		walked++
		tl, tc := tree.Locate(p)
		if wl != tl || wc != tc {
			t.Errorf("%s: path %q: walk %d:%d, tree %d:%d", name, p, wl, wc, tl, tc)
		}
	}
	return walked, fellBack
}

func TestWalkLocateMatchesTree(t *testing.T) {
	for _, c := range fastCases {
		checkWalk(t, c, []byte(c))
	}
	files, _ := filepath.Glob("../../../shared/corpus/manifests/*.yaml")
	ex, _ := filepath.Glob("../../examples/manifests/*.yaml")
	files = append(files, ex...)
	walked, fell := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range Split(data) {
			w, fb := checkWalk(t, filepath.Base(f), d.Data)
			walked += w
			fell += fb
		}
	}
	t.Logf("walked %d paths; %d fell back to the tree", walked, fell)
}

// FuzzWalkLocate holds the walk to the tree on arbitrary documents the fast
// parser accepts.
func FuzzWalkLocate(f *testing.F) {
	for _, c := range fastCases {
		f.Add([]byte(c))
	}
	addExampleSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkWalk(t, "fuzz", data)
	})
}
