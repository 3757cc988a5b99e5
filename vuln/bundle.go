package vuln

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A bundle carries a database into an air-gapped network: a gzip'd tar
// of manifest.json (what is inside, with the database's SHA-256) and the
// database file itself, which importing checks and installs as it is.

const (
	bundleManifest = "manifest.json"
	bundleDB       = "vuln.db"
	// maxBundleDB bounds the database a bundle may carry.
	maxBundleDB = 16 << 30
)

// Manifest describes a bundle.
type Manifest struct {
	Schema string    `json:"schema"`
	Built  time.Time `json:"built"`
	SHA256 string    `json:"sha256"`
	Size   int64     `json:"size"`
	Status Status    `json:"status"`
}

// Export writes the database at dbPath as a bundle to w.
func Export(dbPath string, w io.Writer) (*Manifest, error) {
	db, err := Open(dbPath)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Schema: SchemaVersion, Status: *db.Status()}
	m.Built = m.Status.Built
	// Hash and copy one consistent view: a read transaction's WriteTo.
	h := sha256.New()
	err = db.bolt.View(func(tx *bolt.Tx) error {
		n, err := tx.WriteTo(h)
		m.Size = n
		return err
	})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	m.SHA256 = hex.EncodeToString(h.Sum(nil))
	man, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	now := time.Now()
	err = tw.WriteHeader(&tar.Header{Name: bundleManifest, Mode: 0o644, Size: int64(len(man)), ModTime: now, Typeflag: tar.TypeReg})
	if err == nil {
		_, err = tw.Write(man)
	}
	if err == nil {
		err = tw.WriteHeader(&tar.Header{Name: bundleDB, Mode: 0o644, Size: m.Size, ModTime: now, Typeflag: tar.TypeReg})
	}
	if err == nil {
		err = db.bolt.View(func(tx *bolt.Tx) error {
			_, err := tx.WriteTo(tw)
			return err
		})
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = gz.Close()
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// ImportBundle checks a bundle (its manifest, size, checksum and schema)
// and installs its database at dbPath in one rename.
func ImportBundle(bundle, dbPath string, lim Limits) (*Status, error) {
	f, err := os.Open(bundle)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	zr, err := gunzipLimited(f, maxBundleDB+1<<20)
	if err != nil {
		return nil, fmt.Errorf("%s: not a bundle: %w", bundle, err)
	}
	tr := tar.NewReader(zr)
	var m *Manifest
	var tmp string
	defer func() {
		if tmp != "" {
			_ = os.Remove(tmp)
		}
	}()
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", bundle, err)
		}
		switch {
		case h.Typeflag != tar.TypeReg:
			return nil, fmt.Errorf("%s: entry %q is not a regular file", bundle, h.Name)
		case h.Name == bundleManifest && m == nil:
			data, err := io.ReadAll(io.LimitReader(tr, 1<<20))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", bundle, err)
			}
			m = new(Manifest)
			if err := json.Unmarshal(data, m); err != nil {
				return nil, fmt.Errorf("%s: manifest: %w", bundle, err)
			}
			if m.Schema != SchemaVersion {
				return nil, fmt.Errorf("%s: database schema %q, this Dozor reads %q", bundle, m.Schema, SchemaVersion)
			}
		case h.Name == bundleDB && m != nil && tmp == "":
			if h.Size != m.Size || h.Size > maxBundleDB {
				return nil, fmt.Errorf("%s: database of %d bytes, the manifest says %d", bundle, h.Size, m.Size)
			}
			if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
				return nil, err
			}
			out, err := os.CreateTemp(filepath.Dir(dbPath), "."+filepath.Base(dbPath)+".new-*")
			if err != nil {
				return nil, err
			}
			tmp = out.Name()
			hash := sha256.New()
			n, err := io.Copy(io.MultiWriter(out, hash), io.LimitReader(tr, m.Size+1))
			if err == nil {
				err = out.Sync()
			}
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", bundle, err)
			}
			if n != m.Size || hex.EncodeToString(hash.Sum(nil)) != m.SHA256 {
				return nil, fmt.Errorf("%s: the database does not match the manifest's checksum: the bundle is corrupt or truncated", bundle)
			}
		default:
			return nil, fmt.Errorf("%s: unexpected entry %q (a bundle holds %s then %s)", bundle, h.Name, bundleManifest, bundleDB)
		}
	}
	if m == nil || tmp == "" {
		return nil, fmt.Errorf("%s: incomplete bundle (no %s or %s)", bundle, bundleManifest, bundleDB)
	}
	db, err := Open(tmp)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", bundle, err)
	}
	st := *db.Status()
	_ = db.Close()
	if err := install(tmp, dbPath); err != nil {
		return nil, err
	}
	tmp = ""
	return &st, nil
}
