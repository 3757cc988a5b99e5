package php_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/sbom/extractors"
	"github.com/dozor-dev/dozor/sbom/lang/php"
	"github.com/dozor-dev/dozor/sbom/sbomtest"
)

// scan runs the extractor alone over an image of one layer of entries.
func scan(t *testing.T, entries ...imagetest.Entry) *extractors.Result {
	t.Helper()
	return sbomtest.With(t, sbomtest.Layers(t, entries), php.New())
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

func testdata(t *testing.T, name string) string {
	t.Helper()
	return sbomtest.Testdata(t, name)
}

// TestComposer reads the composer.lock and installed.json Composer 2
// wrote (testdata/README.md), a Composer 1 installed.json (a fixture in
// its shape: no Composer 1 here; the second licence a string, as
// composer.json allows), and reports broken files; a package's own
// composer.lock in vendor is not read.
func TestComposer(t *testing.T) {
	composer1 := `[
    {
        "name": "monolog/monolog",
        "version": "1.27.1",
        "version_normalized": "1.27.1.0",
        "source": {
            "type": "git",
            "url": "https://github.com/Seldaek/monolog.git",
            "reference": "904713c5929655dc9b97288b69cfeedad610c9a1"
        },
        "require": {
            "php": ">=5.3.0",
            "psr/log": "~1.0"
        },
        "time": "2022-06-09T08:53:42+00:00",
        "type": "library",
        "installation-source": "dist",
        "license": [
            "MIT"
        ],
        "description": "Sends your logs to files, sockets, inboxes, databases and various web services"
    },
    {
        "name": "psr/log",
        "version": "1.1.4",
        "version_normalized": "1.1.4.0",
        "type": "library",
        "installation-source": "dist",
        "license": "MIT"
    }
]
`
	res := scan(t,
		imagetest.File("var/www/app/composer.lock", testdata(t, "composer.lock")),
		imagetest.File("var/www/app/vendor/composer/installed.json", testdata(t, "installed.json")),
		imagetest.File("var/www/app/vendor/psr/log/composer.lock", `{"packages": [{"name": "not/read", "version": "1.0"}]}`),
		imagetest.File("srv/legacy/vendor/composer/installed.json", composer1),
		imagetest.File("srv/broken/composer.lock", `{"packages": [`),
		imagetest.File("srv/other/composer.lock", `{"name": "acme/app"}`),
		imagetest.File("srv/noname/composer.lock", `{"packages": [{"name": "novendor", "version": "1.0"}]}`),
	)
	want := []string{
		"pkg:composer/guzzlehttp/psr7@2.6.1 MIT /var/www/app/composer.lock 0",
		"pkg:composer/guzzlehttp/psr7@2.6.1 MIT /var/www/app/vendor/composer/installed.json 0",
		"pkg:composer/monolog/monolog@1.27.1 MIT /srv/legacy/vendor/composer/installed.json 0",
		"pkg:composer/phpunit/php-timer@6.0.0 BSD-3-Clause /var/www/app/composer.lock 0",
		"pkg:composer/phpunit/php-timer@6.0.0 BSD-3-Clause /var/www/app/vendor/composer/installed.json 0",
		"pkg:composer/psr/log@1.1.4 MIT /srv/legacy/vendor/composer/installed.json 0",
		"pkg:composer/psr/log@3.0.0 MIT /var/www/app/composer.lock 0",
		"pkg:composer/psr/log@3.0.0 MIT /var/www/app/vendor/composer/installed.json 0",
	}
	if got := lines(res.Packages); !slices.Equal(got, want) {
		t.Errorf("Got() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var errs []string
	for _, err := range res.Errors {
		errs = append(errs, err.Error())
	}
	slices.Sort(errs)
	wantErrs := []string{
		"/srv/broken/composer.lock: unexpected end of JSON input",
		`/srv/noname/composer.lock: a package named "novendor", version "1.0": not vendor/name@version`,
		"/srv/other/composer.lock: no packages: not a composer.lock",
	}
	if !slices.Equal(errs, wantErrs) {
		t.Errorf("errors:\n%s\nwant\n%s", strings.Join(errs, "\n"), strings.Join(wantErrs, "\n"))
	}
	for _, p := range res.Packages {
		if p.Type != "composer" || p.Extractor != "php" || !strings.Contains(p.Name, "/") {
			t.Errorf("%+v", p)
		}
	}
}

// TestWants keeps only composer.lock and installed.json, under 8 MiB.
func TestWants(t *testing.T) {
	e := php.New()
	for p, want := range map[string]bool{
		"app/composer.lock":                          true,
		"app/composer.json":                          false,
		"app/vendor/composer/installed.json":         true,
		"app/vendor/composer/installed.php":          false,
		"app/lib/composer/installed.json":            true,
		"app/vendor/acme/lib/composer.lock":          false,
		"app/vendor/acme/lib/package/installed.json": false,
	} {
		if got := e.Wants(p, 100); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
	if e.Wants("app/composer.lock", 8<<20) {
		t.Error("Wants an 8 MiB file")
	}
}
