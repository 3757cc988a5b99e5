package report

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dozor-dev/dozor/test/browser"
)

// hostileGraph has labels that would break out of DOT strings, Mermaid
// labels and the HTML page's script if they were not escaped.
func hostileGraph() *Graph {
	return &Graph{
		Title: `paths <b>"x"</b>`,
		Vertices: []GraphVertex{
			{ID: "ClusterAdmin", Label: "cluster-admin", Kind: "ClusterAdmin", Goal: true},
			{ID: "User:eve", Label: `User </script><script>document.title="owned"</script>`, Kind: "User", Detail: "1 step"},
			{ID: `User:"quote"\`, Label: "User \"quote\" \\ `tick` <i>", Kind: "User"},
			{ID: "Group:g", Label: "Group g", Kind: "Group"},
		},
		Edges: []GraphEdge{
			{From: "User:eve", To: "ClusterAdmin", Label: "bind", Detail: "binds <cluster-admin>"},
			{From: `User:"quote"\`, To: "Group:g", Label: "member", Free: true},
			{From: "Group:g", To: "ClusterAdmin", Label: "full-control", Detail: "holds *"},
		},
	}
}

func TestWriteDOT(t *testing.T) {
	var b bytes.Buffer
	if err := WriteDOT(&b, hostileGraph()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{`digraph "paths <b>\"x\"</b>" {`, `"User:\"quote\"\\" -> "Group:g" [label="member", style=dashed];`,
		`"User:eve" -> "ClusterAdmin" [label="bind", tooltip="binds <cluster-admin>"];`} {
		if !strings.Contains(out, want) {
			t.Errorf("DOT lacks %s:\n%s", want, out)
		}
	}
	// Every quote inside a string is escaped: unescaped quotes pair up
	// per line.
	for _, line := range strings.Split(out, "\n") {
		n := 0
		for i := 0; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++
			case '"':
				n++
			}
		}
		if n%2 != 0 {
			t.Errorf("unbalanced quotes: %s", line)
		}
	}
}

func TestWriteMermaid(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMermaid(&b, hostileGraph()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "flowchart LR\n") || !strings.Contains(out, `v2 -.->|"member"| v3`) || !strings.Contains(out, `v1 -->|"bind"| v0`) {
		t.Errorf("mermaid:\n%s", out)
	}
	if strings.Contains(out, "<script") || strings.Contains(out, `"quote"`) {
		t.Errorf("mermaid labels not escaped:\n%s", out)
	}
}

// TestGraphHTMLInBrowser opens the page in Debian's Chromium: every vertex
// and edge is drawn with a size, the hostile label is text (its script
// did not run), and a vertex named in the URL fragment shows its path.
func TestGraphHTMLInBrowser(t *testing.T) {
	g := hostileGraph()
	var b bytes.Buffer
	if err := WriteGraphHTML(&b, g); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "</script><script>document.title") {
		t.Fatal("a label closed the script element")
	}
	if regexp.MustCompile(`(?i)<(script|link|img)[^>]+(src|href)=`).MatchString(b.String()) {
		t.Error("the page loads something: it must be self-contained")
	}
	page := filepath.Join(t.TempDir(), "graph.html")
	if err := os.WriteFile(page, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	dom := browser.DumpDOM(t, "file://"+page+"#v=Group:g")
	if !strings.Contains(dom, `data-drawn-vertices="4"`) || !strings.Contains(dom, `data-drawn-edges="3"`) {
		t.Errorf("not everything was drawn: %s", grep(dom, `data-drawn[a-z-]*="\d+"`))
	}
	if strings.Contains(dom, "<title>owned</title>") || !strings.Contains(dom, "&lt;/script&gt;&lt;script&gt;") {
		t.Errorf("the hostile label ran or vanished: %s", grep(dom, `<title>[^<]*</title>`))
	}
	if !regexp.MustCompile(`<h2 id="selected">Group g</h2>`).MatchString(dom) || !strings.Contains(dom, "1. Group g → cluster-admin") || !strings.Contains(dom, "holds *") {
		t.Errorf("the selected path is not shown: %s", grep(dom, `<aside[\s\S]*</aside>`))
	}
	if n := len(regexp.MustCompile(`class="vertex on"`).FindAllString(dom, -1)); n != 2 {
		t.Errorf("%d vertices highlighted, want 2", n)
	}
}

func grep(s, re string) []string { return regexp.MustCompile(re).FindAllString(s, -1) }
