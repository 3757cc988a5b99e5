package kustomize

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/dozor-dev/dozor/k8s/manifest"
)

// How Kustomize reaches the network, and how Build stops it.
//
// Kustomize fetches remote content in two places of its file loader
// (sigs.k8s.io/kustomize/api/internal/loader.FileLoader):
//
//   - New(path), used for resources, bases and components that are not
//     files, clones any path that parses as a git URL (https://, http://,
//     ssh://, file://, git@host:..., github.com/...) by running the git
//     program (git.ClonerUsingGitExec) into a temporary directory;
//   - Load(path), used for every file (resources, patches, generator
//     sources, configurations, openapi schemas, replacements), GETs http://
//     and https:// URLs with a default http.Client.
//
// Neither can be replaced through krusty's API: Kustomizer.Run builds its
// loader itself. But every path either receives is written in a file that
// Kustomize reads first, through the filesys.FileSystem that Run is given:
// a kustomization file, or the configuration of a builtin generator or
// transformer (apiVersion: builtin) listed under generators, transformers
// or validators. offlineFS serves Kustomize its files and inspects each of
// these as it is read, before Kustomize acts on it: a file with a remote
// reference in a field that names files or directories is refused with an
// error, so Kustomize never sees the reference, and Build reports why. It
// also refuses helmCharts, which would run the helm program (Kustomize
// refuses them anyway unless Helm is enabled, and here it is not).
//
// What is not covered: a patch that rewrites the path of a builtin plugin's
// configuration into a URL after it has been read. No real kustomization
// does this.

// offlineFS is the disk, read-only, with the inspection above. It also adds
// buildMetadata: [originAnnotations] to the root kustomization as Kustomize
// reads it, so that resources record the file they came from, without
// editing the user's file.
type offlineFS struct {
	filesys.FileSystem
	root string // absolute directory of the root kustomization

	mu      sync.Mutex
	refused []refusal
	rootKF  string // the root kustomization file's base name, once read
}

type refusal struct {
	file string // absolute
	line int
	msg  string
}

// errRefused is what Kustomize is told when a file is refused.
var errRefused = errors.New("refused: refers to remote content, which Dozor does not fetch")

var errReadOnly = errors.New("the file system is read-only while building")

func newOfflineFS(disk filesys.FileSystem, root string) *offlineFS {
	return &offlineFS{FileSystem: disk, root: root}
}

func (f *offlineFS) refusals() []refusal {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

func (f *offlineFS) rootKustomizationFile() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rootKF == "" {
		return kustomizationFileNames[0]
	}
	return f.rootKF
}

// ReadFile reads a file, inspecting kustomizations and plugin
// configurations for remote references.
func (f *offlineFS) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var problems []refusal
	if isKustomizationFile(path) {
		problems = inspectKustomization(data)
	} else if bytes.Contains(data, []byte("builtin")) {
		problems = inspectPluginConfigs(data, 0)
	}
	if len(problems) > 0 {
		f.mu.Lock()
		for _, p := range problems {
			p.file = path
			f.refused = append(f.refused, p)
		}
		f.mu.Unlock()
		return nil, fmt.Errorf("%s: %w", path, errRefused)
	}
	if isKustomizationFile(path) && filepath.Dir(filepath.Clean(path)) == f.root {
		f.mu.Lock()
		f.rootKF = filepath.Base(path)
		f.mu.Unlock()
		data = withOriginAnnotations(data)
	}
	return data, nil
}

// The file system is read-only: building writes nothing.

func (f *offlineFS) Create(string) (filesys.File, error) { return nil, errReadOnly }
func (f *offlineFS) Mkdir(string) error                  { return errReadOnly }
func (f *offlineFS) MkdirAll(string) error               { return errReadOnly }
func (f *offlineFS) RemoveAll(string) error              { return errReadOnly }
func (f *offlineFS) WriteFile(string, []byte) error      { return errReadOnly }

// pathFields are the fields of kustomizations and builtin plugin
// configurations whose values Kustomize loads: files, directories, or
// (remote) git repositories.
var pathFields = map[string]bool{
	"resources": true, "bases": true, "components": true, "crds": true,
	"configurations": true, "patchesStrategicMerge": true,
	"generators": true, "transformers": true, "validators": true,
	"path": true, "paths": true, "files": true, "envs": true, "env": true,
}

// opaqueFields hold data, not paths, at any depth: labels and annotations
// to add, literal values, inline patches.
var opaqueFields = map[string]bool{
	"labels": true, "annotations": true, "commonLabels": true, "commonAnnotations": true,
	"pairs": true, "literals": true, "patch": true, "data": true, "stringData": true,
	"options": true, "vars": true, "images": true, "replicas": true, "target": true,
	"select": true, "reject": true, "source": true, "targets": true,
}

// inspectKustomization returns a refusal for each remote reference in a
// kustomization file, and for Helm charts it asks to inflate.
func inspectKustomization(data []byte) []refusal {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil // Kustomize reports what is wrong with it
	}
	doc := root.Content[0]
	var problems []refusal
	for i := 0; i+1 < len(doc.Content); i += 2 {
		switch k := doc.Content[i]; k.Value {
		case "helmCharts", "helmChartInflationGenerator":
			problems = append(problems, refusal{line: k.Line,
				msg: k.Value + ": Dozor does not inflate Helm charts inside kustomizations; scan the chart itself"})
		}
	}
	return append(problems, inspect(doc, "", 0)...)
}

// inspectPluginConfigs inspects the builtin plugin configurations in a file,
// or in an inline configuration that starts at line base+1 of its file.
func inspectPluginConfigs(data []byte, base int) []refusal {
	var problems []refusal
	for _, d := range manifest.Split(data) {
		var root yaml.Node
		if yaml.Unmarshal(d.Data, &root) != nil || len(root.Content) == 0 {
			continue
		}
		n := root.Content[0]
		if n.Kind != yaml.MappingNode || scalar(n, "apiVersion") != "builtin" {
			continue
		}
		problems = append(problems, inspect(n, "", base+d.Line-1)...)
	}
	return problems
}

// inspect walks a node for remote references in path fields; the node's
// lines are offset by base in its file.
func inspect(n *yaml.Node, field string, base int) []refusal {
	var problems []refusal
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			if opaqueFields[k] {
				continue
			}
			problems = append(problems, inspect(v, k, base)...)
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			problems = append(problems, inspect(item, field, base)...)
		}
	case yaml.ScalarNode:
		if !pathFields[field] {
			return nil
		}
		v := n.Value
		if strings.Contains(v, "\n") {
			// An inline plugin configuration (generators, transformers,
			// validators) or an inline patch.
			if field == "generators" || field == "transformers" || field == "validators" {
				// A block scalar's content starts on the next line.
				return inspectPluginConfigs([]byte(v), base+n.Line)
			}
			return nil
		}
		if field == "files" {
			// "key=path" or "path"
			if _, p, ok := strings.Cut(v, "="); ok {
				v = p
			}
		}
		if isRemote(v) {
			problems = append(problems, refusal{line: base + n.Line,
				msg: fmt.Sprintf("%s: %q is remote; Dozor builds kustomizations offline and fetches nothing (vendor it into the repository and refer to it by a local path)", field, n.Value)})
		}
	case yaml.AliasNode:
		if n.Alias != nil {
			return inspect(n.Alias, field, base)
		}
	}
	return problems
}

// scpLike matches git's "user@host:path" syntax.
var scpLike = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*@[^/:]+:`)

// isRemote reports whether Kustomize would treat a path as remote: a URL
// (it fetches http and https, and clones https, http, ssh and file git
// URLs), git's user@host:path syntax, or a GitHub repository written
// without a scheme. It is a superset of the paths Kustomize's git and HTTP
// loaders accept.
func isRemote(p string) bool {
	p = strings.TrimSpace(p)
	lower := strings.ToLower(p)
	lower = strings.TrimPrefix(lower, "git::")
	return strings.Contains(lower, "://") ||
		scpLike.MatchString(lower) ||
		strings.HasPrefix(lower, "github.com/") || strings.HasPrefix(lower, "github.com:")
}

func scalar(n *yaml.Node, key string) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// withOriginAnnotations adds originAnnotations to a kustomization's
// buildMetadata. When the file does not parse, it is returned unchanged for
// Kustomize to report.
func withOriginAnnotations(data []byte) []byte {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil || len(root.Content) == 0 {
		return data
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return data
	}
	item := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "originAnnotations"}
	found := false
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != "buildMetadata" {
			continue
		}
		found = true
		seq := doc.Content[i+1]
		switch seq.Kind {
		case yaml.SequenceNode:
			for _, v := range seq.Content {
				if v.Value == item.Value {
					return data
				}
			}
			seq.Content = append(seq.Content, item)
		default:
			// null or malformed: Kustomize would reject the latter.
			if seq.Tag != "!!null" {
				return data
			}
			doc.Content[i+1] = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{item}}
		}
	}
	if !found {
		doc.Content = append(doc.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "buildMetadata"},
			&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{item}})
	}
	out, err := yaml.Marshal(&root)
	if err != nil {
		return data
	}
	return out
}
