package nodelock

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// pnpmLock is the part of pnpm-lock.yaml read: its version and the
// packages it resolved.
type pnpmLock struct {
	// LockfileVersion is a number in 5.x ("5.4") and a string from 6.
	LockfileVersion yaml.Node `yaml:"lockfileVersion"`
	// Packages are keyed "/name/1.2.3_peer@2.0.0" (5.x),
	// "/name@1.2.3(peer@2.0.0)" (6.x) or "name@1.2.3" (9.x), or for
	// tarball and git dependencies by where they came from, with name and
	// version fields.
	Packages map[string]pnpmPackage `yaml:"packages"`
}

type pnpmPackage struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
}

// parsePnpm reads a pnpm-lock.yaml.
func parsePnpm(data []byte) ([]dep, error) {
	var lock pnpmLock
	if err := yaml.Unmarshal(data, &lock); err != nil {
		return nil, err
	}
	m, _, _ := strings.Cut(lock.LockfileVersion.Value, ".")
	major, err := strconv.Atoi(m)
	if err != nil {
		return nil, fmt.Errorf("lockfileVersion %q: not a pnpm lockfile", truncate(lock.LockfileVersion.Value))
	}
	var out []dep
	for key, p := range lock.Packages {
		// "file:dir" (5.x, 6.x), "name@file:dir" (9.x): the project's own.
		if _, ref, _ := splitSpec(key); local(key) || local(ref) {
			continue
		}
		name, version := pnpmKey(key, major)
		if p.Name != "" {
			name = p.Name
		}
		if p.Version != "" {
			version = p.Version
		}
		if !validName(name) || !registryVersion(version) {
			continue
		}
		if len(out) == maxPackages {
			return out, errTooMany
		}
		out = append(out, dep{Name: name, Version: version})
	}
	return out, nil
}

// pnpmKey reads a package's key, "" for a key that is not a registry
// package's (a tarball URL, say).
func pnpmKey(key string, major int) (name, version string) {
	if major >= 9 {
		name, version, _ = splitSpec(key)
	} else {
		rest, ok := strings.CutPrefix(key, "/")
		if !ok {
			return "", "" // "registry.example.com/name/1.2.3", a URL...
		}
		if major >= 6 {
			name, version, _ = splitSpec(rest)
		} else {
			// "/@scope/name/1.2.3" or "/name/1.2.3".
			i := strings.LastIndexByte(rest, '/')
			if i < 0 {
				return "", ""
			}
			name, version = rest[:i], rest[i+1:]
			// The peers it was resolved with: "1.2.3_peer@2.0.0".
			version, _, _ = strings.Cut(version, "_")
		}
	}
	// "1.2.3(peer@2.0.0)(other@1.0.0)".
	version, _, _ = strings.Cut(version, "(")
	return name, version
}
