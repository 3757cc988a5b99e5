package image

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// OSReleasePaths are where os-release(5) may be, in order.
var OSReleasePaths = []string{"etc/os-release", "usr/lib/os-release"}

// OSRelease reads the image's os-release file (kept by the walk: see
// OSReleasePaths): its fields, and the path and layer it came from; nil
// when there is none.
func (f *FS) OSRelease() (fields map[string]string, file *File) {
	for _, p := range OSReleasePaths {
		data, err := f.ReadFile(p)
		if err != nil {
			continue
		}
		file, _ = f.File(p)
		return parseOSRelease(data), file
	}
	return nil, nil
}

// parseOSRelease reads KEY=value lines, values quoted or not.
func parseOSRelease(data []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") || k == "" {
			continue
		}
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		} else {
			v = strings.Trim(v, `"'`)
		}
		out[k] = v
	}
	return out
}
