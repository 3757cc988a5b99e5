package dpkg

import (
	"strings"
	"testing"
)

// FuzzStanzas parses arbitrary control files: no panic, and every stanza
// has fields.
func FuzzStanzas(f *testing.F) {
	f.Add([]byte("Package: a\nVersion: 1\nDescription: x\n more\n .\n\nPackage: b\nStatus: install ok installed\n"))
	f.Add([]byte(" leading continuation\n:\nno colon\n\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, st := range stanzas(data) {
			if len(st) == 0 {
				t.Fatal("an empty stanza")
			}
			for k := range st {
				if strings.Contains(k, "\n") {
					t.Fatalf("a field name with a newline: %q", k)
				}
			}
		}
	})
}
