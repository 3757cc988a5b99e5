package vuln

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Advisory is what Dozor keeps of an OSV record
// (https://ossf.github.io/osv-schema/): enough to match versions and to
// report, not the whole text.
type Advisory struct {
	ID        string     `json:"id"`
	Aliases   []string   `json:"aliases,omitempty"`
	Summary   string     `json:"summary,omitempty"`
	Published time.Time  `json:"published,omitzero"`
	Modified  time.Time  `json:"modified,omitzero"`
	Severity  []Severity `json:"severity,omitempty"`
	// References are the advisory's URLs, advisories first, at most a few.
	References []string `json:"references,omitempty"`
	// Withdrawn is set for an advisory its publisher took back.
	Withdrawn time.Time  `json:"withdrawn,omitzero"`
	Affected  []Affected `json:"affected,omitempty"`
	// Source is the database source the advisory came from.
	Source string `json:"source,omitempty"`
}

// Severity is a score in a scoring system: CVSS_V3 with its vector, or an
// ecosystem's own rating ("HIGH").
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected is a package an advisory affects, and its versions.
type Affected struct {
	Ecosystem string   `json:"ecosystem"`
	Name      string   `json:"name"`
	Ranges    []Range  `json:"ranges,omitempty"`
	Versions  []string `json:"versions,omitempty"`
	// Imports are the Go packages (ecosystem_specific.imports) the
	// vulnerable code is in: they tell which Kubernetes component an
	// advisory for k8s.io/kubernetes is about.
	Imports []string `json:"imports,omitempty"`
	// Severity is a rating given for this package only (the
	// distributions' own: "medium", "unimportant").
	Severity string `json:"severity,omitempty"`
}

// Range is an OSV range: events ordered by version.
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// osvRecord is the OSV schema as published, for decoding.
type osvRecord struct {
	ID        string    `json:"id"`
	Aliases   []string  `json:"aliases"`
	Summary   string    `json:"summary"`
	Details   string    `json:"details"`
	Published time.Time `json:"published"`
	Modified  time.Time `json:"modified"`
	Withdrawn time.Time `json:"withdrawn"`
	Severity  []Severity
	Affected  []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Severity          []Severity      `json:"severity"`
		Ranges            []Range         `json:"ranges"`
		Versions          []string        `json:"versions"`
		EcosystemSpecific json.RawMessage `json:"ecosystem_specific"`
		DatabaseSpecific  json.RawMessage `json:"database_specific"`
	} `json:"affected"`
	References []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"references"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

// maxReferences bounds the URLs kept per advisory.
const maxReferences = 6

// maxSummary bounds the summary kept; the rest is behind the references.
const maxSummary = 400

// ParseOSV decodes one OSV record. Ranges whose events are malformed (no
// event, or versions the ecosystem cannot read) are dropped and counted in
// bad, so that one bad range does not cost the rest of the advisory.
func ParseOSV(data []byte) (a *Advisory, bad int, err error) {
	var r osvRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, 0, err
	}
	if r.ID == "" {
		return nil, 0, fmt.Errorf("no id")
	}
	a = &Advisory{
		ID: r.ID, Aliases: r.Aliases, Published: r.Published, Modified: r.Modified,
		Withdrawn: r.Withdrawn, Severity: r.Severity,
	}
	a.Summary = r.Summary
	if a.Summary == "" {
		a.Summary = firstLine(r.Details)
	}
	a.Summary = truncate(a.Summary, maxSummary)
	for _, ref := range r.References {
		if ref.Type == "ADVISORY" && len(a.References) < maxReferences {
			a.References = append(a.References, ref.URL)
		}
	}
	for _, ref := range r.References {
		if ref.Type != "ADVISORY" && len(a.References) < maxReferences && !slices.Contains(a.References, ref.URL) {
			a.References = append(a.References, ref.URL)
		}
	}
	for _, af := range r.Affected {
		if af.Package.Name == "" || af.Package.Ecosystem == "" {
			bad++
			continue
		}
		out := Affected{Ecosystem: af.Package.Ecosystem, Name: af.Package.Name, Versions: af.Versions}
		if len(a.Severity) == 0 && len(af.Severity) > 0 {
			a.Severity = af.Severity // the Kubernetes feed scores per package
		}
		out.Imports = goImports(af.EcosystemSpecific)
		out.Severity = distroSeverity(af.EcosystemSpecific, af.DatabaseSpecific)
		for _, rg := range af.Ranges {
			if rg.Type == "GIT" {
				continue // commits: nothing to compare a release version with
			}
			if err := validRange(out.Ecosystem, rg); err != nil {
				bad++
				continue
			}
			out.Ranges = append(out.Ranges, rg)
		}
		if len(out.Ranges) == 0 && len(out.Versions) == 0 {
			continue
		}
		a.Affected = append(a.Affected, out)
	}
	return a, bad, nil
}

// goImports returns the import paths of a Go advisory's ecosystem_specific.
func goImports(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var es struct {
		Imports []struct {
			Path string `json:"path"`
		} `json:"imports"`
	}
	if json.Unmarshal(raw, &es) != nil {
		return nil
	}
	var out []string
	for _, i := range es.Imports {
		if i.Path != "" && !slices.Contains(out, i.Path) {
			out = append(out, i.Path)
		}
	}
	return out
}

// distroSeverity returns a distribution's own rating of a package, where
// its OSV records carry one (Ubuntu's and Debian's "urgency", Alpine has
// none).
func distroSeverity(raws ...json.RawMessage) string {
	for _, raw := range raws {
		if len(raw) == 0 {
			continue
		}
		var ds struct {
			Severity string `json:"severity"`
			Urgency  string `json:"urgency"`
		}
		if json.Unmarshal(raw, &ds) != nil {
			continue
		}
		if ds.Severity != "" {
			return strings.ToLower(ds.Severity)
		}
		if ds.Urgency != "" {
			return strings.ToLower(ds.Urgency)
		}
	}
	return ""
}

// validRange checks that a range has events and that their versions parse.
func validRange(eco string, rg Range) error {
	if len(rg.Events) == 0 {
		return fmt.Errorf("no events")
	}
	semverType := rg.Type == "SEMVER"
	for _, e := range rg.Events {
		n := 0
		for _, v := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
			if v == "" {
				continue
			}
			n++
			if v == "0" {
				continue
			}
			ecoForRange := eco
			if semverType && !isKubernetesEcosystem(baseEcosystem(eco)) {
				ecoForRange = "Go" // SEMVER ranges are semver whatever the ecosystem
			}
			if _, err := Parse(ecoForRange, v); err != nil {
				return err
			}
		}
		if n != 1 {
			return fmt.Errorf("an event with %d versions", n)
		}
	}
	return nil
}

// Affects reports whether version v of the package is affected, by the
// OSV rules: listed in Versions, or inside a range (at or after an
// "introduced" event and before the next "fixed", or up to and including
// a "last_affected").
func (af *Affected) Affects(v string) (bool, error) {
	if slices.Contains(af.Versions, v) {
		return true, nil
	}
	var firstErr error
	for _, rg := range af.Ranges {
		eco := af.Ecosystem
		if rg.Type == "SEMVER" && !isKubernetesEcosystem(baseEcosystem(eco)) {
			eco = "Go"
		}
		in, err := rangeAffects(eco, rg, v)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if in {
			return true, nil
		}
	}
	return false, firstErr
}

// rangeAffects evaluates one range. Events are taken in version order, as
// the OSV schema says they are to be.
func rangeAffects(eco string, rg Range, v string) (bool, error) {
	p, err := Parse(eco, v)
	if err != nil {
		return false, err
	}
	events := slices.Clone(rg.Events)
	var sortErr error
	slices.SortStableFunc(events, func(a, b Event) int {
		c, err := Compare(eco, a.version(), b.version())
		if err != nil && sortErr == nil {
			sortErr = err
		}
		return c
	})
	if sortErr != nil {
		return false, sortErr
	}
	affected := false
	for _, e := range events {
		switch {
		case e.Introduced != "":
			c, err := p.Compare(e.Introduced)
			if err != nil {
				return false, err
			}
			if c >= 0 {
				affected = true
			}
		case e.Fixed != "":
			c, err := p.Compare(e.Fixed)
			if err != nil {
				return false, err
			}
			if c >= 0 {
				affected = false
			}
		case e.LastAffected != "":
			c, err := p.Compare(e.LastAffected)
			if err != nil {
				return false, err
			}
			if c > 0 {
				affected = false
			}
		case e.Limit != "":
			c, err := p.Compare(e.Limit)
			if err != nil {
				return false, err
			}
			if c >= 0 {
				affected = false
			}
		}
	}
	return affected, nil
}

func (e Event) version() string {
	switch {
	case e.Introduced != "":
		return e.Introduced
	case e.Fixed != "":
		return e.Fixed
	case e.LastAffected != "":
		return e.LastAffected
	}
	return e.Limit
}

// Fixed returns the fixed versions the package's ranges name, in version
// order.
func (af *Affected) Fixed() []string {
	var out []string
	for _, rg := range af.Ranges {
		for _, e := range rg.Events {
			if e.Fixed != "" && !slices.Contains(out, e.Fixed) {
				out = append(out, e.Fixed)
			}
		}
	}
	eco := af.Ecosystem
	slices.SortFunc(out, func(a, b string) int {
		c, _ := Compare(eco, a, b)
		return c
	})
	return out
}

// CVE returns the advisory's CVE id: its own id or its first CVE alias;
// "" if it has none.
func (a *Advisory) CVE() string {
	if strings.HasPrefix(a.ID, "CVE-") {
		return a.ID
	}
	for _, al := range a.Aliases {
		if strings.HasPrefix(al, "CVE-") {
			return al
		}
	}
	return ""
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\n"); i >= 0 {
		return s[:i]
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
