package report

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files and docs/checks.md")

// TestChecksDocUpToDate fails when docs/checks.md is not what the registry
// generates. Regenerate with `make docs`.
func TestChecksDocUpToDate(t *testing.T) {
	var b bytes.Buffer
	if err := ChecksMarkdown(&b, CatalogueSets()); err != nil {
		t.Fatal(err)
	}
	const path = "../docs/checks.md"
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run make docs", err)
	}
	if !bytes.Equal(have, b.Bytes()) {
		t.Errorf("%s is stale: run make docs", path)
	}
}
