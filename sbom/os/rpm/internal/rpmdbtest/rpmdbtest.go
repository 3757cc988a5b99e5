// Package rpmdbtest makes real rpm databases for tests: rpmbuild builds
// the packages of the specs below, rpm installs them into a SQLite
// database (Debian's rpm 4.18 writes SQLite only), and the headers rpm
// stored are laid out as an ndb database (NDB) and, by Berkeley DB 5.3
// itself, a Berkeley DB one (BerkeleyDB). Where rpmbuild, rpm or
// db5.3_load are missing, the test skips, naming the Debian package.
// Header and SmallBDB make small synthetic ones, for fuzzing's seeds.
package rpmdbtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// specHello is a noarch package with an epoch and a directory of its own.
const specHello = `Name: hello-tool
Version: 1.2.3
Release: 4.el9
Epoch: 2
Summary: A test tool
License: MIT AND Apache-2.0
BuildArch: noarch
%description
A test tool.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/share/hello-tool
echo hello > %{buildroot}/usr/bin/hello
echo data > %{buildroot}/usr/share/hello-tool/data.txt
%files
/usr/bin/hello
/usr/share/hello-tool
`

// specFoo is an arch package with a subpackage (one source, two binary
// packages), a symbolic link and a %ghost file.
const specFoo = `%global debug_package %{nil}
Name: libfoo
Version: 0.9.1
Release: 7.fc40
Summary: A test library
License: GPL-2.0-or-later
%description
A test library.
%package devel
Summary: Its headers
License: GPL-2.0-or-later AND MIT
%description devel
Its headers.
%install
mkdir -p %{buildroot}/usr/lib64 %{buildroot}/usr/include %{buildroot}/var/log
echo lib > %{buildroot}/usr/lib64/libfoo.so.0
ln -s libfoo.so.0 %{buildroot}/usr/lib64/libfoo.so
echo h > %{buildroot}/usr/include/foo.h
%files
/usr/lib64/libfoo.so.0
%ghost /var/log/foo.log
%files devel
/usr/lib64/libfoo.so
/usr/include/foo.h
`

// Sources are the source packages the specs' binary packages come from.
var Sources = map[string]string{"hello-tool": "hello-tool", "libfoo": "libfoo", "libfoo-devel": "libfoo"}

// BuildRPMs builds the specs' packages with rpmbuild, or skips the test
// where rpmbuild is missing.
func BuildRPMs(t testing.TB) []string {
	t.Helper()
	if _, err := exec.LookPath("rpmbuild"); err != nil {
		t.Skipf("rpmbuild not found (Debian package rpm): %v", err)
	}
	top := t.TempDir()
	for i, spec := range []string{specHello, specFoo} {
		p := filepath.Join(top, fmt.Sprintf("%d.spec", i))
		if err := os.WriteFile(p, []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		// No post-install scripts or slow compression: the packages'
		// headers are what matters.
		out, err := exec.Command("rpmbuild", "--define", "_topdir "+top, "--define", "__os_install_post %{nil}",
			"--define", "_binary_payload w1.gzdio", "-bb", p).CombinedOutput()
		if err != nil {
			t.Fatalf("rpmbuild: %v\n%s", err, out)
		}
	}
	rpms, _ := filepath.Glob(filepath.Join(top, "RPMS", "*", "*.rpm"))
	if len(rpms) != 3 {
		t.Fatalf("rpmbuild made %v, want 3 packages", rpms)
	}
	return rpms
}

// RPM runs rpm on the database in dir.
func RPM(t testing.TB, dir, backend string, args ...string) string {
	t.Helper()
	args = append([]string{"--define", "_db_backend " + backend, "--dbpath", dir}, args...)
	out, err := exec.Command("rpm", args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("rpm %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// SQLiteDB installs the packages into a new SQLite database with rpm,
// with a signing key imported (a gpg-pubkey record) when key is set and
// gpg is here, and returns its directory.
func SQLiteDB(t testing.TB, rpms []string, key bool) (dir string, withKey bool) {
	t.Helper()
	dir = t.TempDir()
	RPM(t, dir, "sqlite", "--initdb")
	for _, p := range rpms {
		RPM(t, dir, "sqlite", "-i", "--justdb", "--nodeps", "--ignorearch", "--ignoreos", "--nosignature", p)
	}
	if _, err := exec.LookPath("gpg"); err == nil && key {
		home := t.TempDir()
		// gpg starts an agent for the key; stop it with the test.
		t.Cleanup(func() { _ = exec.Command("gpgconf", "--homedir", home, "--kill", "gpg-agent").Run() })
		gpg := func(args ...string) []byte {
			cmd := exec.Command("gpg", append([]string{"--batch", "--homedir", home}, args...)...)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("gpg %v: %v", args, err)
			}
			return out
		}
		gpg("--passphrase", "", "--quick-gen-key", "Dozor Test <test@example.invalid>", "ed25519", "sign", "never")
		key := filepath.Join(home, "key.asc")
		if err := os.WriteFile(key, gpg("--armor", "--export", "test@example.invalid"), 0o644); err != nil {
			t.Fatal(err)
		}
		RPM(t, dir, "sqlite", "--import", key)
		withKey = true
	}
	return dir, withKey
}

// Headers are the database's package headers as rpm stores them: rpmdb
// --exportdb writes each with the 8-byte magic of a header file first.
func Headers(t testing.TB, dir string) [][]byte {
	t.Helper()
	data, err := exec.Command("rpmdb", "--define", "_db_backend sqlite", "--dbpath", dir, "--exportdb").Output()
	if err != nil {
		t.Fatalf("rpmdb --exportdb: %v", err)
	}
	magic := []byte{0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0}
	var out [][]byte
	for len(data) > 0 {
		if len(data) < 16 || !bytes.Equal(data[:8], magic) {
			t.Fatalf("rpmdb --exportdb: no header magic at %d bytes from the end", len(data))
		}
		il, dl := binary.BigEndian.Uint32(data[8:]), binary.BigEndian.Uint32(data[12:])
		n := 8 + 16*int(il) + int(dl)
		out = append(out, data[8:8+n])
		data = data[8+n:]
	}
	return out
}

// Magic numbers of ndb's file, slots and blobs (lib/backend/ndb/rpmpkg.c),
// as read little-endian.
const (
	NDBMagic  = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	slotMagic = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	blobHead  = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
	blobTail  = 'B' | 'l'<<8 | 'b'<<16 | 'E'<<24
)

// NDB lays headers out as rpm's ndb backend writes Packages.db
// (lib/backend/ndb/rpmpkg.c: rpmpkgWriteHeader, rpmpkgWriteEmptySlotpage,
// rpmpkgWriteslot, rpmpkgWriteBlob): a 32-byte header and 16-byte slots
// in a 4 KiB page, then each blob in 16-byte blocks, its head (magic,
// package index, time, length), the header, zero padding and a tail
// (Adler-32 of all before it, length, magic). Debian's rpm is built
// without ndb, so no real one can be made here.
func NDB(blobs [][]byte) []byte {
	le := binary.LittleEndian
	const page = 4096
	out := make([]byte, page)
	le.PutUint32(out, NDBMagic)
	le.PutUint32(out[8:], uint32(len(blobs)+1)) // generation: one per write
	le.PutUint32(out[12:], 1)                   // slot pages
	le.PutUint32(out[16:], uint32(len(blobs)+1))
	for o := 32; o < page; o += 16 {
		le.PutUint32(out[o:], slotMagic)
	}
	blk := page / 16
	for i, b := range blobs {
		pkg, cnt := uint32(i+1), (16+len(b)+12+15)/16
		slot := out[32+16*i:]
		le.PutUint32(slot[4:], pkg)
		le.PutUint32(slot[8:], uint32(blk))
		le.PutUint32(slot[12:], uint32(cnt))
		blob := make([]byte, cnt*16)
		le.PutUint32(blob, blobHead)
		le.PutUint32(blob[4:], pkg)
		le.PutUint32(blob[8:], 1700000000)
		le.PutUint32(blob[12:], uint32(len(b)))
		copy(blob[16:], b)
		tail := blob[len(blob)-12:]
		le.PutUint32(tail, adler32.Checksum(blob[:len(blob)-12]))
		le.PutUint32(tail[4:], uint32(len(b)))
		le.PutUint32(tail[8:], blobTail)
		out = append(out, blob...)
		blk += cnt
	}
	return out
}

// BerkeleyDB makes the Berkeley DB hash database rpm 4.15 and earlier kept
// as Packages: each header keyed by its package number (a 32-bit integer
// in the machine's byte order), record 0 holding the last number given.
// rpm 4.18 no longer writes Berkeley DB, so Berkeley DB 5.3 itself
// (db5.3_load, the library rpm used on RHEL 7 and 8) writes it, with the
// 4 KiB pages rpm's databases have; the test skips without db5.3_load.
func BerkeleyDB(t testing.TB, blobs [][]byte) []byte {
	t.Helper()
	load, err := exec.LookPath("db5.3_load")
	if err != nil {
		t.Skipf("db5.3_load not found (Debian package db5.3-util): %v", err)
	}
	var in bytes.Buffer
	line := func(b []byte) {
		for _, c := range b {
			if c >= 0x20 && c < 0x7f && c != '\\' {
				in.WriteByte(c)
			} else {
				fmt.Fprintf(&in, "\\%02x", c)
			}
		}
		in.WriteByte('\n')
	}
	num := func(n int) []byte { return binary.NativeEndian.AppendUint32(nil, uint32(n)) }
	line(num(0))
	line(num(len(blobs)))
	for i, b := range blobs {
		line(num(i + 1))
		line(b)
	}
	p := filepath.Join(t.TempDir(), "Packages")
	cmd := exec.Command(load, "-T", "-t", "hash", "-c", "db_pagesize=4096", p)
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("db5.3_load: %v\n%s", err, out)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// BDBMeta is a Berkeley DB hash metadata page of pages pages.
func BDBMeta(pageSize, pages int) []byte {
	m := make([]byte, pageSize)
	le := binary.LittleEndian
	le.PutUint32(m[12:], 0x00061561)
	le.PutUint32(m[16:], 9)
	le.PutUint32(m[20:], uint32(pageSize))
	m[25] = 8 // hash metadata
	le.PutUint32(m[32:], uint32(pages-1))
	return m
}

// Header is a small header go-rpmdb reads: name, version and release
// (a version 3 header, without a region).
func Header() []byte {
	be := binary.BigEndian
	data := []byte("x\x001\x002\x00")
	h := be.AppendUint32(nil, 3)
	h = be.AppendUint32(h, uint32(len(data)))
	for i, tag := range []uint32{1000, 1001, 1002} {
		h = be.AppendUint32(h, tag)
		h = be.AppendUint32(h, 6) // a string
		h = be.AppendUint32(h, uint32(2*i))
		h = be.AppendUint32(h, 1)
	}
	return append(h, data...)
}

// SmallBDB is a Berkeley DB hash database of 512-byte pages holding one
// header of at most 486 bytes: the metadata page, a hash page with a key and a reference to
// the value's overflow page, and that page.
func SmallBDB(h []byte) []byte {
	le := binary.LittleEndian
	const ps = 512
	d := BDBMeta(ps, 3)
	page := make([]byte, ps)
	le.PutUint32(page[8:], 1)
	le.PutUint16(page[20:], 2)
	page[25] = 13 // a hash page
	le.PutUint16(page[26:], ps-5)
	le.PutUint16(page[28:], ps-5-12)
	page[ps-5] = 1 // the key, on the page: the package number
	le.PutUint32(page[ps-4:], 1)
	off := page[ps-5-12:]
	off[0] = 3 // an item in overflow pages
	le.PutUint32(off[4:], 2)
	le.PutUint32(off[8:], uint32(len(h)))
	ovf := make([]byte, ps)
	le.PutUint32(ovf[8:], 2)
	le.PutUint16(ovf[22:], uint16(len(h)))
	ovf[25] = 7 // an overflow page
	copy(ovf[26:], h)
	return append(append(d, page...), ovf...)
}
