// Package format writes an image's packages as CycloneDX 1.6 JSON and
// SPDX 2.3 JSON, through the projects' own Go libraries (cyclonedx-go,
// spdx/tools-golang), so that the documents are what their schemas say.
package format

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/vuln/match"
)

// Subject is what the document describes: an image.
type Subject struct {
	// Name is the image reference or path.
	Name string
	// Digest is the manifest digest; "" for a root file system.
	Digest string
	// ToolVersion is Dozor's version.
	ToolVersion string
	// Created stamps the document.
	Created time.Time
}

// bomRef is a package's unique reference within a document: its purl,
// and its location where the same purl is found in several places.
func bomRefs(pkgs []sbom.Package) []string {
	seen := map[string]int{}
	out := make([]string, len(pkgs))
	for i, p := range pkgs {
		ref := p.PURL
		if seen[ref] > 0 {
			ref += "#" + p.Location
		}
		seen[p.PURL]++
		out[i] = ref
	}
	return out
}

// WriteCycloneDX writes a CycloneDX 1.6 JSON BOM: the image as the
// metadata's component, each package a library component with its purl,
// licences, and where it was found (properties dozor:location and
// dozor:layer); and the vulnerabilities given, each with its rating,
// the versions that fix it and the components it affects.
func WriteCycloneDX(w io.Writer, s Subject, pkgs []sbom.Package, vulns ...match.Finding) error {
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + uuidOf(s, "cyclonedx")
	bom.Metadata = &cdx.Metadata{
		Timestamp: s.Created.UTC().Format(time.RFC3339),
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: "dozor", Version: s.ToolVersion}}},
		Component: &cdx.Component{BOMRef: "image", Type: cdx.ComponentTypeContainer, Name: s.Name, Version: s.Digest},
	}
	refs := bomRefs(pkgs)
	comps := make([]cdx.Component, 0, len(pkgs))
	deps := make([]string, 0, len(pkgs))
	for i, p := range pkgs {
		c := cdx.Component{BOMRef: refs[i], Type: cdx.ComponentTypeLibrary, Name: p.Name, Version: p.Version, PackageURL: p.PURL,
			Properties: &[]cdx.Property{{Name: "dozor:location", Value: p.Location}, {Name: "dozor:layer", Value: strconv.Itoa(p.Layer)},
				{Name: "dozor:extractor", Value: p.Extractor}}}
		if p.SourceName != "" && (p.SourceName != p.Name || p.SourceVersion != p.Version) {
			*c.Properties = append(*c.Properties, cdx.Property{Name: "dozor:source-package", Value: p.SourceName + " " + p.SourceVersion})
		}
		if len(p.Licenses) > 0 {
			lc := make(cdx.Licenses, 0, len(p.Licenses))
			for _, l := range p.Licenses {
				lc = append(lc, cdx.LicenseChoice{License: &cdx.License{Name: l}})
			}
			c.Licenses = &lc
		}
		comps = append(comps, c)
		deps = append(deps, refs[i])
	}
	bom.Components = &comps
	bom.Dependencies = &[]cdx.Dependency{{Ref: "image", Dependencies: &deps}}
	if len(vulns) > 0 {
		byPlace := map[string]string{}
		for i, p := range pkgs {
			byPlace[p.PURL+"\x00"+p.Location] = refs[i]
		}
		vs := make([]cdx.Vulnerability, 0, len(vulns))
		for i, v := range vulns {
			cv := cdx.Vulnerability{BOMRef: fmt.Sprintf("vuln-%d-%s", i, v.ID), ID: v.ID, Description: v.Summary,
				Affects: &[]cdx.Affects{{Ref: cmp.Or(byPlace[v.Package.PURL+"\x00"+v.Package.Location], v.Package.PURL)}}}
			rating := cdx.VulnerabilityRating{Severity: cdx.Severity(v.Severity)}
			if v.CVSS > 0 {
				score := v.CVSS
				rating.Score, rating.Vector, rating.Method = &score, v.Vector, cdx.ScoringMethodCVSSv31
				if strings.HasPrefix(v.Vector, "CVSS:3.0/") {
					rating.Method = cdx.ScoringMethodCVSSv3
				}
			}
			cv.Ratings = &[]cdx.VulnerabilityRating{rating}
			if len(v.Fixed) > 0 {
				cv.Recommendation = "Upgrade " + v.Package.Name + " to " + strings.Join(v.Fixed, " or ")
			}
			var props []cdx.Property
			for _, a := range v.Advisories {
				props = append(props, cdx.Property{Name: "dozor:advisory", Value: a})
			}
			if v.KEV {
				props = append(props, cdx.Property{Name: "dozor:kev", Value: "true"})
			}
			if v.EPSS > 0 {
				props = append(props, cdx.Property{Name: "dozor:epss", Value: strconv.FormatFloat(v.EPSS, 'f', -1, 64)})
			}
			if len(props) > 0 {
				cv.Properties = &props
			}
			vs = append(vs, cv)
		}
		bom.Vulnerabilities = &vs
	}
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	return enc.EncodeVersion(bom, cdx.SpecVersion1_6)
}

// WriteSPDX writes an SPDX 2.3 JSON document: the image as the package
// the document describes, which CONTAINS each package; purls are
// PACKAGE-MANAGER external references.
func WriteSPDX(w io.Writer, s Subject, pkgs []sbom.Package) error {
	doc := &spdx.Document{
		SPDXVersion: spdx.Version, DataLicense: spdx.DataLicense, SPDXIdentifier: "DOCUMENT",
		DocumentName:      s.Name,
		DocumentNamespace: "https://dozor.dev/spdx/" + safeID(s.Name) + "-" + uuidOf(s, "spdx"),
		CreationInfo: &spdx.CreationInfo{Created: s.Created.UTC().Format(time.RFC3339),
			Creators: []common.Creator{{CreatorType: "Tool", Creator: "dozor-" + s.ToolVersion}}},
	}
	image := &spdx.Package{PackageName: s.Name, PackageSPDXIdentifier: "image", PackageVersion: s.Digest,
		PackageDownloadLocation: "NOASSERTION", PrimaryPackagePurpose: "CONTAINER", PackageLicenseConcluded: "NOASSERTION",
		PackageLicenseDeclared: "NOASSERTION", PackageCopyrightText: "NOASSERTION"}
	doc.Packages = append(doc.Packages, image)
	doc.Relationships = append(doc.Relationships, &spdx.Relationship{RefA: common.MakeDocElementID("", "DOCUMENT"),
		RefB: common.MakeDocElementID("", "image"), Relationship: common.TypeRelationshipDescribe})
	for i, p := range pkgs {
		id := common.ElementID(fmt.Sprintf("package-%d-%s", i, safeID(p.Name)))
		sp := &spdx.Package{PackageName: p.Name, PackageSPDXIdentifier: id, PackageVersion: p.Version,
			PackageDownloadLocation: "NOASSERTION", PackageLicenseConcluded: "NOASSERTION", PackageLicenseDeclared: "NOASSERTION",
			PackageCopyrightText: "NOASSERTION", PrimaryPackagePurpose: "LIBRARY",
			PackageSourceInfo: fmt.Sprintf("found in %s (layer %d) by %s", p.Location, p.Layer, p.Extractor)}
		if p.PURL != "" {
			sp.PackageExternalReferences = []*spdx.PackageExternalReference{{Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: p.PURL}}
		}
		doc.Packages = append(doc.Packages, sp)
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{RefA: common.MakeDocElementID("", "image"),
			RefB: common.MakeDocElementID("", string(id)), Relationship: common.TypeRelationshipContains})
	}
	return spdxjson.Write(doc, w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false))
}

// safeID keeps the characters an SPDX identifier may hold.
func safeID(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

// uuidOf is a version-5-style UUID of the subject and time: the same
// image scanned at the same moment names the same document.
func uuidOf(s Subject, kind string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + s.Name + "\x00" + s.Digest + "\x00" + s.Created.UTC().Format(time.RFC3339Nano)))
	u := h[:16]
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	x := hex.EncodeToString(u)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
