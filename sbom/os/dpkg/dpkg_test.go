package dpkg_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/sbom/extractors"
	"github.com/dozor-dev/dozor/sbom/sbomtest"
)

// hostImage builds an image of this Debian machine's real dpkg database:
// /etc/os-release, /var/lib/dpkg/status, every package's list of files,
// the copyright files, and the real files of a few packages. It skips
// the test where this is not Debian.
func hostImage(t *testing.T) (*image.Image, string) {
	t.Helper()
	status, err := os.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		t.Skip("no /var/lib/dpkg/status: not a Debian machine, no real dpkg database to read")
	}
	osRelease, err := os.ReadFile("/etc/os-release")
	if err != nil {
		t.Skip("no /etc/os-release")
	}
	base := []imagetest.Entry{imagetest.Dir("etc"), imagetest.File("etc/os-release", string(osRelease)),
		imagetest.File("var/lib/dpkg/status", string(status))}
	lists, _ := filepath.Glob("/var/lib/dpkg/info/*.list")
	for _, l := range lists {
		data, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		base = append(base, imagetest.File(strings.TrimPrefix(l, "/"), string(data)))
	}
	copyrights, _ := filepath.Glob("/usr/share/doc/*/copyright")
	for _, c := range copyrights {
		if data, err := os.ReadFile(c); err == nil && len(data) < 1<<20 {
			base = append(base, imagetest.File(strings.TrimPrefix(c, "/"), string(data)))
		}
	}
	// The real files of base-files, as the package installed them.
	var files []imagetest.Entry
	list, _ := os.ReadFile("/var/lib/dpkg/info/base-files.list")
	for _, p := range strings.Split(string(list), "\n") {
		st, err := os.Lstat(p)
		if p == "" || err != nil || !st.Mode().IsRegular() || st.Size() > 1<<20 {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		files = append(files, imagetest.File(strings.TrimPrefix(p, "/"), string(data)))
	}
	img := imagetest.Build(t, imagetest.Config{}, imagetest.Layer(t, base...), imagetest.Layer(t, files...))
	dir := filepath.Join(t.TempDir(), "oci")
	imagetest.WriteLayout(t, dir, img)
	im, err := image.Open(context.Background(), dir, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return im, string(status)
}

// TestHostPackages reads this machine's real dpkg database from an image
// and compares every package with what dpkg-query says of it.
func TestHostPackages(t *testing.T) {
	im, _ := hostImage(t)
	q, err := exec.Command("dpkg-query", "-W", "-f", "${db:Status-Status} ${Package} ${Version} ${Architecture} ${source:Package} ${source:Version}\n").Output()
	if err != nil {
		t.Skipf("dpkg-query: %v", err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(q)), "\n") {
		f := strings.Fields(line)
		if len(f) == 6 && f[0] == "installed" {
			want[f[1]+":"+f[3]] = f[2] + " " + f[4] + " " + f[5]
		}
	}
	res, err := extractors.Run(context.Background(), im, image.Options{}, extractors.All())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	got := map[string]sbom.Package{}
	for _, p := range res.Packages {
		got[p.Name+":"+p.Arch] = p
	}
	if len(got) != len(want) || len(want) < 50 {
		t.Errorf("%d packages, dpkg-query lists %d installed", len(got), len(want))
	}
	for k, w := range want {
		p, ok := got[k]
		if !ok {
			t.Errorf("%s: missing", k)
			continue
		}
		if g := p.Version + " " + p.SourceName + " " + p.SourceVersion; g != w {
			t.Errorf("%s: %q, dpkg-query says %q", k, g, w)
		}
	}
	t.Logf("%d installed packages, each as dpkg-query says", len(want))
	bf := got["base-files:"+hostArch(t)]
	osr := readOSRelease(t)
	if !strings.HasPrefix(bf.PURL, "pkg:deb/debian/base-files@"+strings.ReplaceAll(bf.Version, "+", "%2B")+"?arch=") || !strings.Contains(bf.PURL, "distro=debian-"+osr["VERSION_ID"]) ||
		bf.Location != "/var/lib/dpkg/status" || bf.Layer != 0 || len(bf.Files) < 10 || !contains(bf.Files, "/etc/debian_version") {
		t.Errorf("base-files: %+v (%d files)", bf, len(bf.Files))
	}
	// Licences come from machine-readable copyright files.
	withLicence := 0
	for _, p := range res.Packages {
		if len(p.Licenses) > 0 {
			withLicence++
		}
	}
	if withLicence < len(res.Packages)/4 {
		t.Errorf("only %d of %d packages have licences", withLicence, len(res.Packages))
	}
}

// TestDistroless: distroless images have one stanza per file in
// var/lib/dpkg/status.d, without a Status field; a package not
// installed ("deinstall ok config-files") is not reported.
func TestDistroless(t *testing.T) {
	img := imagetest.Build(t, imagetest.Config{},
		imagetest.Layer(t, imagetest.File("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
			imagetest.File("var/lib/dpkg/status.d/libc6", "Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nSource: glibc\n"),
			imagetest.File("var/lib/dpkg/status.d/libc6.md5sums", "abc  lib/x86_64-linux-gnu/libc.so.6\n"),
			imagetest.File("var/lib/dpkg/status.d/tzdata", "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n"),
			imagetest.File("var/lib/dpkg/status", "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: ca-certificates\nStatus: install ok installed\nVersion: 20230311\nArchitecture: all\n")))
	res := sbomtest.Scan(t, img)
	var got []string
	for _, p := range res.Packages {
		got = append(got, p.PURL+" "+p.Location)
	}
	want := []string{
		"pkg:deb/debian/ca-certificates@20230311?arch=all&distro=debian-12 /var/lib/dpkg/status",
		"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc /var/lib/dpkg/status.d/libc6",
		"pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12 /var/lib/dpkg/status.d/tzdata",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("packages:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func hostArch(t *testing.T) string {
	out, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		t.Skip("dpkg --print-architecture: ", err)
	}
	return strings.TrimSpace(string(out))
}

func readOSRelease(t *testing.T) map[string]string {
	data, _ := os.ReadFile("/etc/os-release")
	out := map[string]string{}
	for _, l := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			out[k] = strings.Trim(v, `"`)
		}
	}
	return out
}

func contains(xs []string, v string) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}
