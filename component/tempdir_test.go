package component_test

import (
	"os"
	"testing"
)

var tempDirs []string

// tempDir is a directory for the database shared by the tests of this
// binary (t.TempDir would be removed after the first test); TestMain
// removes it.
func tempDir() (string, error) {
	d, err := os.MkdirTemp("", "dozor-component-test-")
	if err == nil {
		tempDirs = append(tempDirs, d)
	}
	return d, err
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range tempDirs {
		_ = os.RemoveAll(d)
	}
	os.Exit(code)
}
