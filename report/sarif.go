package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"strings"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/scan"
)

// The SARIF types below are the small part of SARIF 2.1.0 that Dozor writes,
// with the properties GitHub code scanning reads. They are written here
// rather than taken from a SARIF library: a few dozen lines of structs are
// simpler to read and review than a dependency, and keep the output under
// our control (field order, omitted empties, deterministic bytes).
//
// Specification: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
// GitHub's subset: https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning

// SARIFSchema and SARIFVersion identify the SARIF format written.
const (
	SARIFSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	SARIFVersion = "2.1.0"
)

// InformationURI is the home page SARIF reports name for the tool.
const InformationURI = "https://github.com/dozor-dev/dozor"

// sarifFingerprintKey names Dozor's partial fingerprint. The version suffix
// changes if the hashed fields ever change, so platforms do not confuse old
// and new fingerprints.
const sarifFingerprintKey = "dozorFinding/v1"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	ColumnKind  string            `json:"columnKind"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string              `json:"id"`
	Name                 string              `json:"name"`
	ShortDescription     sarifText           `json:"shortDescription"`
	FullDescription      sarifText           `json:"fullDescription"`
	Help                 sarifHelp           `json:"help"`
	HelpURI              string              `json:"helpUri,omitempty"`
	DefaultConfiguration sarifRuleConfig     `json:"defaultConfiguration"`
	Properties           sarifRuleProperties `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

// sarifRuleProperties is the rule property bag. tags, security-severity and
// precision are read by GitHub; the rest are Dozor's.
type sarifRuleProperties struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity"`
	Precision        string   `json:"precision"`
	Severity         string   `json:"dozor-severity"`
	PSS              string   `json:"pss,omitempty"`
	CIS              []string `json:"cis,omitempty"`
	NSA              []string `json:"nsa,omitempty"`
	ThreatMatrix     []string `json:"threat-matrix,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	EndTimeUTC                 string              `json:"endTimeUtc,omitempty"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
	// ToolConfigurationNotifications carry warnings about exceptions that
	// expired or matched nothing.
	ToolConfigurationNotifications []sarifNotification `json:"toolConfigurationNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations,omitempty"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          *sarifResultProps  `json:"properties,omitempty"`
}

type sarifResultProps struct {
	Severity  string `json:"dozor-severity"`
	Path      string `json:"path,omitempty"`
	Container string `json:"container,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string                `json:"kind"`
	Status        string                `json:"status"`
	Justification string                `json:"justification"`
	Properties    sarifSuppressionProps `json:"properties"`
}

type sarifSuppressionProps struct {
	Source string `json:"source"`
}

// sarifLevel maps a severity onto SARIF's result levels.
func sarifLevel(s finding.Severity) string {
	switch s {
	case finding.Critical, finding.High:
		return "error"
	case finding.Medium:
		return "warning"
	}
	return "note"
}

// securitySeverity maps a severity onto GitHub's security-severity score
// (a CVSS-like number as a string). GitHub reads over 9.0 as critical,
// 7.0 to 8.9 as high, 4.0 to 6.9 as medium and 3.9 or less as low. Info is
// 1.0, not 0.0: GitHub shows a score of 0 as an "Error", not as low
// (github/docs#21221), and CVSS reserves 0.0 for "none".
func securitySeverity(s finding.Severity) string {
	switch s {
	case finding.Critical:
		return "9.5"
	case finding.High:
		return "8.0"
	case finding.Medium:
		return "5.5"
	case finding.Low:
		return "3.0"
	}
	return "1.0"
}

// SARIF writes a SARIF 2.1.0 log of one run, as GitHub code scanning
// accepts it: a rule for every check that ran (with GitHub's
// security-severity, tags and precision), a result for every finding shown
// (and, with ShowSuppressed, every suppressed one with its suppression), and
// input errors as tool execution notifications, which make the invocation
// unsuccessful. The output depends only on its inputs.
func SARIF(w io.Writer, res *scan.Result, opts Options) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "dozor",
			Version:        opts.ToolVersion,
			InformationURI: InformationURI,
			Rules:          []sarifRule{},
		}},
		Results:    []sarifResult{},
		ColumnKind: "unicodeCodePoints",
	}
	index := map[string]int{}
	addRule := func(r *finding.Rule) int {
		if i, ok := index[r.ID]; ok {
			return i
		}
		index[r.ID] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, newSARIFRule(r))
		return index[r.ID]
	}
	for _, c := range res.Checks {
		addRule(&c.Rule)
	}

	fingerprints := map[string]int{}
	add := func(f *finding.Finding) {
		r := sarifResult{
			RuleID:    f.Rule.ID,
			RuleIndex: addRule(f.Rule),
			Level:     sarifLevel(f.Severity),
			Message:   sarifText{Text: f.Object.String() + ": " + f.Message},
			Locations: []sarifLocation{findingLocation(f)},
			Properties: &sarifResultProps{
				Severity: f.Severity.String(), Path: f.Path, Container: f.Container,
			},
		}
		fp := fingerprint(f)
		// Two findings of one rule on one field of one object are rare; a
		// counter keeps their fingerprints apart.
		fingerprints[fp]++
		if n := fingerprints[fp]; n > 1 {
			fp = fmt.Sprintf("%s:%d", fp, n)
		}
		r.PartialFingerprints = map[string]string{sarifFingerprintKey: fp}
		if s := f.Suppressed; s != nil {
			kind := "external"
			if s.Kind == "annotation" {
				kind = "inSource"
			}
			r.Suppressions = []sarifSuppression{{
				Kind: kind, Status: "accepted", Justification: s.Reason,
				Properties: sarifSuppressionProps{Source: s.Source},
			}}
		}
		run.Results = append(run.Results, r)
	}
	shown := visible(res, opts)
	for i := range shown {
		add(&shown[i])
	}
	if opts.ShowSuppressed {
		for i := range res.Suppressed {
			add(&res.Suppressed[i])
		}
	}

	inv := sarifInvocation{ExecutionSuccessful: len(res.Errors) == 0}
	for _, g := range res.Gaps {
		level := "warning"
		if g.Kind == finding.GapFailed {
			level, inv.ExecutionSuccessful = "error", false
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications,
			sarifNotification{Level: level, Message: sarifText{Text: "not read: " + gapText(g)}})
	}
	if !opts.Generated.IsZero() {
		inv.EndTimeUTC = opts.Generated.UTC().Format("2006-01-02T15:04:05Z")
	}
	for _, e := range res.Errors {
		n := sarifNotification{Level: "error", Message: sarifText{Text: inputErrorText(e)}}
		if loc, ok := physicalLocation(e.Location); ok {
			n.Locations = []sarifLocation{{PhysicalLocation: loc}}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	for _, e := range res.ExpiredExceptions {
		inv.ToolConfigurationNotifications = append(inv.ToolConfigurationNotifications, sarifNotification{
			Level: "warning",
			Message: sarifText{Text: fmt.Sprintf("exception for %s (%s) expired on %s and no longer applies",
				strings.Join(e.Checks, ","), e.Source, e.Expires.UTC().Format("2006-01-02 15:04 MST"))},
		})
	}
	for _, e := range res.UnusedExceptions {
		inv.ToolConfigurationNotifications = append(inv.ToolConfigurationNotifications, sarifNotification{
			Level:   "note",
			Message: sarifText{Text: fmt.Sprintf("exception for %s (%s) matched no finding", strings.Join(e.Checks, ","), e.Source)},
		})
	}
	run.Invocations = []sarifInvocation{inv}

	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: SARIFVersion, Runs: []sarifRun{run}})
}

// newSARIFRule describes a rule for SARIF consumers.
func newSARIFRule(r *finding.Rule) sarifRule {
	tags := []string{"security", "kubernetes"}
	for _, t := range r.Tags {
		if t != "security" && t != "kubernetes" {
			tags = append(tags, t)
		}
	}
	sr := sarifRule{
		ID:               r.ID,
		Name:             r.Name,
		ShortDescription: sarifText{Text: r.Title},
		FullDescription:  sarifText{Text: r.Description},
		Help:             ruleHelp(r),
		DefaultConfiguration: sarifRuleConfig{
			Level: sarifLevel(r.Severity),
		},
		Properties: sarifRuleProperties{
			Tags:             tags,
			SecuritySeverity: securitySeverity(r.Severity),
			// Checks read the objects as the API server would, so what
			// they report is there; whether it matters is the severity.
			Precision:    "high",
			Severity:     r.Severity.String(),
			PSS:          r.Mappings.PSS,
			CIS:          r.Mappings.CIS,
			NSA:          r.Mappings.NSA,
			ThreatMatrix: r.Mappings.ThreatMatrix,
		},
	}
	if len(r.References) > 0 {
		sr.HelpURI = r.References[0]
	}
	return sr
}

// ruleHelp is the help text GitHub shows under an alert: what is wrong, how
// to fix it, the framework mappings and the references.
func ruleHelp(r *finding.Rule) sarifHelp {
	var text, md strings.Builder
	fmt.Fprintf(&text, "%s\n\nRemediation: %s\n", r.Description, r.Remediation)
	fmt.Fprintf(&md, "**%s** (%s, severity %s)\n\n%s\n\n**Remediation:** %s\n", r.Title, r.ID, r.Severity, r.Description, r.Remediation)
	c := &check.Check{Rule: *r}
	var mappings strings.Builder
	writeMappings(&mappings, c, "- ", "\n")
	if mappings.Len() > 0 {
		fmt.Fprintf(&text, "\n%s", mappings.String())
		fmt.Fprintf(&md, "\n%s", mappings.String())
	}
	if len(r.References) > 0 {
		text.WriteString("\nReferences:\n")
		md.WriteString("\n**References:**\n\n")
		for _, ref := range r.References {
			fmt.Fprintf(&text, "- %s\n", ref)
			fmt.Fprintf(&md, "- <%s>\n", ref)
		}
	}
	fmt.Fprintf(&text, "\nTo suppress it on one object, annotate the object: dozor.io/ignore: \"%s: <reason>\"", r.ID)
	fmt.Fprintf(&md, "\nTo suppress it on one object, annotate the object:\n\n```yaml\nmetadata:\n  annotations:\n    dozor.io/ignore: \"%s: <reason>\"\n```", r.ID)
	return sarifHelp{Text: text.String(), Markdown: md.String()}
}

// findingLocation is where a finding is: the file (and line, when it is a
// line of a file the user wrote), and the Kubernetes object.
func findingLocation(f *finding.Finding) sarifLocation {
	loc := sarifLocation{LogicalLocations: []sarifLogicalLocation{{
		Name:               f.Object.Name,
		FullyQualifiedName: f.Object.String(),
		Kind:               "resource",
	}}}
	if pl, ok := physicalLocation(f.Location); ok {
		loc.PhysicalLocation = pl
	}
	return loc
}

// physicalLocation turns a Location into a SARIF physical location: the
// file if there is one (for a rendered Helm object, File is the template's
// file), else the chart or kustomization directory. A Location's Line is
// always a line of File, a file the user wrote (rendered output has none).
func physicalLocation(l finding.Location) (*sarifPhysicalLocation, bool) {
	var p string
	switch {
	case l.File != "":
		p = l.File
	case l.Chart != "":
		p = l.Chart
	case l.Kustomization != "":
		p = l.Kustomization
	default:
		return nil, false
	}
	pl := &sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: artifactURI(p)}}
	if l.Line > 0 {
		pl.Region = &sarifRegion{StartLine: l.Line, StartColumn: l.Column}
	}
	return pl, true
}

// artifactURI turns a path as the user gave it into a URI reference:
// forward slashes, "./" dropped, special characters escaped. Relative paths
// stay relative (to the directory the scan ran in, which code-scanning
// platforms take as the repository root); absolute ones become file URIs.
func artifactURI(p string) string {
	abs := filepath.IsAbs(p)
	p = path.Clean(filepath.ToSlash(p))
	if abs {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // a Windows volume: file:///C:/...
		}
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	// url.URL writes "./" before a first segment with a colon, so that it
	// does not read as a scheme.
	return (&url.URL{Path: p}).String()
}

// fingerprint hashes what identifies a finding across runs: the rule, the
// object, the file and the field, but not the line, so that the fingerprint
// survives edits elsewhere in the file. The object's API version is left out
// too: moving a CronJob from batch/v1beta1 to batch/v1 is the same object.
func fingerprint(f *finding.Finding) string {
	h := sha256.New()
	for _, s := range []string{
		f.Rule.ID, f.Object.Kind, f.Object.Namespace, f.Object.Name,
		f.Location.File, f.Location.Chart, f.Location.Template, f.Location.Kustomization,
		f.Path, f.Container,
	} {
		_, _ = io.WriteString(h, s) // a hash never fails to write
		h.Write([]byte{0})
	}
	if f.Location.Cluster != "" {
		_, _ = io.WriteString(h, "cluster\x00"+f.Location.Cluster)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// inputErrorText is an input error's message with the object it concerns,
// and for rendered objects, where they came from.
func inputErrorText(e *finding.InputError) string {
	var b strings.Builder
	if e.Object != "" {
		b.WriteString(e.Object)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Location.Template != "" || e.Location.Chart != "" || e.Location.Kustomization != "" {
		fmt.Fprintf(&b, " (%s)", e.Location.String())
	}
	return b.String()
}
