package java

import (
	"bufio"
	"bytes"
	"path"
	"strings"
)

// isPomProperties reports whether an entry is
// META-INF/maven/GROUP/ARTIFACT/pom.properties.
func isPomProperties(name string) bool {
	return strings.HasPrefix(name, "META-INF/maven/") && strings.Count(name, "/") == 4 && path.Base(name) == "pom.properties"
}

// properties reads a Java properties file's "key=value", "key: value"
// and "key value" lines (no escapes or continuations, which Maven does
// not write in pom.properties).
func properties(data []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxMetaFile)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=: \t")
		if i < 0 {
			out[line] = ""
			continue
		}
		key := line[:i]
		value := strings.TrimLeft(line[i:], " \t")
		if value != "" && (value[0] == '=' || value[0] == ':') {
			value = strings.TrimLeft(value[1:], " \t")
		}
		out[key] = value
	}
	return out
}

// fromPom is the package a pom.properties names; its path's group and
// artifact stand in for missing properties.
func fromPom(props map[string]string, entry string) (found, bool) {
	parts := strings.Split(entry, "/") // META-INF, maven, GROUP, ARTIFACT, pom.properties
	fd := found{group: props["groupId"], artifact: props["artifactId"], version: props["version"]}
	if fd.group == "" {
		fd.group = parts[2]
	}
	if fd.artifact == "" {
		fd.artifact = parts[3]
	}
	return fd, validField(fd.group) && validField(fd.artifact) && validField(fd.version)
}

func containsFound(fds []found, fd found) bool {
	for _, f := range fds {
		if f.group == fd.group && f.artifact == fd.artifact && f.version == fd.version {
			return true
		}
	}
	return false
}

// parseManifest reads a manifest's main section: "Name: value" lines,
// a line starting with one space continuing the one before, up to the
// first empty line.
func parseManifest(data []byte) map[string]string {
	out := map[string]string{}
	last := ""
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break
		}
		if line[0] == ' ' {
			if last != "" {
				out[last] += line[1:]
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			last = ""
			continue
		}
		last = strings.TrimSpace(k)
		out[last] = strings.TrimLeft(v, " ")
	}
	for k, v := range out {
		out[k] = strings.TrimSpace(v)
	}
	return out
}

// fromManifest is the package a manifest names, and failing that the
// archive's file name; ok is false when neither gives a name and
// version.
func fromManifest(m map[string]string, fileName string) (found, bool) {
	var fd found
	fileArtifact, fileVersion := splitFileName(fileName)
	switch {
	case validField(m["Implementation-Title"]) && validField(m["Implementation-Version"]):
		fd.artifact, fd.version = m["Implementation-Title"], m["Implementation-Version"]
	case validField(symbolicName(m["Bundle-SymbolicName"])) && validField(m["Bundle-Version"]):
		fd.artifact, fd.version = symbolicName(m["Bundle-SymbolicName"]), m["Bundle-Version"]
	case validField(fileArtifact) && validField(fileVersion):
		fd.artifact, fd.version = fileArtifact, fileVersion
	default:
		// A version without a name: the file's.
		fd.artifact = strings.TrimSuffix(fileName, path.Ext(fileName))
		fd.version = m["Implementation-Version"]
		if fd.version == "" {
			fd.version = m["Bundle-Version"]
		}
	}
	if !validField(fd.artifact) || !validField(fd.version) {
		return found{}, false
	}
	switch {
	case validField(m["Implementation-Vendor-Id"]):
		fd.group = m["Implementation-Vendor-Id"]
	case validField(m["Automatic-Module-Name"]) && !strings.Contains(fd.artifact, "."):
		// A symbolic name is reverse-DNS already ("org.example.lib"):
		// a module name is no group of it.
		fd.group = m["Automatic-Module-Name"]
	}
	return fd, true
}

// manifestVersion is the version a manifest states, "" for none.
func manifestVersion(m map[string]string) string {
	if v := m["Implementation-Version"]; validField(v) {
		return v
	}
	if v := m["Bundle-Version"]; validField(v) {
		return v
	}
	return ""
}

// symbolicName drops a Bundle-SymbolicName's directives
// ("org.example.lib;singleton:=true").
func symbolicName(s string) string {
	name, _, _ := strings.Cut(s, ";")
	return strings.TrimSpace(name)
}

// splitFileName reads "name-1.2.3.jar" (or "name-1.2.3-SNAPSHOT.jar"):
// the version starts at the first '-' followed by a digit.
func splitFileName(fileName string) (name, version string) {
	stem := strings.TrimSuffix(fileName, path.Ext(fileName))
	for i := 0; i+1 < len(stem); i++ {
		if stem[i] == '-' && stem[i+1] >= '0' && stem[i+1] <= '9' {
			return stem[:i], stem[i+1:]
		}
	}
	return stem, ""
}

// bundleLicenses reads Bundle-License: licences separated by commas,
// each maybe quoted and followed by ";description=..." or ";link=...".
func bundleLicenses(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	var cur strings.Builder
	quoted := false
	flush := func() {
		l, _, _ := strings.Cut(cur.String(), ";")
		l = strings.Trim(strings.TrimSpace(l), `"`)
		if l != "" && len(out) < 16 && len(l) <= 256 {
			out = append(out, l)
		}
		cur.Reset()
	}
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case r == ',' && !quoted:
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}

// validField reports whether s can be a group, artifact or version: not
// empty, not long, no spaces or control characters.
func validField(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}
