package rpm

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/sbom/os/rpm/internal/rpmdbtest"
)

// sqliteWith applies SQL statements to a copy of a SQLite database and
// returns its bytes.
func sqliteWith(t *testing.T, data []byte, stmts ...string) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rpmdb.sqlite")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	// Out of WAL mode, so that the file holds every change.
	for _, s := range append([]string{"PRAGMA journal_mode=DELETE"}, stmts...) {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// overflowPages are the Berkeley DB overflow pages of a database of 4
// KiB pages, in order.
func overflowPages(data []byte) []int {
	var out []int
	for pg := 1; (pg+1)*4096 <= len(data); pg++ {
		if data[pg*4096+25] == 7 { // an overflow page
			out = append(out, pg)
		}
	}
	return out
}

// TestCheckRefuses alters real databases the ways that would make
// go-rpmdb loop for ever, allocate gigabytes, read a header many times
// over or run a query of the database's own, and checks that read
// refuses each, saying why, before go-rpmdb reads it.
func TestCheckRefuses(t *testing.T) {
	dir, _ := rpmdbtest.SQLiteDB(t, rpmdbtest.BuildRPMs(t), true)
	blobs := rpmdbtest.Headers(t, dir)
	real, err := os.ReadFile(filepath.Join(dir, "rpmdb.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	ndb := rpmdbtest.NDB(blobs)
	bdb := rpmdbtest.BerkeleyDB(t, blobs)
	ovf := overflowPages(bdb)
	if len(ovf) < 2 {
		t.Fatalf("overflow pages %v: want one a header", ovf)
	}
	le, be := binary.LittleEndian, binary.BigEndian
	const blob0 = 4096 // the first ndb blob
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"ndb: a blob longer than the file", func() []byte {
			d := slices.Clone(ndb)
			le.PutUint32(d[blob0+12:], 0xfffffff0)
			return d
		}(), "past the end"},
		{"ndb: a header of 2^31-1 entries", func() []byte {
			d := slices.Clone(ndb)
			be.PutUint32(d[blob0+16:], 0x7fffffff)
			return d
		}(), "says it has 2147483647 entries"},
		{"ndb: a bad slot", func() []byte {
			d := slices.Clone(ndb)
			le.PutUint32(d[32+16*200:], 0)
			return d
		}(), "slot 200: bad magic"},
		{"ndb: every slot the first blob", func() []byte {
			d := slices.Clone(ndb)
			for o := 32 + 16; o < 4096; o += 16 {
				copy(d[o:o+16], d[32:48])
			}
			return d
		}(), "headers of more than the file's"},
		{"Berkeley DB: an overflow page that loops", func() []byte {
			d := slices.Clone(bdb)
			le.PutUint32(d[ovf[0]*4096+16:], uint32(ovf[0]))
			return d
		}(), "read twice"},
		{"Berkeley DB: an overflow page leading into another's", func() []byte {
			d := slices.Clone(bdb)
			le.PutUint32(d[ovf[0]*4096+16:], uint32(ovf[1]))
			return d
		}(), "read twice"},
		{"Berkeley DB: a chain through a page of another type", func() []byte {
			d := slices.Clone(bdb)
			d[ovf[1]*4096+25] = 5
			return d
		}(), "a page of type 5"},
		{"Berkeley DB: a chain past the last page", func() []byte {
			d := slices.Clone(bdb)
			le.PutUint32(d[ovf[0]*4096+16:], 1<<20)
			return d
		}(), "past the last"},
		{"SQLite: a header of 2^31-1 entries", sqliteWith(t, real,
			"UPDATE Packages SET blob = CAST(x'7fffffff' || substr(blob, 5) AS BLOB) WHERE hnum = (SELECT min(hnum) FROM Packages)"),
			"says it has 2147483647 entries"},
		{"SQLite: a text, not a header", sqliteWith(t, real, "UPDATE Packages SET blob = 'text'"), "a text, not a header"},
		{"SQLite: Packages a view of endless rows", sqliteWith(t, real, "DROP TABLE Packages",
			"CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT zeroblob(100) AS blob FROM c"),
			"Packages is a view"},
		{"SQLite: headers computed larger than the file", sqliteWith(t, real, "DROP TABLE Packages",
			"CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, n INTEGER, blob BLOB GENERATED ALWAYS AS (CAST(x'00000001000000ff' || zeroblob(n) AS BLOB)) VIRTUAL)",
			"INSERT INTO Packages (n) SELECT 10000000 FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3)"),
			"headers of more than the file's"},
	} {
		t.Run(c.name, func(t *testing.T) {
			noTemp(t)
			hs, err := read(bytes.NewReader(c.data), int64(len(c.data)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("read() = %d packages, %v, want an error saying %q", len(hs), err, c.want)
			}
			t.Log(err)
		})
	}
	// The unaltered databases read.
	for name, data := range map[string][]byte{"ndb": ndb, "Berkeley DB": bdb, "SQLite": real} {
		if hs, err := read(bytes.NewReader(data), int64(len(data))); err != nil || len(hs) != 3 {
			t.Errorf("%s: read() = %d packages, %v, want 3", name, len(hs), err)
		}
	}
}

func TestTooLarge(t *testing.T) {
	noTemp(t)
	_, err := read(bytes.NewReader(nil), MaxDatabase+1)
	if err == nil || !strings.Contains(err.Error(), "more than the 1073741824 read") {
		t.Fatalf("read() = %v, want an error of size", err)
	}
}
