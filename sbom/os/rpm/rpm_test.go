package rpm

import (
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/sbom/os/rpm/internal/rpmdbtest"
)

// The tests read real rpm databases that package rpmdbtest makes.

// want is what rpm itself says of a package.
type want struct {
	Version, Arch, SourceName, SourceVersion string
	Licenses                                 []string
	Files                                    []string
}

// query asks rpm for every package of the database in dir but signing
// keys: name, epoch, version, release, arch, source package and licence,
// and the files rpm -ql lists, less directories (which the extractor
// leaves out, as dpkg's does).
func query(t testing.TB, dir string) (map[string]want, []string) {
	t.Helper()
	got := map[string]want{}
	var all []string
	for _, line := range strings.Split(strings.TrimSpace(rpmdbtest.RPM(t, dir, "sqlite", "-qa", "--qf",
		`%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{LICENSE}\n`)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 7 {
			t.Fatalf("rpm -qa: %q", line)
		}
		all = append(all, f[0])
		if f[0] == "gpg-pubkey" {
			continue
		}
		vr := f[2] + "-" + f[3]
		epoch := ""
		if f[1] != "(none)" {
			epoch = f[1] + ":"
		}
		src := rpmdbtest.Sources[f[0]]
		if f[5] != src+"-"+vr+".src.rpm" {
			t.Fatalf("rpm says %s's source package is %q, want %s-%s.src.rpm", f[0], f[5], src, vr)
		}
		w := want{Version: epoch + vr, Arch: f[4], SourceName: src, SourceVersion: epoch + vr, Licenses: []string{f[6]}}
		dirs := map[string]bool{}
		for _, l := range strings.Split(rpmdbtest.RPM(t, dir, "sqlite", "-q", "--qf", `[%{FILEMODES:perms} %{FILENAMES}\n]`, f[0]), "\n") {
			if perms, p, ok := strings.Cut(l, " "); ok && strings.HasPrefix(perms, "d") {
				dirs[p] = true
			}
		}
		for _, p := range strings.Split(strings.TrimSpace(rpmdbtest.RPM(t, dir, "sqlite", "-ql", f[0])), "\n") {
			if !dirs[p] {
				w.Files = append(w.Files, p)
			}
		}
		got[f[0]] = w
	}
	return got, all
}

// found is what the extractor found. (sbom/extractors, which runs the
// extractors in Dozor, lists this one: a test of this package cannot
// import it.)
type found struct {
	Packages []sbom.Package
	Errors   []error
}

// keyed gives what the extractor sniffs under its name, as
// sbom/extractors does for every sniffer.
type keyed struct{ *Extractor }

func (k keyed) Sniff(p string, content io.ReaderAt, size int64) any {
	if v := k.Extractor.Sniff(p, content, size); v != nil {
		return map[string]any{k.Name(): v}
	}
	return nil
}

// run builds an image of layers, reads it back from an OCI layout and
// runs the rpm extractor alone, as sbom/extractors.Run would.
func run(t *testing.T, layers ...[]imagetest.Entry) *found {
	t.Helper()
	var ls []v1.Layer
	for _, l := range layers {
		ls = append(ls, imagetest.Layer(t, l...))
	}
	dir := filepath.Join(t.TempDir(), "oci")
	imagetest.WriteLayout(t, dir, imagetest.Build(t, imagetest.Config{}, ls...))
	im, err := image.Open(context.Background(), dir, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := New()
	w, err := im.FS(context.Background(), image.Options{Sniffer: keyed{e},
		Keep: func(p string, size int64) bool { return e.Wants(p, size) || slices.Contains(image.OSReleasePaths, p) }})
	if err != nil {
		t.Fatal(err)
	}
	osr, _ := w.FS.OSRelease()
	pkgs, errs := e.Extract(&sbom.Context{FS: w.FS, OSRelease: osr})
	return &found{Packages: pkgs, Errors: errs}
}

// noTemp points temporary files at a new directory for the test, and
// checks at its end that the extractor left nothing there.
func noTemp(t *testing.T) {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Cleanup(func() {
		left, _ := os.ReadDir(tmp)
		if len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	})
}

const rhel = "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nVERSION_ID=\"9.4\"\n"

// compare checks the extractor's packages against rpm's: every field,
// the location and layer of the database, and the purl.
func compare(t *testing.T, res *found, db string, layer int, wants map[string]want, purls map[string]string) {
	t.Helper()
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	got := map[string]want{}
	for _, p := range res.Packages {
		if p.Name == "gpg-pubkey" {
			t.Errorf("a gpg-pubkey package: %+v", p)
		}
		if p.Location != db || p.Layer != layer || p.Type != "rpm" || p.Extractor != "rpm" {
			t.Errorf("%s: Location, Layer, Type, Extractor = %q, %d, %q, %q, want %q, %d, rpm, rpm", p.Name, p.Location, p.Layer, p.Type, p.Extractor, db, layer)
		}
		if w, ok := purls[p.Name]; ok && p.PURL != w {
			t.Errorf("%s: PURL = %s, want %s", p.Name, p.PURL, w)
		}
		slices.Sort(p.Files)
		got[p.Name] = want{Version: p.Version, Arch: p.Arch, SourceName: p.SourceName, SourceVersion: p.SourceVersion, Licenses: p.Licenses, Files: p.Files}
	}
	for n, w := range wants {
		slices.Sort(w.Files)
		wants[n] = w
	}
	if d := cmp.Diff(wants, got); d != "" {
		t.Errorf("packages (-rpm +extractor):\n%s", d)
	}
}

// dbEntries are the files of a database directory rpm wrote, as layer
// entries under at.
func dbEntries(t *testing.T, dir, at string, names ...string) []imagetest.Entry {
	t.Helper()
	var out []imagetest.Entry
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if os.IsNotExist(err) && n != names[0] {
			continue // SQLite's -shm and -wal, where it left them
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, imagetest.File(at+"/"+n, string(data)))
	}
	return out
}

// TestSQLite reads a SQLite database rpm wrote, at the paths RHEL and
// Fedora keep it, and finds what rpm -qa and rpm -ql report.
func TestSQLite(t *testing.T) {
	dir, withKey := rpmdbtest.SQLiteDB(t, rpmdbtest.BuildRPMs(t), true)
	wants, all := query(t, dir)
	if len(wants) != 3 {
		t.Fatalf("rpm -qa lists %v, want the 3 packages built", all)
	}
	if withKey && !slices.Contains(all, "gpg-pubkey") {
		t.Fatalf("rpm -qa lists %v: no gpg-pubkey after --import", all)
	}
	arch := wants["libfoo"].Arch
	purls := map[string]string{
		"hello-tool":   "pkg:rpm/redhat/hello-tool@1.2.3-4.el9?arch=noarch&distro=rhel-9.4&epoch=2",
		"libfoo-devel": "pkg:rpm/redhat/libfoo-devel@0.9.1-7.fc40?arch=" + arch + "&distro=rhel-9.4",
	}
	files := []string{"rpmdb.sqlite", "rpmdb.sqlite-shm", "rpmdb.sqlite-wal"}
	base := []imagetest.Entry{imagetest.File("etc/os-release", rhel)}

	t.Run("var/lib/rpm", func(t *testing.T) {
		noTemp(t)
		res := run(t, base, dbEntries(t, dir, "var/lib/rpm", files...))
		compare(t, res, "/var/lib/rpm/rpmdb.sqlite", 1, wants, purls)
	})
	t.Run("usr/lib/sysimage/rpm, var/lib/rpm a link to it", func(t *testing.T) {
		// Fedora 36 and later: read once, where it is.
		noTemp(t)
		layer := append(dbEntries(t, dir, "usr/lib/sysimage/rpm", files...), imagetest.Symlink("var/lib/rpm", "../../usr/lib/sysimage/rpm"))
		res := run(t, base, []imagetest.Entry{imagetest.Dir("var"), imagetest.Dir("var/lib")}, layer)
		compare(t, res, "/usr/lib/sysimage/rpm/rpmdb.sqlite", 2, wants, purls)
	})
	t.Run("beside a broken database", func(t *testing.T) {
		// A broken database gives an error; the other is still read.
		noTemp(t)
		broken := imagetest.File("var/lib/rpm/Packages", strings.Repeat("\x00broken", 1000))
		res := run(t, base, append(dbEntries(t, dir, "usr/lib/sysimage/rpm", files...), broken))
		if len(res.Errors) != 1 || !strings.HasPrefix(res.Errors[0].Error(), "/var/lib/rpm/Packages: ") {
			t.Fatalf("Errors = %v, want one about /var/lib/rpm/Packages", res.Errors)
		}
		res.Errors = nil
		compare(t, res, "/usr/lib/sysimage/rpm/rpmdb.sqlite", 1, wants, purls)
	})
	t.Run("newest format of a directory", func(t *testing.T) {
		// A converted database's leftover Packages is not read.
		noTemp(t)
		stale := imagetest.File("var/lib/rpm/Packages", strings.Repeat("\x00stale", 1000))
		res := run(t, base, append(dbEntries(t, dir, "var/lib/rpm", files...), stale))
		compare(t, res, "/var/lib/rpm/rpmdb.sqlite", 1, wants, purls)
	})
	t.Run("no os-release", func(t *testing.T) {
		noTemp(t)
		res := run(t, dbEntries(t, dir, "var/lib/rpm", files...))
		compare(t, res, "/var/lib/rpm/rpmdb.sqlite", 0, wants, map[string]string{
			"hello-tool": "pkg:rpm/hello-tool@1.2.3-4.el9?arch=noarch&epoch=2",
			"libfoo":     "pkg:rpm/libfoo@0.9.1-7.fc40?arch=" + arch,
		})
	})
}

// TestNDB reads an ndb database (SUSE's Packages.db) of the real headers
// rpm stored, laid out as rpm's ndb backend does (ndbFile).
func TestNDB(t *testing.T) {
	dir, _ := rpmdbtest.SQLiteDB(t, rpmdbtest.BuildRPMs(t), true)
	wants, _ := query(t, dir)
	noTemp(t)
	osr := "NAME=\"openSUSE Leap\"\nID=\"opensuse-leap\"\nVERSION_ID=\"15.5\"\n"
	res := run(t, []imagetest.Entry{imagetest.File("etc/os-release", osr)},
		[]imagetest.Entry{imagetest.File("usr/lib/sysimage/rpm/Packages.db", string(rpmdbtest.NDB(rpmdbtest.Headers(t, dir))))})
	compare(t, res, "/usr/lib/sysimage/rpm/Packages.db", 1, wants, map[string]string{
		"hello-tool": "pkg:rpm/opensuse-leap/hello-tool@1.2.3-4.el9?arch=noarch&distro=opensuse-leap-15.5&epoch=2",
	})
}

// TestBerkeleyDB reads a Berkeley DB Packages of the real headers rpm
// stored (bdbFile).
func TestBerkeleyDB(t *testing.T) {
	dir, _ := rpmdbtest.SQLiteDB(t, rpmdbtest.BuildRPMs(t), true)
	wants, _ := query(t, dir)
	data := rpmdbtest.BerkeleyDB(t, rpmdbtest.Headers(t, dir))
	noTemp(t)
	osr := "NAME=\"CentOS Linux\"\nID=\"centos\"\nVERSION_ID=\"7\"\n"
	res := run(t, []imagetest.Entry{imagetest.File("etc/os-release", osr), imagetest.File("var/lib/rpm/Packages", string(data))})
	compare(t, res, "/var/lib/rpm/Packages", 0, wants, map[string]string{
		"hello-tool": "pkg:rpm/centos/hello-tool@1.2.3-4.el9?arch=noarch&distro=centos-7&epoch=2",
	})
}

// TestCorrupt puts bytes that are no database, or a database's first
// bytes and then garbage, at var/lib/rpm/rpmdb.sqlite: an error naming
// the file, no package, no panic, no temporary file left.
func TestCorrupt(t *testing.T) {
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(i*7919 + i>>8*31 + i>>16)
	}
	ndbHead := binary.LittleEndian.AppendUint32(nil, rpmdbtest.NDBMagic)
	ndbHead = append(binary.LittleEndian.AppendUint32(append(ndbHead, 0, 0, 0, 0, 0, 0, 0, 0), 1), random...)
	for name, data := range map[string][]byte{
		"random":             random,
		"short":              []byte("rpm"),
		"empty":              nil,
		"SQLite magic":       append([]byte("SQLite format 3\x00"), random...),
		"ndb header":         ndbHead,
		"Berkeley DB header": append(rpmdbtest.BDBMeta(4096, 100), random...), // 17 of 100 pages
	} {
		t.Run(name, func(t *testing.T) {
			noTemp(t)
			res := run(t, []imagetest.Entry{imagetest.File("var/lib/rpm/rpmdb.sqlite", string(data))})
			if len(res.Errors) != 1 || !strings.HasPrefix(res.Errors[0].Error(), "/var/lib/rpm/rpmdb.sqlite: ") {
				t.Fatalf("Errors = %v, want one naming /var/lib/rpm/rpmdb.sqlite", res.Errors)
			}
			if len(res.Packages) != 0 {
				t.Errorf("Packages = %v, want none", res.Packages)
			}
			t.Log(res.Errors[0])
		})
	}
}

func TestSourceRPM(t *testing.T) {
	for in, want := range map[string][3]string{
		"openssl-3.0.7-24.el9.src.rpm":        {"openssl", "3.0.7", "24.el9"},
		"python3.11-3.11.5-1.el9_3.src.rpm":   {"python3.11", "3.11.5", "1.el9_3"},
		"kernel-5.14.0-362.8.1.el9_3.src.rpm": {"kernel", "5.14.0", "362.8.1.el9_3"},
		"glibc-2.34-100.el9.nosrc.rpm":        {"glibc", "2.34", "100.el9"},
		"":                                    {},
		"(none)":                              {},
		"a-1.src.rpm":                         {},
		"-1-2.src.rpm":                        {},
		"noext-1-2":                           {},
	} {
		n, v, r, ok := sourceRPM(in)
		if got := [3]string{n, v, r}; got != want || ok != (want[0] != "") {
			t.Errorf("sourceRPM(%q) = %q, %v, want %q", in, got, ok, want)
		}
	}
}
