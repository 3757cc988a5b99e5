package report

import (
	"errors"
	"io"

	"github.com/dozor-dev/dozor/scan"
)

// SARIF writes a SARIF 2.1.0 log.
func SARIF(w io.Writer, res *scan.Result, opts Options) error {
	return errors.New("sarif: not implemented yet")
}

// JUnit writes JUnit XML.
func JUnit(w io.Writer, res *scan.Result, opts Options) error {
	return errors.New("junit: not implemented yet")
}
