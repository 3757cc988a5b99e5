package helm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/strvals"

	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/scan"
)

// maxValuesFileBytes bounds a values file or a --set-file file.
const maxValuesFileBytes = 16 << 20

// mergeValues merges the user's values in the order and with the rules of
// Helm's pkg/cli/values.Options.MergeValues: values files in turn, then
// --set, --set-string and --set-file. Unlike it, it reads local files only;
// Helm would fetch URLs through its getters and read "-" from standard input.
func (r *renderer) mergeValues(opts scan.HelmOptions) (map[string]any, []*finding.InputError) {
	base := map[string]any{}
	for _, file := range opts.ValueFiles {
		data, err := readLocal(file)
		if err != nil {
			return nil, r.valuesError(file, "values file: %v", err)
		}
		current, err := loader.LoadValues(bytes.NewReader(data))
		if err != nil {
			return nil, r.valuesError(file, "values file: %v", err)
		}
		base = loader.MergeMaps(base, current)
	}
	for _, v := range opts.Values {
		if err := strvals.ParseInto(v, base); err != nil {
			return nil, r.valuesError("", "--set %s: %v", v, err)
		}
	}
	for _, v := range opts.StringValues {
		if err := strvals.ParseIntoString(v, base); err != nil {
			return nil, r.valuesError("", "--set-string %s: %v", v, err)
		}
	}
	for _, v := range opts.FileValues {
		read := func(rs []rune) (any, error) {
			data, err := readLocal(string(rs))
			return string(data), err
		}
		if err := strvals.ParseIntoFile(v, base, read); err != nil {
			return nil, r.valuesError("", "--set-file %s: %v", v, err)
		}
	}
	return base, nil
}

func (r *renderer) valuesError(file, format string, args ...any) []*finding.InputError {
	return []*finding.InputError{{
		Location: finding.Location{Chart: r.unit.Path, File: file},
		Message:  fmt.Sprintf(format, args...),
	}}
}

// readLocal reads a values file from the local file system, refusing URLs
// and standard input.
func readLocal(name string) ([]byte, error) {
	if strings.TrimSpace(name) == "-" {
		return nil, fmt.Errorf("values cannot be read from standard input when scanning")
	}
	if u, err := url.Parse(name); err == nil && u.Scheme != "" && strings.Contains(name, "://") {
		return nil, fmt.Errorf("%q is a URL; Dozor renders charts offline and reads local values files only", name)
	}
	f, err := os.Open(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxValuesFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxValuesFileBytes {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, maxValuesFileBytes>>20)
	}
	return data, nil
}
