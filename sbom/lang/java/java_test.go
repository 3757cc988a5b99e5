package java_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/sbom/extractors"
	"github.com/dozor-dev/dozor/sbom/lang/java"
	"github.com/dozor-dev/dozor/sbom/sbomtest"
)

// scan runs the extractor alone over an image of layers.
func scan(t *testing.T, layers ...v1.Layer) *extractors.Result {
	t.Helper()
	return sbomtest.With(t, imagetest.Build(t, imagetest.Config{}, layers...), java.New())
}

// debs are the Debian packages whose jars the test reads: two with
// Maven's pom.properties in every jar, one whose jars mostly have only
// an OSGi manifest, one with neither (named "aopalliance-1.0.jar").
var debs = []string{"libcommons-lang3-java", "libslf4j-java", "libguice-java", "libaopalliance-java"}

// realJars unpacks the cached .debs and returns their jars (regular
// files; Debian adds versioned symbolic links) by base name.
func realJars(t *testing.T) map[string][]byte {
	t.Helper()
	dir := os.Getenv("DOZOR_DEBS")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "dozor-test", "debs")
	}
	var missing []string
	var paths []string
	for _, d := range debs {
		m, _ := filepath.Glob(filepath.Join(dir, d+"_*.deb"))
		if len(m) == 0 {
			missing = append(missing, d)
		}
		paths = append(paths, m...)
	}
	if len(missing) > 0 {
		t.Skipf("no %s .deb in %s (fetch them there with: apt-get download %s)", strings.Join(missing, ", "), dir, strings.Join(debs, " "))
	}
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("no dpkg-deb on PATH to unpack .debs with")
	}
	root := t.TempDir()
	for _, p := range paths {
		if out, err := exec.Command("dpkg-deb", "-x", p, root).CombinedOutput(); err != nil {
			t.Fatalf("dpkg-deb -x %s: %v\n%s", p, err, out)
		}
	}
	jars := map[string][]byte{}
	entries, err := os.ReadDir(filepath.Join(root, "usr/share/java"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".jar") {
			data, err := os.ReadFile(filepath.Join(root, "usr/share/java", e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			jars[e.Name()] = data
		}
	}
	if len(jars) < 20 {
		t.Fatalf("only %d jars in the .debs", len(jars))
	}
	return jars
}

// identities is what a jar is, read here independently of the
// extractor: "GROUP:ARTIFACT@VERSION" of each pom.properties (read with
// archive/zip), else the manifest's Bundle-SymbolicName@Bundle-Version
// (read with `unzip -p`), else NAME@VERSION of the file name; and the
// manifest's Bundle-License where one package is named. A jar whose
// pom.properties are all of another version than its manifest's shades
// them, and is named by its manifest too. (license is the same for every
// identity but a shaded one, which has none.)
func identities(t *testing.T, name string, data []byte) (ids []string, license string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, "/pom.properties") || !strings.HasPrefix(f.Name, "META-INF/maven/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		_ = rc.Close()
		props := map[string]string{}
		for _, line := range strings.Split(string(body), "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(line, "#") {
				props[k] = v
			}
		}
		ids = append(ids, props["groupId"]+":"+props["artifactId"]+"@"+props["version"])
	}
	tmp := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mf, err := exec.Command("unzip", "-p", tmp, "META-INF/MANIFEST.MF").Output()
	if err != nil {
		t.Fatalf("unzip -p %s META-INF/MANIFEST.MF: %v", name, err)
	}
	fields := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(mf))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimRight(sc.Text(), "\r"), ": "); ok {
			fields[k] = v
		}
	}
	shaded := len(ids) > 0 && fields["Bundle-Version"] != ""
	for _, id := range ids {
		if strings.HasSuffix(id, "@"+fields["Bundle-Version"]) {
			shaded = false
		}
	}
	if len(ids) <= 1 || shaded {
		license = fields["Bundle-License"]
	}
	if shaded {
		// Its pom.properties are of what it shades (Debian's guice.jar
		// holds cglib's only): the manifest names the jar itself too,
		// and the licence is the jar's.
		return append(ids, fields["Bundle-SymbolicName"]+"@"+fields["Bundle-Version"]), license
	}
	if len(ids) == 0 {
		if fields["Bundle-SymbolicName"] != "" {
			ids = append(ids, fields["Bundle-SymbolicName"]+"@"+fields["Bundle-Version"])
		} else if m := regexp.MustCompile(`^(.+?)-([0-9][^-]*)\.jar$`).FindStringSubmatch(name); m != nil {
			ids = append(ids, m[1]+"@"+m[2])
		} else {
			t.Fatalf("%s: names no package", name)
		}
	}
	return ids, license
}

// jarTool runs the JDK's jar tool in dir.
func jarTool(t *testing.T, dir string, args ...string) {
	t.Helper()
	if out, err := exec.Command("jar", args...).CombinedOutput(); err != nil {
		t.Fatalf("jar %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRealArchives reads real jars from Debian (commons-lang3, slf4j,
// guice, aopalliance) as they are, and inside a war, an ear holding that
// war and a Spring Boot style fat jar that the JDK's jar tool builds
// (the war and ear compressed, the fat jar stored as Spring Boot stores
// it): every jar, wherever it is, is what its pom.properties, manifest
// or file name says, read independently.
func TestRealArchives(t *testing.T) {
	jars := realJars(t)
	if _, err := exec.LookPath("jar"); err != nil {
		t.Skip("no jar (JDK) on PATH to build archives with")
	}
	if _, err := exec.LookPath("unzip"); err != nil {
		t.Skip("no unzip on PATH to read manifests with")
	}
	tmp := t.TempDir()
	libs := map[string][]byte{}
	for name, data := range jars {
		libs["WEB-INF/lib/"+name] = data
	}
	libs["WEB-INF/web.xml"] = []byte(`<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="5.0"/>`)
	writeFiles(t, filepath.Join(tmp, "war"), libs)
	jarTool(t, tmp, "--create", "--file", filepath.Join(tmp, "app.war"), "-C", filepath.Join(tmp, "war"), ".")
	war, err := os.ReadFile(filepath.Join(tmp, "app.war"))
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, filepath.Join(tmp, "ear"), map[string][]byte{
		"META-INF/application.xml": []byte(`<application xmlns="https://jakarta.ee/xml/ns/jakartaee" version="9"><module><web><web-uri>app.war</web-uri></web></module></application>`),
		"app.war":                  war,
		"lib/commons-lang3.jar":    jars["commons-lang3.jar"],
	})
	jarTool(t, tmp, "--create", "--file", filepath.Join(tmp, "app.ear"), "-C", filepath.Join(tmp, "ear"), ".")
	boot := map[string][]byte{
		"META-INF/maven/com.example/boot-app/pom.properties": []byte("artifactId=boot-app\ngroupId=com.example\nversion=2.0.1\n"),
		"BOOT-INF/classes/application.properties":            []byte("server.port=8080\n"),
	}
	for _, name := range []string{"slf4j-api.jar", "guice.jar", "aopalliance-1.0.jar"} {
		boot["BOOT-INF/lib/"+name] = jars[name]
	}
	writeFiles(t, filepath.Join(tmp, "boot"), boot)
	writeFiles(t, tmp, map[string][]byte{"boot.mf": []byte("Main-Class: org.springframework.boot.loader.launch.JarLauncher\nStart-Class: com.example.App\n")})
	jarTool(t, tmp, "--create", "--no-compress", "--file", filepath.Join(tmp, "boot.jar"), "--manifest", filepath.Join(tmp, "boot.mf"),
		"-C", filepath.Join(tmp, "boot"), ".")

	want := []string{"com.example:boot-app@2.0.1 /srv/boot.jar "}
	var top []imagetest.Entry
	for name, data := range jars {
		ids, license := identities(t, name, data)
		for i, id := range ids {
			license := license
			if len(ids) > 1 && i < len(ids)-1 {
				license = "" // a shaded dependency's
			}
			for _, loc := range []string{"/usr/share/java/" + name, "/srv/app.war:WEB-INF/lib/" + name, "/srv/app.ear:app.war:WEB-INF/lib/" + name} {
				want = append(want, id+" "+loc+" "+license)
			}
			if name == "commons-lang3.jar" {
				want = append(want, id+" /srv/app.ear:lib/"+name+" "+license)
			}
			if boot["BOOT-INF/lib/"+name] != nil {
				want = append(want, id+" /srv/boot.jar:BOOT-INF/lib/"+name+" "+license)
			}
		}
		top = append(top, imagetest.File("usr/share/java/"+name, string(data)))
	}
	// Debian's versioned links are not archives of their own.
	top = append(top, imagetest.Symlink("usr/share/java/commons-lang3-3.12.0.jar", "commons-lang3.jar"))
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(tmp, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	res := scan(t, imagetest.Layer(t, top...),
		imagetest.Layer(t, imagetest.File("srv/app.war", read("app.war")), imagetest.File("srv/app.ear", read("app.ear")),
			imagetest.File("srv/boot.jar", read("boot.jar"))))
	if len(res.Errors) > 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	var got []string
	for _, p := range res.Packages {
		got = append(got, p.Name+"@"+p.Version+" "+p.Location+" "+strings.Join(p.Licenses, ","))
		wantLayer := 0
		if strings.HasPrefix(p.Location, "/srv/") {
			wantLayer = 1
		}
		if p.Layer != wantLayer || p.Type != "maven" || p.Extractor != "java-archive" {
			t.Errorf("%s in %s: layer %d, type %q, extractor %q", p.PURL, p.Location, p.Layer, p.Type, p.Extractor)
		}
		if p.Location == "/usr/share/java/commons-lang3.jar" && p.PURL != "pkg:maven/org.apache.commons/commons-lang3@3.12.0" {
			t.Errorf("commons-lang3: purl %s", p.PURL)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	t.Logf("%d packages in %d jars", len(got), len(jars))
}

// zipOf writes a zip archive of files in the order given, compressed or
// stored.
func zipOf(t *testing.T, method uint16, files ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f[0], Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pom(group, artifact, version string) [2]string {
	return [2]string{"META-INF/maven/" + group + "/" + artifact + "/pom.properties",
		"#Generated by Maven\ngroupId=" + group + "\nartifactId=" + artifact + "\nversion=" + version + "\n"}
}

// TestHostile refuses a zip bomb (an entry compressed a thousand to one),
// archives nested deeper than four, an archive of too many entries and
// one that is no zip, each with an error naming it, and reads the rest.
func TestHostile(t *testing.T) {
	// Nested six deep: level0.jar holds level1.jar ... holds level5.jar.
	var nested []byte
	for i := 5; i >= 0; i-- {
		files := [][2]string{pom("org.example", fmt.Sprintf("level%d", i), "1.0.0")}
		if nested != nil {
			files = append(files, [2]string{fmt.Sprintf("lib/level%d.jar", i+1), string(nested)})
		}
		nested = zipOf(t, zip.Deflate, files...)
	}
	// A jar that is 64 MiB of zeros, stored, compressed a thousand to one
	// in the war that holds it: refused before it is decompressed.
	bomb := zipOf(t, zip.Store, pom("org.example", "bomb", "1.0.0"), [2]string{"payload.bin", strings.Repeat("\x00", 64<<20)})
	bombWar := zipOf(t, zip.Deflate, [2]string{"WEB-INF/lib/bomb.jar", string(bomb)}, [2]string{"WEB-INF/lib/ok-2.1.jar", string(zipOf(t, zip.Store))})
	bigPom := zipOf(t, zip.Deflate, [2]string{"META-INF/maven/a/b/pom.properties", "version=1\n" + strings.Repeat("#", 4<<20)})
	var many [][2]string
	for i := range 100_001 {
		many = append(many, [2]string{fmt.Sprintf("c/%d.class", i), ""})
	}
	res := scan(t, imagetest.Layer(t,
		imagetest.File("app/nested.jar", string(nested)),
		imagetest.File("app/bomb.war", string(bombWar)),
		imagetest.File("app/bigpom.jar", string(bigPom)),
		imagetest.File("app/many.jar", string(zipOf(t, zip.Store, many...))),
		imagetest.File("app/not-a-zip.jar", strings.Repeat("not a zip file ", 100)),
	))
	var got []string
	for _, p := range res.Packages {
		got = append(got, p.PURL+" "+p.Location)
	}
	want := []string{
		"pkg:maven/org.example/level0@1.0.0 /app/nested.jar",
		"pkg:maven/org.example/level1@1.0.0 /app/nested.jar:lib/level1.jar",
		"pkg:maven/org.example/level2@1.0.0 /app/nested.jar:lib/level1.jar:lib/level2.jar",
		"pkg:maven/org.example/level3@1.0.0 /app/nested.jar:lib/level1.jar:lib/level2.jar:lib/level3.jar",
		"pkg:maven/org.example/level4@1.0.0 /app/nested.jar:lib/level1.jar:lib/level2.jar:lib/level3.jar:lib/level4.jar",
		"pkg:maven/ok@2.1 /app/bomb.war:WEB-INF/lib/ok-2.1.jar",
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	var errs []string
	for _, err := range res.Errors {
		errs = append(errs, err.Error())
	}
	slices.Sort(errs)
	wantErrs := []*regexp.Regexp{
		regexp.MustCompile(`^/app/bigpom.jar: META-INF/maven/a/b/pom.properties: 4194314 bytes, more than the 1048576 read$`),
		regexp.MustCompile(`^/app/bomb.war:WEB-INF/lib/bomb.jar: 67109[0-9]{3} bytes compressed to [0-9]{5,6}, more than 100 to 1: a zip bomb, refused$`),
		regexp.MustCompile(`^/app/many.jar: 100001 entries, more than 100000: refused$`),
		regexp.MustCompile(`^/app/nested.jar:lib/level1.jar:lib/level2.jar:lib/level3.jar:lib/level4.jar:lib/level5.jar: an archive nested more than 4 deep: not read$`),
		regexp.MustCompile(`^/app/not-a-zip.jar: zip: not a valid zip file$`),
	}
	if len(errs) != len(wantErrs) {
		t.Fatalf("errors:\n%s", strings.Join(errs, "\n"))
	}
	for i, re := range wantErrs {
		if !re.MatchString(errs[i]) {
			t.Errorf("error %d: %s\nwant %s", i, errs[i], re)
		}
	}
}
