package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// sameTree compares a fastParse tree with yaml.v3's in what the decoder
// uses: kind, style, value, line, column, children, and the merge tag.
func sameTree(a, b *yaml.Node, path string) error {
	if a.Kind != b.Kind || a.Style != b.Style || a.Value != b.Value || a.Line != b.Line || a.Column != b.Column {
		return fmt.Errorf("%s: fast {kind %v style %v value %q at %d:%d}, yaml.v3 {kind %v style %v value %q at %d:%d}",
			path, a.Kind, a.Style, a.Value, a.Line, a.Column, b.Kind, b.Style, b.Value, b.Line, b.Column)
	}
	if (a.Tag == "!!merge") != (b.Tag == "!!merge") {
		return fmt.Errorf("%s: merge tag %q vs %q", path, a.Tag, b.Tag)
	}
	if len(a.Content) != len(b.Content) {
		return fmt.Errorf("%s: %d children, yaml.v3 %d", path, len(a.Content), len(b.Content))
	}
	for i := range a.Content {
		if err := sameTree(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", path, i)); err != nil {
			return err
		}
	}
	return nil
}

// differ parses with both parsers; when the fast one accepts the input,
// yaml.v3 must accept it too and build the same tree.
func differ(data []byte) (accepted bool, err error) {
	fast, ok := fastParse(data)
	if !ok {
		return false, nil
	}
	var ref yaml.Node
	if e := yaml.Unmarshal(data, &ref); e != nil {
		return true, fmt.Errorf("fast parser accepted what yaml.v3 refuses: %v", e)
	}
	if len(ref.Content) != 1 {
		return true, fmt.Errorf("yaml.v3 found %d root nodes", len(ref.Content))
	}
	return true, sameTree(fast.Content[0], ref.Content[0], "")
}

var fastCases = []string{
	"a: 1\nb: two\nc:\n  d: [x, y, {z: 1}]\n",
	"---\napiVersion: v1 # comment\nkind: Pod\n",
	"list:\n- a\n- b: 1\n  c: 2\n-   - nested\n    - seq\n",
	"k: |\n  line one\n  line two\n\n  after blank\n\nnext: 1\n",
	"k: |-\n    indented\n      more\n",
	"k: |+\n  keep\n\n\nz: 1\n",
	"k: >\n  folded line\n  continues\n\n  new para\n    spaced\n  back\n",
	"k: >-\n  a\n  b\n",
	"q1: 'it''s'\nq2: \"tab\\tnew\\nline \\u00e9 \\x41\"\n\"quoted key\": v\n'single key': v\n",
	"empty:\nnull2: ~\nafter: 1\n",
	"seq:\n- \n- x\n",
	"a:\n  - x\n  - y\nb: z\n",
	"a:\n- x\nb: z\n",
	"<<: {a: 1}\n",
	"url: http://example.com:8080/x#frag\nport: 0x50\nmode: 0644\non: yes\n",
	"{\"apiVersion\": \"v1\", \"kind\": \"List\",\n \"items\": [\n  {\"a\": 1},\n  {\"b\": [true, null]}\n ]\n}\n",
	"k: [a, b,\n  c]\n",
	"k: {}\nl: []\n",
	"é: ü\nx: 日本 # c\n",
	"a: b\r\nc: d\r\n",
	"k: |\n  x\n  y",
	"- a\n- b\n",
	"k:   spaced value   \n",
	"k: >\n\n  leading\n",
	"multi: a\n  b\n",
	"k: \"unterminated\n  string\"\n",
	"k: - a\n",
	"k: a: b\n",
	"\tk: v\n",
	"k: &anchor v\nl: *anchor\n",
}

func TestFastParseMatchesYAMLv3(t *testing.T) {
	for _, c := range fastCases {
		if _, err := differ([]byte(c)); err != nil {
			t.Errorf("%q: %v", c, err)
		}
	}
}

// TestFastParseCorpus: on real manifests the fast parser must take almost
// every document, and agree with yaml.v3 on all of them.
func TestFastParseCorpus(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/corpus/manifests/*.yaml")
	ex, _ := filepath.Glob("../../examples/manifests/*.yaml")
	files = append(files, ex...)
	if len(files) == 0 {
		t.Skip("no corpus (../shared/corpus/manifests)")
	}
	docs, took := 0, 0
	var refused []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range Split(data) {
			if d.Blank() {
				continue
			}
			docs++
			ok, err := differ(d.Data)
			if err != nil {
				t.Errorf("%s:%d: %v", filepath.Base(f), d.Line, err)
			}
			if ok {
				took++
			} else {
				debugFast = true
				fp := fastParser{data: d.Data, line: 1}
				fp.setBOL(0)
				fp.document()
				debugFast = false
				refused = append(refused, fmt.Sprintf("%s:%d (%s)", filepath.Base(f), d.Line, fp.why))
			}
		}
	}
	t.Logf("fast parser took %d of %d documents; refused: %s", took, docs, strings.Join(refused, "\n"))
	if took < docs*9/10 {
		t.Errorf("fast parser took only %d of %d documents", took, docs)
	}
}

// FuzzFastParse holds the fast parser to yaml.v3: whatever it accepts,
// yaml.v3 must accept and build the same tree from.
func FuzzFastParse(f *testing.F) {
	for _, c := range fastCases {
		f.Add([]byte(c))
	}
	addExampleSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := differ(data); err != nil {
			t.Fatal(err)
		}
	})
}

// addExampleSeeds seeds a fuzz target with the documents of the examples,
// so that it starts from realistic manifests.
func addExampleSeeds(f *testing.F) {
	files, _ := filepath.Glob("../../examples/manifests/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, d := range Split(data) {
			f.Add(d.Data)
		}
	}
}
