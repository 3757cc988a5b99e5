package python

import (
	"fmt"
	"strings"
	"testing"
)

// TestTOMLPackages reads the TOML forms lockfiles use, and reports the
// line of what it cannot read.
func TestTOMLPackages(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "[[package]]\nname = \"a\"\nversion = \"1\"\n", want: "a 1 [] 1"},
		{in: "# c\n[[ package ]] # c\nname='lit\\n'\r\nversion = \"\\u00e9\"\n", want: "lit\\n é [] 2"},
		{in: "[[package]]\nname = \"a\"\nversion = \"1\"\nsource = { editable = \".\", \"x\" = [1, {y = 2}] }\n", want: "a 1 [editable x] 1"},
		{in: "[[package]]\nname = \"a\"\n[package.metadata]\nname = \"no\"\n[[package.wheels]]\nversion = \"no\"\n", want: "a  [] 1"},
		{in: "[[package]]\ndescription = \"\"\"\n[[package]]\nname = \"no\"\n\"\"\"\"\"\nname = \"a\"\n", want: "a  [] 1"},
		{in: "[metadata]\nfiles = [\n  # comment\n  {file = \"a\", hash = \"b\"},\n]\nd = 1979-05-27 07:32:00Z\n[[package]]\nname = \"b\"\n", want: "b  [] 7"},
		{in: "[[package]]\nname = \"a\"\nversion = 1\n", want: "a  [] 1", err: "line 3: version is not a string"},
		{in: "[[package]]\nname = \"a\nversion = \"1\"\n", want: "  [] 1", err: "line 2: a string that does not end on its line"},
		{in: "x = \"\"\"\n\n", err: "line 1: a string that does not end"},
		{in: "x = [1 2]\n", err: "line 1: expected , or ] in an array, found '2'"},
		{in: "x = 1 y\n", err: "line 1: unexpected 'y' after a value"},
		{in: "[package\nx = 1\n", err: "line 1: a table header that does not end"},
		{in: "x\n", err: "line 1: expected = after a key, found '\\n'"},
		{in: "x = " + strings.Repeat("{a = ", 70), err: "line 1: arrays or tables nested more than 64 deep"},
	} {
		pkgs, err := tomlPackages([]byte(tc.in))
		var got []string
		for _, p := range pkgs {
			got = append(got, fmt.Sprintf("%s %s %v %d", p.Name, p.Version, p.Source, p.Line))
		}
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if strings.Join(got, ";") != tc.want || gotErr != tc.err {
			t.Errorf("tomlPackages(%q) = %q, %q, want %q, %q", tc.in, got, gotErr, tc.want, tc.err)
		}
	}
}
