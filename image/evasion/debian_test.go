package evasion_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/image/evasion"
	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/sbom/extractors"
)

// rootfs is a real Debian 12 root file system, made by debootstrap
// (minbase) from Debian's archive: .ci/run makes it once.
func rootfs(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DOZOR_DEBIAN_ROOTFS")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "dozor-test", "debian12-minbase")
	}
	if _, err := os.Stat(filepath.Join(dir, "var/lib/dpkg/status")); err != nil {
		t.Skipf("no Debian 12 root file system at %s (.ci/run makes it with debootstrap --variant=minbase bookworm): %v", dir, err)
	}
	return dir
}

var (
	baseOnce  sync.Once
	baseLayer v1.Layer
)

// base is the root file system as an image's first layer, made once.
func base(t *testing.T) v1.Layer {
	dir := rootfs(t)
	baseOnce.Do(func() { baseLayer = imagetest.DirLayer(t, dir, nil) })
	return baseLayer
}

// scan reads an image from a registry on loopback as `dozor image` does:
// the extractors and the packed-executable sniffer in one walk, then the
// checks.
func scan(t *testing.T, host, name string, img v1.Image) (*extractors.Result, *evasion.Result) {
	t.Helper()
	ref := host + "/doctored:" + name // one repository: the base layer is pushed once
	imagetest.Push(t, ref, img)
	im, err := image.Open(context.Background(), ref, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	exs := append(extractors.All(), evasion.Sniffer{})
	res, err := extractors.Run(context.Background(), im, image.Options{Keep: evasion.Wants}, exs)
	if err != nil {
		t.Fatal(err)
	}
	return res, evasion.Check(evasion.Input{Image: im, Walk: res.Walk, Packages: res.Packages})
}

func ids(r *evasion.Result) string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Rule.ID)
	}
	return strings.Join(out, " ")
}

func dump(r *evasion.Result) string {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "%s %s: %s\n", f.Rule.ID, f.Severity, f.Message)
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "    %s\n", e)
		}
	}
	return b.String()
}

func find(r *evasion.Result, id string) *evasion.Finding {
	for i := range r.Findings {
		if r.Findings[i].Rule.ID == id {
			return &r.Findings[i]
		}
	}
	return nil
}

// TestDebianDoctored builds images on a real Debian 12 system (every
// package's real files and dpkg's real database), doctored the ways the
// "malicious compliance" talk showed, each in a later layer as a
// Dockerfile would: the untouched image gives no finding, each doctored
// one the finding for what was done, with evidence, and what can be
// recovered is.
func TestDebianDoctored(t *testing.T) {
	dir := rootfs(t)
	status, err := os.ReadFile(filepath.Join(dir, "var/lib/dpkg/status"))
	if err != nil {
		t.Fatal(err)
	}
	host := imagetest.Registry(t)
	cfg := imagetest.Config{User: "app", CreatedBy: []string{"ADD rootfs.tar.gz /", "RUN doctor"}}
	clean, cleanEv := scan(t, host, "clean", imagetest.Build(t, cfg, base(t)))
	if len(cleanEv.Findings) != 0 || cleanEv.OS != nil {
		t.Fatalf("the untouched Debian image: %s", dump(cleanEv))
	}
	installed := map[string]sbom.Package{}
	for _, p := range clean.Packages {
		if p.Extractor == "dpkg" {
			installed[p.Name] = p
		}
	}
	if want := strings.Count(string(status), "Status: install ok installed"); len(installed) != want || want < 50 {
		t.Fatalf("%d packages from the database, the status file has %d installed", len(installed), want)
	}

	t.Run("os-release rewritten", func(t *testing.T) {
		_, ev := scan(t, host, "osrelease", imagetest.Build(t, cfg, base(t), imagetest.Layer(t,
			imagetest.Whiteout("etc", "os-release"), imagetest.File("usr/lib/os-release", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n"))))
		f := find(ev, "DZ-EVA-001")
		if f == nil || ids(ev) != "DZ-EVA-001" || !strings.Contains(f.Message, "/usr/lib/os-release (layer 1: RUN doctor) says Alpine Linux v3.19, but the image's files say it is Debian 12") ||
			!strings.Contains(strings.Join(f.Evidence, "\n"), "/etc/debian_version says \"12.") {
			t.Errorf("findings:\n%s", dump(ev))
		}
		if ev.OS["ID"] != "debian" || ev.OS["VERSION_ID"] != "12" {
			t.Errorf("what the files say: %v", ev.OS)
		}
	})

	t.Run("os-release says a newer release", func(t *testing.T) {
		_, ev := scan(t, host, "newer", imagetest.Build(t, cfg, base(t), imagetest.Layer(t,
			imagetest.Whiteout("etc", "os-release"), imagetest.File("etc/os-release", "ID=debian\nVERSION_ID=\"13\"\nPRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\n"))))
		if f := find(ev, "DZ-EVA-001"); f == nil || !strings.Contains(f.Message, "says debian 13, but the image's files say it is Debian 12") || ev.OS["VERSION_ID"] != "12" {
			t.Errorf("findings:\n%s", dump(ev))
		}
	})

	t.Run("os-release deleted", func(t *testing.T) {
		_, ev := scan(t, host, "noosrelease", imagetest.Build(t, cfg, base(t), imagetest.Layer(t,
			imagetest.Whiteout("etc", "os-release"), imagetest.Whiteout("usr/lib", "os-release"))))
		if f := find(ev, "DZ-EVA-001"); f == nil || f.Message != "the image has no os-release, but its files say it is Debian 12" {
			t.Errorf("findings:\n%s", dump(ev))
		}
	})

	t.Run("package database deleted", func(t *testing.T) {
		res, ev := scan(t, host, "nodpkg", imagetest.Build(t, cfg, base(t), imagetest.Layer(t, imagetest.Whiteout("var/lib", "dpkg"))))
		f := find(ev, "DZ-EVA-002")
		if f == nil || ids(ev) != "DZ-EVA-002" || !strings.Contains(f.Message, "no dpkg database (/var/lib/dpkg/status); /var/lib/dpkg was deleted in layer 1: RUN doctor, yet ") {
			t.Fatalf("findings:\n%s", dump(ev))
		}
		// Every package whose changelog is there is recovered with the
		// version the database had said (or its source's, for binNMUs).
		recovered, withChangelog := 0, 0
		for name := range installed {
			if _, err := os.Stat(filepath.Join(dir, "usr/share/doc", name, "changelog.Debian.gz")); err == nil {
				withChangelog++
			}
		}
		for _, p := range res.Packages {
			if p.Extractor != "dpkg-recovered" {
				t.Errorf("%s found by %s with no database", p.Name, p.Extractor)
				continue
			}
			want, ok := installed[p.Name]
			if !ok {
				t.Errorf("recovered %s %s, which the database did not list", p.Name, p.Version)
				continue
			}
			if p.Version != want.Version && p.SourceVersion != want.SourceVersion || p.SourceName != want.SourceName {
				t.Errorf("recovered %s %s (source %s %s); the database said %s (source %s %s)", p.Name, p.Version, p.SourceName, p.SourceVersion, want.Version, want.SourceName, want.SourceVersion)
			}
			recovered++
		}
		if recovered != withChangelog || recovered < 50 {
			t.Errorf("recovered %d packages; %d have a changelog", recovered, withChangelog)
		}
		t.Logf("%d of %d packages recovered without the database", recovered, len(installed))
	})

	t.Run("packages taken out of the database", func(t *testing.T) {
		// Keep the first ten stanzas of the status file: the rest of the
		// packages' files remain, owned by nothing.
		stanzas := strings.Split(strings.TrimSpace(string(status)), "\n\n")
		cut := strings.Join(stanzas[:10], "\n\n") + "\n"
		_, ev := scan(t, host, "cutdb", imagetest.Build(t, cfg, base(t), imagetest.Layer(t, imagetest.File("var/lib/dpkg/status", cut))))
		if f := find(ev, "DZ-EVA-002"); f == nil || !strings.Contains(f.Message, "belong to no package of the database") {
			t.Errorf("findings:\n%s", dump(ev))
		}
	})

	t.Run("squashed FROM scratch", func(t *testing.T) {
		// One layer: the system with its database deleted and os-release
		// rewritten, and an application's node_modules, copied into
		// scratch.
		sys := imagetest.DirLayer(t, dir, func(rel string) bool {
			return rel == "var/lib/dpkg" || rel == "etc/os-release" || rel == "usr/lib/os-release"
		},
			imagetest.File("etc/os-release", "ID=scratch\nPRETTY_NAME=\"scratch\"\n"),
			imagetest.File("app/node_modules/left-pad/package.json", `{"name": "left-pad", "version": "1.3.0"}`))
		_, ev := scan(t, host, "squashed", imagetest.Build(t, imagetest.Config{CreatedBy: []string{"COPY / / # buildkit"}}, sys))
		if ids(ev) != "DZ-EVA-001 DZ-EVA-002 DZ-EVA-006" {
			t.Errorf("findings:\n%s", dump(ev))
		}
		if f := find(ev, "DZ-EVA-006"); f == nil || !strings.Contains(f.Message, "and an application (1 npm packages)") {
			t.Errorf("findings:\n%s", dump(ev))
		}
	})
}
