package java

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// walker reads one top-level archive and the archives in it.
type walker struct {
	out sniffed
	// budget is what is left of maxNestedBytes.
	budget int64
	// archives counts the nested archives read.
	archives int
}

func (w *walker) fail(loc string, err error) {
	w.out.errs = append(w.out.errs, locError{loc: loc, err: err})
}

// archive reads the archive r of size bytes, named fileName, at loc
// (":WEB-INF/lib/x.jar" after the top-level path), depth levels down.
func (w *walker) archive(r io.ReaderAt, size int64, fileName, loc string, depth int) {
	if err := checkDirectory(r, size); err != nil {
		w.fail(loc, err)
		return
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		w.fail(loc, err)
		return
	}
	if len(zr.File) > maxEntries {
		w.fail(loc, fmt.Errorf("%d entries, more than %d: refused", len(zr.File), maxEntries))
		return
	}
	var poms []found
	var manifest map[string]string
	var nested []*zip.File
	for _, f := range zr.File {
		switch {
		case isPomProperties(f.Name):
			data, err := readMeta(f)
			if err != nil {
				w.fail(loc, fmt.Errorf("%s: %w", f.Name, err))
				continue
			}
			if fd, ok := fromPom(properties(data), f.Name); ok && !containsFound(poms, fd) {
				poms = append(poms, fd)
			}
		case strings.EqualFold(f.Name, "META-INF/MANIFEST.MF"):
			data, err := readMeta(f)
			if err != nil {
				w.fail(loc, fmt.Errorf("%s: %w", f.Name, err))
				continue
			}
			manifest = parseManifest(data)
		case isArchive(f.Name) && !f.FileInfo().IsDir():
			nested = append(nested, f)
		}
	}
	licenses := bundleLicenses(manifest["Bundle-License"])
	own, ok := fromManifest(manifest, fileName)
	switch {
	case len(poms) == 0:
		if ok {
			own.licenses = licenses
			poms = append(poms, own)
		}
	case ok && own.version == manifestVersion(manifest) && !slices.ContainsFunc(poms, func(fd found) bool { return fd.version == own.version }):
		// The pom.properties are of dependencies shaded into the archive
		// (guice holds cglib's), none of the version its manifest
		// states: the manifest names the archive itself.
		own.licenses = licenses
		poms = append(poms, own)
	case len(poms) == 1:
		poms[0].licenses = licenses
	}
	for _, fd := range poms {
		fd.loc = loc
		w.out.found = append(w.out.found, fd)
	}
	for _, f := range nested {
		inner := loc + ":" + f.Name
		if depth+1 > maxDepth {
			w.fail(inner, fmt.Errorf("an archive nested more than %d deep: not read", maxDepth))
			continue
		}
		if w.archives++; w.archives > maxArchives {
			w.fail(loc, fmt.Errorf("more than %d nested archives: the rest not read", maxArchives))
			return
		}
		nr, n, err := w.open(r, size, f)
		if err != nil {
			w.fail(inner, err)
			continue
		}
		w.archive(nr, n, path.Base(f.Name), inner, depth+1)
	}
}

// open returns a nested archive's contents: in place when stored
// uncompressed, else decompressed into memory, from the budget.
func (w *walker) open(outer io.ReaderAt, outerSize int64, f *zip.File) (io.ReaderAt, int64, error) {
	if f.Method == zip.Store && f.CompressedSize64 == f.UncompressedSize64 && f.UncompressedSize64 <= uint64(outerSize) {
		off, err := f.DataOffset()
		if err == nil && off >= 0 && off <= outerSize-int64(f.UncompressedSize64) {
			return io.NewSectionReader(outer, off, int64(f.UncompressedSize64)), int64(f.UncompressedSize64), nil
		}
	}
	if err := ratio(f); err != nil {
		return nil, 0, err
	}
	if f.UncompressedSize64 > uint64(w.budget) {
		return nil, 0, fmt.Errorf("%d bytes uncompressed, more than the %d left of the %d read of nested archives: not read",
			f.UncompressedSize64, w.budget, maxNestedBytes)
	}
	data, err := readAll(f, int64(f.UncompressedSize64))
	if err != nil {
		return nil, 0, err
	}
	w.budget -= int64(len(data))
	return bytes.NewReader(data), int64(len(data)), nil
}

// readMeta reads a pom.properties or manifest.
func readMeta(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > maxMetaFile {
		return nil, fmt.Errorf("%d bytes, more than the %d read", f.UncompressedSize64, maxMetaFile)
	}
	if err := ratio(f); err != nil {
		return nil, err
	}
	return readAll(f, int64(f.UncompressedSize64))
}

// readAll reads an entry of the size its header states, no more.
func readAll(f *zip.File, size int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	data, err := io.ReadAll(io.LimitReader(rc, size+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != size {
		return nil, fmt.Errorf("%d bytes, not the %d its header states", len(data), size)
	}
	return data, nil
}

// ratio refuses an entry compressed more than a real one is.
func ratio(f *zip.File) error {
	if f.UncompressedSize64 > ratioFloor && f.UncompressedSize64/maxRatio > f.CompressedSize64 {
		return fmt.Errorf("%d bytes compressed to %d, more than %d to 1: a zip bomb, refused",
			f.UncompressedSize64, f.CompressedSize64, maxRatio)
	}
	return nil
}

// checkDirectory reads the end of central directory record (and Zip64's)
// for the number of entries, to refuse an archive of too many before the
// zip reader holds them all.
func checkDirectory(r io.ReaderAt, size int64) error {
	const eocdLen, maxComment = 22, 65535
	tail := min(size, eocdLen+maxComment)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return err
	}
	// The last signature whose record and comment fit (a comment may
	// hold the signature's bytes).
	i := len(buf)
	for {
		i = bytes.LastIndex(buf[:i], []byte("PK\x05\x06"))
		if i < 0 {
			return zip.ErrFormat
		}
		if i+eocdLen <= len(buf) && i+eocdLen+int(binary.LittleEndian.Uint16(buf[i+20:])) <= len(buf) {
			break
		}
	}
	entries := uint64(binary.LittleEndian.Uint16(buf[i+10:]))
	if entries == 0xffff {
		// Zip64: the locator just before points at the Zip64 record.
		if i < 20 || string(buf[i-20:i-16]) != "PK\x06\x07" {
			return zip.ErrFormat
		}
		off := int64(binary.LittleEndian.Uint64(buf[i-20+8:]))
		rec := make([]byte, 56)
		if off < 0 || off > size-56 {
			return zip.ErrFormat
		}
		if _, err := r.ReadAt(rec, off); err != nil {
			return err
		}
		if string(rec[:4]) != "PK\x06\x06" {
			return zip.ErrFormat
		}
		entries = binary.LittleEndian.Uint64(rec[32:])
	}
	if entries > maxEntries {
		return fmt.Errorf("%d entries, more than %d: refused", entries, maxEntries)
	}
	return nil
}
