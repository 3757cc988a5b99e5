// Package input finds what a scan reads: files, directories walked
// recursively, globs (with ** for any depth), standard input, Helm charts
// (directories and archives) and kustomizations, and tells them apart.
package input

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Kind is what a unit of input is.
type Kind uint8

// Kinds of input.
const (
	// File is a file of YAML or JSON documents.
	File Kind = iota
	// Stdin is a stream of documents on standard input.
	Stdin
	// Chart is a Helm chart directory.
	Chart
	// ChartArchive is a packaged Helm chart (.tgz).
	ChartArchive
	// Kustomization is a directory with a kustomization file.
	Kustomization
)

func (k Kind) String() string {
	return [...]string{"file", "stdin", "chart", "chart archive", "kustomization"}[k]
}

// Unit is one thing to read.
type Unit struct {
	Kind Kind
	// Path is where it is on disk ("-" for standard input).
	Path string
	// Explicit is true when the user named the unit itself rather than a
	// directory or glob that holds it. Documents that are not Kubernetes
	// objects at all are errors in explicit files and are skipped otherwise.
	Explicit bool
}

// Name returns the unit as reports show it.
func (u Unit) Name() string {
	if u.Kind == Stdin {
		return "<stdin>"
	}
	return u.Path
}

// manifestExt are the file name endings read when walking directories.
var manifestExt = []string{".yaml", ".yml", ".json"}

// kustomizationFiles are the names kustomize recognises.
var kustomizationFiles = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// Error is a problem with one argument or path.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return e.Path + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Discover turns command-line arguments into units, in argument order and,
// within a directory, in lexical order. A unit found twice is kept once.
// Errors name the argument; the other arguments are still discovered.
func Discover(args []string) ([]Unit, []error) {
	var units []Unit
	var errs []error
	seen := map[string]bool{}
	add := func(u Unit) {
		key := u.Kind.String() + "\x00" + filepath.Clean(u.Path)
		if u.Kind == Stdin {
			key = "stdin"
		}
		if !seen[key] {
			seen[key] = true
			units = append(units, u)
		}
	}
	for _, arg := range args {
		if arg == "-" {
			add(Unit{Kind: Stdin, Path: "-", Explicit: true})
			continue
		}
		info, err := os.Stat(arg)
		if err != nil && hasMeta(arg) {
			matches, gerr := Glob(arg)
			if gerr != nil {
				errs = append(errs, &Error{arg, gerr})
				continue
			}
			if len(matches) == 0 {
				errs = append(errs, &Error{arg, errors.New("no file matches the pattern")})
			}
			for _, m := range matches {
				walkOrFile(m, false, add, &errs)
			}
			continue
		}
		if err != nil {
			errs = append(errs, describeStatError(arg, err))
			continue
		}
		if !info.IsDir() {
			add(fileUnit(arg, true))
			continue
		}
		walkOrFile(arg, true, add, &errs)
	}
	return units, errs
}

func describeStatError(arg string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &Error{arg, errors.New("no such file or directory")}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &Error{arg, pe.Err}
	}
	return &Error{arg, err}
}

// fileUnit classifies a file the user named.
func fileUnit(path string, explicit bool) Unit {
	base := filepath.Base(path)
	switch {
	case strings.HasSuffix(base, ".tgz") || strings.HasSuffix(base, ".tar.gz"):
		return Unit{Kind: ChartArchive, Path: path, Explicit: explicit}
	case base == "Chart.yaml" && explicit:
		return Unit{Kind: Chart, Path: filepath.Dir(path), Explicit: explicit}
	case isKustomizationFile(base) && explicit:
		return Unit{Kind: Kustomization, Path: filepath.Dir(path), Explicit: explicit}
	}
	return Unit{Kind: File, Path: path, Explicit: explicit}
}

func isKustomizationFile(base string) bool {
	for _, k := range kustomizationFiles {
		if base == k {
			return true
		}
	}
	return false
}

// walkOrFile adds a file, or walks a directory: a chart or a kustomization
// is one unit and is not descended into; hidden directories are skipped;
// files are read when they end in .yaml, .yml or .json.
func walkOrFile(path string, explicit bool, add func(Unit), errs *[]error) {
	info, err := os.Stat(path)
	if err != nil {
		*errs = append(*errs, describeStatError(path, err))
		return
	}
	if !info.IsDir() {
		if explicit || hasManifestExt(path) {
			add(fileUnit(path, explicit))
		}
		return
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			*errs = append(*errs, describeStatError(p, err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != path && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			if kind, ok := dirKind(p); ok {
				add(Unit{Kind: kind, Path: p, Explicit: explicit && p == path})
				return fs.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if st, err := os.Stat(p); err != nil || st.IsDir() {
				return nil // a link to a directory or a dangling link
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		if hasManifestExt(p) {
			add(Unit{Kind: File, Path: p})
		}
		return nil
	})
	if err != nil {
		*errs = append(*errs, describeStatError(path, err))
	}
}

// dirKind tells a chart or kustomization directory.
func dirKind(dir string) (Kind, bool) {
	if st, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err == nil && st.Mode().IsRegular() {
		return Chart, true
	}
	for _, k := range kustomizationFiles {
		if st, err := os.Stat(filepath.Join(dir, k)); err == nil && st.Mode().IsRegular() {
			return Kustomization, true
		}
	}
	return 0, false
}

func hasManifestExt(p string) bool {
	ext := strings.ToLower(filepath.Ext(p))
	for _, e := range manifestExt {
		if ext == e {
			return true
		}
	}
	return false
}

func hasMeta(s string) bool { return strings.ContainsAny(s, "*?[") }

// Glob returns the paths matching pattern, in lexical order. Besides the
// syntax of filepath.Match, a "**" path element matches any number of
// directories, hidden ones excepted.
func Glob(pattern string) ([]string, error) {
	if _, err := filepath.Match(strings.ReplaceAll(pattern, "**", "*"), ""); err != nil {
		return nil, err
	}
	if !strings.Contains(pattern, "**") {
		return filepath.Glob(pattern)
	}
	// Walk from the longest directory prefix without meta characters.
	parts := strings.Split(filepath.ToSlash(pattern), "/")
	var base []string
	for _, p := range parts {
		if hasMeta(p) {
			break
		}
		base = append(base, p)
	}
	root := strings.Join(base, "/")
	if root == "" {
		root = "."
		if strings.HasPrefix(pattern, "/") {
			root = "/"
		}
	}
	rest := parts[len(base):]
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return nil
		}
		if matchParts(rest, strings.Split(filepath.ToSlash(rel), "/")) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// matchParts matches path elements against pattern elements, where "**"
// matches zero or more elements.
func matchParts(pattern, path []string) bool {
	for len(pattern) > 0 {
		if pattern[0] == "**" {
			for i := 0; i <= len(path); i++ {
				if matchParts(pattern[1:], path[i:]) {
					return true
				}
			}
			return false
		}
		if len(path) == 0 {
			return false
		}
		if ok, _ := filepath.Match(pattern[0], path[0]); !ok {
			return false
		}
		pattern, path = pattern[1:], path[1:]
	}
	return len(path) == 0
}
