package helm

import (
	"regexp"
	"strconv"
	"strings"
)

// templateError is a rendering error, with the template and position it
// names.
type templateError struct {
	// template is the engine's name of the template at fault, "" when the
	// error names none.
	template     string
	line, column int
	// parse is true when the template does not parse.
	parse   bool
	message string
}

// templatePos matches a "name:line" or "name:line:column" position, as
// text/template writes them ("template: webapp/templates/x.yaml:12:3:
// executing ...") and Helm repeats them ("execution error at
// (webapp/templates/x.yaml:12:3): ...").
var templatePos = regexp.MustCompile(`([^\s()"'<>:]+):(\d+)(?::(\d+))?`)

// parseTemplateError finds the first position in a Helm rendering error that
// names a template of the chart. The first is the outermost: for an error in
// a named template called with include, the call site in the template being
// rendered, with the chain of calls after it in the message.
func parseTemplateError(err error, templates map[string]templateRef) templateError {
	msg := err.Error()
	te := templateError{message: msg, parse: strings.HasPrefix(msg, "parse error")}
	for _, m := range templatePos.FindAllStringSubmatch(msg, -1) {
		if _, ok := templates[m[1]]; !ok {
			continue
		}
		te.template = m[1]
		te.line, _ = strconv.Atoi(m[2])
		if m[3] != "" {
			te.column, _ = strconv.Atoi(m[3])
		}
		break
	}
	return te
}
