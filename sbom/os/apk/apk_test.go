package apk_test

import (
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/sbom/sbomtest"
)

// installed is an apk database in the format apk writes (no Alpine
// system is at hand here to take a real one from).
const installed = `C:Q1vS2Vcb1q3eP1QhA2fRKkeRX7Uzk=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407278
I:663552
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1705508853
c:c7ab5b8b5c3cc8ee7bc9a4a0a3e9b5f5e0e0a1d2
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1+ZxGT3BwuKdtY4DzDJm/6n7eaBM=
R:libc.musl-x86_64.so.1

C:Q1Ee4ZoL5Qib6zP2pqEPz07JNq1bg=
P:libcrypto3
V:3.1.4-r5
A:x86_64
L:Apache-2.0
o:openssl
F:usr/lib
R:libcrypto.so.3
`

func TestInstalled(t *testing.T) {
	img := imagetest.Build(t, imagetest.Config{},
		imagetest.Layer(t, imagetest.File("etc/os-release", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n"),
			imagetest.File("lib/apk/db/installed", installed)))
	res := sbomtest.Scan(t, img)
	var got []string
	for _, p := range res.Packages {
		got = append(got, p.PURL+" "+p.SourceName+" "+strings.Join(p.Licenses, ",")+" "+strings.Join(p.Files, ","))
	}
	want := []string{
		"pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl openssl Apache-2.0 /usr/lib/libcrypto.so.3",
		"pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1 musl MIT /lib/ld-musl-x86_64.so.1,/lib/libc.musl-x86_64.so.1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("packages:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
