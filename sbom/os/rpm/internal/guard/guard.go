// Package guard checks rpm databases before github.com/knqyf263/go-rpmdb
// reads them. go-rpmdb trusts its input: a Berkeley DB whose overflow
// pages form a loop makes it loop for ever (or grow without end), an ndb
// blob's length makes it allocate up to 4 GiB, a header's entry count up
// to 32 GiB; it prints to standard output on a bad ndb slot; and it
// decodes Berkeley DB and ndb pages in a goroutine of its own, where a
// panic cannot be recovered. The checks here walk a database's structure
// as go-rpmdb will, bounded in time and memory, and refuse anything it
// would not read safely.
//
// It is a package of its own, without SQLite (package rpm checks SQLite
// databases with SQL), so that fuzzing it is fast: fuzzing instruments
// every package linked, and SQLite's transpiled C is millions of lines.
package guard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Limits of a database, beyond its size.
const (
	// MaxPackages is the most packages (headers) read of one database;
	// a large distribution image has a few thousand.
	MaxPackages = 100_000
	// MaxHeader is the largest header, rpm's own limit (headerMaxbytes).
	MaxHeader = 256 << 20
)

// Format is a kind of rpm database.
type Format int

// The formats: SQLite (rpmdb.sqlite, rpm 4.16 and later), ndb
// (Packages.db, SUSE) and Berkeley DB (Packages, rpm 4.15 and earlier).
const (
	FormatSQLite Format = iota + 1
	FormatNDB
	FormatBDB
)

// Magic numbers of the formats, as they are read (little-endian for ndb).
const (
	sqliteMagic   = "SQLite format 3\x00"
	ndbMagic      = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	ndbSlotMagic  = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	ndbBlobMagic  = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
	bdbHashMagic  = 0x00061561
	bdbHashMagicX = 0x61150600 // written on a machine of the other byte order
)

// Detect tells a database's format as go-rpmdb's Open does: SQLite's
// magic, then an ndb header (magic, version 0, some slot pages), else
// Berkeley DB.
func Detect(head []byte) Format {
	le := binary.LittleEndian
	switch {
	case len(head) >= 16 && string(head[:16]) == sqliteMagic:
		return FormatSQLite
	case len(head) >= 16 && le.Uint32(head) == ndbMagic && le.Uint32(head[4:]) == 0 && le.Uint32(head[12:]) != 0:
		return FormatNDB
	}
	return FormatBDB
}

// Tally counts a database's headers and their bytes: more headers than
// MaxPackages, or more bytes than the file holds (headers that share
// bytes, or values SQLite computes), are refused.
type Tally struct {
	N     int
	Bytes int64
	Size  int64
}

// Add counts a header of n bytes.
func (t *Tally) Add(n int64) error {
	t.N++
	t.Bytes += n
	switch {
	case t.N > MaxPackages:
		return fmt.Errorf("more than %d packages", MaxPackages)
	case t.Bytes > t.Size:
		return fmt.Errorf("headers of more than the file's %d bytes", t.Size)
	}
	return nil
}

// ndb's layout (rpm's lib/backend/ndb/rpmpkg.c): a 32-byte header in the
// first of some 4 KiB pages of 16-byte slots, each naming a blob by its
// offset in 16-byte blocks; a blob has a 16-byte head (magic, package
// index, time, length) before the header.
const (
	ndbPage       = 4096
	ndbSlot       = 16
	ndbBlk        = 16
	ndbMaxPages   = 2048 // go-rpmdb's limit
	ndbHeaderSize = 32
)

// NDB checks an ndb database (Packages.db) as go-rpmdb reads it: every
// slot's magic, and the blob a used slot names, inside the file, with
// its head and a header (Header).
func NDB(r io.ReaderAt, size int64) error {
	le := binary.LittleEndian
	hdr := make([]byte, ndbHeaderSize)
	if _, err := r.ReadAt(hdr, 0); err != nil {
		return fmt.Errorf("ndb: header: %w", err)
	}
	npages := int64(le.Uint32(hdr[12:]))
	if npages > ndbMaxPages || npages*ndbPage > size {
		return fmt.Errorf("ndb: %d slot pages, in a file of %d bytes", npages, size)
	}
	slots := make([]byte, npages*ndbPage-ndbHeaderSize)
	if _, err := r.ReadAt(slots, ndbHeaderSize); err != nil {
		return fmt.Errorf("ndb: %d slot pages: %w", npages, err)
	}
	t := Tally{Size: size}
	head := make([]byte, 16)
	for i := 0; i+ndbSlot <= len(slots); i += ndbSlot {
		s := slots[i : i+ndbSlot]
		if le.Uint32(s) != ndbSlotMagic {
			return fmt.Errorf("ndb: slot %d: bad magic", i/ndbSlot)
		}
		pkg, off := le.Uint32(s[4:]), int64(le.Uint32(s[8:]))*ndbBlk
		if pkg == 0 {
			continue // a free slot
		}
		if off+int64(len(head)) > size {
			return fmt.Errorf("ndb: package %d: a blob at %d, past the end", pkg, off)
		}
		if _, err := r.ReadAt(head, off); err != nil {
			return fmt.Errorf("ndb: package %d: %w", pkg, err)
		}
		n := int64(le.Uint32(head[12:]))
		switch {
		case le.Uint32(head) != ndbBlobMagic:
			return fmt.Errorf("ndb: package %d: bad blob magic", pkg)
		case le.Uint32(head[4:]) != pkg:
			return fmt.Errorf("ndb: package %d: the blob is package %d's", pkg, le.Uint32(head[4:]))
		case n > size-off-16:
			return fmt.Errorf("ndb: package %d: a blob of %d bytes, past the end", pkg, n)
		case n > MaxHeader:
			return fmt.Errorf("ndb: package %d: a header of %d bytes, more than %d", pkg, n, MaxHeader)
		}
		if err := t.Add(n); err != nil {
			return fmt.Errorf("ndb: %w", err)
		}
		blob := make([]byte, n)
		if _, err := r.ReadAt(blob, off+16); err != nil {
			return fmt.Errorf("ndb: package %d: %w", pkg, err)
		}
		if err := Header(blob); err != nil {
			return fmt.Errorf("ndb: package %d: %w", pkg, err)
		}
	}
	return nil
}

// Berkeley DB's hash layout, as rpm's Packages database uses it: a
// metadata page, hash pages whose items are pairs of a key (the package
// number) and a value that is a reference to a chain of overflow pages
// holding the header.
const (
	bdbPageHeader   = 26
	bdbHashUnsorted = 2
	bdbOffPage      = 3 // an item stored in overflow pages (H_OFFPAGE)
	bdbOverflow     = 7
	bdbHashMeta     = 8
	bdbHash         = 13
	bdbOffPageSize  = 12
)

// BDB checks a Berkeley DB database (Packages): it walks every hash page and every value's chain of overflow
// pages as go-rpmdb does, and refuses what would make it index out of a
// page, loop, or read a page twice.
func BDB(r io.ReaderAt, size int64) error {
	meta := make([]byte, 512)
	if _, err := r.ReadAt(meta, 0); err != nil {
		return fmt.Errorf("bdb: metadata: %w", err)
	}
	var order binary.ByteOrder = binary.LittleEndian
	switch binary.LittleEndian.Uint32(meta[12:]) {
	case bdbHashMagic:
	case bdbHashMagicX:
		order = binary.BigEndian
	default:
		return errors.New("bdb: not a hash database (bad magic)")
	}
	pageSize := int64(order.Uint32(meta[20:]))
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return fmt.Errorf("bdb: a page size of %d", pageSize)
	}
	if meta[24] != 0 {
		return errors.New("bdb: encrypted")
	}
	if meta[25] != bdbHashMeta {
		return fmt.Errorf("bdb: a metadata page of type %d", meta[25])
	}
	pages := int64(order.Uint32(meta[32:])) + 1
	if pages*pageSize > size {
		return fmt.Errorf("bdb: %d pages of %d bytes, more than the file's %d bytes", pages, pageSize, size)
	}
	// Offsets in a page are 16 bits, and go-rpmdb adds them in 16 bits.
	limit := min(pageSize, 65535)
	used := make([]bool, pages)
	page, ovf := make([]byte, pageSize), make([]byte, pageSize)
	t := Tally{Size: size}
	for pg := range pages {
		if _, err := r.ReadAt(page, pg*pageSize); err != nil {
			return fmt.Errorf("bdb: page %d: %w", pg, err)
		}
		if page[25] != bdbHash && page[25] != bdbHashUnsorted {
			continue
		}
		entries := int64(order.Uint16(page[20:]))
		if entries%2 != 0 || bdbPageHeader+2*entries > limit {
			return fmt.Errorf("bdb: page %d: %d items", pg, entries)
		}
		// Items pair a key and a value; go-rpmdb reads the values.
		for j := int64(1); j < entries; j += 2 {
			v := int64(order.Uint16(page[bdbPageHeader+2*j:]))
			if v+1 > pageSize {
				return fmt.Errorf("bdb: page %d: an item at %d, past the page", pg, v)
			}
			if page[v] != bdbOffPage {
				continue
			}
			if v+bdbOffPageSize > limit {
				return fmt.Errorf("bdb: page %d: an item at %d, past the page", pg, v)
			}
			blob, err := chain(r, order, int64(order.Uint32(page[v+4:])), pageSize, used, ovf)
			if err != nil {
				return fmt.Errorf("bdb: page %d: %w", pg, err)
			}
			if err := t.Add(int64(len(blob))); err != nil {
				return fmt.Errorf("bdb: %w", err)
			}
			if err := Header(blob); err != nil {
				return fmt.Errorf("bdb: page %d: %w", pg, err)
			}
		}
	}
	return nil
}

// chain follows a value's overflow pages from first, marking each used
// (a page in two chains, or twice in one, is refused), and returns the
// value, at most MaxHeader bytes.
func chain(r io.ReaderAt, order binary.ByteOrder, first, pageSize int64, used []bool, buf []byte) ([]byte, error) {
	if first == 0 {
		return nil, errors.New("an empty value")
	}
	var value []byte
	for cur := first; cur != 0; {
		if cur >= int64(len(used)) {
			return nil, fmt.Errorf("overflow page %d, past the last", cur)
		}
		if used[cur] {
			return nil, fmt.Errorf("overflow page %d read twice", cur)
		}
		used[cur] = true
		if _, err := r.ReadAt(buf, cur*pageSize); err != nil {
			return nil, fmt.Errorf("overflow page %d: %w", cur, err)
		}
		if buf[25] != bdbOverflow {
			return nil, fmt.Errorf("overflow page %d: a page of type %d", cur, buf[25])
		}
		next := int64(order.Uint32(buf[16:]))
		data := buf[bdbPageHeader:]
		if next == 0 {
			// The last page's "free area offset" is its length of data.
			k := int64(order.Uint16(buf[22:]))
			if bdbPageHeader+k > min(pageSize, 65535) {
				return nil, fmt.Errorf("overflow page %d: %d bytes of data", cur, k)
			}
			data = data[:k]
		}
		if int64(len(value)+len(data)) > MaxHeader {
			return nil, fmt.Errorf("a header of more than %d bytes", MaxHeader)
		}
		value = append(value, data...)
		cur = next
	}
	return value, nil
}
