package helm

import (
	"os"
	"path/filepath"
	"strings"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"sigs.k8s.io/yaml"

	"github.com/dozor-dev/dozor/k8s/input"
)

// chartFiles finds the file on disk that a template of the chart comes
// from. Helm names templates by chart name ("webapp/charts/db/templates/x.yaml"),
// and a chart's name (or a subchart's alias) need not be its directory's
// name, so the names are resolved against the Chart.yaml files on disk.
// Everything inside an archive, the chart itself or a packaged subchart,
// is attributed to the archive.
type chartFiles struct {
	// root is the chart directory or archive as the user gave it.
	root    string
	archive bool
	// subcharts caches, per chart directory, its subcharts by the names
	// templates use (names and aliases).
	subcharts map[string]map[string]subchart
}

type subchart struct {
	path    string
	archive bool
}

func newChartFiles(u input.Unit) *chartFiles {
	return &chartFiles{root: u.Path, archive: u.Kind == input.ChartArchive, subcharts: map[string]map[string]subchart{}}
}

// path returns the file a template (or a crds/ file) named as Helm names it
// comes from.
func (c *chartFiles) path(template string) string {
	if c.archive {
		return c.root
	}
	_, rest, ok := strings.Cut(template, "/") // drop the chart's name
	if !ok {
		return c.root
	}
	dir := c.root
	for {
		parts := strings.SplitN(rest, "/", 3)
		if len(parts) < 3 || parts[0] != "charts" {
			break
		}
		sub, ok := c.subchartsOf(dir)[parts[1]]
		if !ok {
			break // not found on disk: the best guess is a directory of that name
		}
		if sub.archive {
			return sub.path
		}
		dir, rest = sub.path, parts[2]
	}
	return osPath(dir, rest)
}

// subchartsOf lists the subcharts in dir/charts by the names their
// templates are given: a directory's chart name, an archive's chart name,
// and the aliases dir/Chart.yaml gives them.
func (c *chartFiles) subchartsOf(dir string) map[string]subchart {
	if m, ok := c.subcharts[dir]; ok {
		return m
	}
	m := map[string]subchart{}
	c.subcharts[dir] = m
	entries, err := os.ReadDir(filepath.Join(dir, "charts"))
	if err != nil {
		return m
	}
	for _, e := range entries {
		n := e.Name()
		if strings.IndexAny(n, "_.") == 0 {
			continue // the loader skips these too
		}
		p := filepath.Join(dir, "charts", n)
		var name string
		archive := false
		switch {
		case e.IsDir():
			if md := readMetadata(filepath.Join(p, "Chart.yaml")); md != nil {
				name = md.Name
			}
		case filepath.Ext(n) == ".tgz":
			archive = true
			if ch, err := loader.LoadFile(p); err == nil && ch.Metadata != nil {
				name = ch.Metadata.Name
			}
		}
		if name != "" {
			if _, dup := m[name]; !dup {
				m[name] = subchart{path: p, archive: archive}
			}
		}
	}
	if md := readMetadata(filepath.Join(dir, "Chart.yaml")); md != nil {
		for _, d := range md.Dependencies {
			if d == nil || d.Alias == "" {
				continue
			}
			if s, ok := m[d.Name]; ok {
				m[d.Alias] = s
			}
		}
	}
	return m
}

// metadataFile is the file to blame for problems with the chart's metadata
// and dependencies.
func (c *chartFiles) metadataFile() string {
	if c.archive {
		return c.root
	}
	return filepath.Join(c.root, "Chart.yaml")
}

// schemaFile is the file to blame for values that fail validation.
func (c *chartFiles) schemaFile() string {
	if c.archive {
		return c.root
	}
	return filepath.Join(c.root, "values.schema.json")
}

// loadErrorFile guesses which file a loader error is about.
func (c *chartFiles) loadErrorFile(err error) string {
	if c.archive {
		return c.root
	}
	msg := err.Error()
	for _, f := range []string{"values.yaml", "Chart.yaml", "Chart.lock", "requirements.yaml", "requirements.lock"} {
		if strings.Contains(msg, f) {
			return filepath.Join(c.root, f)
		}
	}
	if strings.Contains(msg, "validation: ") || strings.Contains(msg, "chart.metadata") {
		return filepath.Join(c.root, "Chart.yaml")
	}
	return ""
}

func readMetadata(file string) *chart.Metadata {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	md := new(chart.Metadata)
	if yaml.Unmarshal(data, md) != nil {
		return nil
	}
	return md
}
