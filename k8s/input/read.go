package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// DefaultMaxFileBytes bounds a file or standard input: 64 MiB.
const DefaultMaxFileBytes = 64 << 20

// ErrTooLarge is returned for inputs over the size limit.
var ErrTooLarge = errors.New("larger than the size limit")

// ErrBinary is returned for files that are not text.
var ErrBinary = errors.New("not text: a binary file")

// ReadFile reads a file of manifests, refusing files over max bytes and
// binary files.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > max {
		return nil, fmt.Errorf("%w: the file is %d bytes, the limit is %d (--max-file-size)", ErrTooLarge, st.Size(), max)
	}
	return ReadAll(f, max)
}

// ReadAll reads a stream of manifests, refusing more than max bytes and
// binary data.
func ReadAll(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes (--max-file-size)", ErrTooLarge, max)
	}
	head := data
	if len(head) > 8000 {
		head = head[:8000]
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return nil, ErrBinary
	}
	return data, nil
}
