package image

import "testing"

func TestParse(t *testing.T) {
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		image                    string
		ok, mutable, digest, imp bool
	}{
		{image: "nginx", ok: true, mutable: true, imp: true},
		{image: "nginx:latest", ok: true, mutable: true, imp: true},
		{image: "nginx:1.27", ok: true, imp: true},
		{image: "nginx@" + d, ok: true, digest: true, imp: true},
		{image: "nginx:latest@" + d, ok: true, digest: true, imp: true},
		{image: "bitnami/redis:7.2", ok: true, imp: true},
		{image: "docker.io/library/nginx:1.27", ok: true},
		{image: "index.docker.io/library/nginx:1.27", ok: true},
		{image: "localhost/app:1", ok: true},
		{image: "localhost:5000/app", ok: true, mutable: true},
		{image: "registry.example.com:5000/team/app:1.0", ok: true},
		{image: "Registry.Example.com/team/app:1.0", ok: true},
		{image: "[::1]:5000/app:1.0", ok: true},
		{image: ""},
		{image: "Nginx"},
		{image: "nginx:1.27 "},
		{image: "nginx@sha256:abc"},
		{image: "{{ .Values.image }}"},
	} {
		r, ok := parse(tc.image)
		if ok != tc.ok {
			t.Errorf("parse(%q) ok = %v, want %v", tc.image, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if r.mutable() != tc.mutable || r.digest != tc.digest {
			t.Errorf("parse(%q) = mutable %v, digest %v; want %v, %v", tc.image, r.mutable(), r.digest, tc.mutable, tc.digest)
		}
		if got := implicitHost(tc.image); got != tc.imp {
			t.Errorf("implicitHost(%q) = %v, want %v", tc.image, got, tc.imp)
		}
	}
}
