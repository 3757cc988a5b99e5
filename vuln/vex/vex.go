// Package vex reads VEX documents, OpenVEX and CycloneDX VEX (JSON), and
// applies them to vulnerability findings: a statement that a product is
// not affected by a vulnerability (or has it fixed) takes the finding
// out of the report, with the statement's justification kept beside it.
package vex

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"

	"github.com/dozor-dev/dozor/vuln/match"
)

// Statuses that take a finding out.
const (
	NotAffected = "not_affected"
	Fixed       = "fixed"
)

// Statement says what a vulnerability means for some products.
type Statement struct {
	// Vulnerability is its ID (CVE, GHSA, ...) and aliases.
	Vulnerability []string `json:"vulnerability"`
	// Products are purls, with or without version and qualifiers; a
	// CycloneDX bom-ref's purl part ("urn:cdx:...#pkg:...") counts.
	Products []string `json:"products"`
	// Status is not_affected, affected, fixed or under_investigation (the
	// OpenVEX words; CycloneDX's states are mapped to them).
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
	// Source names the document and statement: "vex.json: statement 2".
	Source string `json:"source"`
}

// MaxSize bounds a document.
const MaxSize = 32 << 20

// Read reads an OpenVEX or CycloneDX VEX JSON document; name is for
// messages.
func Read(name string, data []byte) ([]Statement, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s: more than %d bytes", name, MaxSize)
	}
	var probe struct {
		Context   string `json:"@context"`
		BOMFormat string `json:"bomFormat"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case strings.HasPrefix(probe.Context, "https://openvex.dev/ns"):
		return readOpenVEX(name, data)
	case probe.BOMFormat == "CycloneDX":
		return readCycloneDX(name, data)
	}
	return nil, fmt.Errorf("%s: neither an OpenVEX document (@context https://openvex.dev/ns/...) nor a CycloneDX one", name)
}

func readOpenVEX(name string, data []byte) ([]Statement, error) {
	var doc struct {
		Statements []struct {
			Vulnerability struct {
				Name    string   `json:"name"`
				ID      string   `json:"@id"`
				Aliases []string `json:"aliases"`
			} `json:"vulnerability"`
			Products []struct {
				ID            string `json:"@id"`
				Subcomponents []struct {
					ID string `json:"@id"`
				} `json:"subcomponents"`
			} `json:"products"`
			Status          string `json:"status"`
			Justification   string `json:"justification"`
			ImpactStatement string `json:"impact_statement"`
		} `json:"statements"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var out []Statement
	for i, s := range doc.Statements {
		st := Statement{Status: s.Status, Justification: cmp.Or(s.Justification, s.ImpactStatement), Source: fmt.Sprintf("%s: statement %d", name, i+1)}
		st.Vulnerability = nonEmpty(append([]string{s.Vulnerability.Name, s.Vulnerability.ID}, s.Vulnerability.Aliases...))
		for _, p := range s.Products {
			// A product with subcomponents (an image and its packages)
			// speaks for the subcomponents.
			if len(p.Subcomponents) == 0 {
				st.Products = append(st.Products, p.ID)
			}
			for _, sc := range p.Subcomponents {
				st.Products = append(st.Products, sc.ID)
			}
		}
		if len(st.Vulnerability) == 0 || len(st.Products) == 0 {
			return nil, fmt.Errorf("%s: statement %d names no vulnerability or no product", name, i+1)
		}
		out = append(out, st)
	}
	return out, nil
}

// cdxStates maps CycloneDX's impact analysis states to OpenVEX's words.
var cdxStates = map[cdx.ImpactAnalysisState]string{
	cdx.IASNotAffected: NotAffected, cdx.IASFalsePositive: NotAffected, cdx.IASResolved: Fixed,
	cdx.IASResolvedWithPedigree: Fixed, cdx.IASExploitable: "affected", cdx.IASInTriage: "under_investigation",
}

func readCycloneDX(name string, data []byte) ([]Statement, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if bom.Vulnerabilities == nil {
		return nil, fmt.Errorf("%s: a CycloneDX document without vulnerabilities", name)
	}
	// bom-refs of the document's own components resolve to their purls.
	purls := map[string]string{}
	var walk func(cs *[]cdx.Component)
	walk = func(cs *[]cdx.Component) {
		if cs == nil {
			return
		}
		for _, c := range *cs {
			if c.BOMRef != "" && c.PackageURL != "" {
				purls[c.BOMRef] = c.PackageURL
			}
			walk(c.Components)
		}
	}
	walk(bom.Components)
	var out []Statement
	for i, v := range *bom.Vulnerabilities {
		if v.Analysis == nil {
			continue
		}
		st := Statement{Status: cdxStates[v.Analysis.State], Justification: cmp.Or(string(v.Analysis.Justification), v.Analysis.Detail),
			Source: fmt.Sprintf("%s: vulnerability %d", name, i+1), Vulnerability: nonEmpty([]string{v.ID})}
		if v.Affects != nil {
			for _, a := range *v.Affects {
				ref := a.Ref
				if p, ok := purls[ref]; ok {
					ref = p
				}
				st.Products = append(st.Products, ref)
			}
		}
		if len(st.Vulnerability) == 0 || len(st.Products) == 0 {
			return nil, fmt.Errorf("%s: vulnerability %d names no ID or affects nothing", name, i+1)
		}
		out = append(out, st)
	}
	return out, nil
}

// Suppressed is a finding a statement took out.
type Suppressed struct {
	match.Finding
	VEX Statement `json:"vex"`
}

// Apply takes out the findings a statement says are not affected or
// fixed; the last statement about a finding decides, as statements are
// read in order.
func Apply(statements []Statement, findings []match.Finding) (kept []match.Finding, out []Suppressed) {
	kept = []match.Finding{}
	for _, f := range findings {
		var decided *Statement
		for i := range statements {
			s := &statements[i]
			if about(s, &f) {
				decided = s
			}
		}
		if decided != nil && (decided.Status == NotAffected || decided.Status == Fixed) {
			out = append(out, Suppressed{Finding: f, VEX: *decided})
			continue
		}
		kept = append(kept, f)
	}
	return kept, out
}

// about reports whether s speaks of f: one of its vulnerability names is
// the finding's ID or one of its advisories, and one of its products is
// the package (by purl: type, namespace and name, and version when the
// product gives one).
func about(s *Statement, f *match.Finding) bool {
	named := false
	for _, v := range s.Vulnerability {
		if strings.EqualFold(v, f.ID) || slices.ContainsFunc(f.Advisories, func(a string) bool { return strings.EqualFold(a, v) }) {
			named = true
		}
	}
	if !named {
		return false
	}
	pkg, err := packageurl.FromString(f.Package.PURL)
	if err != nil {
		return false
	}
	for _, p := range s.Products {
		if i := strings.Index(p, "#pkg:"); i >= 0 {
			p = p[i+1:] // a CycloneDX BOM-Link
		}
		u, err := packageurl.FromString(p)
		if err != nil {
			continue
		}
		if u.Type == pkg.Type && u.Namespace == pkg.Namespace && u.Name == pkg.Name && (u.Version == "" || u.Version == pkg.Version) {
			return true
		}
	}
	return false
}

func nonEmpty(in []string) []string {
	var out []string
	for _, s := range in {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
