package snapshot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s/live"
)

// Input is what records come from: a snapshot file, a live cluster, or
// files.
type Input struct {
	// Header describes the input.
	Header Header
	// Name is how reports name the input: a snapshot's path, "cluster
	// admin", "files".
	Name string
	// Read hands every record to emit, possibly from several goroutines at
	// once, and returns the end record: what could not be read. An error
	// of emit stops it and is returned. Read may be called more than once
	// only when Rereadable.
	Read func(ctx context.Context, emit func(*Record) error) (End, error)
	// Rereadable is set for snapshot files, which Read reads again on
	// every call.
	Rereadable bool

	// path and readOpts are a snapshot file's, which Compare reads itself.
	path     string
	readOpts *ReadOptions
}

// Snapshot opens the snapshot file at path as an Input, reading its header.
func Snapshot(path string, opts *ReadOptions) (*Input, error) {
	r, err := Open(path, opts)
	if err != nil {
		return nil, err
	}
	_ = r.Close()
	in := &Input{Header: r.Header, Name: path, Rereadable: true, path: path, readOpts: opts}
	in.Read = func(ctx context.Context, emit func(*Record) error) (End, error) {
		r, err := Open(path, opts)
		if err != nil {
			return End{}, err
		}
		defer func() { _ = r.Close() }() // opened for reading: nothing to report
		end, err := r.ReadAll(func(rec *Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return emit(rec)
		})
		if err != nil {
			return End{}, err
		}
		return *end, nil
	}
	return in, nil
}

// Options are what every kind of input is read with.
type Options struct {
	// Tool is the Dozor version headers name.
	Tool string
	// Now is the time headers are stamped with (default time.Now()).
	Now time.Time
}

func (o *Options) now() time.Time {
	if o == nil || o.Now.IsZero() {
		return time.Now().UTC()
	}
	return o.Now.UTC()
}

func (o *Options) tool() string {
	if o == nil {
		return ""
	}
	return o.Tool
}

// Cluster reads a live cluster as an Input, in the scope and with the
// Secret access of the options it was connected with. Objects keep the
// JSON the API server sent, minus managedFields; Secrets are kept as
// metadata only, or with --read-secrets with their values as digests.
// Resources that could not be read are the end record's gaps.
func Cluster(c *live.Cluster, opts *Options) *Input {
	lo := c.Options()
	h := Header{Tool: opts.tool(), Created: opts.now(), Source: Source{
		Type: SourceCluster, Context: c.Name, Server: c.Server,
		Namespaces: lo.Namespaces, Kinds: lo.Kinds, ReadSecrets: lo.ReadSecrets,
	}}
	if c.Version != nil {
		h.Source.ServerVersion = c.Version.GitVersion
	}
	in := &Input{Header: h, Name: "cluster " + c.Name}
	in.Read = func(ctx context.Context, emit func(*Record) error) (End, error) {
		gaps, err := c.Items(ctx, func(it live.Item) error {
			gvk := it.Resource.GVK()
			obj, partial, err := prepare(it.JSON, prepareOptions{readSecrets: lo.ReadSecrets, metadataOnly: it.MetadataOnly,
				apiVersion: gvk.GroupVersion().String(), kind: gvk.Kind})
			if err != nil {
				return fmt.Errorf("%s: %w", it.Resource, err)
			}
			return emit(&Record{Resource: it.Resource.String(), Partial: partial, Object: obj})
		})
		sortGaps(gaps)
		return End{Gaps: gaps}, err
	}
	return in
}

// Save reads in into w and returns the end record it read, which the
// caller passes to Commit or Close.
func Save(ctx context.Context, in *Input, w *Writer) (End, error) {
	return in.Read(ctx, w.Add)
}

func sortGaps(gaps []finding.Gap) {
	slices.SortFunc(gaps, func(a, b finding.Gap) int {
		return cmp.Or(cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.Namespace, b.Namespace))
	})
}
