package secret

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

func credentialInArgs() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-SCR-005", Name: "credential-in-args",
			Title:    "Command line carries a literal credential",
			Severity: finding.High,
			Description: "A password, token or key written into a container's command or args is stored in the manifest and in " +
				"version control, shown by kubectl describe and get, and visible at run time to every process on the node that can " +
				"list processes (ps, /proc/<pid>/cmdline), to monitoring agents and to audit logs.",
			Remediation: "Read the credential from a file mounted from a Secret (most tools have a --password-file or similar flag), " +
				"or from an environment variable set with valueFrom.secretKeyRef; Kubernetes expands $(VAR) in command and args " +
				"from the container's environment. Rotate the exposed credential.",
			References: []string{
				"https://kubernetes.io/docs/concepts/configuration/secret/",
				"https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/#use-environment-variables-to-define-arguments",
			},
			Mappings: finding.Mappings{NSA: []string{check.NSASecrets}, ThreatMatrix: []string{check.MSAppCredentials}},
			Tags:     []string{"workload", "secrets"},
		},
		Kinds: k8s.WorkloadKinds,
		Object: func(ctx *check.Context, obj *k8s.Object) {
			if obj.Pod == nil {
				return
			}
			for _, c := range obj.Pod.Containers() {
				// Flags may be split between command and args.
				all := append(append([]string{}, c.Command...), c.Args...)
				for i := range all {
					found := argCredentials(all, i)
					if len(found) == 0 {
						continue
					}
					at := k8s.Path("command").Index(i)
					if i >= len(c.Command) {
						at = k8s.Path("args").Index(i - len(c.Command))
					}
					ctx.ReportContainer(obj, c, at, "the command line of container %q holds %s", c.Name, strings.Join(found, ", "))
				}
			}
		},
	}
}

var (
	authHeader = regexp.MustCompile(`(?i)authorization:\s*(bearer|basic|token)\s+([^\s"'\\]+)`)
	envAssign  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]*=`)
)

// argCredentials describes the credentials element i of a command line
// holds: flags and assignments with credential-like names and literal
// values, a literal value after such a flag, mysql -p, curl --user,
// Authorization headers, and credentials recognised by their form. An
// element with spaces (a shell script given to sh -c) is split into words.
func argCredentials(elems []string, i int) []string {
	var out []string
	add := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	toks := shellWords(elems[i])
	tool := ""
	for _, e := range elems[:i] {
		for _, t := range shellWords(e) {
			tool = toolOf(t, tool)
		}
	}
	for k, t := range toks {
		tool = toolOf(t, tool)
		next, hasNext := "", false
		switch {
		case k+1 < len(toks):
			next, hasNext = toks[k+1], true
		case len(toks) == 1 && i+1 < len(elems):
			next, hasNext = strings.TrimSpace(elems[i+1]), true
		}
		switch {
		case strings.HasPrefix(t, "-"):
			flag, val, hasVal := strings.Cut(t, "=")
			name := strings.TrimLeft(flag, "-")
			switch {
			case hasVal:
				val = unquote(val)
				if kind := nameKind(name); kind != "" && literal(val) {
					add("a literal %s (flag %q)", kind, flag)
				} else if n2, v2, ok := strings.Cut(val, "="); ok && envAssign.MatchString(val) {
					if kind := nameKind(n2); kind != "" && literal(unquote(v2)) {
						add("a literal %s (%q in flag %q)", kind, n2, flag)
					}
				}
			case hasNext && endsInCredential(name) && !strings.HasPrefix(next, "-") && literal(unquote(next)):
				add("a literal %s (after flag %q)", nameKind(name), flag)
			}
			switch {
			case tool == "mysql" && len(t) > 2 && strings.HasPrefix(t, "-p") && !strings.HasPrefix(t, "--") && literal(t[2:]):
				add("a literal password (mysql flag \"-p\")")
			case tool == "curl" && (t == "-u" || t == "--user") && hasNext && userinfoPassword(next):
				add("a literal password (curl flag %q)", t)
			case tool == "curl" && (strings.HasPrefix(t, "--user=") || strings.HasPrefix(t, "-u") && len(t) > 2) &&
				userinfoPassword(strings.TrimPrefix(strings.TrimPrefix(t, "--user="), "-u")):
				add("a literal password (curl flag %q)", "--user")
			}
		case envAssign.MatchString(t):
			name, val, _ := strings.Cut(t, "=")
			if kind := nameKind(name); kind != "" && literal(unquote(val)) {
				add("a literal %s (assignment %q)", kind, name+"=")
			}
		}
	}
	for _, m := range authHeader.FindAllStringSubmatch(elems[i], -1) {
		if literal(m[2]) {
			kind := "token"
			if strings.EqualFold(m[1], "basic") {
				kind = "basic-auth credential"
			}
			add("a literal %s (Authorization header)", kind)
		}
	}
	for _, kind := range valueKinds(elems[i]) {
		add("what looks like %s %s", article(kind), kind)
	}
	return out
}

// endsInCredential reports whether a flag name ends in a credential word, so
// that the next argument is its value: --token, --db-password.
func endsInCredential(name string) bool {
	words := splitWords(name)
	return len(words) > 0 && nameKind(name) != "" && credentialAt(words, len(words)-1) != ""
}

// toolOf returns the client a command-line word starts, or cur.
func toolOf(word, cur string) string {
	switch path.Base(word) {
	case "mysql", "mysqladmin", "mysqldump", "mariadb", "mariadb-admin", "mariadb-dump", "mysqlcheck", "mysqlimport":
		return "mysql"
	case "curl":
		return "curl"
	}
	return cur
}

// userinfoPassword reports whether "user:password" carries a literal
// password.
func userinfoPassword(s string) bool {
	_, pw, ok := strings.Cut(unquote(s), ":")
	return ok && literal(pw)
}

// shellWords splits a command-line element into words at white space,
// without the quotes around them and shell separators after them.
func shellWords(s string) []string {
	f := strings.Fields(s)
	out := f[:0]
	for _, w := range f {
		w = strings.TrimRight(w, ";|&")
		w = unquote(w)
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return strings.Trim(s, `"'`)
}
