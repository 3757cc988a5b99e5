package dotnet_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/sbom/extractors"
	"github.com/dozor-dev/dozor/sbom/lang/dotnet"
	"github.com/dozor-dev/dozor/sbom/sbomtest"
)

// scan runs the extractor alone over an image of one layer of entries.
func scan(t *testing.T, entries ...imagetest.Entry) *extractors.Result {
	t.Helper()
	return sbomtest.With(t, sbomtest.Layers(t, entries), dotnet.New())
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	return sbomtest.Testdata(t, name)
}

// TestDepsJSON reads deps.json fixtures in the shape dotnet publish
// writes (testdata/README.md: no .NET SDK here), framework-dependent and
// self-contained: packages and the runtime pack, not projects; broken
// files are reported.
func TestDepsJSON(t *testing.T) {
	res := scan(t,
		imagetest.File("app/WebApi.deps.json", testdata(t, "WebApi.deps.json")),
		imagetest.File("opt/worker/Worker.deps.json", testdata(t, "Worker.deps.json")),
		imagetest.File("opt/broken/Broken.deps.json", `{"libraries": {"x": `),
		imagetest.File("opt/odd/Odd.deps.json", `{"libraries": {"NoVersion": {"type": "package"}, "Ok/1.0.0": {"type": "package"}}}`),
		imagetest.File("opt/other/Other.deps.json", `{"name": "not deps"}`),
		imagetest.File("opt/other/Other.runtimeconfig.json", `{"libraries": {"No/1.0": {"type": "package"}}}`),
	)
	var got []string
	for _, p := range res.Packages {
		got = append(got, strings.Join([]string{p.PURL, p.Location, strconv.Itoa(p.Layer), p.Extractor, p.Type}, " "))
	}
	slices.Sort(got)
	want := []string{
		"pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.7 /opt/worker/Worker.deps.json 0 dotnet nuget",
		"pkg:nuget/Newtonsoft.Json@13.0.3 /app/WebApi.deps.json 0 dotnet nuget",
		"pkg:nuget/Ok@1.0.0 /opt/odd/Odd.deps.json 0 dotnet nuget",
		"pkg:nuget/Serilog.AspNetCore@8.0.0 /app/WebApi.deps.json 0 dotnet nuget",
		"pkg:nuget/Serilog@3.1.1 /app/WebApi.deps.json 0 dotnet nuget",
		"pkg:nuget/System.Text.Json@8.0.4 /opt/worker/Worker.deps.json 0 dotnet nuget",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Got() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var errs []string
	for _, err := range res.Errors {
		errs = append(errs, err.Error())
	}
	slices.Sort(errs)
	wantErrs := []string{
		"/opt/broken/Broken.deps.json: unexpected end of JSON input",
		`/opt/odd/Odd.deps.json: library "NoVersion": not NAME/VERSION`,
		"/opt/other/Other.deps.json: no libraries: not a deps.json",
	}
	if !slices.Equal(errs, wantErrs) {
		t.Errorf("errors:\n%s\nwant\n%s", strings.Join(errs, "\n"), strings.Join(wantErrs, "\n"))
	}
}

// TestWants keeps only .deps.json files, under 8 MiB.
func TestWants(t *testing.T) {
	e := dotnet.New()
	for p, want := range map[string]bool{
		"app/WebApi.deps.json": true,
		"usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.7/Microsoft.NETCore.App.deps.json": true,
		"app/WebApi.runtimeconfig.json": false,
		"app/WebApi.dll":                false,
	} {
		if got := e.Wants(p, 100); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
	if e.Wants("app/WebApi.deps.json", 8<<20) {
		t.Error("Wants an 8 MiB file")
	}
}
