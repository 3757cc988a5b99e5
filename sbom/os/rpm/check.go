package rpm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	// The "sqlite" database/sql driver, which go-rpmdb's SQLite reader
	// opens without registering one.
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/dozor-dev/dozor/sbom/os/rpm/internal/guard"
)

// sqliteTimeout bounds the SQL queries of the SQLite check.
const sqliteTimeout = 2 * time.Minute

// check refuses a database at p that go-rpmdb would not read safely.
func check(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	// Every format's smallest database is a page of 512 bytes or more.
	head := make([]byte, 512)
	if _, err := f.ReadAt(head, 0); err != nil {
		return fmt.Errorf("%d bytes: too short for an rpm database", st.Size())
	}
	switch guard.Detect(head) {
	case guard.FormatSQLite:
		return checkSQLite(p, st.Size())
	case guard.FormatNDB:
		return guard.NDB(f, st.Size())
	default:
		return guard.BDB(f, st.Size())
	}
}

// checkSQLite checks rpm's Packages table as go-rpmdb will read it
// (SELECT blob FROM Packages): a table, not a view or virtual table,
// whose every blob is a header (guard.Header), and whose blobs are no
// more than the file holds (not computed). Its queries are bounded in
// time, and in the length of a value (guard.MaxHeader).
func checkSQLite(p string, size int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), sqliteTimeout)
	defer cancel()
	db, err := sql.Open("sqlite", p)
	if err != nil {
		return fmt.Errorf("SQLite: %w", err)
	}
	defer func() { _ = db.Close() }()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("SQLite: %w", err)
	}
	defer func() { _ = conn.Close() }()
	if _, err := sqlite.Limit(conn, sqlite3.SQLITE_LIMIT_LENGTH, guard.MaxHeader); err != nil {
		return fmt.Errorf("SQLite: %w", err)
	}
	var typ, schema sql.NullString
	err = conn.QueryRowContext(ctx, "SELECT type, sql FROM sqlite_master WHERE name = 'Packages' COLLATE NOCASE").Scan(&typ, &schema)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return errors.New("SQLite: no Packages table")
	case err != nil:
		return fmt.Errorf("SQLite: %w", err)
	case typ.String != "table" || strings.HasPrefix(strings.ToUpper(strings.TrimSpace(schema.String)), "CREATE VIRTUAL"):
		return fmt.Errorf("SQLite: Packages is a %s, not rpm's table", typ.String)
	}
	rows, err := conn.QueryContext(ctx, "SELECT typeof(blob), blob FROM Packages")
	if err != nil {
		return fmt.Errorf("SQLite: %w", err)
	}
	defer func() { _ = rows.Close() }()
	t := guard.Tally{Size: size}
	for rows.Next() {
		var kind string
		var blob []byte
		if err := rows.Scan(&kind, &blob); err != nil {
			return fmt.Errorf("SQLite: %w", err)
		}
		if kind != "blob" {
			return fmt.Errorf("SQLite: package %d: a %s, not a header", t.N+1, kind)
		}
		if err := t.Add(int64(len(blob))); err != nil {
			return fmt.Errorf("SQLite: %w", err)
		}
		if err := guard.Header(blob); err != nil {
			return fmt.Errorf("SQLite: package %d: %w", t.N, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("SQLite: %w", err)
	}
	return nil
}
