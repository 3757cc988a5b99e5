package history

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// pruneBatch bounds the changes one transaction deletes.
const pruneBatch = 10000

// prune drops the changes recorded before cutoff, but for the newest of
// each object that still existed at the cutoff (its state then, which
// answers every later time until its next change), then the tombstones of
// objects deleted before it, and the contents no change names any more. It returns how many changes and contents it
// dropped.
func (w *writer) prune(cutoff time.Time) (changes, blobs int, err error) {
	end := uint64(max(cutoff.UnixNano(), 0))
	var from []byte
	for {
		var drop [][2][]byte // change key, objects key
		var next []byte
		err := w.update(func(tx *bolt.Tx) error {
			drop, next = drop[:0], nil
			objects := tx.Bucket(bucketObjects).Cursor()
			c := tx.Bucket(bucketChanges).Cursor()
			k, v := c.First()
			if from != nil {
				k, v = c.Seek(from)
			}
			for ; k != nil && binary.BigEndian.Uint64(k) < end; k, v = c.Next() {
				if len(drop) == pruneBatch {
					next = bytes.Clone(k)
					break
				}
				var ch Change
				if err := json.Unmarshal(v, &ch); err != nil {
					return err
				}
				prefix := objectPrefix(Ref{ch.Resource, ch.Namespace, ch.Name})
				own := append(bytes.Clone(prefix), k...)
				objects.Seek(own)
				nk, _ := objects.Next()
				superseded := nk != nil && bytes.HasPrefix(nk, prefix) && len(nk) == len(prefix)+8 &&
					binary.BigEndian.Uint64(nk[len(prefix):]) < end
				if superseded || ch.Change == Deleted {
					drop = append(drop, [2][]byte{bytes.Clone(k), own})
				}
			}
			for _, d := range drop {
				if err := tx.Bucket(bucketChanges).Delete(d[0]); err != nil {
					return err
				}
				if err := tx.Bucket(bucketObjects).Delete(d[1]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return changes, 0, err
		}
		changes += len(drop)
		if next == nil {
			break
		}
		from = next
	}
	if changes == 0 {
		return 0, 0, nil
	}
	// Tombstones of objects deleted before the cutoff: their deletion is
	// dropped, and no watch resumes from that far back.
	err = w.update(func(tx *bolt.Tx) error {
		var old [][]byte
		err := tx.Bucket(bucketCurrent).ForEach(func(k, v []byte) error {
			var c currentEntry
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			if c.Deleted && c.Key < end {
				old = append(old, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := tx.Bucket(bucketCurrent).Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return changes, 0, err
	}
	blobs, err = w.sweepBlobs()
	return changes, blobs, err
}

// sweepBlobs deletes the contents no change names.
func (w *writer) sweepBlobs() (int, error) {
	n := 0
	err := w.update(func(tx *bolt.Tx) error {
		used := map[string]bool{}
		err := tx.Bucket(bucketChanges).ForEach(func(_, v []byte) error {
			var ch struct {
				Content string `json:"content"`
			}
			if err := json.Unmarshal(v, &ch); err != nil {
				return err
			}
			if h, err := parseContentName(ch.Content); err == nil {
				used[string(h)] = true
			}
			return nil
		})
		if err != nil {
			return err
		}
		var unused [][]byte
		err = tx.Bucket(bucketBlobs).ForEach(func(k, _ []byte) error {
			if !used[string(k)] {
				unused = append(unused, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range unused {
			if err := tx.Bucket(bucketBlobs).Delete(k); err != nil {
				return err
			}
		}
		n = len(unused)
		return nil
	})
	return n, err
}
