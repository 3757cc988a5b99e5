package hardening

import (
	"archive/tar"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/vuln"
)

func TestCheck(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	exe := func(name string, mode int64) imagetest.Entry {
		return imagetest.Entry{Name: name, Body: "#!", Type: tar.TypeReg, Mode: mode}
	}
	const awsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz"
	img := imagetest.Build(t, imagetest.Config{
		Env: []string{"PATH=/usr/bin", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7ABCDEFG", "DB_PASSWORD=hunter2hunter2", "SECRET_FILE=/run/secrets/db", "API_TOKEN=changeme"},
		CreatedBy: []string{"RUN curl -fsSL https://deploy:s3cr3tpassw0rd@repo.example/setup.sh | sh",
			"|1 NPM_TOKEN=npm_abcdefghijklmnop /bin/sh -c npm ci", "COPY . /root"},
	},
		imagetest.Layer(t, exe("bin/sh", 0o755), exe("usr/bin/apt-get", 0o755), exe("usr/bin/curl", 0o755), exe("usr/bin/passwd", 0o4755),
			imagetest.Entry{Name: "tmp/", Type: tar.TypeDir, Mode: 0o1777}, imagetest.Entry{Name: "data/", Type: tar.TypeDir, Mode: 0o777}),
		imagetest.Layer(t, imagetest.File("etc/motd", "hello")),
		imagetest.Layer(t, imagetest.File("root/.ssh/id_rsa", keyPEM), imagetest.File("root/.ssh/id_rsa.pub", "ecdsa-sha2-nistp256 AAAA"),
			imagetest.File("root/.aws/credentials", "[default]\naws_secret_access_key = "+awsSecret+"\n"),
			imagetest.File("app/config/example.key", "not a key"),
			imagetest.File("app/config/application.yaml", "server:\n  port: 8080\ndatabase:\n  user: shop\n  password: \"q7Zr4xK2pLw9Vb3nT8sYd\"\n  api_key: changeme-changeme-changeme\n  token: ${SHOP_TOKEN}\n  checksum: 0123456789abcdef0123456789abcdef\n"),
			imagetest.File("srv/.env", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nDEBUG=1\n"),
			imagetest.File("usr/share/doc/x/example.conf", "secret = q7Zr4xK2pLw9Vb3nT8sYd\n")),
	)
	dir := filepath.Join(t.TempDir(), "oci")
	imagetest.WriteLayout(t, dir, img)
	im, err := image.Open(context.Background(), dir, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := im.FS(context.Background(), image.Options{Keep: Wants})
	if err != nil {
		t.Fatal(err)
	}
	fs := Check(im, w.FS)
	var got []string
	for _, f := range fs {
		got = append(got, f.Rule.ID+" "+f.Message)
		for _, secret := range []string{"ABCDEFG", "hunter2", "s3cr3t", "npm_abcdef", awsSecret, "BEGIN", "q7Zr4", "EXAMPLE"} {
			if strings.Contains(f.Message, secret) {
				t.Errorf("a secret's value in a message: %s", f.Message)
			}
		}
	}
	want := []string{
		"DZ-IMH-001 the image runs as root (no USER)",
		"DZ-IMH-002 environment variable AWS_ACCESS_KEY_ID: AWS access key ID",
		"DZ-IMH-002 environment variable DB_PASSWORD is named like a secret and set to a 14-character value",
		"DZ-IMH-003 history step 0: credentials in a URL",
		"DZ-IMH-003 history step 1 sets NPM_TOKEN to a 20-character value",
		"DZ-IMH-004 /app/config/application.yaml: line 5: password set to a random-looking 21-character value (layer 2: COPY . /root)",
		"DZ-IMH-004 /root/.aws/credentials: AWS credentials (layer 2: COPY . /root)",
		"DZ-IMH-004 /root/.ssh/id_rsa: private key (layer 2: COPY . /root)",
		"DZ-IMH-004 /srv/.env: line 1: AWS access key ID (layer 2: COPY . /root)",
		"DZ-IMH-005 1 setuid or setgid files: /usr/bin/passwd",
		"DZ-IMH-006 1 world-writable: /data",
		"DZ-IMH-007 shells: sh",
		"DZ-IMH-008 package managers: apt-get",
		"DZ-IMH-009 network tools: curl",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A non-root user, no secrets, no tools: no finding.
	clean := imagetest.Build(t, imagetest.Config{User: "10001:10001", Env: []string{"PATH=/usr/bin", "SECRET_FILE=/run/secrets/db"}},
		imagetest.Layer(t, imagetest.File("app", "x")))
	cleanDir := filepath.Join(t.TempDir(), "clean")
	imagetest.WriteLayout(t, cleanDir, clean)
	im, err = image.Open(context.Background(), cleanDir, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w, err = im.FS(context.Background(), image.Options{Keep: Wants}); err != nil {
		t.Fatal(err)
	}
	if fs := Check(im, w.FS); len(fs) != 0 {
		t.Errorf("a clean image: %v", fs)
	}
}

// TestLifecycle judges Debian releases against the real end-of-life data
// of ../shared (endoflife.date's), on a fixed day.
func TestLifecycle(t *testing.T) {
	eolDir := filepath.Join("..", "..", "..", "shared", "data", "eol")
	if _, err := os.Stat(eolDir); err != nil {
		t.Skip("../shared/data/eol is missing: no end-of-life data to judge by")
	}
	path := filepath.Join(t.TempDir(), "vuln.db")
	if _, err := vuln.Import(context.Background(), path, []vuln.Input{{Path: eolDir}}, vuln.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db, err := vuln.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	im := &image.Image{Ref: "test"}
	for version, want := range map[string]string{
		"10": "high debian 10: security support ended 2022-09-10",
		"11": "high debian 11: security support ended 2024-08-14",
		"12": "low debian 12: the distribution's security support ended 2026-07-11; extended support (LTS) lasts until 2028-06-30",
		"13": "",
	} {
		got := ""
		for _, f := range Lifecycle(im, map[string]string{"ID": "debian", "VERSION_ID": version}, db.EOL, now) {
			got = f.Severity.String() + " " + f.Message
		}
		if got != want {
			t.Errorf("Debian %s: %q, want %q", version, got, want)
		}
	}
}
