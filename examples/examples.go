// Package examples holds the manifests, Helm chart and kustomization that
// `dozor scan --demo` scans: realistic configuration with the mistakes
// Dozor is built to find, and some done right.
package examples

import (
	"embed"
	"io/fs"
	"os"
	"path/filepath"
)

// Root is the directory name the examples are extracted under.
const Root = "examples"

//go:embed all:manifests all:charts all:kustomize
var files embed.FS

// FS returns the examples.
func FS() fs.FS { return files }

// Extract writes the examples to a new temporary directory, under Root, and
// returns that directory and a function that removes it.
func Extract() (dir string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", "dozor-demo-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { _ = os.RemoveAll(dir) } // a temporary directory: nothing to report
	err = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, Root, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return dir, cleanup, nil
}
