// Command ocilayout writes an OCI image layout of one image whose only
// layer is a gzip'd tarball (of a root file system, made with tar):
//
//	go run ./bench/images/ocilayout -layer layer.tar.gz -out DIR
//
// The image is linux/amd64, with OCI media types; the layout's index
// names it by the platform and the tag "latest", so `dozor image
// oci:DIR`, `syft scan oci-dir:DIR` and `trivy image --input DIR` read
// the same image.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func main() {
	layerPath := flag.String("layer", "", "the layer: a gzip'd tar of the file system")
	out := flag.String("out", "", "the OCI layout directory to write (must not exist)")
	flag.Parse()
	if *layerPath == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: ocilayout -layer LAYER.tar.gz -out DIR")
		os.Exit(2)
	}
	if err := write(*layerPath, *out); err != nil {
		fmt.Fprintln(os.Stderr, "ocilayout:", err)
		os.Exit(1)
	}
}

func write(layerPath, out string) error {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists", out)
	}
	layer, err := tarball.LayerFromFile(layerPath, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return err
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, MediaType: types.OCILayer,
		History: v1.History{CreatedBy: "tar of a debootstrap root file system (bench/images/compare.sh)"}})
	if err != nil {
		return err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Created = v1.Time{Time: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	cfg.Config.Cmd = []string{"/bin/bash"}
	cfg.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return err
	}
	p, err := layout.Write(out, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendImage(img, layout.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"}),
		layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "latest"}))
}
