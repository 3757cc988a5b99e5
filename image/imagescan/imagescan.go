// Package imagescan scans one image from end to end: its layers streamed
// once through the SBOM extractors and the evasion sniffer; the evasion
// checks, with the packages listed again as of the distribution the files
// say when os-release lies; the hardening checks; and, with a
// vulnerability database, the packages' vulnerabilities and the base OS's
// end of life. `dozor image` prints one report; `dozor scan cluster
// --images` scans each image a cluster runs and ties the findings to the
// workloads.
package imagescan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/image/evasion"
	"github.com/dozor-dev/dozor/image/hardening"
	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/sbom/extractors"
	"github.com/dozor-dev/dozor/vuln"
	"github.com/dozor-dev/dozor/vuln/match"
)

// Options say how to scan.
type Options struct {
	// Platform picks from a multi-platform image (default linux/amd64).
	Platform string
	// Keychain gives registry credentials (default: the Docker config).
	Keychain authn.Keychain
	// DB is the vulnerability database; nil leaves vulnerabilities and
	// end of life out.
	DB *vuln.DB
	// Now judges end of life (default time.Now).
	Now time.Time
}

// Report is what a scan found.
type Report struct {
	Image *image.Image
	Walk  *image.Walk
	// Packages are the SBOM.
	Packages []sbom.Package
	// FilesSay is the operating system the files say, when os-release is
	// missing or says another (the packages are as of this one).
	FilesSay map[string]string
	// Findings are the hardening, evasion and end-of-life findings.
	Findings []Finding
	// Vulnerabilities are the packages', worst first.
	Vulnerabilities []match.Finding
	// Errors are files an extractor could not read and packages the
	// database could not be asked about; the rest was scanned.
	Errors []error
}

// Finding is one finding about the image.
type Finding struct {
	Rule     *finding.Rule
	Severity finding.Severity
	Message  string
	// Evidence backs an evasion finding.
	Evidence []string
}

// Extractors are the SBOM extractors and the packed-executable sniffer
// the evasion checks read, run in one walk.
func Extractors() []sbom.Extractor {
	return append(extractors.All(), evasion.Sniffer{})
}

// Scan opens ref and scans it.
func Scan(ctx context.Context, ref string, o Options) (*Report, error) {
	im, err := image.Open(ctx, ref, image.Options{Platform: o.Platform, Keychain: o.Keychain})
	if err != nil {
		return nil, err
	}
	return ScanImage(ctx, im, o)
}

// ScanImage scans an image already opened.
func ScanImage(ctx context.Context, im *image.Image, o Options) (*Report, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	opts := image.Options{Platform: o.Platform, Keychain: o.Keychain,
		Keep: func(p string, size int64) bool { return hardening.Wants(p, size) || evasion.Wants(p, size) }}
	exs := Extractors()
	res, err := extractors.Run(ctx, im, opts, exs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", im.Ref, err)
	}
	r := &Report{Image: im, Walk: res.Walk, Packages: res.Packages, Errors: res.Errors}
	ev := evasion.Check(evasion.Input{Image: im, Walk: res.Walk, Packages: res.Packages})
	osr, _ := res.Walk.FS.OSRelease()
	if ev.OS != nil {
		r.FilesSay, osr = ev.OS, ev.OS
	}
	if len(ev.Hidden) > 0 {
		// Lockfiles hidden behind links or new names are read where they
		// belong; when their contents were not kept, the layers are read
		// again, keeping them.
		var missing []string
		for _, h := range ev.Hidden {
			if _, err := res.Walk.FS.ReadFile(h.Target); errors.Is(err, image.ErrNotKept) {
				missing = append(missing, h.Target)
			}
		}
		if len(missing) > 0 {
			again := opts
			again.Keep = func(p string, size int64) bool {
				return opts.Keep(p, size) || size < 8<<20 && slices.Contains(missing, p)
			}
			w, err := im.FS(ctx, extractors.Options(again, exs))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", im.Ref, err)
			}
			r.Walk = w
		}
		for _, h := range ev.Hidden {
			_ = r.Walk.FS.Alias(h.Name, h.Target)
		}
	}
	if ev.OS != nil || len(ev.Hidden) > 0 {
		again := extractors.Extract(r.Walk, osr, exs)
		r.Packages, r.Errors = again.Packages, again.Errors
	}
	for _, f := range hardening.Check(im, r.Walk.FS) {
		r.Findings = append(r.Findings, Finding{Rule: f.Rule, Severity: f.Severity, Message: f.Message})
	}
	for _, f := range ev.Findings {
		r.Findings = append(r.Findings, Finding{Rule: f.Rule, Severity: f.Severity, Message: f.Message, Evidence: f.Evidence})
	}
	if o.DB == nil {
		return r, nil
	}
	var errs []error
	r.Vulnerabilities, errs = match.Packages(o.DB, r.Packages)
	r.Errors = append(r.Errors, errs...)
	if osr != nil {
		for _, f := range hardening.Lifecycle(im, osr, o.DB.EOL, o.Now) {
			r.Findings = append(r.Findings, Finding{Rule: f.Rule, Severity: f.Severity, Message: f.Message})
		}
	}
	return r, nil
}

// RuleVulnerable is the finding of an image's vulnerabilities in a
// cluster scan, on each workload that runs it.
var RuleVulnerable = &finding.Rule{
	ID: "DZ-IMG-001", Name: "image-vulnerable",
	Title:    "Image has known vulnerabilities",
	Severity: finding.High,
	Description: "Packages of the image a container runs (OS packages matched by their source package in the distribution's " +
		"advisories, language packages and Go modules in their ecosystem's) are affected by published vulnerabilities. The finding " +
		"counts them by severity and names the worst, with the version that fixes it; its severity is the worst of them, and a " +
		"vulnerability in CISA's Known Exploited Vulnerabilities catalogue makes it at least high. `dozor image` lists them all.",
	Remediation: "Rebuild the image on an updated base and with updated dependencies; `dozor image REF` lists each vulnerability, " +
		"its package and layer, and the fixed version.",
	References: []string{"https://osv.dev/", "https://www.cisa.gov/known-exploited-vulnerabilities-catalog"},
	Tags:       []string{"image", "vulnerability", "live"},
}

// Rules are every rule of an image scan.
func Rules() []*finding.Rule {
	return append(append([]*finding.Rule{RuleVulnerable}, hardening.Rules()...), evasion.Rules()...)
}

// Checks are the rules as checks of a cluster scan: they look at images,
// not objects, so they have no Object function.
func Checks() []*check.Check {
	var out []*check.Check
	for _, r := range Rules() {
		out = append(out, &check.Check{Rule: *r, Kinds: []string{}})
	}
	return out
}

// Vulnerable sums the report's vulnerabilities up as one finding, or
// returns nil when there are none.
func (r *Report) Vulnerable() *Finding {
	if len(r.Vulnerabilities) == 0 {
		return nil
	}
	counts := map[string]int{}
	kev := []string{}
	for _, v := range r.Vulnerabilities {
		counts[v.Severity]++
		if v.KEV {
			kev = append(kev, v.ID)
		}
	}
	var parts []string
	for _, s := range []string{"critical", "high", "medium", "low", "unknown"} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	worst := r.Vulnerabilities[0]
	fixed := "no fix yet"
	if len(worst.Fixed) > 0 {
		fixed = "fixed in " + strings.Join(worst.Fixed, ", ")
	}
	msg := fmt.Sprintf("%d vulnerabilities (%s); worst: %s (%s) in %s %s, %s", len(r.Vulnerabilities), strings.Join(parts, ", "),
		worst.ID, worst.Severity, worst.Package.Name, worst.Package.Version, fixed)
	sev, err := finding.ParseSeverity(worst.Severity)
	if err != nil {
		sev = finding.Medium // unscored
	}
	if len(kev) > 0 {
		msg += "; known exploited: " + strings.Join(kev, ", ")
		sev = max(sev, finding.High)
	}
	return &Finding{Rule: RuleVulnerable, Severity: sev, Message: msg}
}
