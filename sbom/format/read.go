package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/tagvalue"

	"github.com/dozor-dev/dozor/sbom"
)

// MaxDocument bounds an SBOM document read.
const MaxDocument = 256 << 20

// Document is an SBOM read: its format, what it describes, and its
// packages (those with a purl: what can be matched).
type Document struct {
	Format  string
	Subject string
	// Packages are the components or packages with a purl.
	Packages []sbom.Package
	// WithoutPURL counts the others.
	WithoutPURL int
}

// Read reads a CycloneDX (JSON or XML) or SPDX (JSON or tag-value)
// document, whoever wrote it: source packages come from the purl's
// upstream qualifier (Syft's) or from Dozor's and Trivy's properties.
func Read(data []byte) (*Document, error) {
	if len(data) > MaxDocument {
		return nil, fmt.Errorf("more than %d bytes", MaxDocument)
	}
	trimmed := bytes.TrimSpace(data)
	switch {
	case bytes.HasPrefix(trimmed, []byte("{")):
		var probe struct {
			BOMFormat   string `json:"bomFormat"`
			SPDXVersion string `json:"spdxVersion"`
		}
		if err := json.Unmarshal(trimmed, &probe); err != nil {
			return nil, err
		}
		switch {
		case probe.BOMFormat == "CycloneDX":
			return readCycloneDX(trimmed, cdx.BOMFileFormatJSON)
		case probe.SPDXVersion != "":
			doc, err := spdxjson.Read(bytes.NewReader(trimmed))
			if err != nil {
				return nil, err
			}
			return fromSPDX(doc, "SPDX "+strings.TrimPrefix(probe.SPDXVersion, "SPDX-")+" JSON"), nil
		}
		return nil, errors.New("a JSON document that is neither CycloneDX (bomFormat) nor SPDX (spdxVersion)")
	case bytes.HasPrefix(trimmed, []byte("<")):
		return readCycloneDX(trimmed, cdx.BOMFileFormatXML)
	case bytes.HasPrefix(trimmed, []byte("SPDXVersion:")):
		doc, err := tagvalue.Read(bytes.NewReader(trimmed))
		if err != nil {
			return nil, err
		}
		return fromSPDX(doc, "SPDX tag-value"), nil
	}
	return nil, errors.New("not a CycloneDX (JSON, XML) or SPDX (JSON, tag-value) document")
}

func readCycloneDX(data []byte, f cdx.BOMFileFormat) (*Document, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), f).Decode(&bom); err != nil {
		return nil, err
	}
	version := bom.SpecVersion.String()
	if bom.SpecVersion == 0 {
		// XML says its version in its namespace.
		version = bom.XMLNS[strings.LastIndex(bom.XMLNS, "/")+1:]
	}
	d := &Document{Format: strings.TrimSpace("CycloneDX " + version)}
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		d.Subject = strings.TrimSpace(bom.Metadata.Component.Name + " " + bom.Metadata.Component.Version)
	}
	var walk func(cs *[]cdx.Component, depth int)
	walk = func(cs *[]cdx.Component, depth int) {
		if cs == nil || depth > 32 {
			return
		}
		for _, c := range *cs {
			props := map[string]string{}
			if c.Properties != nil {
				for _, p := range *c.Properties {
					props[p.Name] = p.Value
				}
			}
			if p, ok := fromPURL(c.PackageURL, props); ok {
				d.Packages = append(d.Packages, p)
			} else if c.Type != cdx.ComponentTypeOS && c.Type != cdx.ComponentTypeContainer {
				d.WithoutPURL++
			}
			walk(c.Components, depth+1)
		}
	}
	walk(bom.Components, 0)
	sbom.Sort(d.Packages)
	return d, nil
}

func fromSPDX(doc *spdx.Document, format string) *Document {
	d := &Document{Format: format, Subject: doc.DocumentName}
	for _, p := range doc.Packages {
		purl := ""
		for _, r := range p.PackageExternalReferences {
			if r.RefType == "purl" {
				purl = r.Locator
			}
		}
		if pkg, ok := fromPURL(purl, nil); ok {
			if len(pkg.Licenses) == 0 && p.PackageLicenseDeclared != "" && p.PackageLicenseDeclared != "NOASSERTION" && p.PackageLicenseDeclared != "NONE" {
				pkg.Licenses = []string{p.PackageLicenseDeclared}
			}
			d.Packages = append(d.Packages, pkg)
		} else if p.PrimaryPackagePurpose != "CONTAINER" && p.PrimaryPackagePurpose != "OPERATING-SYSTEM" {
			d.WithoutPURL++
		}
	}
	sbom.Sort(d.Packages)
	return d
}

// fromPURL makes a package of a purl and the component's properties.
func fromPURL(purl string, props map[string]string) (sbom.Package, bool) {
	if purl == "" {
		return sbom.Package{}, false
	}
	u, err := packageurl.FromString(purl)
	if err != nil || u.Name == "" || u.Version == "" {
		return sbom.Package{}, false
	}
	q := u.Qualifiers.Map()
	p := sbom.Package{Type: u.Type, Name: u.Name, Version: u.Version, PURL: purl, Arch: q["arch"], Layer: -1,
		Location: props["dozor:location"], Extractor: "sbom"}
	switch {
	case u.Namespace == "" || u.Type == packageurl.TypeDebian || u.Type == packageurl.TypeApk || u.Type == packageurl.TypeRPM:
	case u.Type == packageurl.TypeMaven:
		p.Name = u.Namespace + ":" + u.Name
	default:
		p.Name = u.Namespace + "/" + u.Name
	}
	// The source package: Syft's upstream qualifier ("openssl" or
	// "openssl@3.0.11-1"), Dozor's property, Trivy's.
	if up := q["upstream"]; up != "" {
		name, version, _ := strings.Cut(up, "@")
		p.SourceName, p.SourceVersion = name, version
	}
	if src := props["dozor:source-package"]; src != "" {
		p.SourceName, p.SourceVersion, _ = strings.Cut(src, " ")
	}
	if src := props["aquasecurity:trivy:SrcName"]; src != "" {
		p.SourceName, p.SourceVersion = src, props["aquasecurity:trivy:SrcVersion"]
		if r := props["aquasecurity:trivy:SrcRelease"]; r != "" {
			p.SourceVersion += "-" + r
		}
		if e := props["aquasecurity:trivy:SrcEpoch"]; e != "" && e != "0" {
			p.SourceVersion = e + ":" + p.SourceVersion
		}
	}
	if p.SourceName != "" && p.SourceVersion == "" {
		p.SourceVersion = p.Version
	}
	return p, true
}
