package ruby_test

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/sbom/extractors"
	"github.com/dozor-dev/dozor/sbom/lang/ruby"
	"github.com/dozor-dev/dozor/sbom/sbomtest"
)

// scan runs the extractor alone over an image of one layer per list of
// entries.
func scan(t *testing.T, layers ...[]imagetest.Entry) *extractors.Result {
	t.Helper()
	return sbomtest.With(t, sbomtest.Layers(t, layers...), ruby.New())
}

// lines is each package as "PURL LICENCES LOCATION LAYER", sorted.
func lines(pkgs []sbom.Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, strings.Join([]string{p.PURL, strings.Join(p.Licenses, "|"), p.Location, strconv.Itoa(p.Layer)}, " "))
	}
	slices.Sort(out)
	return out
}

func errorStrings(errs []error) []string {
	var out []string
	for _, err := range errs {
		out = append(out, err.Error())
	}
	slices.Sort(out)
	return out
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	return sbomtest.Testdata(t, name)
}

// TestGemspecs reads real gem specifications (testdata/README.md): two
// Debian packages ship, in the directories they install them to, and four
// `gem install` wrote. Each gem's name, version and platform are those
// RubyGems names its file by.
func TestGemspecs(t *testing.T) {
	dirs := map[string]string{
		"debian/rack-2.2.22.gemspec":      "usr/share/rubygems-integration/all/specifications",
		"debian/nokogiri-1.13.10.gemspec": "usr/lib/x86_64-linux-gnu/rubygems-integration/3.1.0/specifications",
	}
	files, _ := filepath.Glob("testdata/*/*.gemspec")
	if len(files) != 6 {
		t.Fatalf("%d gemspecs in testdata", len(files))
	}
	var entries []imagetest.Entry
	var want []string
	for _, f := range files {
		rel := strings.TrimPrefix(filepath.ToSlash(f), "testdata/")
		dir, ok := dirs[rel]
		if !ok {
			dir = "usr/local/bundle/specifications"
		}
		p := dir + "/" + filepath.Base(f)
		entries = append(entries, imagetest.File(p, testdata(t, rel)))
		// NAME-VERSION[-PLATFORM].gemspec; names have dashes, versions
		// none, platforms start with a letter after the version.
		stem := strings.TrimSuffix(filepath.Base(f), ".gemspec")
		els := strings.Split(stem, "-")
		i := len(els) - 1
		for ; i > 0; i-- {
			if c := els[i][0]; c >= '0' && c <= '9' {
				break
			}
		}
		name, version, platform := strings.Join(els[:i], "-"), els[i], strings.Join(els[i+1:], "-")
		purl := "pkg:gem/" + name + "@" + version
		if platform != "" {
			purl += "?platform=" + platform
		}
		want = append(want, purl+" /"+p)
	}
	slices.Sort(want)
	res := scan(t, entries)
	if len(res.Errors) > 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	var got []string
	licenses := map[string]string{}
	for _, p := range res.Packages {
		got = append(got, p.PURL+" "+p.Location)
		licenses[p.Name] = strings.Join(p.Licenses, "|")
		if p.Type != "gem" || p.Extractor != "ruby" || p.Layer != 0 {
			t.Errorf("%+v", p)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Got() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The licences the files state.
	wantLicenses := map[string]string{"rack": "MIT", "nokogiri": "MIT", "racc": "Ruby|BSD-2-Clause", "rspec-core": "MIT"}
	for name, l := range wantLicenses {
		if licenses[name] != l {
			t.Errorf("%s: licences %q, want %q", name, licenses[name], l)
		}
	}
}

// TestGemspecForms reads the literal forms older RubyGems wrote, the
// default gems' directory, and reports broken specifications by line.
func TestGemspecForms(t *testing.T) {
	res := scan(t, []imagetest.Entry{
		imagetest.File("usr/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec",
			"# stub: json 2.6.3 ruby lib\nGem::Specification.new do |s|\n  s.name = \"json\".freeze\n  s.version = \"2.6.3\"\n  s.licenses = [\"Ruby\".freeze]\nend\n"),
		imagetest.File("var/lib/gems/1.9.1/specifications/rake-0.9.2.gemspec",
			"Gem::Specification.new do |s|\n  s.name = %q{rake}\n  s.version = \"0.9.2\"\n  s.license = 'MIT'\n  s.platform = %q<ruby>\nend\n"),
		imagetest.File("usr/local/bundle/specifications/broken-1.0.gemspec",
			"Gem::Specification.new do |s|\n  s.name = \"broken\".freeze\n  s.version = Gem::Version.new(\"1.0\")\nend\n"),
		imagetest.File("usr/local/bundle/specifications/noversion-1.0.gemspec", "s.name = \"noversion\"\n"),
		imagetest.File("usr/local/bundle/gems/rack-2.2.4/rack.gemspec", "s.name = \"notread\"\ns.version = \"1\"\n"),
	})
	want := []string{
		"pkg:gem/json@2.6.3 Ruby /usr/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec 0",
		"pkg:gem/rake@0.9.2 MIT /var/lib/gems/1.9.1/specifications/rake-0.9.2.gemspec 0",
	}
	if got := lines(res.Packages); !slices.Equal(got, want) {
		t.Errorf("Got() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantErrs := []string{
		`/usr/local/bundle/specifications/broken-1.0.gemspec: line 3: s.version: not a string literal: "Gem::Version.new(\"1.0\")"`,
		"/usr/local/bundle/specifications/noversion-1.0.gemspec: no s.version",
	}
	if got := errorStrings(res.Errors); !slices.Equal(got, wantErrs) {
		t.Errorf("errors:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantErrs, "\n"))
	}
}

// TestGemfileLock reads the lockfile Bundler wrote (testdata/README.md):
// its GEM section's gems, a platform gem with its platform, not the PATH
// gem. A fixture in Bundler 2.5's shape (two gem servers, a CHECKSUMS
// section: no Bundler of that version here) and a broken one follow;
// an installed gem's own lockfile is not read.
func TestGemfileLock(t *testing.T) {
	bundler25 := `GIT
  remote: https://github.com/rails/rails.git
  revision: 0f8d2e1e1a
  branch: main
  specs:
    rails (7.2.0.alpha)

GEM
  remote: https://rubygems.org/
  specs:
    concurrent-ruby (1.2.3)
    nokogiri (1.16.2-aarch64-linux)
      racc (~> 1.4)
    nokogiri (1.16.2-x86_64-linux)
      racc (~> 1.4)
    racc (1.7.3)

GEM
  remote: https://gems.example.com/
  specs:
    private-gem (0.3.1)

PLATFORMS
  aarch64-linux
  x86_64-linux

DEPENDENCIES
  nokogiri
  private-gem!
  rails!

CHECKSUMS
  concurrent-ruby (1.2.3) sha256=82fdd3f8a0816e28d513e637bb2b90a45d7b982bdf4f3a0511722d2e495801e2
  racc (1.7.3) sha256=b785ab8a30ec43bce073c51dbbe791fd27000f68d1c996c95da98bf685316905

BUNDLED WITH
   2.5.6
`
	broken := "GEM\r\n  remote: https://rubygems.org/\r\n  specs:\r\n    rack (2.2.4)\r\n    rack 2.2.5\r\n    (1.0)\r\n    puma (6.4.2)\r\n"
	res := scan(t, []imagetest.Entry{
		imagetest.File("app/Gemfile.lock", testdata(t, "Gemfile.lock")),
		imagetest.File("srv/api/Gemfile.lock", bundler25),
		imagetest.File("srv/broken/gems.locked", broken),
		imagetest.Dir("usr/local/bundle/specifications"),
		imagetest.File("usr/local/bundle/gems/rack-2.2.4/Gemfile.lock", "GEM\n  specs:\n    notread (1.0)\n"),
		imagetest.File("usr/local/bundle/bundler/gems/rails-0f8d2e1e1a/Gemfile.lock", "GEM\n  specs:\n    notread (1.0)\n"),
	})
	want := []string{
		"pkg:gem/concurrent-ruby@1.2.3  /srv/api/Gemfile.lock 0",
		"pkg:gem/nokogiri@1.15.4?platform=x86_64-linux  /app/Gemfile.lock 0",
		"pkg:gem/nokogiri@1.16.2?platform=aarch64-linux  /srv/api/Gemfile.lock 0",
		"pkg:gem/nokogiri@1.16.2?platform=x86_64-linux  /srv/api/Gemfile.lock 0",
		"pkg:gem/private-gem@0.3.1  /srv/api/Gemfile.lock 0",
		"pkg:gem/puma@6.4.2  /srv/broken/gems.locked 0",
		"pkg:gem/racc@1.7.1  /app/Gemfile.lock 0",
		"pkg:gem/racc@1.7.3  /srv/api/Gemfile.lock 0",
		"pkg:gem/rack@2.2.4  /app/Gemfile.lock 0",
		"pkg:gem/rack@2.2.4  /srv/broken/gems.locked 0",
		"pkg:gem/rspec-core@3.12.2  /app/Gemfile.lock 0",
	}
	if got := lines(res.Packages); !slices.Equal(got, want) {
		t.Errorf("Got() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantErrs := []string{
		`/srv/broken/gems.locked: line 5: not a gem: "    rack 2.2.5"`,
		`/srv/broken/gems.locked: line 6: not a gem: "    (1.0)"`,
	}
	if got := errorStrings(res.Errors); !slices.Equal(got, wantErrs) {
		t.Errorf("errors:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantErrs, "\n"))
	}
}

// TestWants keeps only specifications and lockfiles, under 8 MiB.
func TestWants(t *testing.T) {
	e := ruby.New()
	for p, want := range map[string]bool{
		"usr/local/bundle/specifications/rack-2.2.4.gemspec":                true,
		"usr/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec": true,
		"usr/local/bundle/gems/rack-2.2.4/rack.gemspec":                     false,
		"app/rack.gemspec": false,
		"usr/local/bundle/specifications/rack-2.2.4.gemspec.bak": false,
		"app/Gemfile.lock": true,
		"app/gems.locked":  true,
		"app/Gemfile":      false,
		"usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec": true,
	} {
		if got := e.Wants(p, 100); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
	if e.Wants("app/Gemfile.lock", 8<<20) {
		t.Error("Wants an 8 MiB file")
	}
}
