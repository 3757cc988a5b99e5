package evasion_test

import (
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dozor-dev/dozor/image/imagetest"
)

func layersOf(t *testing.T, entries [][]imagetest.Entry) []v1.Layer {
	var out []v1.Layer
	for _, e := range entries {
		out = append(out, imagetest.Layer(t, e...))
	}
	return out
}

const apkDB = "P:musl\nV:1.2.4_git20230717-r4\nA:x86_64\nF:lib\nR:ld-musl-x86_64.so.1\n\nP:busybox\nV:1.36.1-r15\nA:x86_64\nF:bin\nR:busybox\n"

// elf is the start of an x86-64 ELF executable; upx adds what UPX writes
// after the program headers of what it packs: its "UPX!" header and its
// notice. No UPX is at hand here to pack a real one (Debian 12 has it only
// in contrib, which this machine's mirror lacks), so the packed file is
// built to UPX's layout.
var elf = "\x7fELF\x02\x01\x01\x00" + strings.Repeat("\x00", 8) + "\x02\x00\x3e\x00" + strings.Repeat("\x00", 1000)

const upx = "UPX!\x0d\x0b\x0a\x08" + "$Info: This file is packed with the UPX executable packer http://upx.sf.net $\n"

func TestFixtures(t *testing.T) {
	host := imagetest.Registry(t)
	exe := func(name, body string) imagetest.Entry {
		e := imagetest.File(name, body)
		e.Mode = 0o755
		return e
	}
	cases := []struct {
		name     string
		entries  [][]imagetest.Entry
		want     string
		message  string
		evidence string
	}{
		{name: "alpine untouched", entries: [][]imagetest.Entry{{
			imagetest.File("etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n"),
			imagetest.File("etc/alpine-release", "3.19.1\n"), imagetest.File("lib/apk/db/installed", apkDB),
			imagetest.File("lib/ld-musl-x86_64.so.1", "musl"), imagetest.File("bin/busybox", "bb")}}},
		{name: "alpine says debian", want: "DZ-EVA-001", message: "/etc/os-release (layer 1: step B) says Debian GNU/Linux 12 (bookworm), but the image's files say it is Alpine Linux 3.19.1",
			entries: [][]imagetest.Entry{{
				imagetest.File("etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\n"),
				imagetest.File("etc/alpine-release", "3.19.1\n"), imagetest.File("lib/apk/db/installed", apkDB),
				imagetest.File("lib/ld-musl-x86_64.so.1", "musl")},
				{imagetest.File("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n")}}},
		{name: "ubuntu untouched", entries: [][]imagetest.Entry{{
			imagetest.File("etc/os-release", "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\n"),
			imagetest.File("etc/lsb-release", "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n"), imagetest.File("etc/debian_version", "bookworm/sid\n"),
			imagetest.File("var/lib/dpkg/status", "Package: base-files\nStatus: install ok installed\nVersion: 12ubuntu4.6\nArchitecture: amd64\n")}}},
		{name: "derivative naming debian as like", entries: [][]imagetest.Entry{{
			imagetest.File("etc/os-release", "ID=raspbian\nID_LIKE=debian\nVERSION_ID=\"12\"\n"), imagetest.File("etc/debian_version", "12.5\n")}}},
		{name: "distroless", entries: [][]imagetest.Entry{{
			imagetest.File("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Distroless\"\n"), imagetest.File("etc/debian_version", "12.5\n"),
			imagetest.File("var/lib/dpkg/status.d/base-files", "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n")}}},
		{name: "a Go program FROM scratch", entries: [][]imagetest.Entry{{exe("app", elf)}}},
		{name: "upx", want: "DZ-EVA-005", message: "1 executables are packed, hiding their build information and version strings: /usr/local/bin/app is packed with UPX (1086 bytes, layer 0: step A)",
			entries: [][]imagetest.Entry{{exe("usr/local/bin/app", elf[:1000]+upx)}}},
		{name: "an unpacked program that says UPX later", entries: [][]imagetest.Entry{{exe("usr/local/bin/app", elf+strings.Repeat("x", 5000)+upx)}}},
		{name: "lockfiles", want: "DZ-EVA-003", entries: [][]imagetest.Entry{
			{imagetest.File("app/Gemfile.lock", "GEM\n"), imagetest.File("srv/yarn.lock", "# yarn\n"), imagetest.File("srv/package.json", "{}")},
			{imagetest.File("app/Gemfile.lock.bak", "GEM\n"), imagetest.Whiteout("app", "Gemfile.lock"),
				imagetest.File("app/.deps", "{}"), imagetest.Symlink("app/package-lock.json", ".deps"),
				imagetest.Whiteout("srv", "yarn.lock"),
				imagetest.File("app/node_modules/x/package.json", `{"name":"x","version":"1.0.0"}`), imagetest.File("app/node_modules/x/yarn.lock", "not the app's")}},
			message:  "3 lockfiles hidden from scanners: /app/Gemfile.lock.bak is Gemfile.lock renamed, and there is no Gemfile.lock beside it (layer 1: step B)",
			evidence: `/app/package-lock.json is a symbolic link to ".deps", which is /app/.deps (layer 1: step B)`},
		{name: "a lockfile and its backup", entries: [][]imagetest.Entry{{imagetest.File("app/Gemfile.lock", "GEM\n"), imagetest.File("app/Gemfile.lock.bak", "GEM\n")}}},
		{name: "package metadata deleted", want: "DZ-EVA-004", entries: [][]imagetest.Entry{
			{imagetest.File("app/node_modules/express/package.json", `{"name":"express","version":"4.17.1"}`), imagetest.File("app/node_modules/express/index.js", "x"),
				imagetest.File("app/node_modules/@babel/core/lib/index.js", "x"), imagetest.File("app/node_modules/.bin/x", "x"),
				imagetest.File("app/node_modules/ok/package.json", `{"name":"ok","version":"1.0.0"}`),
				imagetest.File("usr/lib/python3.11/site-packages/requests/__init__.py", "__version__ = '2.25.0'"),
				imagetest.File("usr/lib/python3.11/site-packages/requests-2.25.0.dist-info/METADATA", "Name: requests\n")},
			{imagetest.Whiteout("app/node_modules/express", "package.json"), imagetest.Whiteout("usr/lib/python3.11/site-packages", "requests-2.25.0.dist-info")}},
			message: "2 packages in node_modules have no package.json: /app/node_modules/@babel/core, /app/node_modules/express; 1 Python packages in /usr/lib/python3.11/site-packages and not one .dist-info or .egg-info: /usr/lib/python3.11/site-packages/requests; 2 package metadata files or directories deleted in a later layer: /app/node_modules/express/package.json (layer 1: step B), /usr/lib/python3.11/site-packages/requests-2.25.0.dist-info (layer 1: step B)"},
		{name: "python with metadata", entries: [][]imagetest.Entry{{
			imagetest.File("usr/lib/python3.11/site-packages/requests/__init__.py", ""),
			imagetest.File("usr/lib/python3.11/site-packages/requests-2.25.0.dist-info/METADATA", "Name: requests\n"),
			imagetest.File("usr/lib/python3/dist-packages/yaml/__init__.py", ""), imagetest.File("usr/lib/python3/dist-packages/PyYAML-6.0.egg-info", "Name: PyYAML\n")}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img := imagetest.Build(t, imagetest.Config{User: "app"}, layersOf(t, c.entries)...)
			_, ev := scan(t, host, strings.ReplaceAll(c.name, " ", "-"), img)
			if got := ids(ev); got != c.want {
				t.Fatalf("findings %q, want %q:\n%s", got, c.want, dump(ev))
			}
			if c.message != "" && ev.Findings[0].Message != c.message {
				t.Errorf("message:\n%s\nwant\n%s", ev.Findings[0].Message, c.message)
			}
			if c.evidence != "" && !slices.Contains(ev.Findings[0].Evidence, c.evidence) {
				t.Errorf("evidence %q missing:\n%s", c.evidence, dump(ev))
			}
		})
	}
}
