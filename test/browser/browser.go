// Package browser runs Debian's Chromium headless for tests: it loads a
// page and returns the DOM after its scripts ran. Tests that need it skip
// when Chromium is not installed (.ci/run installs it).
package browser

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Path finds the Chromium binary, or "".
func Path() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// DumpDOM loads url (a file:// address, or a server on loopback) in a
// fresh headless Chromium and returns the document as serialised after
// the page's scripts ran. It skips the test when Chromium is missing.
// The flags keep Chromium off the network: no background requests, no
// component updates, no sync.
func DumpDOM(t testing.TB, url string) string {
	t.Helper()
	bin := Path()
	if bin == "" {
		t.Skip("Chromium is not installed (apt-get install chromium; .ci/run does): the page is not checked in a browser")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--user-data-dir="+t.TempDir(), "--dump-dom", url)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", url, err, stderr.String())
	}
	return out.String()
}
