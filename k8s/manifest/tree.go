package manifest

import (
	"math/bits"
	"sync"

	yaml "go.yaml.in/yaml/v3"
)

// tree owns the slabs a fastParse tree lives in, so that they can be used
// again for the next document once nothing refers to the tree. At tens of
// thousands of documents this takes a third of the scan's allocations, and
// the garbage collection they cause, away.
type tree struct {
	nodes []yaml.Node
	ptrs  []*yaml.Node
	// usedNodes and usedPtrs are how much of the slabs the parse wrote.
	usedNodes, usedPtrs int
	class               int
}

// treePools pool slabs by size class: class c holds slabs for 256<<c nodes.
var treePools [8]sync.Pool

// getTree returns slabs for at least need nodes and child pointers.
func getTree(need int) *tree {
	c := 0
	if need > 256 {
		c = bits.Len(uint(need-1)) - 8
	}
	if c >= len(treePools) {
		return &tree{nodes: make([]yaml.Node, 0, need), ptrs: make([]*yaml.Node, 0, need), class: -1}
	}
	if t, ok := treePools[c].Get().(*tree); ok {
		return t
	}
	size := 256 << c
	return &tree{nodes: make([]yaml.Node, 0, size), ptrs: make([]*yaml.Node, 0, size), class: c}
}

// free clears the part of the slabs the parse used and pools them. Nothing
// may refer to the tree's nodes afterwards.
func (t *tree) free() {
	if t == nil || t.class < 0 {
		return
	}
	clear(t.nodes[:t.usedNodes])
	clear(t.ptrs[:t.usedPtrs])
	t.usedNodes, t.usedPtrs = 0, 0
	treePools[t.class].Put(t)
}

// record notes how much of the slabs the parser p used: all of a slab it
// outgrew, else its length.
func (t *tree) record(p *fastParser) {
	t.usedNodes = cap(t.nodes)
	if len(p.nodes) > 0 && cap(p.nodes) == cap(t.nodes) && &p.nodes[:1][0] == &t.nodes[:1][0] {
		t.usedNodes = len(p.nodes)
	}
	t.usedPtrs = cap(t.ptrs)
	if len(p.ptrs) > 0 && cap(p.ptrs) == cap(t.ptrs) && &p.ptrs[:1][0] == &t.ptrs[:1][0] {
		t.usedPtrs = len(p.ptrs)
	} else if len(p.ptrs) == 0 {
		t.usedPtrs = 0
	}
	if len(p.nodes) == 0 {
		t.usedNodes = 0
	}
}
