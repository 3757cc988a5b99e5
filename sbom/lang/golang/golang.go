// Package golang finds Go modules in Go binaries: the main module, every
// dependency (replacements applied) and the Go standard library of the
// toolchain that built it, from the build information the Go linker
// writes into every binary (debug/buildinfo: ELF, Mach-O, PE, ...).
// Binaries are found by content as the layers stream by, not by name.
package golang

import (
	"debug/buildinfo"
	"io"
	"io/fs"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/sbom"
)

// Extractor reads Go build information.
type Extractor struct{}

// New returns the Go binary extractor.
func New() *Extractor { return &Extractor{} }

// Name is "go-binary".
func (*Extractor) Name() string { return "go-binary" }

// Wants reads no file by path.
func (*Extractor) Wants(string, int64) bool { return false }

// WantsContent looks into executable files of a plausible size.
func (*Extractor) WantsContent(_ string, mode fs.FileMode, size int64) bool {
	return mode&0o111 != 0 && size >= 4096
}

// magics are the first bytes of executable formats Go writes.
var magics = [][]byte{{0x7f, 'E', 'L', 'F'}, {'M', 'Z'}, {0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf},
	{0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe}}

// Sniff reads a binary's build information, or returns nil.
func (*Extractor) Sniff(_ string, content io.ReaderAt, _ int64) any {
	head := make([]byte, 4)
	if _, err := content.ReadAt(head, 0); err != nil {
		return nil
	}
	ok := false
	for _, m := range magics {
		if len(head) >= len(m) && string(head[:len(m)]) == string(m) {
			ok = true
		}
	}
	if !ok {
		return nil
	}
	bi, err := buildinfo.Read(content)
	if err != nil {
		return nil
	}
	return bi
}

// Extract lists the modules of every Go binary the walk found.
func (e *Extractor) Extract(ctx *sbom.Context) ([]sbom.Package, []error) {
	var out []sbom.Package
	ctx.FS.Sniffed(func(f *image.File, result any) {
		m, _ := result.(map[string]any)
		bi, _ := m[e.Name()].(*buildinfo.BuildInfo)
		if bi == nil {
			return
		}
		add := func(path, version string) {
			if path == "" || version == "" || version == "(devel)" {
				return
			}
			out = append(out, sbom.Package{Name: path, Version: version, Type: packageurl.TypeGolang, PURL: purl(path, version),
				Location: "/" + f.Path, Layer: f.Layer, Extractor: e.Name()})
		}
		add("stdlib", strings.TrimPrefix(bi.GoVersion, "go"))
		add(bi.Main.Path, bi.Main.Version)
		for _, d := range bi.Deps {
			if d.Replace != nil {
				d = d.Replace
			}
			add(d.Path, d.Version)
		}
	})
	return out, nil
}

// purl is pkg:golang/NAMESPACE/NAME@VERSION: the module path's last
// element is the name, the rest the namespace.
func purl(path, version string) string {
	ns, name := "", path
	if i := strings.LastIndex(path, "/"); i >= 0 {
		ns, name = path[:i], path[i+1:]
	}
	return packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, version, nil, "").ToString()
}
