// Package hardening checks what an image is made of: whether it runs as
// root; secrets in its environment, its history or its files (by
// pattern, reported by path, layer and kind, never by value); setuid and
// setgid files; world-writable directories; and the shells, package
// managers and network tools an attacker would use.
package hardening

import (
	"cmp"
	"fmt"
	"io/fs"
	"math"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/vuln"
)

func rule(id, name, title string, sev finding.Severity, desc, fix string, tags ...string) *finding.Rule {
	return &finding.Rule{ID: id, Name: name, Title: title, Severity: sev, Description: desc, Remediation: fix,
		References: []string{"https://docs.docker.com/build/building/best-practices/"},
		Tags:       append([]string{"image"}, tags...)}
}

// The rules.
var (
	RuleRoot = rule("DZ-IMH-001", "runs-as-root", "Image runs as root", finding.Medium,
		"The image's configuration names no USER, or root: its processes run as root unless the pod says otherwise, and a breakout from a root process is a root process on the node.",
		"Add a USER with a numeric non-zero UID to the Dockerfile.", "user")
	RuleSecretEnv = rule("DZ-IMH-002", "secret-in-environment", "Secret in the image's environment", finding.High,
		"An environment variable of the image's configuration holds what looks like a credential. Everyone who can pull the image can read it: it is in the configuration blob.",
		"Remove it from the Dockerfile (ENV, ARG) and give it to the container at run time from a Secret.", "secret")
	RuleSecretHistory = rule("DZ-IMH-003", "secret-in-history", "Secret in the image's history", finding.High,
		"A build step's command line, kept in the image's history, holds what looks like a credential (a build argument, a token in a URL).",
		"Pass build secrets with BuildKit's --secret, never as arguments; rebuild the image and rotate the credential.", "secret")
	RuleSecretFile = rule("DZ-IMH-004", "secret-in-file", "Secret in a file of the image", finding.High,
		"A file of the image's final file system is a private key or holds credentials (cloud keys, registry or package-repository tokens, .netrc, git credentials). Deleting it in a later layer does not help: the layer that added it still holds it.",
		"Remove it from the build context (.dockerignore), use multi-stage builds and BuildKit secrets, and rotate the credential.", "secret")
	RuleSetuid = rule("DZ-IMH-005", "setuid-files", "Setuid or setgid files", finding.Low,
		"Setuid and setgid programs run with their owner's or group's rights whatever the caller's: each is a way to escalate inside the container.",
		"Remove them, or their bits (chmod u-s,g-s), in the image; run with allowPrivilegeEscalation: false.", "privilege")
	RuleWorldWritable = rule("DZ-IMH-006", "world-writable", "World-writable directories or files", finding.Medium,
		"A world-writable directory without the sticky bit, or a world-writable file, lets any user of the container replace what others run or read.",
		"chmod o-w them in the image (or add the sticky bit to shared directories).", "permissions")
	RuleShell = rule("DZ-IMH-007", "shell-present", "A shell is in the image", finding.Info,
		"A shell makes every remote-code-execution bug an interactive session. Minimal (distroless, scratch) images have none.",
		"Build on a distroless or scratch base when the application needs no shell.", "attack-surface")
	RulePackageManager = rule("DZ-IMH-008", "package-manager-present", "A package manager is in the image", finding.Info,
		"A package manager lets an intruder install tools in the running container.",
		"Use a multi-stage build whose final stage has no package manager.", "attack-surface")
	RuleNetworkTools = rule("DZ-IMH-009", "network-tools-present", "Network tools are in the image", finding.Low,
		"curl, wget, netcat, socat and the like fetch payloads and open reverse shells for an intruder.",
		"Remove them from the final stage.", "attack-surface")
)

// Rules lists them in order.
func Rules() []*finding.Rule {
	return []*finding.Rule{RuleRoot, RuleSecretEnv, RuleSecretHistory, RuleSecretFile, RuleSetuid, RuleWorldWritable, RuleShell, RulePackageManager, RuleNetworkTools, RuleEOLBase}
}

// secretFiles are the file names that hold credentials, and what to look
// for in them (empty: the name says enough).
var secretFiles = []struct {
	match func(p string) bool
	kind  string
	sign  *regexp.Regexp
}{
	{func(p string) bool { return strings.HasSuffix(p, ".aws/credentials") }, "AWS credentials", regexp.MustCompile(`(?i)aws_secret_access_key\s*=\s*\S+`)},
	{func(p string) bool { return strings.HasSuffix(p, ".docker/config.json") }, "registry credentials (Docker config)", regexp.MustCompile(`"auth"\s*:\s*"[^"]+`)},
	{func(p string) bool { return path.Base(p) == ".npmrc" }, "npm token", regexp.MustCompile(`_authToken\s*=\s*\S+`)},
	{func(p string) bool { return path.Base(p) == ".pypirc" }, "PyPI password", regexp.MustCompile(`(?i)password\s*[=:]\s*\S+`)},
	{func(p string) bool { return path.Base(p) == ".git-credentials" }, "git credentials", regexp.MustCompile(`://[^:/\s]+:[^@\s]+@`)},
	{func(p string) bool { return path.Base(p) == ".netrc" }, ".netrc password", regexp.MustCompile(`(?i)\bpassword\s+\S+`)},
	{func(p string) bool { return strings.HasSuffix(p, ".kube/config") }, "kubeconfig credentials", regexp.MustCompile(`(?i)(token|client-key-data|password):\s*\S+`)},
	{func(p string) bool {
		b := path.Base(p)
		return strings.HasPrefix(b, "id_") && !strings.HasSuffix(b, ".pub") || strings.HasSuffix(b, ".pem") || strings.HasSuffix(b, ".key")
	}, "private key", regexp.MustCompile(`-----BEGIN ([A-Z]+ )?PRIVATE KEY-----`)},
}

// Wants keeps the files the secret check reads (small ones): files named
// for credentials, and configuration files of applications.
func Wants(p string, size int64) bool {
	if size > 1<<20 {
		return false
	}
	for _, s := range secretFiles {
		if s.match(p) {
			return true
		}
	}
	return size <= maxConfig && configFile(p)
}

// maxConfig is the largest configuration file read for secrets.
const maxConfig = 256 << 10

// configExts are the extensions of configuration files.
var configExts = []string{".env", ".properties", ".yaml", ".yml", ".json", ".conf", ".cfg", ".ini", ".toml", ".xml", ".config"}

// notApplication are where an operating system's or installed packages'
// files are, not an application's configuration.
var notApplication = []string{"usr/share/", "usr/lib/", "usr/lib64/", "lib/", "lib64/", "usr/include/", "var/lib/", "proc/", "sys/"}

// configFile reports whether p is an application's configuration file:
// by extension (or a .env file), outside the system's and installed
// packages' directories.
func configFile(p string) bool {
	base := path.Base(p)
	if !strings.HasPrefix(base, ".env") && !slices.Contains(configExts, path.Ext(base)) {
		return false
	}
	for _, d := range notApplication {
		if strings.HasPrefix(p, d) {
			return false
		}
	}
	for _, d := range []string{"node_modules/", "site-packages/", "dist-packages/", "/.git/", "vendor/"} {
		if strings.Contains(p, d) || strings.HasPrefix(p, strings.TrimPrefix(d, "/")) {
			return false
		}
	}
	return true
}

// assignment is a configuration line that sets a key named like a secret.
var assignment = regexp.MustCompile(`(?i)["']?([A-Za-z0-9_.-]*(?:passw(?:or)?d|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)[A-Za-z0-9_.-]*)["']?\s*[:=]\s*["']?([^\s"',;<>]{16,})`)

// entropy is the Shannon entropy of s in bits per character.
func entropy(s string) float64 {
	counts := map[rune]int{}
	for _, r := range s {
		counts[r]++
	}
	n := float64(len([]rune(s)))
	h := 0.0
	for _, c := range counts {
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h
}

// randomLooking reports whether a value looks generated rather than
// written: long, of high entropy (hex digests and words fall below),
// and not a placeholder, reference or path.
func randomLooking(v string) bool {
	return len(v) >= 16 && entropy(v) >= 3.5 && plausibleSecret(v) && !strings.Contains(v, "://") && !strings.HasPrefix(v, "%")
}

// configSecrets finds the secrets of a configuration file: credentials by
// their shape anywhere, and keys named like secrets set to random-looking
// values. It returns "line N: KIND" for each, never the value.
func configSecrets(data []byte) []string {
	var out []string
	for i, line := range strings.Split(string(data), "\n") {
		if len(out) >= 5 {
			break
		}
		if kind := kindOf(line); kind != "" {
			out = append(out, fmt.Sprintf("line %d: %s", i+1, kind))
			continue
		}
		if m := assignment.FindStringSubmatch(line); m != nil && randomLooking(m[2]) {
			out = append(out, fmt.Sprintf("line %d: %s set to a random-looking %d-character value", i+1, m[1], len(m[2])))
		}
	}
	return out
}

// valuePatterns are credentials recognised by their shape.
var valuePatterns = []struct {
	kind string
	re   *regexp.Regexp
}{
	{"AWS access key ID", regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)},
	{"GitHub token", regexp.MustCompile(`\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b`)},
	{"GitLab token", regexp.MustCompile(`\bglpat-[A-Za-z0-9_-]{20}\b`)},
	{"Slack token", regexp.MustCompile(`\bxox[abpr]-[A-Za-z0-9-]{10,}`)},
	{"Stripe secret key", regexp.MustCompile(`\bsk_live_[0-9A-Za-z]{24,}`)},
	{"Google API key", regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`)},
	{"private key", regexp.MustCompile(`-----BEGIN ([A-Z]+ )?PRIVATE KEY-----`)},
	{"credentials in a URL", regexp.MustCompile(`[a-z][a-z0-9+.-]*://[^:/\s@]+:[^@\s/]{6,}@`)},
}

// secretName is a variable or argument name that says it holds a secret.
var secretName = regexp.MustCompile(`(?i)(passw(or)?d|secret|token|api_?key|access_?key|private_?key|credential)`)

// kindOf says what kind of secret a value is, or "".
func kindOf(v string) string {
	for _, p := range valuePatterns {
		if p.re.MatchString(v) {
			return p.kind
		}
	}
	return ""
}

// plausibleSecret reports whether a value named like a secret looks like
// one: long enough, not a path, a placeholder or a reference.
func plausibleSecret(v string) bool {
	if len(v) < 8 || strings.HasPrefix(v, "/") || strings.HasPrefix(v, "$") || strings.ContainsAny(v, " {}") {
		return false
	}
	lower := strings.ToLower(v)
	for _, ph := range []string{"changeme", "example", "placeholder", "xxxxxxxx", "your_", "<", "dummy", "file://"} {
		if strings.Contains(lower, ph) {
			return false
		}
	}
	return true
}

// Check looks at an image's configuration and final file system.
func Check(im *image.Image, fsys *image.FS) []finding.Finding {
	obj := finding.ObjectRef{APIVersion: "dozor.dev/v1", Kind: "Image", Name: im.Ref}
	var out []finding.Finding
	add := func(r *finding.Rule, format string, args ...any) {
		out = append(out, finding.Finding{Rule: r, Severity: r.Severity, Object: obj, Message: fmt.Sprintf(format, args...)})
	}
	layerStep := func(layer int) string {
		if layer < 0 {
			return ""
		}
		if layer < len(im.Layers) && im.Layers[layer].CreatedBy != "" {
			by := im.Layers[layer].CreatedBy
			if len(by) > 60 {
				by = by[:59] + "…"
			}
			return fmt.Sprintf(" (layer %d: %s)", layer, by)
		}
		return fmt.Sprintf(" (layer %d)", layer)
	}
	if c := im.Config; c != nil {
		user := strings.TrimSpace(c.Config.User)
		uid, _, _ := strings.Cut(user, ":")
		if user == "" || uid == "root" || uid == "0" {
			what := "no USER"
			if user != "" {
				what = "USER " + user
			}
			add(RuleRoot, "the image runs as root (%s)", what)
		}
		for _, e := range c.Config.Env {
			name, value, _ := strings.Cut(e, "=")
			if kind := kindOf(value); kind != "" {
				add(RuleSecretEnv, "environment variable %s: %s", name, kind)
			} else if secretName.MatchString(name) && plausibleSecret(value) {
				add(RuleSecretEnv, "environment variable %s is named like a secret and set to a %d-character value", name, len(value))
			}
		}
		for i, h := range c.History {
			if kind := kindOf(h.CreatedBy); kind != "" {
				add(RuleSecretHistory, "history step %d: %s", i, kind)
				continue
			}
			for _, f := range strings.Fields(h.CreatedBy) {
				k, v, ok := strings.Cut(f, "=")
				if ok && secretName.MatchString(k) && plausibleSecret(strings.Trim(v, `"'`)) {
					add(RuleSecretHistory, "history step %d sets %s to a %d-character value", i, strings.TrimLeft(k, "-"), len(v))
					break
				}
			}
		}
	}
	var setuid, writable []string
	_ = fsys.Walk(func(f *image.File) error {
		p := "/" + f.Path
		switch {
		case f.Mode.IsRegular() && f.Mode&(fs.ModeSetuid|fs.ModeSetgid) != 0:
			setuid = append(setuid, p)
		case f.Mode.IsDir() && f.Mode.Perm()&0o002 != 0 && f.Mode&fs.ModeSticky == 0,
			f.Mode.IsRegular() && f.Mode.Perm()&0o002 != 0:
			writable = append(writable, p)
		}
		if !f.Mode.IsRegular() || !Wants(f.Path, f.Size) {
			return nil
		}
		data, err := fsys.ReadFile(f.Path)
		if err != nil {
			return nil
		}
		named := false
		for _, s := range secretFiles {
			if s.match(f.Path) {
				named = true
				if s.sign.Match(data) {
					add(RuleSecretFile, "%s: %s%s", p, s.kind, layerStep(f.Layer))
					break
				}
			}
		}
		if !named && configFile(f.Path) {
			if found := configSecrets(data); len(found) > 0 {
				add(RuleSecretFile, "%s: %s%s", p, strings.Join(found, "; "), layerStep(f.Layer))
			}
		}
		return nil
	})
	if len(setuid) > 0 {
		add(RuleSetuid, "%d setuid or setgid files: %s", len(setuid), list(setuid))
	}
	if len(writable) > 0 {
		add(RuleWorldWritable, "%d world-writable: %s", len(writable), list(writable))
	}
	tools := func(r *finding.Rule, what string, names ...string) {
		var found []string
		for _, n := range names {
			for _, dir := range []string{"bin", "usr/bin", "sbin", "usr/sbin", "usr/local/bin"} {
				if st, err := fsys.Stat(dir + "/" + n); err == nil && st.Mode().IsRegular() {
					found = append(found, n)
					break
				}
			}
		}
		if len(found) > 0 {
			add(r, "%s: %s", what, strings.Join(found, ", "))
		}
	}
	tools(RuleShell, "shells", "sh", "bash", "dash", "ash", "zsh", "busybox")
	tools(RulePackageManager, "package managers", "apt", "apt-get", "dpkg", "apk", "yum", "dnf", "rpm", "microdnf", "pip", "pip3", "npm", "gem")
	tools(RuleNetworkTools, "network tools", "curl", "wget", "nc", "netcat", "ncat", "socat", "nmap", "telnet", "ssh", "scp", "ftp")
	return out
}

// list is the first paths of many.
func list(paths []string) string {
	slices.Sort(paths)
	if len(paths) > 8 {
		return strings.Join(paths[:8], ", ") + fmt.Sprintf(" and %d more", len(paths)-8)
	}
	return strings.Join(paths, ", ")
}

// RuleEOLBase is the lifecycle finding of the image's OS.
var RuleEOLBase = rule("DZ-IMH-010", "end-of-life-base", "Base OS is past its end of life", finding.High,
	"The image's operating system release (from os-release) is past the end of its security support: its packages get no more fixes, and vulnerabilities found from now on stay. Past the distribution's own support but within extended support (Debian LTS, Ubuntu ESM), fixes still come from that programme, and the finding is low.",
	"Rebuild on a supported release of the distribution (or a distroless or scratch base).", "lifecycle")

// lifecycleProducts are endoflife.date's products for os-release IDs,
// and how a VERSION_ID becomes a release cycle.
var lifecycleProducts = map[string]struct {
	product string
	cycle   func(v string) string
}{
	"debian": {"debian", func(v string) string { major, _, _ := strings.Cut(v, "."); return major }},
	"ubuntu": {"ubuntu", func(v string) string { return v }},
	"alpine": {"alpine-linux", func(v string) string {
		parts := strings.SplitN(v, ".", 3)
		if len(parts) < 2 {
			return v
		}
		return parts[0] + "." + parts[1]
	}},
	"rhel": {"rhel", func(v string) string { major, _, _ := strings.Cut(v, "."); return major }},
	"amzn": {"amazon-linux", func(v string) string { return v }},
}

// Lifecycle judges the image's OS release against end-of-life data
// (releases gives a product's cycles) at now.
func Lifecycle(im *image.Image, osr map[string]string, releases func(product string) []vuln.Release, now time.Time) []finding.Finding {
	lp, ok := lifecycleProducts[osr["ID"]]
	if !ok || osr["VERSION_ID"] == "" {
		return nil
	}
	cycle := lp.cycle(osr["VERSION_ID"])
	rs := releases(lp.product)
	i := slices.IndexFunc(rs, func(r vuln.Release) bool { return r.Cycle == cycle })
	if i < 0 {
		return nil
	}
	r := rs[i]
	if !vuln.Passed(r.EOL, now) {
		return nil
	}
	obj := finding.ObjectRef{APIVersion: "dozor.dev/v1", Kind: "Image", Name: im.Ref}
	name := cmp.Or(osr["PRETTY_NAME"], osr["ID"]+" "+osr["VERSION_ID"])
	f := finding.Finding{Rule: RuleEOLBase, Severity: RuleEOLBase.Severity, Object: obj,
		Message: fmt.Sprintf("%s: security support ended %s", name, r.EOL)}
	if r.EOES != "" && r.EOES != "false" && !vuln.Passed(r.EOES, now) {
		f.Severity = finding.Low
		f.Message = fmt.Sprintf("%s: the distribution's security support ended %s; extended support (LTS) lasts until %s", name, r.EOL, r.EOES)
	}
	return []finding.Finding{f}
}
