// Command sbomcmp compares the CycloneDX SBOMs that Dozor, Syft and Trivy
// wrote for one root file system or image: it counts each one's components
// by purl type, and reports how many of Syft's and of Trivy's (name,
// version) pairs of the compared types (deb and golang by default) Dozor
// also has, with the first ones it misses.
//
//	go run ./bench/images/sbomcmp -dozor D.json -syft S.json -trivy T.json
//
// A pair is the purl's namespace/name and its version, as the purl says
// (percent-decoded; a deb purl's epoch qualifier is put back in front of
// the version, "1:2.3-4", since Trivy carries the epoch that way and Syft
// in the version). Go's standard library is the one exception: Syft
// writes its version "go1.26.8" and Trivy "v1.26.8", so for the module
// "stdlib" a leading "go" or "v" is dropped before comparing.
package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"
)

type component struct {
	Type       string      `json:"type"`
	Name       string      `json:"name"`
	Version    string      `json:"version"`
	PURL       string      `json:"purl"`
	Components []component `json:"components"`
}

type bom struct {
	Components []component `json:"components"`
}

// pair is one package of one purl type.
type pair struct{ name, version string }

func (p pair) String() string { return p.name + "@" + p.version }

// sbom is what one tool found: every component's purl type counted, and
// the distinct pairs of each type.
type sbom struct {
	tool   string
	counts map[string]int
	pairs  map[string]map[pair]bool
	// bad are components with no purl or one that does not parse.
	bad int
	// figures are the tool's wall time and peak RSS, as -times says.
	figures string
}

func read(tool, path string) (*sbom, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bom
	if err := json.NewDecoder(f).Decode(&b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := &sbom{tool: tool, counts: map[string]int{}, pairs: map[string]map[pair]bool{}}
	var walk func([]component)
	walk = func(cs []component) {
		for _, c := range cs {
			walk(c.Components)
			if c.PURL == "" {
				if c.Type == "library" {
					s.bad++
				}
				continue
			}
			p, err := packageurl.FromString(c.PURL)
			if err != nil {
				s.bad++
				continue
			}
			s.counts[p.Type]++
			if s.pairs[p.Type] == nil {
				s.pairs[p.Type] = map[pair]bool{}
			}
			s.pairs[p.Type][key(p)] = true
		}
	}
	walk(b.Components)
	return s, nil
}

// key is the (name, version) pair of a purl, as the package comment says.
func key(p packageurl.PackageURL) pair {
	name := p.Name
	if p.Namespace != "" && p.Type == packageurl.TypeGolang {
		name = p.Namespace + "/" + p.Name
	}
	v := p.Version
	if e := p.Qualifiers.Map()["epoch"]; e != "" && e != "0" && !strings.Contains(v, ":") {
		v = e + ":" + v
	}
	if p.Type == packageurl.TypeGolang && name == "stdlib" {
		v = strings.TrimPrefix(strings.TrimPrefix(v, "go"), "v")
	}
	return pair{name, v}
}

func main() {
	var (
		dozorPath, syftPath, trivyPath string
		types                          string
		misses                         int
		timesPath                      string
	)
	flag.StringVar(&dozorPath, "dozor", "", "Dozor's CycloneDX JSON")
	flag.StringVar(&syftPath, "syft", "", "Syft's CycloneDX JSON")
	flag.StringVar(&trivyPath, "trivy", "", "Trivy's CycloneDX JSON")
	flag.StringVar(&types, "types", "deb,golang", "the purl types compared, comma-separated")
	flag.IntVar(&misses, "misses", 10, "how many misses to list per type and tool")
	flag.StringVar(&timesPath, "times", "", "a file of lines \"TOOL SECONDS PEAK-RSS-KB CPU%\" (/usr/bin/time's %e %M %P) for the table")
	flag.Parse()
	if dozorPath == "" || (syftPath == "" && trivyPath == "") {
		fmt.Fprintln(os.Stderr, "usage: sbomcmp -dozor FILE [-syft FILE] [-trivy FILE] [-types deb,golang] [-misses N]")
		os.Exit(2)
	}
	var sboms []*sbom
	for _, t := range []struct{ tool, path string }{{"dozor", dozorPath}, {"syft", syftPath}, {"trivy", trivyPath}} {
		if t.path == "" {
			continue
		}
		s, err := read(t.tool, t.path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sbomcmp:", err)
			os.Exit(1)
		}
		sboms = append(sboms, s)
	}
	if timesPath != "" {
		if err := readTimes(timesPath, sboms); err != nil {
			fmt.Fprintln(os.Stderr, "sbomcmp:", err)
			os.Exit(1)
		}
	}
	report(os.Stdout, sboms, strings.Split(types, ","), misses)
}

// report prints the counts of every tool, then Dozor's (the first) coverage
// of each other's pairs of the compared types.
func report(w io.Writer, sboms []*sbom, types []string, misses int) {
	fmt.Fprintf(w, "%-6s %8s %11s %5s  %s\n", "tool", "wall s", "peak RSS MB", "CPU", "components by purl type (distinct name@version)")
	for _, s := range sboms {
		var ts []string
		for t := range s.counts {
			ts = append(ts, t)
		}
		slices.SortFunc(ts, func(a, b string) int { return cmp.Or(cmp.Compare(s.counts[b], s.counts[a]), cmp.Compare(a, b)) })
		var parts []string
		for _, t := range ts {
			parts = append(parts, fmt.Sprintf("%s %d (%d)", t, s.counts[t], len(s.pairs[t])))
		}
		if s.bad > 0 {
			parts = append(parts, fmt.Sprintf("no or bad purl %d", s.bad))
		}
		fmt.Fprintf(w, "%-6s %26s  %s\n", s.tool, s.figures, strings.Join(parts, ", "))
	}
	dozor := sboms[0]
	for _, other := range sboms[1:] {
		allHave, allWant := 0, 0
		for _, t := range types {
			want := other.pairs[t]
			have := dozor.pairs[t]
			var miss []pair
			for p := range want {
				if !have[p] {
					miss = append(miss, p)
				}
			}
			// Those with a version first: the others are listed by name only.
			slices.SortFunc(miss, func(a, b pair) int {
				return cmp.Or(cmp.Compare(btoi(a.version == ""), btoi(b.version == "")), cmp.Compare(a.name, b.name), cmp.Compare(a.version, b.version))
			})
			n := len(want) - len(miss)
			allHave += n
			allWant += len(want)
			fmt.Fprintf(w, "dozor has %d of %s's %d %s packages (%s)", n, other.tool, len(want), t, pct(n, len(want)))
			if len(miss) == 0 {
				fmt.Fprintln(w)
				continue
			}
			unversioned := 0
			for _, p := range miss {
				if p.version == "" {
					unversioned++
				}
			}
			fmt.Fprintf(w, "; misses %d", len(miss))
			if unversioned > 0 {
				fmt.Fprintf(w, ", %d of them with no version in %s's purl", unversioned, other.tool)
			}
			fmt.Fprintln(w, ":")
			for i, p := range miss {
				if i == misses {
					fmt.Fprintf(w, "    ... and %d more\n", len(miss)-misses)
					break
				}
				fmt.Fprintf(w, "    %s%s\n", p, otherVersions(have, p))
			}
		}
		extra := 0
		for _, t := range types {
			for p := range dozor.pairs[t] {
				if !other.pairs[t][p] {
					extra++
				}
			}
		}
		fmt.Fprintf(w, "dozor has %d of %s's %d %s packages in all (%s); %d that %s has not\n",
			allHave, other.tool, allWant, strings.Join(types, "+"), pct(allHave, allWant), extra, other.tool)
	}
}

// otherVersions says which versions Dozor has of a package it misses at
// the version another tool found.
func otherVersions(have map[pair]bool, p pair) string {
	var vs []string
	for q := range have {
		if q.name == p.name {
			vs = append(vs, q.version)
		}
	}
	if len(vs) == 0 {
		return "  (not found)"
	}
	slices.Sort(vs)
	return "  (dozor: " + strings.Join(vs, ", ") + ")"
}

// readTimes reads the figures of each tool.
func readTimes(path string, sboms []*sbom) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for line := range strings.Lines(string(b)) {
		var tool, cpu string
		var secs float64
		var kb int64
		if _, err := fmt.Sscan(line, &tool, &secs, &kb, &cpu); err != nil {
			return fmt.Errorf("%s: %q: %w", path, line, err)
		}
		for _, s := range sboms {
			if s.tool == tool {
				s.figures = fmt.Sprintf("%8.2f %11d %5s", secs, kb/1024, cpu)
			}
		}
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func pct(n, d int) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(d))
}
