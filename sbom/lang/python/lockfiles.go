package python

import (
	"encoding/json"
	"slices"
	"strings"
)

// parsePoetryLock reads poetry.lock's [[package]] tables: every package
// Poetry locked, the main group's and the others'.
func parsePoetryLock(data []byte) ([]pin, error) {
	pkgs, err := tomlPackages(data)
	var out []pin
	for _, p := range pkgs {
		if p.Name != "" && p.Version != "" {
			out = append(out, pin{Name: p.Name, Version: p.Version, Line: p.Line})
		}
	}
	return out, err
}

// parseUVLock reads uv.lock's [[package]] tables, less the project and
// the workspace's members themselves (source editable or virtual).
func parseUVLock(data []byte) ([]pin, error) {
	pkgs, err := tomlPackages(data)
	var out []pin
	for _, p := range pkgs {
		if slices.Contains(p.Source, "editable") || slices.Contains(p.Source, "virtual") {
			continue
		}
		if p.Name != "" && p.Version != "" {
			out = append(out, pin{Name: p.Name, Version: p.Version, Line: p.Line})
		}
	}
	return out, err
}

// parsePipfileLock reads Pipfile.lock's default and develop packages
// with a pinned version ("==1.2.3"); those from a VCS or a path have none.
func parsePipfileLock(data []byte) ([]pin, error) {
	var lock struct {
		Default map[string]struct {
			Version string `json:"version"`
		} `json:"default"`
		Develop map[string]struct {
			Version string `json:"version"`
		} `json:"develop"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, err
	}
	var out []pin
	for _, section := range []map[string]struct {
		Version string `json:"version"`
	}{lock.Default, lock.Develop} {
		for name, p := range section {
			if v, ok := strings.CutPrefix(p.Version, "=="); ok && v != "" && name != "" {
				out = append(out, pin{Name: name, Version: v})
			}
		}
	}
	return out, nil
}
