package rust

import (
	"bytes"
	"compress/zlib"
	"os"
	"testing"
)

func checkCrates(t *testing.T, crates []crate) {
	if len(crates) > maxCrates {
		t.Fatalf("%d crates", len(crates))
	}
	for _, c := range crates {
		if !validField(c.Name) || !validField(c.Version) {
			t.Fatalf("crate %q version %q", c.Name, c.Version)
		}
	}
}

// FuzzCargoLock parses arbitrary bytes as Cargo.lock.
func FuzzCargoLock(f *testing.F) {
	f.Add([]byte("version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n" +
		"checksum = \"00\"\ndependencies = [\n \"b 0.1.0 (git+https://x/y#z)\",\n]\n\n[[package]]\nname = 'b'\nversion = \"0.1.0\\u0041\"\nsource = \"git+https://x/y#z\"\n\n[metadata]\n\"checksum a\" = \"1\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		crates, _ := parseLock(data)
		checkCrates(t, crates)
	})
}

// FuzzAuditJSON reads arbitrary bytes as cargo-auditable's JSON,
// compressed as in a binary.
func FuzzAuditJSON(f *testing.F) {
	f.Add([]byte(`{"packages":[{"name":"app","version":"0.1.0","source":"local","dependencies":[1],"root":true},` +
		`{"name":"itoa","version":"1.0.1","source":"crates.io","kind":"build"},{"name":"x","version":"1.0.0","source":{"Other":"y"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		_, _ = zw.Write(data)
		_ = zw.Close()
		crates, _ := parseAudit(z.Bytes())
		checkCrates(t, crates)
		// And as the section's bytes themselves.
		crates, _ = parseAudit(data)
		checkCrates(t, crates)
	})
}

// FuzzSniff looks for audit data in arbitrary bytes taken as a binary.
func FuzzSniff(f *testing.F) {
	if bin, err := os.ReadFile("/bin/true"); err == nil {
		f.Add(bin[:min(len(bin), 4096)])
	}
	f.Add([]byte("MZ\x90\x00"))
	f.Add([]byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _ := New().Sniff("bin/x", bytes.NewReader(data), int64(len(data))).(*sniffed)
		if s != nil {
			checkCrates(t, s.crates)
		}
	})
}
