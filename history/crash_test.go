package history

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// crashChildEnv makes the test binary a writer that TestStoreCrash kills.
const crashChildEnv = "DOZOR_HISTORY_CRASH_CHILD"

// crashBatch is how many objects each batch of the crash child changes.
const crashBatch = 50

// crashChild writes batches to the store in dir until it is killed: batch
// i changes every object obj-0..obj-49 to resourceVersion i, with new
// content, and moves the cursor to i; after each commit it prints
// "committed i".
func crashChild(dir string) {
	w, err := openWriter(dir, Cluster{Server: "https://crash.invalid"}, quiet)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	cursors, err := w.cursors()
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	i, _ := strconv.Atoi(cursors[string(unitKey("configmaps", ""))])
	pad := strings.Repeat("x", 4000)
	for i++; ; i++ {
		var items []*item
		rv := strconv.Itoa(i)
		for j := range crashBatch {
			o, err := newConfigMap("crash", fmt.Sprintf("obj-%d", j), strconv.Itoa(j), rv,
				map[string]any{"batch": rv, "pad": pad + strconv.Itoa(rand.Int())})
			if err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			items = append(items, &item{kind: itemEvent, res: configMaps, obj: o, rv: rv, at: time.Now()})
		}
		if err := w.write(items); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("committed", i)
	}
}

// TestStoreCrash kills a writer (SIGKILL) at random points of its batches,
// again and again, and checks each time that the store opens, is
// consistent, holds every batch the writer said it had committed (and at
// most the one it was writing), whole, and that the cursor says where the
// history ends: a crash mid-write loses nothing committed, and leaves no
// half batch behind.
func TestStoreCrash(t *testing.T) {
	dir := t.TempDir()
	reported := 0
	for round := range 6 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		want := 2 + round
		for n := 0; n < want && sc.Scan(); {
			line := sc.Text()
			v, ok := strings.CutPrefix(line, "committed ")
			if !ok {
				t.Fatalf("child: %s", line)
			}
			reported, _ = strconv.Atoi(v)
			n++
		}
		// Kill somewhere in the next batch: at once, or up to a few
		// milliseconds in (a batch takes about that long to write).
		time.Sleep(time.Duration(rand.N(4000)) * time.Microsecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()

		s, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: the store does not open after a crash: %v", round, err)
		}
		checkConsistent(t, s)
		cur, err := s.Changes(Query{})
		if err != nil {
			t.Fatal(err)
		}
		if len(cur)%crashBatch != 0 {
			t.Fatalf("round %d: %d changes, not whole batches of %d", round, len(cur), crashBatch)
		}
		committed := len(cur) / crashBatch
		if committed != reported && committed != reported+1 {
			t.Fatalf("round %d: %d batches in the store, the writer reported %d committed", round, committed, reported)
		}
		last := cur[len(cur)-1].ResourceVersion
		for _, c := range cur[len(cur)-crashBatch:] {
			if c.ResourceVersion != last {
				t.Fatalf("round %d: the last batch mixes resourceVersions %s and %s", round, c.ResourceVersion, last)
			}
		}
		var cursor string
		err = s.view(func(tx *bolt.Tx) error {
			cursor = string(tx.Bucket(bucketCursors).Get(unitKey("configmaps", "")))
			return nil
		})
		if err != nil || cursor != last {
			t.Fatalf("round %d: cursor %q, want the last batch %q (%v)", round, cursor, last, err)
		}
		t.Logf("round %d: killed after %d batches reported; %d in the store", round, reported, committed)
		reported = committed
	}
}

// TestStoreTornWrite: a crash during a commit's last write, its meta page,
// leaves that page torn (and the file may lack the pages the commit
// added): the store opens at the commit before, whole, and takes new
// writes.
func TestStoreTornWrite(t *testing.T) {
	w, s, dir := newTestWriter(t)
	write(t, w, event(cm(t, "shop", "web", "1", "1", map[string]any{"v": "before"}), sec(1)))
	path := filepath.Join(dir, dbFile)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var big []*item
	for i := range 300 {
		big = append(big, event(cm(t, "shop", fmt.Sprintf("big-%d", i), "b", "2", map[string]any{"pad": strings.Repeat(strconv.Itoa(i), 3000)}), sec(2)))
	}
	big = append(big, event(cm(t, "shop", "web", "1", "3", map[string]any{"v": "torn"}), sec(3)))
	write(t, w, big...)
	w.close()

	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var txid int
	_ = db.View(func(tx *bolt.Tx) error { txid = tx.ID(); return nil })
	pageSize := db.Info().PageSize
	_ = db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The meta page of transaction txid is page txid%2.
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xAB}, pageSize), int64(txid%2*pageSize)); err != nil {
		t.Fatal(err)
	}
	after, _ := f.Stat()
	if after.Size() > before.Size() {
		if err := f.Truncate(before.Size()); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()

	v, err := s.At(Ref{"configmaps", "shop", "web"}, sec(100))
	if err != nil || !strings.Contains(string(v.Object), `"v":"before"`) {
		t.Fatalf("At() after a torn commit = %v, %v; want the version before", v, err)
	}
	if all, _ := s.Changes(Query{}); len(all) != 1 {
		t.Errorf("%d changes after a torn commit, want 1", len(all))
	}
	checkConsistent(t, s)
	w2, err := openWriter(dir, Cluster{Server: "https://test.invalid"}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.close()
	write(t, w2, event(cm(t, "shop", "web", "1", "4", map[string]any{"v": "after"}), sec(4)))
	if v, err := s.At(Ref{"configmaps", "shop", "web"}, sec(100)); err != nil || !strings.Contains(string(v.Object), `"v":"after"`) {
		t.Errorf("At() after writing again = %v, %v", v, err)
	}
	checkConsistent(t, s)
}

// checkConsistent checks that the store's indexes agree: every change is
// indexed under its object and names stored content; every index entry
// names a change; every current object's newest change exists, is its
// own, and is a deletion exactly for tombstones.
func checkConsistent(t *testing.T, s *Store) {
	t.Helper()
	err := s.view(func(tx *bolt.Tx) error {
		changes, objects, blobs := tx.Bucket(bucketChanges), tx.Bucket(bucketObjects), tx.Bucket(bucketBlobs)
		err := changes.ForEach(func(k, v []byte) error {
			var ch Change
			if err := json.Unmarshal(v, &ch); err != nil {
				return err
			}
			if !ch.Time.Equal(time.Unix(0, int64(binary.BigEndian.Uint64(k)))) {
				return fmt.Errorf("change %x has time %v", k, ch.Time)
			}
			ref := Ref{ch.Resource, ch.Namespace, ch.Name}
			if objects.Get(append(objectPrefix(ref), k...)) == nil {
				return fmt.Errorf("change %x of %s is not indexed", k, ref)
			}
			h, err := parseContentName(ch.Content)
			if err != nil || blobs.Get(h) == nil {
				return fmt.Errorf("change %x of %s: content %s missing", k, ref, ch.Content)
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = objects.ForEach(func(k, _ []byte) error {
			if changes.Get(k[len(k)-8:]) == nil {
				return fmt.Errorf("index entry %q names no change", k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketCurrent).ForEach(func(k, v []byte) error {
			var c currentEntry
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			ch, err := getChange(tx, timeKey(c.Key))
			if err != nil {
				return err
			}
			if ref := (Ref{ch.Resource, ch.Namespace, ch.Name}); string(objectKey(ref)) != string(k) || (ch.Change == Deleted) != c.Deleted || ch.ResourceVersion != c.RV {
				return fmt.Errorf("current %q: newest change %+v", k, ch)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatalf("the store is inconsistent: %v", err)
	}
}
