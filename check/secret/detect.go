package secret

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// This file is the detector the checks share: which names denote a
// credential, which values are literal credentials rather than references or
// placeholders, and which values carry a credential whatever their name.
// None of its results contains any part of a value.

// compound credential words: two consecutive words of a name, or the two
// written as one word ("APIKEY").
var compounds = []struct {
	a, b, kind string
}{
	{"API", "KEY", "API key"},
	{"ACCESS", "KEY", "access key"},
	{"PRIVATE", "KEY", "private key"},
	{"AUTH", "KEY", "auth key"},
	{"SECRET", "KEY", "secret key"},
	{"ENCRYPTION", "KEY", "encryption key"},
	{"SIGNING", "KEY", "signing key"},
	{"MASTER", "KEY", "master key"},
}

// suffixWords are credential words that may also end a longer word
// ("DBPASSWORD", "AUTHTOKEN").
var suffixWords = []struct{ word, kind string }{
	{"PASSWORD", "password"},
	{"PASSWD", "password"},
	{"PASSPHRASE", "passphrase"},
	{"SECRET", "secret"},
	{"TOKEN", "token"},
	{"CREDENTIAL", "credential"},
	{"CREDENTIALS", "credential"},
}

// qualifiers are words that, after the credential word, make the name denote
// something about a credential rather than the credential itself:
// TOKEN_TTL, PASSWORD_FILE, SECRET_NAME, TOKEN_URL, PASSWORD_MIN_LENGTH.
var qualifiers = setOf(
	"FILE", "FILES", "FILENAME", "PATH", "PATHS", "DIR", "DIRECTORY", "FOLDER", "MOUNT", "LOCATION",
	"NAME", "NAMES", "REF", "REFS", "ARN", "ENV", "VAR", "VARIABLE", "KEYREF", "SECRETREF",
	"TTL", "EXPIRY", "EXPIRATION", "EXPIRES", "EXPIRE", "TIMEOUT", "LIFETIME", "DURATION", "AGE", "VALIDITY",
	"INTERVAL", "PERIOD", "ROTATION", "DELAY", "RETRY", "RETRIES", "ATTEMPTS",
	"SECONDS", "SECS", "SEC", "MINUTES", "MINS", "HOURS", "DAYS", "MS",
	"LENGTH", "LEN", "SIZE", "BITS", "COUNT", "MIN", "MAX", "LIMIT", "STRENGTH", "COMPLEXITY",
	"URL", "URI", "ENDPOINT", "HOST", "HOSTNAME", "PORT", "ADDR", "ADDRESS", "SERVER", "SERVICE",
	"TYPE", "KIND", "MODE", "METHOD", "ENABLED", "ENABLE", "DISABLED", "DISABLE", "REQUIRED", "OPTIONAL",
	"HEADER", "FIELD", "PARAM", "PARAMETER", "QUERY", "PREFIX", "SUFFIX", "FORMAT", "ENCODING",
	"ALGORITHM", "ALG", "CIPHER", "POLICY", "POLICIES", "ISSUER", "AUDIENCE", "AUD", "SCOPE", "SCOPES",
	"VERSION", "PROVIDER", "STORE", "BACKEND", "SOURCE", "LABEL", "ANNOTATION", "SELECTOR", "NAMESPACE",
	"TEMPLATE", "PATTERN", "REGEX", "VALIDATION", "CMD", "COMMAND", "SCRIPT", "HASH", "HASHED",
	"ID", "IDS", "KEYID", "USER", "USERNAME", "LOGIN", "RESET", "HINT", "CACHE", "LOCK", "CHECK",
)

// negators are words that, before the credential word, make the name
// denote a reference to one: EXISTING_SECRET holds a Secret's name.
var negators = setOf("EXISTING", "USE", "NO", "SKIP", "ALLOW", "REQUIRE", "GENERATE")

// idWords are qualifiers that do not apply to secrets: a SECRET_ID (Vault
// AppRole) is a credential.
var idWords = setOf("ID", "IDS", "KEYID")

// nameKind returns what kind of credential a variable, key or flag name
// denotes ("password", "token", "API key", ...), or "" when it denotes none.
// It splits the name into words at separators and camelCase boundaries, so
// db-password, DB_PASSWORD, dbPassword and spring.datasource.password are
// all passwords, and TOKEN_TTL, PASSWORD_FILE and SECRET_NAME are not.
func nameKind(name string) string {
	words := splitWords(name)
	end, kind := -1, ""
	for i := range words {
		if k := credentialAt(words, i); k != "" {
			end, kind = i, k
		}
	}
	if end < 0 {
		return ""
	}
	for _, w := range words[end+1:] {
		if qualifiers[w] && !(idWords[w] && kind == "secret") {
			return ""
		}
	}
	for _, w := range words[:end] {
		if negators[w] {
			return ""
		}
	}
	return kind
}

// credentialAt returns the kind of credential whose word ends at words[i],
// or "".
func credentialAt(words []string, i int) string {
	w := words[i]
	for _, c := range compounds {
		if w == c.a+c.b || strings.HasSuffix(w, c.a+c.b) && len(w) > len(c.a+c.b)+2 {
			return c.kind
		}
		if w == c.b && i > 0 && words[i-1] == c.a {
			return c.kind
		}
	}
	for _, s := range suffixWords {
		// A suffix counts only after a prefix of at least two letters:
		// DBPASSWORD, not XTOKEN.
		if w == s.word || strings.HasSuffix(w, s.word) && len(w) > len(s.word)+1 {
			return s.kind
		}
	}
	return ""
}

// splitWords splits a name into upper-case words at non-alphanumeric
// characters and camelCase boundaries: "dbPassword" is DB PASSWORD,
// "APIKey" is API KEY.
func splitWords(name string) []string {
	var words []string
	var cur []rune
	rs := []rune(name)
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToUpper(string(cur)))
			cur = cur[:0]
		}
	}
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if i > 0 && unicode.IsUpper(r) {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || unicode.IsUpper(prev) && nextLower {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

var (
	reference   = regexp.MustCompile(`\$\(|\$\{|\{\{|%\(|^\$[A-Za-z_][A-Za-z0-9_]*$|^%[A-Za-z_]+%$|^#\{`)
	angle       = regexp.MustCompile(`^<[^<>]*>$|^\[[^\[\]]*\]$|^__[A-Z0-9_]+__$|^@[A-Za-z0-9_]+@$`)
	masked      = regexp.MustCompile(`^[*xX.#?-]+$`)
	duration    = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h|d|w|y)?$`)
	scheme      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)
	spec        = regexp.MustCompile(`^[a-z][a-z0-9_.-]*=[^=]`)
	yourPrefix  = regexp.MustCompile(`(?i)^(your|(my|insert|enter|put|replace)[-_ .])`)
	refPrefixes = []string{
		"vault:", "ref+", "arn:", "enc(", "enc[", "enc:", "secret:", "secretref:", "secrets:", "ssm:", "sm:",
		"gsm:", "awssm:", "akv:", "op://", "azurekeyvault:", "gcpsm:", "env:", "file:", "k8s:", "kms:",
		"sops:", "base64:", "bcrypt:", "{bcrypt}", "{sha", "{ssha", "{noop}",
	}
)

// placeholders are values that stand for a credential to be filled in, or
// that are the credential's own name.
var placeholders = setOf(
	"changeme", "change-me", "change_me", "changeit", "replaceme", "replace-me", "replace_me",
	"todo", "tbd", "fixme", "none", "null", "nil", "undefined", "empty", "placeholder", "redacted",
	"hidden", "masked", "example", "dummy", "sample", "notused", "not-used", "unused", "unset",
	"password", "passwd", "pass", "pwd", "secret", "token", "apikey", "api_key", "api-key",
	"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "required", "optional",
	"auto", "default", "generate", "generated", "random",
)

// literal reports whether a value assigned to a credential name is a literal
// credential: not empty, not a reference to another variable or a secret
// store, not a placeholder, a boolean, a number or duration, a path or a
// plain URL.
func literal(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) < 4 {
		return false
	}
	low := strings.ToLower(v)
	switch {
	case reference.MatchString(v), angle.MatchString(v), masked.MatchString(v), oneChar(v):
		return false
	case placeholders[low], strings.Contains(low, "example"), strings.Contains(low, "changeme"),
		strings.Contains(low, "placeholder"), yourPrefix.MatchString(v):
		return false
	case duration.MatchString(v) && (len(v) < 6 || v[len(v)-1] > '9'):
		return false
	case spec.MatchString(v): // id=npmrc,src=/run/secrets/npmrc: a specification, not a value
		return false
	case strings.HasPrefix(v, "/"), strings.HasPrefix(v, "./"), strings.HasPrefix(v, "../"), strings.HasPrefix(v, "~/"):
		return false
	case scheme.MatchString(v) && !hasURLPassword(v):
		return false
	}
	for _, p := range refPrefixes {
		if strings.HasPrefix(low, p) {
			return false
		}
	}
	return true
}

// oneChar reports whether v repeats a single character ("aaaa").
func oneChar(v string) bool {
	for i := 1; i < len(v); i++ {
		if v[i] != v[0] {
			return false
		}
	}
	return true
}

// A valuePattern recognises a credential by its form, whatever its name.
type valuePattern struct {
	kind string
	// hints are literal strings every match contains (one of them): the
	// regular expression runs only on values that contain a hint, which
	// spares the regexp engine almost every value.
	hints []string
	re    *regexp.Regexp
	// ok, when set, vets a match (m is the whole match and its groups).
	ok func(v string, m []int) bool
}

var patterns = []valuePattern{
	{kind: "private key", hints: []string{"PRIVATE KEY"}, re: regexp.MustCompile(`-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----`), ok: pemBody},
	{kind: "AWS access key ID", hints: []string{"AKIA", "ASIA", "ABIA", "ACCA"}, re: regexp.MustCompile(`\b(AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b`), ok: notExample},
	{kind: "GitHub token", hints: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, re: regexp.MustCompile(`\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b`)},
	{kind: "GitHub token", hints: []string{"github_pat_"}, re: regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{60,}`)},
	{kind: "GitLab token", hints: []string{"glpat-"}, re: regexp.MustCompile(`\bglpat-[A-Za-z0-9_-]{20,}`)},
	{kind: "Slack token", hints: []string{"xox"}, re: regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}`), ok: notExample},
	{kind: "Slack webhook URL", hints: []string{"hooks.slack.com"}, re: regexp.MustCompile(`https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{16,}`)},
	{kind: "Google API key", hints: []string{"AIza"}, re: regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}`)},
	{kind: "Stripe secret key", hints: []string{"k_live_"}, re: regexp.MustCompile(`\b[sr]k_live_[0-9A-Za-z]{20,}`)},
	{kind: "JSON Web Token", hints: []string{"eyJ"}, re: regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}`), ok: notSampleJWT},
	{kind: "password in a URL", hints: []string{"://"}, re: regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@'"]+:([^\s/@'"]+)@[^\s/@]`), ok: urlPassword},
}

// valueKinds returns the kinds of credential found in v by their form,
// each once, in the order of patterns.
func valueKinds(v string) []string {
	var out []string
	for _, p := range patterns {
		if contains(out, p.kind) || !hinted(v, p.hints) {
			continue
		}
		for _, m := range p.re.FindAllStringSubmatchIndex(v, 8) {
			if p.ok == nil || p.ok(v, m) {
				out = append(out, p.kind)
				break
			}
		}
	}
	return out
}

// hinted reports whether v contains one of hints (or there are none).
func hinted(v string, hints []string) bool {
	if len(hints) == 0 {
		return true
	}
	for _, h := range hints {
		if strings.Contains(v, h) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var pemEnd = regexp.MustCompile(`-----END [A-Z0-9 ]*-----`)

// pemBody accepts a PEM header followed by a key body, not a template that
// shows only the armour.
func pemBody(v string, m []int) bool {
	rest := v[m[1]:]
	if e := pemEnd.FindStringIndex(rest); e != nil {
		rest = rest[:e[0]]
	}
	n := 0
	for _, r := range rest {
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=' {
			n++
		}
	}
	return n >= 64
}

func notExample(v string, m []int) bool {
	return !strings.Contains(strings.ToUpper(v[m[0]:m[1]]), "EXAMPLE")
}

// notSampleJWT leaves out the token every JWT tutorial shows (jwt.io).
func notSampleJWT(v string, m []int) bool {
	return !strings.HasSuffix(v[m[0]:m[1]], "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
}

func urlPassword(v string, m []int) bool {
	pw := v[m[2]:m[3]]
	return literal(pw) && !strings.HasPrefix(pw, "$")
}

var urlUserinfo = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]+:([^\s/@]+)@`)

func hasURLPassword(v string) bool {
	m := urlUserinfo.FindStringSubmatchIndex(v)
	return m != nil && urlPassword(v, m)
}

// An assignment is a credential found inside a configuration file: the key
// it is assigned to and the line of the file, never the value.
type assignment struct {
	Line int    // 1-based line within the file
	Key  string // the key as written, such as "spring.datasource.password"
	Kind string
}

var (
	keyValueLine = regexp.MustCompile(`^\s*(?:export\s+|-\s+)?["']?([A-Za-z_][A-Za-z0-9_.\-]*)["']?\s*[:=]\s*(.*)$`)
	xmlElement   = regexp.MustCompile(`<([A-Za-z_][\w.\-:]*)>([^<]+)</([A-Za-z_][\w.\-:]*)>`)
)

// assignments finds the literal credentials a configuration file assigns to
// credential-like keys: YAML, JSON, properties, INI, TOML, .env and shell
// files line by line, XML elements, and JSON documents written on one line.
func assignments(content string) []assignment {
	trimmed := strings.TrimSpace(content)
	if strings.HasPrefix(trimmed, "{") && !strings.Contains(trimmed, "\n") {
		var doc any
		if json.Unmarshal([]byte(trimmed), &doc) == nil {
			var out []assignment
			walkJSON(doc, "", func(key, val string) {
				if k := nameKind(key); k != "" && literal(val) {
					out = append(out, assignment{Line: 1, Key: key, Kind: k})
				}
			})
			sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
			return out
		}
	}
	var out []assignment
	for i, line := range strings.Split(content, "\n") {
		if m := keyValueLine.FindStringSubmatch(line); m != nil {
			if k := nameKind(m[1]); k != "" {
				if v, ok := configValue(m[2]); ok && literal(v) {
					out = append(out, assignment{Line: i + 1, Key: m[1], Kind: k})
				}
			}
			continue
		}
		for _, m := range xmlElement.FindAllStringSubmatch(line, -1) {
			if m[1] != m[3] {
				continue
			}
			if k := nameKind(m[1]); k != "" && literal(m[2]) {
				out = append(out, assignment{Line: i + 1, Key: m[1], Kind: k})
			}
		}
	}
	return out
}

// configValue extracts a scalar value from the right-hand side of a
// key-value line: quotes and trailing commas and comments removed. It
// reports false for values that continue on later lines or are not scalars.
func configValue(s string) (string, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ",")
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	switch s[0] {
	case '|', '>', '{', '[', '&', '*', '!':
		return "", false
	case '"':
		if u, err := strconv.Unquote(s); err == nil {
			return u, true
		}
		if i := strings.IndexByte(s[1:], '"'); i >= 0 {
			return s[1 : i+1], true
		}
		return "", false
	case '\'':
		if i := strings.IndexByte(s[1:], '\''); i >= 0 {
			return s[1 : i+1], true
		}
		return "", false
	case '#', ';':
		return "", false
	}
	if i := strings.Index(s, " #"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s, true
}

func walkJSON(v any, key string, fn func(key, val string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			walkJSON(c, k, fn)
		}
	case []any:
		for _, c := range t {
			walkJSON(c, key, fn)
		}
	case string:
		if key != "" {
			fn(key, t)
		}
	}
}

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
