// Package evasion finds images doctored to fool vulnerability scanners,
// the techniques shown as "malicious compliance" at KubeCon EU 2023: an
// os-release rewritten to another or a generic distribution; the OS
// package database deleted while its files remain; lockfiles renamed and
// replaced by links; package.json, dist-info and egg-info deleted from
// installed language packages; executables packed (UPX); and everything
// squashed into one layer FROM scratch. Each gives a finding with the
// evidence, and what the files really say (the distribution, say) is
// returned so that the caller can still match what it recovers.
package evasion

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/sbom/os/dpkg"
)

const talk = "https://www.mccune.org.uk/content/talks/2023-04-21-Malicious-Compliance-Reflections-on-Trusting-Container-Scanners/"

func rule(id, name, title string, sev finding.Severity, desc, fix string) *finding.Rule {
	return &finding.Rule{ID: id, Name: name, Title: "Scanner evasion suspected: " + title, Severity: sev, Description: desc, Remediation: fix,
		References: []string{talk}, Tags: []string{"image", "evasion"}}
}

// The rules.
var (
	RuleOSRelease = rule("DZ-EVA-001", "os-release-mismatch", "os-release does not match the system", finding.High,
		"The image's os-release names another distribution or release than its files do (the distribution's version file, its base-files or release package, the versions of its packages, its C library), or is missing from an image that has an operating system. Scanners choose the advisories to match by os-release: a rewritten one makes them report nothing, or the wrong release's fixes.",
		"Rebuild the image from an unmodified base; treat an image whose os-release was rewritten as untrusted.")
	RulePackageDB = rule("DZ-EVA-002", "package-database-missing", "OS package database missing while its files remain", finding.High,
		"The operating system's package database (dpkg, apk or rpm) is missing, or lists far fewer packages than the files in system directories show, while the packages' files remain. Scanners list packages from the database only: without it they report no vulnerabilities at all.",
		"Do not delete /var/lib/dpkg, /lib/apk/db or /var/lib/rpm in images; rebuild from an unmodified base.")
	RuleLockfile = rule("DZ-EVA-003", "lockfile-hidden", "dependency lockfile renamed, deleted or replaced by a link", finding.Medium,
		"A language lockfile (package-lock.json, yarn.lock, Gemfile.lock, poetry.lock, Cargo.lock, ...) is a symbolic link, has been renamed, or was deleted in a later layer. Scanners read lockfiles that are regular files with their usual names: a link or a new name hides every dependency from them.",
		"Keep lockfiles as regular files with their usual names, or leave them out of the image deliberately and scan the installed packages.")
	RuleMetadata = rule("DZ-EVA-004", "package-metadata-deleted", "installed language packages' metadata deleted", finding.Medium,
		"Installed packages remain (node_modules directories, Python packages in site-packages) but the metadata scanners identify them by is gone: package.json files, .dist-info or .egg-info directories. Scanners then report none of them.",
		"Do not delete package metadata from installed dependencies; prune dependencies with the package manager instead.")
	RulePacked = rule("DZ-EVA-005", "packed-executable", "executables are packed", finding.Medium,
		"Executables are compressed with an executable packer (UPX): their build information (Go modules, Rust crates) and version strings are unreadable to scanners, and packing is common in malware.",
		"Ship unpacked executables; compress the image's layers instead.")
	RuleSquashed = rule("DZ-EVA-006", "squashed-image", "operating system and application squashed into one layer", finding.Low,
		"The image is a single layer that holds both an operating system and an application: its base image and build steps are gone from its history, which is how a FROM scratch copy of a doctored file system hides what was done to it.",
		"Build the application on top of a named base image, in layers, so that the base can be identified and its provenance checked.")
)

// Rules lists them in order.
func Rules() []*finding.Rule {
	return []*finding.Rule{RuleOSRelease, RulePackageDB, RuleLockfile, RuleMetadata, RulePacked, RuleSquashed}
}

// markers are the files whose contents tell the distribution apart from
// os-release.
var markers = []string{"etc/debian_version", "etc/lsb-release", "etc/alpine-release", "etc/redhat-release", "etc/system-release",
	"etc/fedora-release", "etc/centos-release", "etc/rocky-release", "etc/almalinux-release", "usr/lib/os-release"}

// Wants keeps the files the checks read.
func Wants(p string, size int64) bool { return size < 64<<10 && slices.Contains(markers, p) }

// Input is what the checks look at.
type Input struct {
	// Image has the layers' history; nil for what is not an image.
	Image    *image.Image
	Walk     *image.Walk
	Packages []sbom.Package
}

// Finding is a finding with the evidence for it.
type Finding struct {
	finding.Finding
	Evidence []string `json:"evidence"`
}

// Result is what the checks found.
type Result struct {
	Findings []Finding
	// OS is the operating system the files say the image has, as
	// os-release fields (ID, VERSION_ID, PRETTY_NAME), when its
	// os-release is missing or says otherwise; nil when they agree.
	OS map[string]string
	// Hidden are lockfiles behind a link or a new name: extractors can
	// read them where they belong (image.FS.Alias).
	Hidden []Hidden
}

// Hidden is a lockfile's usual path and the file that holds it.
type Hidden struct{ Name, Target string }

// Check runs every check.
func Check(in Input) *Result {
	c := &checker{in: in, fsys: in.Walk.FS, res: &Result{}}
	c.obj = finding.ObjectRef{APIVersion: "dozor.dev/v1", Kind: "Image"}
	if in.Image != nil {
		c.obj.Name = in.Image.Ref
	}
	c.osRelease()
	c.packageDB()
	c.lockfiles()
	c.metadata()
	c.packed()
	c.squashed()
	return c.res
}

type checker struct {
	in   Input
	fsys *image.FS
	obj  finding.ObjectRef
	res  *Result
	// owned are the files the OS packages own, by the path they resolve to
	// (Debian's lists say /bin/ls for usr/bin/ls).
	owned map[string]bool
}

// ownedFiles fills c.owned, and counts the OS packages and those that
// list their files.
func (c *checker) ownedFiles() (osPackages, withFiles int) {
	c.owned = map[string]bool{}
	for _, p := range c.in.Packages {
		if p.Type != "deb" && p.Type != "apk" && p.Type != "rpm" || p.Extractor == "dpkg-recovered" {
			continue
		}
		osPackages++
		if len(p.Files) > 0 {
			withFiles++
		}
		for _, name := range p.Files {
			if f, ok := c.fsys.File(strings.TrimPrefix(name, "/")); ok {
				c.owned[f.Path] = true
			}
		}
	}
	return osPackages, withFiles
}

func (c *checker) add(r *finding.Rule, evidence []string, format string, args ...any) {
	c.res.Findings = append(c.res.Findings, Finding{Finding: finding.Finding{Rule: r, Severity: r.Severity, Object: c.obj, Message: fmt.Sprintf(format, args...)},
		Evidence: evidence})
}

// step names a layer and its history step: "layer 2: RUN rm -rf ...".
func (c *checker) step(layer int) string {
	if layer < 0 {
		return "the root file system"
	}
	if im := c.in.Image; im != nil && layer < len(im.Layers) && im.Layers[layer].CreatedBy != "" {
		by := im.Layers[layer].CreatedBy
		if len(by) > 80 {
			by = by[:79] + "…"
		}
		return fmt.Sprintf("layer %d: %s", layer, by)
	}
	return fmt.Sprintf("layer %d", layer)
}

func (c *checker) read(p string) string {
	data, err := c.fsys.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

func (c *checker) exists(p string) bool {
	_, err := c.fsys.Stat(p)
	return err == nil
}

// system is what the files say the operating system is.
type system struct {
	ID, Version, Name string
	// exact is set when a version file or the release package says the
	// version, not only the packages' versions.
	exact    bool
	evidence []string
}

var (
	debRelease    = regexp.MustCompile(`[+~]deb(\d+)u\d+`)
	rpmRelease    = regexp.MustCompile(`\.(el|fc|amzn)(\d+)`)
	releaseNumber = regexp.MustCompile(`release (\d+(\.\d+)?)`)
	leadingNumber = regexp.MustCompile(`^(\d+)(\.\d+)?`)
)

// identify reads the distribution from its version files, its packages
// and its C library.
func (c *checker) identify() *system {
	s := &system{}
	say := func(format string, args ...any) { s.evidence = append(s.evidence, fmt.Sprintf(format, args...)) }
	lsb := map[string]string{}
	for _, line := range strings.Split(c.read("etc/lsb-release"), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			lsb[k] = strings.Trim(v, `"`)
		}
	}
	switch {
	case strings.EqualFold(lsb["DISTRIB_ID"], "ubuntu"):
		s.ID, s.Version, s.Name, s.exact = "ubuntu", lsb["DISTRIB_RELEASE"], "Ubuntu "+lsb["DISTRIB_RELEASE"], true
		say("/etc/lsb-release says Ubuntu %s", lsb["DISTRIB_RELEASE"])
	case c.read("etc/debian_version") != "":
		v := c.read("etc/debian_version")
		s.ID, s.Name = "debian", "Debian"
		if m := leadingNumber.FindStringSubmatch(v); m != nil {
			s.Version, s.Name, s.exact = m[1], "Debian "+m[1], true
		}
		say("/etc/debian_version says %q", v)
	case c.read("etc/alpine-release") != "":
		v := c.read("etc/alpine-release")
		s.ID, s.Version, s.Name, s.exact = "alpine", v, "Alpine Linux "+v, true
		say("/etc/alpine-release says %q", v)
	default:
		for _, f := range []string{"etc/redhat-release", "etc/system-release", "etc/fedora-release", "etc/centos-release", "etc/rocky-release", "etc/almalinux-release"} {
			v := c.read(f)
			if v == "" {
				continue
			}
			say("/%s says %q", f, v)
			s.Name = v
			lower := strings.ToLower(v)
			for _, d := range []struct{ word, id string }{{"red hat", "rhel"}, {"rocky", "rocky"}, {"almalinux", "almalinux"}, {"centos", "centos"},
				{"fedora", "fedora"}, {"amazon linux", "amzn"}, {"oracle", "ol"}} {
				if strings.Contains(lower, d.word) {
					s.ID = d.id
					break
				}
			}
			if m := releaseNumber.FindStringSubmatch(lower); m != nil {
				s.Version, s.exact = m[1], true
			}
			break
		}
	}
	// The packages: the release package's version, and the distribution
	// releases their versions are built for.
	counts := map[string]int{}
	kinds := map[string]int{}
	for _, p := range c.in.Packages {
		if p.Extractor == "dpkg-recovered" {
			kinds["recovered"]++
		} else {
			kinds[p.Type]++
		}
		switch p.Type {
		case "deb":
			if p.Name == "base-files" {
				if strings.Contains(p.Version, "ubuntu") {
					if s.ID == "" || s.ID == "debian" {
						s.ID, s.Name = "ubuntu", "Ubuntu"
					}
					say("package base-files %s is Ubuntu's", p.Version)
				} else if m := leadingNumber.FindStringSubmatch(p.Version); m != nil {
					say("package base-files %s is Debian %s's", p.Version, m[1])
					if s.ID == "" || s.ID == "debian" && !s.exact {
						s.ID, s.Version, s.Name, s.exact = "debian", m[1], "Debian "+m[1], true
					}
				}
			}
			if m := debRelease.FindStringSubmatch(p.Version); m != nil {
				counts["debian "+m[1]]++
			}
		case "rpm":
			if m := rpmRelease.FindStringSubmatch(p.Version); m != nil {
				counts[map[string]string{"el": "rhel", "fc": "fedora", "amzn": "amzn"}[m[1]]+" "+m[2]]++
			}
		}
	}
	if len(counts) > 0 {
		best := slices.MaxFunc(slices.Collect(maps.Keys(counts)), func(a, b string) int { return cmp.Or(cmp.Compare(counts[a], counts[b]), cmp.Compare(b, a)) })
		id, v, _ := strings.Cut(best, " ")
		say("%d packages' versions are built for %s %s", counts[best], id, v)
		if s.ID == "" || s.ID == id && !s.exact {
			s.ID, s.Version = id, v
			if s.Name == "" || s.Name == "Debian" {
				s.Name = map[string]string{"debian": "Debian", "rhel": "Red Hat Enterprise Linux", "fedora": "Fedora", "amzn": "Amazon Linux"}[id] + " " + v
			}
		}
	}
	for _, k := range []struct{ typ, db, id string }{{"deb", "dpkg", "debian"}, {"apk", "apk", "alpine"}, {"rpm", "rpm", ""}} {
		if kinds[k.typ] > 0 {
			say("%d packages in %s's database", kinds[k.typ], k.db)
			if s.ID == "" && k.id != "" {
				s.ID = k.id
			}
		}
	}
	if n := kinds["recovered"]; n > 0 {
		say("%d Debian packages recovered from their changelogs", n)
		if s.ID == "" {
			s.ID = "debian"
		}
	}
	// The C library.
	switch {
	case c.glob("lib", "ld-musl-"):
		say("the C library is musl (/lib/ld-musl-*), as on Alpine")
		if s.ID == "" {
			s.ID = "alpine"
		}
	case c.exists("usr/lib/x86_64-linux-gnu/libc.so.6") || c.exists("usr/lib/aarch64-linux-gnu/libc.so.6"):
		say("the C library is glibc in Debian's multiarch directory (/usr/lib/*-linux-gnu/libc.so.6)")
	case c.exists("usr/lib64/libc.so.6"):
		say("the C library is glibc in /usr/lib64, as on RPM-based distributions")
	}
	if s.ID == "" {
		return nil
	}
	return s
}

// glob reports whether dir has an entry whose name starts with prefix.
func (c *checker) glob(dir, prefix string) bool {
	entries, err := c.fsys.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			return true
		}
	}
	return false
}

// sameRelease compares versions the way each distribution's os-release
// writes VERSION_ID: Debian and RHEL by major version, Ubuntu and Alpine
// by major and minor.
func sameRelease(id, a, b string) bool {
	parts := 1
	if id == "ubuntu" || id == "alpine" {
		parts = 2
	}
	cut := func(v string) string {
		f := strings.SplitN(v, ".", parts+1)
		return strings.Join(f[:min(parts, len(f))], ".")
	}
	return cut(a) == cut(b)
}

func (c *checker) osRelease() {
	sys := c.identify()
	if sys == nil {
		return
	}
	osr, f := c.fsys.OSRelease()
	if osr == nil {
		c.add(RuleOSRelease, sys.evidence, "the image has no os-release, but its files say it is %s", sys.Name)
		c.recovered(sys)
		return
	}
	where := "/" + f.Path + " (" + c.step(f.Layer) + ")"
	id, like := osr["ID"], strings.Fields(osr["ID_LIKE"])
	switch {
	case id != sys.ID && !slices.Contains(like, sys.ID):
		c.add(RuleOSRelease, sys.evidence, "%s says %s, but the image's files say it is %s", where, cmp.Or(osr["PRETTY_NAME"], id, "nothing"), sys.Name)
		c.recovered(sys)
	case id == sys.ID && sys.exact && sys.Version != "" && osr["VERSION_ID"] != "" && !sameRelease(id, sys.Version, osr["VERSION_ID"]):
		c.add(RuleOSRelease, sys.evidence, "%s says %s %s, but the image's files say it is %s", where, id, osr["VERSION_ID"], sys.Name)
		c.recovered(sys)
	}
}

// recovered sets the system the files say, when its release is known, for
// the caller to match packages against.
func (c *checker) recovered(s *system) {
	if s.Version == "" {
		return
	}
	v := s.Version
	if s.ID == "debian" || s.ID == "rhel" {
		v, _, _ = strings.Cut(v, ".")
	}
	c.res.OS = map[string]string{"ID": s.ID, "VERSION_ID": v, "PRETTY_NAME": s.Name}
}

// systemDirs are where OS packages put their files.
var systemDirs = []string{"bin", "sbin", "lib", "lib32", "lib64", "usr/bin", "usr/sbin", "usr/lib", "usr/lib32", "usr/lib64", "usr/libexec", "usr/share"}

// systemFile reports whether p is a file OS packages would own; Python's
// compiled caches and generated caches are no package's.
func systemFile(p string) bool {
	if strings.Contains(p, "/__pycache__/") || strings.HasSuffix(p, ".pyc") || strings.HasPrefix(p, "usr/local/") {
		return false
	}
	for _, d := range systemDirs {
		if strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

func (c *checker) packageDB() {
	osPackages, withFiles := c.ownedFiles()
	owned := c.owned
	var files, unowned []string
	_ = c.fsys.Walk(func(f *image.File) error {
		if f.Mode.IsRegular() && systemFile(f.Path) {
			files = append(files, f.Path)
			if !owned[f.Path] {
				unowned = append(unowned, f.Path)
			}
		}
		return nil
	})
	deleted := func(paths ...string) string {
		for _, d := range c.in.Walk.Deleted {
			for _, p := range paths {
				if d.Path == p || strings.HasPrefix(p, d.Path+"/") {
					return fmt.Sprintf("; /%s was deleted in %s", d.Path, c.step(d.Layer))
				}
			}
		}
		return ""
	}
	docs := c.docPackages()
	switch {
	case !dpkg.Databases(c.fsys) && osPackages == 0 && (c.exists("etc/debian_version") || c.exists("usr/bin/dpkg") || len(docs) >= 5) && len(files) >= 100:
		var ev []string
		ev = append(ev, fmt.Sprintf("%d files in system directories, e.g. %s", len(files), sample(files)))
		if len(docs) > 0 {
			ev = append(ev, fmt.Sprintf("/usr/share/doc names %d packages: %s", len(docs), sample(docs)))
		}
		msg := fmt.Sprintf("no dpkg database (/var/lib/dpkg/status)%s, yet %d files remain in system directories and /usr/share/doc names %d packages",
			deleted("var/lib/dpkg/status"), len(files), len(docs))
		if n := c.count("dpkg-recovered"); n > 0 {
			msg += fmt.Sprintf("; %d packages recovered from their changelogs", n)
		}
		c.add(RulePackageDB, ev, "%s", msg)
	case !c.exists("lib/apk/db/installed") && osPackages == 0 && (c.exists("etc/alpine-release") || c.exists("sbin/apk") || c.glob("lib", "ld-musl-")) && len(files) >= 50:
		c.add(RulePackageDB, []string{fmt.Sprintf("%d files in system directories, e.g. %s", len(files), sample(files))},
			"no apk database (/lib/apk/db/installed)%s, yet %d files remain in system directories", deleted("lib/apk/db/installed"), len(files))
	case !c.rpmDB() && osPackages == 0 && (c.exists("etc/redhat-release") || c.exists("etc/system-release") || c.exists("usr/bin/rpm")) && len(files) >= 100:
		c.add(RulePackageDB, []string{fmt.Sprintf("%d files in system directories, e.g. %s", len(files), sample(files))},
			"no rpm database (/var/lib/rpm)%s, yet %d files remain in system directories", deleted("var/lib/rpm", "usr/lib/sysimage/rpm"), len(files))
	case osPackages > 0 && withFiles*10 >= osPackages*9 && len(unowned) >= 200 && len(unowned)*4 > len(files):
		// A database that lists files for its packages, and far more files
		// than they own: packages were taken out of it.
		c.add(RulePackageDB, []string{fmt.Sprintf("%d of %d files in system directories belong to none of the %d packages, e.g. %s", len(unowned), len(files), osPackages, sample(unowned))},
			"%d of the %d files in system directories belong to no package of the database: packages were removed from it while their files remain", len(unowned), len(files))
	}
}

func (c *checker) rpmDB() bool {
	for _, p := range []string{"var/lib/rpm/Packages", "var/lib/rpm/rpmdb.sqlite", "var/lib/rpm/Packages.db", "usr/lib/sysimage/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/Packages.db"} {
		if c.exists(p) {
			return true
		}
	}
	return false
}

// docPackages are the names of usr/share/doc's directories that hold a
// copyright file, as every Debian package's does.
func (c *checker) docPackages() []string {
	entries, err := c.fsys.ReadDir("usr/share/doc")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && c.exists("usr/share/doc/"+e.Name()+"/copyright") {
			out = append(out, e.Name())
		}
	}
	return out
}

func (c *checker) count(extractor string) int {
	n := 0
	for _, p := range c.in.Packages {
		if p.Extractor == extractor {
			n++
		}
	}
	return n
}

// sample lists the first few of a list, with a count of the rest.
func sample(list []string) string {
	const n = 5
	var out []string
	for _, s := range list[:min(n, len(list))] {
		if !strings.HasPrefix(s, "/") && strings.Contains(s, "/") {
			s = "/" + s
		}
		out = append(out, s)
	}
	if len(list) > n {
		out = append(out, fmt.Sprintf("and %d more", len(list)-n))
	}
	return strings.Join(out, ", ")
}

// lockfiles are the names scanners read dependencies from.
var lockfiles = []string{"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "Gemfile.lock", "Pipfile.lock", "poetry.lock",
	"uv.lock", "requirements.txt", "composer.lock", "installed.json", "Cargo.lock", "go.sum", "packages.lock.json", "gradle.lockfile", "mix.lock", "Podfile.lock"}

// renamed are suffixes of a lockfile moved out of the way.
var renamed = []string{".bak", ".old", ".orig", ".save", ".disabled", ".renamed", ".backup", ".hidden", ".tmp", ".1", "~", "_"}

func (c *checker) lockfiles() {
	var ev []string
	hidden := map[string]bool{} // the lockfiles, by the path they had
	_ = c.fsys.Walk(func(f *image.File) error {
		if strings.Contains(f.Path, "node_modules/") && !strings.HasSuffix(f.Path, "node_modules/.package-lock.json") {
			return nil // the lockfiles of installed packages are not the application's
		}
		base := path.Base(f.Path)
		switch {
		case f.Mode&fs.ModeSymlink != 0 && slices.Contains(lockfiles, base):
			target := "a missing file"
			if st, err := c.fsys.Stat(f.Path); err == nil {
				target = "/" + st.Sys().(*image.File).Path
				if st.Mode().IsRegular() {
					c.res.Hidden = append(c.res.Hidden, Hidden{Name: f.Path, Target: st.Sys().(*image.File).Path})
				}
			}
			hidden[f.Path] = true
			ev = append(ev, fmt.Sprintf("/%s is a symbolic link to %q, which is %s (%s)", f.Path, f.Link, target, c.step(f.Layer)))
		case f.Mode.IsRegular():
			for _, l := range lockfiles {
				if rest, ok := strings.CutPrefix(base, l); ok && rest != "" && slices.Contains(renamed, rest) {
					if _, err := c.fsys.Lstat(path.Join(path.Dir(f.Path), l)); err != nil {
						hidden[path.Join(path.Dir(f.Path), l)] = true
						c.res.Hidden = append(c.res.Hidden, Hidden{Name: path.Join(path.Dir(f.Path), l), Target: f.Path})
						ev = append(ev, fmt.Sprintf("/%s is %s renamed, and there is no %s beside it (%s)", f.Path, l, l, c.step(f.Layer)))
					}
				}
			}
		}
		return nil
	})
	for _, d := range c.in.Walk.Deleted {
		if slices.Contains(lockfiles, path.Base(d.Path)) && !strings.Contains(d.Path, "node_modules/") {
			hidden[d.Path] = true
			ev = append(ev, fmt.Sprintf("/%s, added in %s, was deleted in %s", d.Path, c.step(d.Added), c.step(d.Layer)))
		}
	}
	if len(ev) > 0 {
		c.add(RuleLockfile, ev, "%d lockfiles hidden from scanners: %s", len(hidden), ev[0])
	}
}

func (c *checker) metadata() {
	var bare, pyPkgs, pyDirs []string
	pyMeta := 0
	_ = c.fsys.Walk(func(f *image.File) error {
		if !f.Mode.IsDir() {
			return nil
		}
		parent := path.Dir(f.Path)
		switch {
		case path.Base(parent) == "node_modules" || strings.HasPrefix(path.Base(parent), "@") && path.Base(path.Dir(parent)) == "node_modules":
			base := path.Base(f.Path)
			if strings.HasPrefix(base, ".") || strings.HasPrefix(base, "@") || c.exists(f.Path+"/package.json") {
				return nil
			}
			if c.hasFiles(f.Path) {
				bare = append(bare, f.Path)
			}
		case isSitePackages(parent):
			base := path.Base(f.Path)
			switch {
			case strings.HasSuffix(base, ".dist-info") || strings.HasSuffix(base, ".egg-info"):
				pyMeta++
			case c.exists(f.Path + "/__init__.py"):
				pyPkgs = append(pyPkgs, f.Path)
				if !slices.Contains(pyDirs, parent) {
					pyDirs = append(pyDirs, parent)
				}
			}
		}
		return nil
	})
	_ = c.fsys.Walk(func(f *image.File) error {
		if f.Mode.IsRegular() && isSitePackages(path.Dir(f.Path)) && strings.HasSuffix(f.Path, ".egg-info") {
			pyMeta++ // an egg-info file, not a directory
		}
		return nil
	})
	var ev []string
	if len(bare) > 0 {
		ev = append(ev, fmt.Sprintf("%d packages in node_modules have no package.json: %s", len(bare), sample(bare)))
	}
	if len(pyPkgs) > 0 && pyMeta == 0 {
		ev = append(ev, fmt.Sprintf("%d Python packages in %s and not one .dist-info or .egg-info: %s", len(pyPkgs), sample(pyDirs), sample(pyPkgs)))
	}
	var gone []string
	for _, d := range c.in.Walk.Deleted {
		base := path.Base(d.Path)
		if strings.HasSuffix(base, ".dist-info") || strings.HasSuffix(base, ".egg-info") || base == "package.json" && strings.Contains(d.Path, "node_modules/") {
			gone = append(gone, fmt.Sprintf("/%s (%s)", d.Path, c.step(d.Layer)))
		}
	}
	if len(gone) > 0 {
		ev = append(ev, fmt.Sprintf("%d package metadata files or directories deleted in a later layer: %s", len(gone), sample(gone)))
	}
	if len(ev) > 0 {
		c.add(RuleMetadata, ev, "%s", strings.Join(ev, "; "))
	}
}

func isSitePackages(p string) bool {
	b := path.Base(p)
	return b == "site-packages" || b == "dist-packages"
}

// hasFiles reports whether a directory holds a regular file, at any depth.
func (c *checker) hasFiles(dir string) bool {
	found := false
	_ = fs.WalkDir(c.fsys, dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}

// Packer is the name under which the walk's sniffers report packed
// executables (see Sniffer).
const Packer = "packed-executable"

// Sniffer looks for packed executables as the layers stream by. It is an
// sbom.Sniffer that finds no packages, so that it runs in the same walk
// as the extractors.
type Sniffer struct{}

// Name is Packer.
func (Sniffer) Name() string { return Packer }

// Wants keeps nothing.
func (Sniffer) Wants(string, int64) bool { return false }

// WantsContent looks into executables.
func (Sniffer) WantsContent(_ string, mode fs.FileMode, size int64) bool {
	return mode.IsRegular() && mode&0o111 != 0 && size >= 512
}

// upxMarks are what UPX writes at the start of what it packs: its
// "UPX!" header magic, and in PE files its section names.
var upxMarks = [][]byte{[]byte("UPX!"), []byte("UPX0\x00"), []byte("$Info: This file is packed with the UPX")}

// Sniff returns "UPX" for an ELF or PE executable packed by UPX.
func (Sniffer) Sniff(_ string, content io.ReaderAt, size int64) any {
	head := make([]byte, min(size, 4096))
	if _, err := content.ReadAt(head, 0); err != nil && err != io.EOF {
		return nil
	}
	if !bytes.HasPrefix(head, []byte("\x7fELF")) && !bytes.HasPrefix(head, []byte("MZ")) {
		return nil
	}
	for _, m := range upxMarks {
		if bytes.Contains(head, m) {
			return "UPX"
		}
	}
	return nil
}

// Extract finds no packages.
func (Sniffer) Extract(*sbom.Context) ([]sbom.Package, []error) { return nil, nil }

func (c *checker) packed() {
	var ev []string
	c.fsys.Sniffed(func(f *image.File, result any) {
		m, _ := result.(map[string]any)
		if packer, _ := m[Packer].(string); packer != "" {
			ev = append(ev, fmt.Sprintf("/%s is packed with %s (%s bytes, %s)", f.Path, packer, strconv.FormatInt(f.Size, 10), c.step(f.Layer)))
		}
	})
	if len(ev) > 0 {
		c.add(RulePacked, ev, "%d executables are packed, hiding their build information and version strings: %s", len(ev), ev[0])
	}
}

func (c *checker) squashed() {
	im := c.in.Image
	if im == nil || len(im.Layers) != 1 {
		return
	}
	osPkgs, appPkgs := 0, map[string]int{}
	for _, p := range c.in.Packages {
		switch {
		case p.Type == "deb" || p.Type == "apk" || p.Type == "rpm":
			osPkgs++
		case c.owned[strings.TrimPrefix(p.Location, "/")] || strings.HasPrefix(p.Location, "/usr/lib/python3/dist-packages/"):
			// Part of the operating system: a Go program or Python module
			// of one of its packages.
		default:
			appPkgs[p.Type]++
		}
	}
	hasOS := osPkgs > 0 || c.identify() != nil
	if !hasOS || len(appPkgs) == 0 {
		return
	}
	var app []string
	for _, t := range slices.Sorted(maps.Keys(appPkgs)) {
		app = append(app, fmt.Sprintf("%d %s", appPkgs[t], t))
	}
	c.add(RuleSquashed, []string{c.step(0), fmt.Sprintf("%d OS packages and %s packages in the one layer", osPkgs, strings.Join(app, ", "))},
		"the image is one layer holding an operating system (%d packages) and an application (%s packages): its base image and build steps are not in its history",
		osPkgs, strings.Join(app, ", "))
}
