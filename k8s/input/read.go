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
	st, err := f.Stat()
	if err == nil && st.Mode().IsRegular() {
		if st.Size() > max {
			return nil, fmt.Errorf("%w: the file is %d bytes, the limit is %d (--max-file-size)", ErrTooLarge, st.Size(), max)
		}
		// Read a regular file in one go into a buffer of its size (plus one
		// byte, to see it did not grow meanwhile).
		buf := make([]byte, st.Size()+1)
		n, err := io.ReadFull(f, buf)
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return nil, err
		}
		if n <= int(st.Size()) {
			return checkText(buf[:n])
		}
		// It grew: read the rest, within the limit.
		rest, err := ReadAll(f, max-int64(n))
		if err != nil {
			return nil, err
		}
		return checkText(append(buf[:n], rest...))
	}
	return ReadAll(f, max)
}

func checkText(data []byte) ([]byte, error) {
	head := data
	if len(head) > 8000 {
		head = head[:8000]
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return nil, ErrBinary
	}
	return data, nil
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
	return checkText(data)
}
