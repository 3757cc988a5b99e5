package guard

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Header types (rpm's rpmTagType) and their sizes and alignment; -1 is a
// string's size, to be found.
var (
	typeSizes = [...]int64{0, 1, 1, 2, 4, 8, -1, 1, -1, -1}
	typeAlign = [...]int64{1, 1, 1, 2, 4, 8, 1, 1, 1, 1}
)

// The types with more than a fixed size.
const (
	typeString      = 6
	typeStringArray = 8
	typeI18NString  = 9
)

// Header checks a header as rpm does before it reads one (lib/header.c,
// hdrblobInit and hdrblobVerifyInfo): its counts of index entries and of
// data bytes against its length, then each entry's type, tag, alignment
// and data, in order and without overlap, every string ended. go-rpmdb
// allocates by the count of entries before it checks it, and looks for
// an entry's strings once per string it claims, without end: a header
// rpm reads it reads in linear time.
func Header(h []byte) error {
	be := binary.BigEndian
	n := int64(len(h))
	if n < 8 {
		return fmt.Errorf("a header of %d bytes", n)
	}
	if n > MaxHeader {
		return fmt.Errorf("a header of %d bytes, more than %d", n, MaxHeader)
	}
	il, dl := int64(int32(be.Uint32(h))), int64(int32(be.Uint32(h[4:])))
	if il < 1 || dl < 0 || 8+16*il+dl > n {
		return fmt.Errorf("a header of %d bytes says it has %d entries and %d bytes of data", n, il, dl)
	}
	index, data := h[8:8+16*il], h[8+16*il:8+16*il+dl]
	// A region's tag (an immutable header's) comes first, unchecked.
	first := int64(0)
	if tag := int32(be.Uint32(index)); tag >= 61 && tag <= 63 {
		first = 1
	}
	end := int64(0)
	for i := range il {
		e := index[16*i : 16*i+16]
		tag, typ, off, count := int32(be.Uint32(e)), be.Uint32(e[4:]), int64(int32(be.Uint32(e[8:]))), int64(be.Uint32(e[12:]))
		if typ >= uint32(len(typeSizes)) {
			return fmt.Errorf("entry %d: type %d", i, typ)
		}
		if i < first {
			continue
		}
		switch {
		case off < end:
			return fmt.Errorf("entry %d: data at %d, before the end of the last's, %d", i, off, end)
		case tag < 100:
			return fmt.Errorf("entry %d: tag %d", i, tag)
		case off%typeAlign[typ] != 0 || off > dl:
			return fmt.Errorf("entry %d: data at %d", i, off)
		}
		l := dataLength(data, typ, count, off)
		if l <= 0 || off+l > dl {
			return fmt.Errorf("entry %d: %d values of type %d at %d: past the data", i, count, typ, off)
		}
		end = off + l
	}
	return nil
}

// dataLength is the length of count values of type typ at off in data,
// or -1 when they do not fit (strings: when one has no end).
func dataLength(data []byte, typ uint32, count, off int64) int64 {
	switch typ {
	case typeString, typeStringArray, typeI18NString:
		if typ == typeString && count != 1 {
			return -1
		}
		p := off
		for range count {
			i := bytes.IndexByte(data[p:], 0)
			if i < 0 {
				return -1
			}
			p += int64(i) + 1
		}
		return p - off
	}
	l := typeSizes[typ] * count
	if off+l > int64(len(data)) {
		return -1
	}
	return l
}
