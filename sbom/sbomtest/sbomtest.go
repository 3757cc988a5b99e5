// Package sbomtest runs every extractor over an image built in a test,
// read back from an OCI layout as a user's would be.
package sbomtest

import (
	"context"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/sbom/extractors"
)

// Scan writes img as an OCI layout, opens it and runs every extractor.
func Scan(t testing.TB, img v1.Image) *extractors.Result {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "oci")
	imagetest.WriteLayout(t, dir, img)
	im, err := image.Open(context.Background(), dir, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := extractors.Run(context.Background(), im, image.Options{}, extractors.All())
	if err != nil {
		t.Fatal(err)
	}
	return res
}
