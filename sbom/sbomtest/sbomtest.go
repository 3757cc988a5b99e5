// Package sbomtest runs extractors over an image built in a test, read
// back from an OCI layout as a user's would be.
package sbomtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dozor-dev/dozor/image"
	"github.com/dozor-dev/dozor/image/imagetest"
	"github.com/dozor-dev/dozor/sbom"
	"github.com/dozor-dev/dozor/sbom/extractors"
)

// Scan writes img as an OCI layout, opens it and runs every extractor.
func Scan(t testing.TB, img v1.Image) *extractors.Result {
	t.Helper()
	return With(t, img, extractors.All()...)
}

// With writes img as an OCI layout, opens it and runs the extractors
// given (an extractor's own test runs it alone).
func With(t testing.TB, img v1.Image, exs ...sbom.Extractor) *extractors.Result {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "oci")
	imagetest.WriteLayout(t, dir, img)
	im, err := image.Open(context.Background(), dir, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := extractors.Run(context.Background(), im, image.Options{}, exs)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Layers builds an image of one layer per list of entries.
func Layers(t testing.TB, layers ...[]imagetest.Entry) v1.Image {
	t.Helper()
	var ls []v1.Layer
	for _, l := range layers {
		ls = append(ls, imagetest.Layer(t, l...))
	}
	return imagetest.Build(t, imagetest.Config{}, ls...)
}

// Testdata reads a file of the test's testdata directory.
func Testdata(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
