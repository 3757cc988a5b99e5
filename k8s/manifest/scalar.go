package manifest

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// scalarKind is what a YAML scalar resolves to.
type scalarKind uint8

const (
	scalarString scalarKind = iota
	scalarNull
	scalarBool
	scalarInt
	scalarFloat
)

// yaml11 maps the plain scalars that YAML 1.1, and so kubectl, reads as
// booleans or null, though YAML 1.2 reads most of them as strings.
var yaml11 = map[string]scalarKind{
	"y": scalarBool, "Y": scalarBool, "yes": scalarBool, "Yes": scalarBool, "YES": scalarBool,
	"true": scalarBool, "True": scalarBool, "TRUE": scalarBool,
	"on": scalarBool, "On": scalarBool, "ON": scalarBool,
	"n": scalarBool, "N": scalarBool, "no": scalarBool, "No": scalarBool, "NO": scalarBool,
	"false": scalarBool, "False": scalarBool, "FALSE": scalarBool,
	"off": scalarBool, "Off": scalarBool, "OFF": scalarBool,
	"": scalarNull, "~": scalarNull, "null": scalarNull, "Null": scalarNull, "NULL": scalarNull,
}

var yaml11True = map[string]bool{"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"true": true, "True": true, "TRUE": true, "on": true, "On": true, "ON": true}

var yamlFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// resolved is a scalar with its YAML 1.1 meaning.
type resolved struct {
	kind  scalarKind
	b     bool
	i     int64
	u     uint64
	isU   bool
	f     float64
	value string
}

// resolveScalar gives a scalar node the meaning kubectl's YAML reader
// (sigs.k8s.io/yaml, YAML 1.1) gives it. Quoted and block scalars are strings;
// an explicit tag wins over the plain-scalar rules.
func resolveScalar(n *yaml.Node) resolved {
	v := n.Value
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return resolved{kind: scalarString, value: v}
	}
	if n.Style&yaml.TaggedStyle != 0 {
		switch n.ShortTag() {
		case "!!str", "!!binary", "!!timestamp":
			return resolved{kind: scalarString, value: v}
		case "!!null":
			return resolved{kind: scalarNull}
		case "!!bool", "!!int", "!!float":
			// Resolve by value below, as YAML 1.1 does.
		default:
			return resolved{kind: scalarString, value: v}
		}
	}
	if k, ok := yaml11[v]; ok {
		if k == scalarBool {
			return resolved{kind: scalarBool, b: yaml11True[v]}
		}
		return resolved{kind: scalarNull}
	}
	switch v {
	case ".nan", ".NaN", ".NAN":
		return resolved{kind: scalarFloat, f: math.NaN()}
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
		return resolved{kind: scalarFloat, f: math.Inf(1)}
	case "-.inf", "-.Inf", "-.INF":
		return resolved{kind: scalarFloat, f: math.Inf(-1)}
	}
	c := v[0]
	if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.') {
		return resolved{kind: scalarString, value: v}
	}
	if c == '.' {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return resolved{kind: scalarFloat, f: f}
		}
		return resolved{kind: scalarString, value: v}
	}
	if isTimestamp(v) {
		return resolved{kind: scalarString, value: v}
	}
	plain := strings.ReplaceAll(v, "_", "")
	if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return resolved{kind: scalarInt, i: i}
	}
	if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
		return resolved{kind: scalarInt, u: u, isU: true}
	}
	if yamlFloat.MatchString(plain) {
		if f, err := strconv.ParseFloat(plain, 64); err == nil {
			return resolved{kind: scalarFloat, f: f}
		}
	}
	return resolved{kind: scalarString, value: v}
}

// isTimestamp reports whether a plain scalar is a YAML timestamp
// ("2006-01-02", optionally with a time), which kubectl passes on as a string.
func isTimestamp(s string) bool {
	if len(s) < 8 || s[4] != '-' {
		return false
	}
	for i := 0; i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendJSON writes the scalar as JSON.
func (r resolved) appendJSON(buf []byte) ([]byte, bool) {
	switch r.kind {
	case scalarNull:
		return append(buf, "null"...), true
	case scalarBool:
		return strconv.AppendBool(buf, r.b), true
	case scalarInt:
		if r.isU {
			return strconv.AppendUint(buf, r.u, 10), true
		}
		return strconv.AppendInt(buf, r.i, 10), true
	case scalarFloat:
		if math.IsNaN(r.f) || math.IsInf(r.f, 0) {
			return buf, false
		}
		return appendFloat(buf, r.f), true
	}
	return appendString(buf, r.value), true
}

// text renders the scalar as a map key, as kubectl's YAML reader does.
func (r resolved) text() string {
	switch r.kind {
	case scalarNull:
		return "null"
	case scalarBool:
		return strconv.FormatBool(r.b)
	case scalarInt:
		if r.isU {
			return strconv.FormatUint(r.u, 10)
		}
		return strconv.FormatInt(r.i, 10)
	case scalarFloat:
		return string(appendFloat(nil, r.f))
	}
	return r.value
}

// appendFloat formats f as encoding/json does.
func appendFloat(buf []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(buf, f, format, -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
