package snapshot

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"sort"
	"sync"
)

// Changes of a field, and of an object.
const (
	Added     = "added"
	Removed   = "removed"
	Changed   = "changed"
	Reordered = "reordered"
)

// FieldChange is one difference between two versions of an object.
type FieldChange struct {
	// Path is the field: spec.template.spec.containers[name=web].image.
	// Elements of lists of named items are named by the field that names
	// them ([name=web], [mountPath=/data], [type=Ready]); elements of other
	// lists by their position ([2]).
	Path string
	// Change is Added, Removed, Changed, or Reordered (a list of named
	// items whose items are the same but in another order).
	Change string
	// Old and New are the values before and after, as decoded from JSON
	// (numbers as json.Number). Added has no Old and Removed no New. For
	// Reordered they are the names of the items, in order.
	Old, New any
}

// listKeys are the fields that name the items of a list, tried in order:
// the first one that every item has, with a scalar value that no other
// item has, names them. These are the merge keys of Kubernetes' strategic
// merge patches (containers and env by name, volumeMounts by mountPath,
// ports by containerPort or port, conditions by type, hostAliases by ip).
var listKeys = []string{"name", "mountPath", "devicePath", "containerPort", "port", "type", "ip"}

// listKey returns the field that names the items of list, or "".
func listKey(list []any) string {
	if len(list) == 0 {
		return ""
	}
	for _, k := range listKeys {
		if keyedBy(list, k) {
			return k
		}
	}
	return ""
}

func keyedBy(list []any, k string) bool {
	seen := make(map[string]bool, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return false
		}
		v, ok := scalarText(m[k])
		if !ok || seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
}

// scalarText renders a string, number or boolean as a list item's name.
func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		if v {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

// itemSeg is the path step of item i of a list named by key ("" for none).
func itemSeg(list []any, i int, key string) seg {
	if key == "" {
		return seg{kind: segIndex, index: i}
	}
	v, _ := scalarText(list[i].(map[string]any)[key])
	return seg{kind: segElem, key: key, value: v}
}

// normalize removes from v, in place, what the matcher's states say is
// ignored below the current path, and returns it. A map that ignoring
// emptied is removed too (emptied is true), so that {} and a missing field
// compare equal when all that told them apart was ignored.
func (m *matcher) normalize(v any, st []mstate) (out any, emptied bool) {
	if len(st) == 0 {
		return v, false
	}
	switch v := v.(type) {
	case map[string]any:
		removed := false
		for k, child := range v {
			next, ignored := m.step(st, seg{kind: segKey, key: k})
			if ignored {
				delete(v, k)
				removed = true
				continue
			}
			if len(next) > 0 {
				nv, gone := m.normalize(child, next)
				if gone {
					delete(v, k)
					removed = true
					continue
				}
				v[k] = nv
			}
		}
		return v, removed && len(v) == 0
	case []any:
		key := listKey(v)
		out := v[:0:0]
		for i, item := range v {
			next, ignored := m.step(st, itemSeg(v, i, key))
			if ignored {
				continue
			}
			nv, _ := m.normalize(item, next)
			out = append(out, nv)
		}
		return out, false
	}
	return v, false
}

// digest is a fingerprint of a normalized object: equal objects have equal
// digests. It hashes an unambiguous encoding of the value (map keys
// sorted, every string and number prefixed with its length), which costs a
// third of encoding it as JSON.
func digest(v any) [32]byte {
	bp := digestBufs.Get().(*[]byte)
	b := appendCanonical((*bp)[:0], v)
	sum := sha256.Sum256(b)
	if cap(b) <= 1<<20 {
		*bp = b
		digestBufs.Put(bp)
	}
	return sum
}

var digestBufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

func appendCanonical(b []byte, v any) []byte {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, 'm')
		b = binary.AppendUvarint(b, uint64(len(keys)))
		for _, k := range keys {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			b = appendCanonical(b, v[k])
		}
		return b
	case []any:
		b = append(b, 'l')
		b = binary.AppendUvarint(b, uint64(len(v)))
		for _, x := range v {
			b = appendCanonical(b, x)
		}
		return b
	case string:
		b = append(b, 's')
		b = binary.AppendUvarint(b, uint64(len(v)))
		return append(b, v...)
	case json.Number:
		b = append(b, 'n')
		b = binary.AppendUvarint(b, uint64(len(v)))
		return append(b, v...)
	case float64:
		b = append(b, 'f')
		return binary.BigEndian.AppendUint64(b, math.Float64bits(v))
	case bool:
		if v {
			return append(b, 't')
		}
		return append(b, 'F')
	case nil:
		return append(b, 'z')
	}
	// Not a value JSON decodes to; encode it as JSON.
	j, _ := json.Marshal(v)
	b = append(b, 'j')
	b = binary.AppendUvarint(b, uint64(len(j)))
	return append(b, j...)
}

// diffValues appends the differences between a and b, at path, to out.
func diffValues(path []seg, a, b any, out *[]FieldChange) {
	switch av := a.(type) {
	case map[string]any:
		if bv, ok := b.(map[string]any); ok {
			diffMaps(path, av, bv, out)
			return
		}
	case []any:
		if bv, ok := b.([]any); ok {
			diffLists(path, av, bv, out)
			return
		}
	default:
		if scalarEqual(a, b) {
			return
		}
	}
	*out = append(*out, FieldChange{Path: pathString(path), Change: Changed, Old: a, New: b})
}

func scalarEqual(a, b any) bool {
	switch av := a.(type) {
	case nil:
		return b == nil
	case string:
		bv, ok := b.(string)
		return ok && av == bv
	case json.Number:
		bv, ok := b.(json.Number)
		return ok && av == bv
	case bool:
		bv, ok := b.(bool)
		return ok && av == bv
	case float64:
		bv, ok := b.(float64)
		return ok && av == bv
	}
	return false
}

func diffMaps(path []seg, a, b map[string]any, out *[]FieldChange) {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		av, inA := a[k]
		bv, inB := b[k]
		p := append(path[:len(path):len(path)], seg{kind: segKey, key: k})
		switch {
		case !inA:
			*out = append(*out, FieldChange{Path: pathString(p), Change: Added, New: bv})
		case !inB:
			*out = append(*out, FieldChange{Path: pathString(p), Change: Removed, Old: av})
		default:
			diffValues(p, av, bv, out)
		}
	}
}

// maxAlign bounds the work of aligning two lists of unnamed items (the
// product of their lengths); longer lists are compared position by
// position.
const maxAlign = 1 << 20

func diffLists(path []seg, a, b []any, out *[]FieldChange) {
	if reflect.DeepEqual(a, b) {
		return
	}
	ka, kb := listKey(a), listKey(b)
	switch {
	case ka != "" && (ka == kb || len(b) == 0):
		diffNamed(path, a, b, ka, out)
		return
	case kb != "" && len(a) == 0:
		diffNamed(path, a, b, kb, out)
		return
	case allScalars(a) && allScalars(b):
		// args, command, finalizers, verbs: one change, the whole list,
		// reads better than a change per item.
		*out = append(*out, FieldChange{Path: pathString(path), Change: Changed, Old: a, New: b})
		return
	}
	diffUnnamed(path, a, b, out)
}

func allScalars(l []any) bool {
	for _, v := range l {
		switch v.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

// diffNamed compares lists of named items, item by name.
func diffNamed(path []seg, a, b []any, key string, out *[]FieldChange) {
	name := func(item any) string {
		v, _ := scalarText(item.(map[string]any)[key])
		return v
	}
	inA := make(map[string]any, len(a))
	var orderA []string
	for _, item := range a {
		n := name(item)
		inA[n] = item
		orderA = append(orderA, n)
	}
	inB := make(map[string]bool, len(b))
	var orderB, commonB []string
	for _, item := range b {
		n := name(item)
		inB[n] = true
		orderB = append(orderB, n)
		p := append(path[:len(path):len(path)], seg{kind: segElem, key: key, value: n})
		old, ok := inA[n]
		if !ok {
			*out = append(*out, FieldChange{Path: pathString(p), Change: Added, New: item})
			continue
		}
		commonB = append(commonB, n)
		diffValues(p, old, item, out)
	}
	var commonA []string
	for _, n := range orderA {
		if !inB[n] {
			p := append(path[:len(path):len(path)], seg{kind: segElem, key: key, value: n})
			*out = append(*out, FieldChange{Path: pathString(p), Change: Removed, Old: inA[n]})
			continue
		}
		commonA = append(commonA, n)
	}
	if !slices.Equal(commonA, commonB) {
		*out = append(*out, FieldChange{Path: pathString(path), Change: Reordered, Old: names(orderA), New: names(orderB)})
	}
}

func names(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// diffUnnamed compares lists of unnamed items (RBAC rules, tolerations):
// items equal on both sides are matched by a longest common subsequence,
// and the items between them are compared position by position, so that
// inserting a rule shows as one rule added, not as every later rule
// changed.
func diffUnnamed(path []seg, a, b []any, out *[]FieldChange) {
	at := func(i int) []seg { return append(path[:len(path):len(path)], seg{kind: segIndex, index: i}) }
	var pairs [][2]int // matched items, in order
	if len(a)*len(b) <= maxAlign {
		pairs = align(a, b)
	} else {
		for i := range min(len(a), len(b)) {
			if reflect.DeepEqual(a[i], b[i]) {
				pairs = append(pairs, [2]int{i, i})
			}
		}
	}
	i, j := 0, 0
	flush := func(ei, ej int) {
		for i < ei && j < ej {
			diffValues(at(j), a[i], b[j], out)
			i++
			j++
		}
		for ; i < ei; i++ {
			*out = append(*out, FieldChange{Path: pathString(at(i)), Change: Removed, Old: a[i]})
		}
		for ; j < ej; j++ {
			*out = append(*out, FieldChange{Path: pathString(at(j)), Change: Added, New: b[j]})
		}
	}
	for _, p := range pairs {
		flush(p[0], p[1])
		i, j = p[0]+1, p[1]+1
	}
	flush(len(a), len(b))
}

// align returns the pairs of equal items of a longest common subsequence
// of a and b.
func align(a, b []any) [][2]int {
	n, m := len(a), len(b)
	ka, kb := make([]string, n), make([]string, m)
	for i, v := range a {
		s, _ := json.Marshal(v)
		ka[i] = string(s)
	}
	for j, v := range b {
		s, _ := json.Marshal(v)
		kb[j] = string(s)
	}
	// lcs[i][j] is the length of the LCS of a[i:] and b[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			switch {
			case ka[i] == kb[j]:
				lcs[i][j] = lcs[i+1][j+1] + 1
			case lcs[i+1][j] >= lcs[i][j+1]:
				lcs[i][j] = lcs[i+1][j]
			default:
				lcs[i][j] = lcs[i][j+1]
			}
		}
	}
	var pairs [][2]int
	for i, j := 0, 0; i < n && j < m; {
		switch {
		case ka[i] == kb[j]:
			pairs = append(pairs, [2]int{i, j})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			i++
		default:
			j++
		}
	}
	return pairs
}
