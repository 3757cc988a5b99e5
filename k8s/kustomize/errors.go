package kustomize

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/dozor-dev/dozor/finding"
)

var (
	// absPath matches the absolute paths in Kustomize's messages.
	absPath = regexp.MustCompile(`/[^\s'"\x60:()]+`)
	// malformed matches Kustomize's report of a file that is not YAML,
	// which names the file relative to its kustomization.
	malformed = regexp.MustCompile(`MalformedYAMLError: .*? in File: (\S+)`)
	space     = regexp.MustCompile(`\s+`)
)

// maxMessage bounds the length of a message taken from Kustomize.
const maxMessage = 800

// buildError turns a Kustomize error into an input error naming the
// kustomization and, when the message names one, the file at fault: the
// last file named that is not a directory (Kustomize names the file it was
// reading after the kustomizations that led to it). Absolute paths in the
// message are rewritten as the user would write them.
func (b *builder) buildError(err error) *finding.InputError {
	msg := err.Error()
	file := ""
	for _, p := range absPath.FindAllString(msg, -1) {
		p = strings.TrimRight(p, ".,;]}")
		if p == b.abs {
			continue
		}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			continue
		}
		file = p
	}
	if m := malformed.FindStringSubmatch(msg); m != nil {
		p := m[1]
		if !filepath.IsAbs(p) {
			p = filepath.Join(b.abs, p)
		}
		if _, err := os.Stat(p); err == nil {
			file = p
		}
	}
	if file != "" {
		if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
			// Kustomize says so at length, twice: once trying the path
			// as a file, once as a directory.
			return b.errorf(file, "no such file or directory")
		}
	}
	msg = absPath.ReplaceAllStringFunc(msg, func(p string) string {
		trail := p[len(strings.TrimRight(p, ".,;]}")):]
		p = strings.TrimSuffix(p, trail)
		if u := b.userPath(p); len(u) < len(p) {
			return u + trail
		}
		return p + trail
	})
	msg = space.ReplaceAllString(strings.TrimSpace(msg), " ")
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "..."
	}
	return b.errorf(file, "%s", msg)
}
