package snapshot

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
	"github.com/dozor-dev/dozor/k8s/input"
	"github.com/dozor-dev/dozor/k8s/manifest"
	"github.com/dozor-dev/dozor/scan"
)

// FilesOptions say which files to read, and how, as for a scan.
type FilesOptions struct {
	Options
	// Paths are files, directories, globs, and "-" for Stdin.
	Paths []string
	// Stdin is read for the path "-".
	Stdin io.Reader
	// MaxFileBytes bounds each file and standard input
	// (default input.DefaultMaxFileBytes).
	MaxFileBytes int64
	// Limits bound each document.
	Limits manifest.Options
	// Helm configures chart rendering; Renderers render charts and
	// kustomizations (nil members make those inputs an error).
	Helm      scan.HelmOptions
	Renderers scan.Renderers
	// ReadSecrets keeps Secrets' data, as digests; else only their
	// metadata.
	ReadSecrets bool
	// Workers is the number of inputs read at once (default GOMAXPROCS).
	Workers int
}

// Files reads files, directories, globs, Helm charts and kustomizations as
// dozor scan does, as an Input. Each object is kept as kubectl would send
// it; a namespaced object without a namespace is given the one it would be
// created in (the Helm release's, else "default"). Records come in the
// order of the inputs, whatever the parallelism, so that the same files
// give the same snapshot. Inputs that could not be read, or not
// completely, are the end record's errors.
func Files(opts FilesOptions) *Input {
	h := Header{Tool: opts.tool(), Created: opts.now(), Source: Source{
		Type: SourceFiles, Roots: append([]string(nil), opts.Paths...), ReadSecrets: opts.ReadSecrets,
	}}
	in := &Input{Header: h, Name: "files " + strings.Join(opts.Paths, " ")}
	in.Read = func(ctx context.Context, emit func(*Record) error) (End, error) {
		return readFiles(ctx, &opts, emit)
	}
	return in
}

// fileUnit is one input and the root it was found under.
type fileUnit struct {
	input.Unit
	root string
}

// unitResult is what reading one input gave.
type unitResult struct {
	records []*Record
	errors  []*finding.InputError
}

func readFiles(ctx context.Context, opts *FilesOptions, emit func(*Record) error) (End, error) {
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = input.DefaultMaxFileBytes
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var errs []*finding.InputError
	var units []fileUnit
	seen := map[string]bool{}
	for _, arg := range opts.Paths {
		us, derrs := input.Discover([]string{arg})
		for _, err := range derrs {
			ie := &finding.InputError{Message: err.Error()}
			var pe *input.Error
			if errors.As(err, &pe) {
				ie.Location.File, ie.Message = pe.Path, pe.Err.Error()
			}
			errs = append(errs, ie)
		}
		root := rootOf(arg)
		for _, u := range us {
			key := u.Kind.String() + "\x00" + filepath.Clean(u.Path)
			if seen[key] {
				continue
			}
			seen[key] = true
			units = append(units, fileUnit{u, root})
		}
	}

	// Read up to workers inputs at once, and hand their records over in
	// input order: at most workers inputs' records wait in memory.
	results := make([]chan unitResult, len(units))
	for i := range results {
		results[i] = make(chan unitResult, 1)
	}
	sem := make(chan struct{}, workers)
	stop := make(chan struct{})
	go func() {
		for i := range units {
			select {
			case sem <- struct{}{}:
			case <-stop:
				return
			}
			go func() { results[i] <- readUnit(ctx, units[i], i, opts) }()
		}
	}()
	defer close(stop)
	for i := range units {
		var r unitResult
		select {
		case r = <-results[i]:
		case <-ctx.Done():
			return End{}, ctx.Err()
		}
		<-sem
		errs = append(errs, r.errors...)
		for _, rec := range r.records {
			if err := emit(rec); err != nil {
				return End{}, err
			}
		}
	}
	end := End{}
	for _, e := range errs {
		end.Errors = append(end.Errors, e.Error())
	}
	return end, ctx.Err()
}

// rootOf is the directory the inputs an argument names are found under:
// the directory itself, a file's directory, or a glob's longest directory
// without pattern characters.
func rootOf(arg string) string {
	if arg == "-" {
		return ""
	}
	if st, err := os.Stat(arg); err == nil {
		if st.IsDir() {
			return arg
		}
		return filepath.Dir(arg)
	}
	dir := arg
	for strings.ContainsAny(dir, "*?[") {
		dir = filepath.Dir(dir)
	}
	return dir
}

// unitName is where a chart or kustomization is relative to its root, with
// forward slashes; "" for plain files.
func unitName(u fileUnit) string {
	switch u.Kind {
	case input.Chart, input.ChartArchive, input.Kustomization:
	default:
		return ""
	}
	rel, err := filepath.Rel(u.root, u.Path)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		rel = filepath.Base(u.Path)
	}
	return filepath.ToSlash(rel)
}

// readUnit reads, renders and decodes one input, as scan does.
func readUnit(ctx context.Context, u fileUnit, unit int, opts *FilesOptions) unitResult {
	var res unitResult
	name := unitName(u)
	decode := func(data []byte, src k8s.Source, rendered, foreign bool, docBase int) int {
		n := 0
		for _, doc := range manifest.Split(data) {
			doc.Index += docBase
			n++
			limits := opts.Limits
			limits.KeepJSON, limits.SkipForeign = true, foreign
			dec := manifest.Decode(doc, src, k8s.Seq{Unit: unit}, limits)
			for _, e := range dec.Errors {
				loc := finding.Location{File: e.File, Line: e.Line, Column: e.Column,
					Chart: src.Chart, Template: src.Template, Kustomization: src.Kustomization}
				if rendered {
					loc.File, loc.Line, loc.Column = src.File, src.Line, 0
				}
				res.errors = append(res.errors, &finding.InputError{Location: loc, Object: e.Object, Message: e.Msg})
			}
			for i, obj := range dec.Objects {
				line := obj.Source.Line
				if rendered {
					line = src.Line
				}
				po := prepareOptions{readSecrets: opts.ReadSecrets}
				if obj.Namespaced() {
					po.defaultNamespace = obj.Namespace() // its own, the release's, or "default"
				}
				raw, partial, err := prepare(dec.JSON[i], po)
				if err != nil {
					res.errors = append(res.errors, &finding.InputError{Location: obj.Location(""), Object: obj.Kind + " " + obj.Name(), Message: err.Error()})
					continue
				}
				res.records = append(res.records, &Record{Partial: partial, Object: raw, Source: &Origin{
					File: obj.Source.File, Line: line, Chart: obj.Source.Chart, Template: obj.Source.Template,
					Kustomization: obj.Source.Kustomization, Unit: name}})
			}
			dec.Release()
		}
		return n
	}
	fail := func(errs ...*finding.InputError) { res.errors = append(res.errors, errs...) }
	switch u.Kind {
	case input.File, input.Stdin:
		var data []byte
		var err error
		if u.Kind == input.Stdin {
			if opts.Stdin == nil {
				fail(&finding.InputError{Location: finding.Location{File: u.Name()}, Message: "no standard input"})
				return res
			}
			data, err = input.ReadAll(opts.Stdin, opts.MaxFileBytes)
		} else {
			data, err = input.ReadFile(u.Path, opts.MaxFileBytes)
		}
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			fail(&finding.InputError{Location: finding.Location{File: u.Name()}, Message: err.Error()})
			return res
		}
		decode(data, k8s.Source{File: u.Name(), Group: "files"}, false, !u.Explicit, 0)
	case input.Chart, input.ChartArchive:
		if opts.Renderers.Chart == nil {
			fail(&finding.InputError{Location: finding.Location{Chart: u.Path}, Message: "Helm charts are not supported in this build"})
			return res
		}
		out, errs := opts.Renderers.Chart(ctx, u.Unit, opts.Helm)
		fail(errs...)
		base := 0
		for _, r := range out {
			base += decode(r.Data, r.Source, true, false, base)
		}
	case input.Kustomization:
		if opts.Renderers.Kustomization == nil {
			fail(&finding.InputError{Location: finding.Location{Kustomization: u.Path}, Message: "kustomizations are not supported in this build"})
			return res
		}
		out, errs := opts.Renderers.Kustomization(ctx, u.Unit)
		fail(errs...)
		base := 0
		for _, r := range out {
			base += decode(r.Data, r.Source, true, false, base)
		}
	}
	return res
}
