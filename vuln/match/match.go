// Package match finds the advisories of the vulnerability database that
// affect an SBOM's packages, with each ecosystem's version order: a
// Debian package by its source package in its release ("Debian:12"), a
// Go module by its path (the standard library as "stdlib").
package match

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/vuln"
)

// Finding is one vulnerability of one package.
type Finding struct {
	// ID is the CVE where the advisory names one, else the advisory's ID.
	ID         string   `json:"id"`
	Advisories []string `json:"advisories"`
	Summary    string   `json:"summary,omitempty"`
	// Severity is critical, high, medium, low or unknown: from the CVSS
	// v3 score where an advisory gives a vector.
	Severity string  `json:"severity"`
	CVSS     float64 `json:"cvss,omitempty"`
	Vector   string  `json:"vector,omitempty"`
	// Fixed are the versions that fix it; none when there is no fix yet.
	Fixed []string `json:"fixed"`
	KEV   bool     `json:"kev,omitempty"`
	EPSS  float64  `json:"epss,omitempty"`
	// Distro is the distribution's own rating of the vulnerability in its
	// package ("unimportant", "low", ...), where it gives one.
	Distro string `json:"distroRating,omitempty"`
	// Verdict is the distribution's word that lowers the finding: it rates
	// the vulnerability unimportant (or negligible) in its build, whose
	// severity is then low at most.
	Verdict string `json:"verdict,omitempty"`
	// Package is what is affected, and where it is in the image.
	Package PackageRef `json:"package"`
}

// PackageRef names a package of the SBOM.
type PackageRef struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	PURL     string `json:"purl"`
	Location string `json:"location"`
	Layer    int    `json:"layer"`
	// Matched is the name, version and ecosystem the database was asked:
	// the source package for a distribution package.
	Matched string `json:"matched"`
}

// lts reports whether an Ubuntu release is a long-term support one:
// April of an even year ("22.04").
func lts(release string) bool {
	y, m, ok := strings.Cut(release, ".")
	if !ok || m != "04" || len(y) != 2 {
		return false
	}
	return (y[1]-'0')%2 == 0
}

// ecosystems are OSV's names of the language ecosystems, by purl type.
var ecosystems = map[string]string{
	packageurl.TypeGolang: "Go", packageurl.TypeNPM: "npm", packageurl.TypePyPi: "PyPI", packageurl.TypeMaven: "Maven",
	packageurl.TypeCargo: "crates.io", packageurl.TypeGem: "RubyGems", packageurl.TypeComposer: "Packagist", packageurl.TypeNuget: "NuGet",
}

// Query is what the database is asked for a package: ecosystem, name
// and version; ok is false for packages of no ecosystem it knows.
// Distribution packages are asked by source package in their release's
// ecosystem ("Debian:12", "Alpine:v3.19"); language packages by the name
// their ecosystem's advisories use (npm's @scope/name, Maven's
// group:artifact, Packagist's vendor/name).
func Query(p *sbom.Package) (eco, name, version string, ok bool) {
	u, err := packageurl.FromString(p.PURL)
	if err != nil {
		return "", "", "", false
	}
	switch p.Type {
	case packageurl.TypeDebian, packageurl.TypeApk:
		id, release, found := strings.Cut(u.Qualifiers.Map()["distro"], "-")
		if !found {
			return "", "", "", false
		}
		switch {
		case p.Type == packageurl.TypeDebian && id == "debian":
			// OSV's Debian ecosystem names major releases: "Debian:12".
			major, _, _ := strings.Cut(release, ".")
			eco = "Debian:" + major
		case p.Type == packageurl.TypeDebian && id == "ubuntu":
			// Ubuntu's name releases, LTS ones so marked: "Ubuntu:22.04:LTS",
			// "Ubuntu:24.10".
			eco = "Ubuntu:" + release
			if lts(release) {
				eco += ":LTS"
			}
		case p.Type == packageurl.TypeApk && id == "alpine":
			// Alpine's names branches: "Alpine:v3.19".
			parts := strings.SplitN(release, ".", 3)
			if len(parts) < 2 {
				return "", "", "", false
			}
			eco = "Alpine:v" + parts[0] + "." + parts[1]
		default:
			return "", "", "", false
		}
		return eco, cmp.Or(p.SourceName, p.Name), cmp.Or(p.SourceVersion, p.Version), true
	case packageurl.TypeGolang:
		return "Go", p.Name, strings.TrimPrefix(p.Version, "v"), true
	}
	eco, ok = ecosystems[p.Type]
	if !ok || u.Name == "" || u.Version == "" {
		return "", "", "", false
	}
	name = u.Name
	switch {
	case u.Namespace == "":
	case p.Type == packageurl.TypeMaven:
		name = u.Namespace + ":" + u.Name
	default:
		name = u.Namespace + "/" + u.Name
	}
	return eco, name, u.Version, true
}

// Packages matches every package; errors name the packages whose version
// the ecosystem cannot read (the rest are matched). Findings are sorted
// worst first.
func Packages(db *vuln.DB, pkgs []sbom.Package) ([]Finding, []error) {
	var out []Finding
	var errs []error
	for i := range pkgs {
		p := &pkgs[i]
		eco, name, version, ok := Query(p)
		if !ok {
			continue
		}
		ms, err := db.Affecting(eco, name, version)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s (%s %s in %s): %w", p.Name, p.Version, name, version, eco, err))
			continue
		}
		ref := PackageRef{Name: p.Name, Version: p.Version, PURL: p.PURL, Location: p.Location, Layer: p.Layer,
			Matched: fmt.Sprintf("%s %s (%s)", name, version, eco)}
		byID := map[string]int{}
		for _, m := range ms {
			f := fromMatch(db, m, ref)
			if j, ok := byID[f.ID]; ok {
				merge(&out[j], &f)
				continue
			}
			byID[f.ID] = len(out)
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(rank(b.Severity), rank(a.Severity)), cmp.Compare(b.CVSS, a.CVSS),
			cmp.Compare(a.Package.Name, b.Package.Name), cmp.Compare(a.ID, b.ID))
	})
	return out, errs
}

func fromMatch(db *vuln.DB, m vuln.Match, ref PackageRef) Finding {
	adv := m.Advisory
	f := Finding{ID: cmp.Or(adv.CVE(), adv.ID), Advisories: []string{adv.ID}, Summary: adv.Summary, Severity: "unknown",
		Fixed: m.Affected.Fixed(), Package: ref}
	if f.Fixed == nil {
		f.Fixed = []string{}
	}
	for _, s := range adv.Severity {
		if s.Type == "Ubuntu" {
			// Ubuntu's priority, in the record's severity.
			f.Distro = strings.ToLower(s.Score)
		}
		if score, ok := vuln.CVSS3Score(s.Score); ok && score > f.CVSS {
			f.CVSS, f.Vector, f.Severity = score, s.Score, vuln.Rating(score)
		}
	}
	if r := m.Affected.Severity; r != "" {
		f.Distro = r
	}
	if r := f.Distro; r == "unimportant" || r == "negligible" {
		f.Verdict = "the distribution rates it " + r + " in its package"
	}
	if cve := adv.CVE(); cve != "" {
		if f.CVSS == 0 {
			if score, vector, ok := db.CVSS(cve); ok {
				f.CVSS, f.Vector, f.Severity = score, vector, vuln.Rating(score)
			}
		}
		_, f.KEV = db.KEV(cve)
		if e, ok := db.EPSS(cve); ok {
			f.EPSS = e.Score
		}
	}
	if f.Verdict != "" && rank(f.Severity) > rank("low") {
		f.Severity = "low"
	}
	return f
}

// merge folds a second advisory of the same CVE into a finding.
func merge(into, f *Finding) {
	for _, a := range f.Advisories {
		if !slices.Contains(into.Advisories, a) {
			into.Advisories = append(into.Advisories, a)
		}
	}
	for _, v := range f.Fixed {
		if !slices.Contains(into.Fixed, v) {
			into.Fixed = append(into.Fixed, v)
		}
	}
	if f.CVSS > into.CVSS {
		into.CVSS, into.Vector, into.Severity = f.CVSS, f.Vector, f.Severity
	}
	into.Distro, into.Verdict = cmp.Or(into.Distro, f.Distro), cmp.Or(into.Verdict, f.Verdict)
	if into.Verdict != "" && rank(into.Severity) > rank("low") {
		into.Severity = "low"
	}
}

func rank(s string) int {
	switch s {
	case "critical":
		return 4
	case "high":
		return 3
	case "medium":
		return 2
	case "low":
		return 1
	}
	return 0
}
