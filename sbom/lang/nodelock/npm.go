package nodelock

import (
	"encoding/json"
	"fmt"
	"strings"
)

// npmLock is package-lock.json: lockfileVersion 2 and 3 list packages by
// their path ("node_modules/a/node_modules/b"), 1 nests them by name
// under "dependencies" (version 2 has both, the same packages).
type npmLock struct {
	LockfileVersion int                      `json:"lockfileVersion"`
	Packages        map[string]npmPackage    `json:"packages"`
	Dependencies    map[string]*npmDependent `json:"dependencies"`
}

type npmPackage struct {
	// Name is set when the path's name is an alias ("ms-old": "npm:ms@2").
	Name    string          `json:"name"`
	Version string          `json:"version"`
	Link    bool            `json:"link"`
	License json.RawMessage `json:"license"`
}

type npmDependent struct {
	// Version is "1.2.3", "npm:real-name@1.2.3" for an alias, or where
	// it came from for local and git dependencies ("file:../x",
	// "git+https://...#sha").
	Version      string                   `json:"version"`
	Dependencies map[string]*npmDependent `json:"dependencies"`
}

// parseNPM reads package-lock.json, npm-shrinkwrap.json or
// node_modules/.package-lock.json.
func parseNPM(data []byte) ([]dep, error) {
	var lock npmLock
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, err
	}
	if lock.Packages != nil {
		return npmPackages(lock.Packages)
	}
	var out []dep
	err := npmDependencies(lock.Dependencies, 0, &out)
	return out, err
}

// npmPackages reads lockfileVersion 2 and 3's "packages": the root ("")
// and the project's own workspaces (paths with no node_modules) are not
// dependencies, and links point at a workspace or local directory.
func npmPackages(pkgs map[string]npmPackage) ([]dep, error) {
	var out []dep
	for p, pkg := range pkgs {
		i := strings.LastIndex(p, "node_modules/")
		if i < 0 || pkg.Link {
			continue
		}
		name := p[i+len("node_modules/"):]
		if pkg.Name != "" {
			name = pkg.Name
		}
		if !validName(name) || !registryVersion(pkg.Version) {
			continue
		}
		if len(out) == maxPackages {
			return out, errTooMany
		}
		out = append(out, dep{Name: name, Version: pkg.Version, License: license(pkg.License)})
	}
	return out, nil
}

// npmDependencies reads lockfileVersion 1's nested "dependencies".
func npmDependencies(deps map[string]*npmDependent, depth int, out *[]dep) error {
	if depth > maxDepth {
		return fmt.Errorf("dependencies nested deeper than %d", maxDepth)
	}
	for name, d := range deps {
		if d == nil {
			continue
		}
		version := d.Version
		if real, ok := strings.CutPrefix(version, "npm:"); ok {
			if n, v, ok := splitSpec(real); ok {
				name, version = n, v
			}
		}
		if validName(name) && registryVersion(version) {
			if len(*out) == maxPackages {
				return errTooMany
			}
			*out = append(*out, dep{Name: name, Version: version})
		}
		if err := npmDependencies(d.Dependencies, depth+1, out); err != nil {
			return err
		}
	}
	return nil
}

// license reads "MIT"; an SPDX expression stays one string.
func license(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil || len(s) > 1024 {
		return ""
	}
	return s
}
