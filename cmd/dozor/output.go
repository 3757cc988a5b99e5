package main

import (
	"io"
	"os"
)

// output is where a command writes its report: standard output, or the
// file of --output-file.
type output struct {
	io.Writer
	file *os.File
}

// openOutput opens the file of --output-file, or takes stdout when path is
// empty. An error is a usage error (exit 2).
func openOutput(path string, stdout io.Writer) (*output, error) {
	if path == "" {
		return &output{Writer: stdout}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, usageError("--output-file: %v", err)
	}
	return &output{Writer: f, file: f}, nil
}

// finish closes the file, if any, and returns err or the error of closing
// (a report that did not reach the disk is not written).
func (o *output) finish(err error) error {
	if o.file == nil {
		return err
	}
	if cerr := o.file.Close(); err == nil && cerr != nil {
		return usageError("--output-file: %v", cerr)
	}
	return err
}

// useColor decides --color: always, never, or auto (a terminal, no
// --output-file, and NO_COLOR unset).
func useColor(mode, outputFile string, out io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		return outputFile == "" && isTerminal(out) && os.Getenv("NO_COLOR") == "", nil
	}
	return false, usageError("--color: want auto, always or never")
}
