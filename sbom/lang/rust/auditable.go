package rust

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// section is the name of the section cargo-auditable adds.
const section = ".dep-v0"

// auditSection returns the compressed contents of a binary's .dep-v0
// section; nil, nil when content is not an ELF, PE or Mach-O binary or
// has no such section.
func auditSection(content io.ReaderAt, size int64) ([]byte, error) {
	head := make([]byte, 4)
	if _, err := content.ReadAt(head, 0); err != nil {
		return nil, nil
	}
	var r io.Reader
	var n uint64
	switch {
	case bytes.Equal(head, []byte{0x7f, 'E', 'L', 'F'}):
		f, err := elf.NewFile(content)
		if err != nil {
			return nil, nil
		}
		s := f.Section(section)
		if s == nil || s.Type == elf.SHT_NOBITS {
			return nil, nil
		}
		n, r = s.Size, s.Open()
	case bytes.Equal(head[:2], []byte("MZ")):
		f, err := pe.NewFile(content)
		if err != nil {
			return nil, nil
		}
		s := f.Section(section)
		if s == nil {
			return nil, nil
		}
		// The section's data is padded to the file alignment, which zlib
		// ignores after its end.
		n, r = uint64(s.Size), s.Open()
	case isMachO(head):
		f, err := macho.NewFile(content)
		if err != nil {
			return nil, nil
		}
		var s *macho.Section
		for _, c := range f.Sections {
			if c.Name == section && c.Seg == "__DATA" {
				s = c
			}
		}
		if s == nil {
			return nil, nil
		}
		n, r = s.Size, s.Open()
	default:
		return nil, nil
	}
	if n > maxSection || int64(n) > size {
		return nil, fmt.Errorf("a %s section of %d bytes, more than the %d read", section, n, maxSection)
	}
	data, err := io.ReadAll(io.LimitReader(r, maxSection+1))
	if err != nil {
		return nil, fmt.Errorf("%s section: %w", section, err)
	}
	if len(data) > maxSection {
		return nil, fmt.Errorf("a %s section of more than %d bytes", section, maxSection)
	}
	return data, nil
}

// isMachO reports whether head is a 32 or 64-bit Mach-O magic, either
// byte order.
func isMachO(head []byte) bool {
	for _, m := range [][]byte{{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf}, {0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe}} {
		if bytes.Equal(head, m) {
			return true
		}
	}
	return false
}

// audit is cargo-auditable's data.
type audit struct {
	Packages []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		// Source is "crates.io", "git", "local", "registry", or another
		// kind as {"other": "..."}.
		Source json.RawMessage `json:"source"`
	} `json:"packages"`
}

// parseAudit decompresses and reads a .dep-v0 section: its crates that
// are not local.
func parseAudit(compressed []byte) ([]crate, error) {
	zr, err := zlib.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(zr, maxJSON+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxJSON {
		return nil, fmt.Errorf("more than %d bytes decompressed", maxJSON)
	}
	var a audit
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, err
	}
	if a.Packages == nil {
		return nil, errors.New("no packages")
	}
	var out []crate
	for _, p := range a.Packages {
		var source string
		if json.Unmarshal(p.Source, &source) == nil && source == "local" {
			continue
		}
		if !validField(p.Name) || !validField(p.Version) {
			return out, fmt.Errorf("a package with no valid name and version: %q %q", truncate(p.Name), truncate(p.Version))
		}
		if len(out) == maxCrates {
			return out, fmt.Errorf("more than %d packages", maxCrates)
		}
		out = append(out, crate{Name: p.Name, Version: p.Version})
	}
	return out, nil
}
