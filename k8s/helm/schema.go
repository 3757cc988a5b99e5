package helm

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
)

// errRemoteSchema marks a schema that refers to another document, which
// would have to be fetched.
var errRemoteSchema = errors.New("schema refers to another document")

// offlineLoader refuses every document but the schema itself.
type offlineLoader struct{}

func (offlineLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("%w: %s", errRemoteSchema, url)
}

// validateSchemas checks the values of the chart and of each subchart
// against its values.schema.json, as Helm's util.ValidateAgainstSchema does
// but without fetching anything: Helm resolves $ref to http(s) and file
// URLs. A schema that refers to another document is not checked (the values
// are still rendered); one that is not valid JSON Schema is an error, as in
// Helm. The error lists the problems, each prefixed with its chart's name.
func validateSchemas(ch *chart.Chart, values map[string]any) error {
	if problems := schemaProblems(ch, values); len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func schemaProblems(ch *chart.Chart, values map[string]any) []string {
	var problems []string
	if len(ch.Schema) > 0 {
		if err := validateSchema(ch.Schema, values); err != nil {
			for l := range strings.Lines(err.Error()) {
				if l = strings.TrimPrefix(strings.TrimSpace(l), "- "); l != "" {
					problems = append(problems, ch.Name()+": "+l)
				}
			}
		}
	}
	for _, sub := range ch.Dependencies() {
		raw, ok := values[sub.Name()]
		if !ok || raw == nil {
			continue
		}
		subValues, ok := asMap(raw)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: values are a %T, not a map", sub.Name(), raw))
			continue
		}
		problems = append(problems, schemaProblems(sub, subValues)...)
	}
	return problems
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case common.Values:
		return m, true
	}
	return nil, false
}

func validateSchema(schemaJSON []byte, values map[string]any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the schema could not be checked: %v", r)
		}
	}()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return fmt.Errorf("values.schema.json is not valid JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(offlineLoader{})
	const id = "file:///values.schema.json"
	if err := c.AddResource(id, doc); err != nil {
		return err
	}
	sch, err := c.Compile(id)
	var le *jsonschema.LoadURLError
	if errors.Is(err, errRemoteSchema) || errors.As(err, &le) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := sch.Validate(plain(values)); err != nil {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "jsonschema validation failed with '"+id+"#'\n")
		return errors.New(msg)
	}
	return nil
}

// plain converts common.Values to map[string]any throughout: the validator
// knows only plain JSON types.
func plain(v any) any {
	switch t := v.(type) {
	case common.Values:
		return plain(map[string]any(t))
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = plain(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plain(e)
		}
		return out
	}
	return v
}
