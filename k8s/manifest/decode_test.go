package manifest

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/dozor-dev/dozor/k8s"
)

func decodeAll(t *testing.T, in string) ([]*k8s.Object, []*Error) {
	t.Helper()
	var objs []*k8s.Object
	var errs []*Error
	for _, doc := range Split([]byte(in)) {
		d := Decode(doc, k8s.Source{File: "in.yaml"}, k8s.Seq{}, Options{})
		objs = append(objs, d.Objects...)
		errs = append(errs, d.Errors...)
	}
	return objs, errs
}

func TestSplit(t *testing.T) {
	in := "# comment\n---\na: 1\n---   \nb: 2\n...\n%YAML 1.1\n---\nc: 3\n--- # trailing\n---\n"
	docs := Split([]byte(in))
	type doc struct {
		Line  int
		Text  string
		Blank bool
	}
	var got []doc
	for _, d := range docs {
		got = append(got, doc{d.Line, string(d.Data), d.Blank()})
	}
	want := []doc{
		{1, "# comment\n", true},
		{2, "---\na: 1\n", false},
		{4, "---   \nb: 2\n", false},
		{7, "%YAML 1.1\n---\nc: 3\n", false},
		{10, "--- # trailing\n", true},
		{11, "---\n", true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Split() mismatch (-want +got):\n%s", diff)
	}
	// A "---" inside a block scalar, indented, is not a marker.
	docs = Split([]byte("a: |\n  ---\n  x\nb: 1\n"))
	if len(docs) != 1 {
		t.Errorf("Split(indented marker) = %d documents, want 1", len(docs))
	}
}

// TestYAML11Scalars: kubectl reads YAML 1.1, where yes/on are true and 0644
// is octal; Dozor must read manifests the same way, or it would miss
// `privileged: yes`.
func TestYAML11Scalars(t *testing.T) {
	objs, errs := decodeAll(t, `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  hostNetwork: yes
  hostPID: On
  hostIPC: "yes"
  containers:
  - name: c
    image: x
    securityContext:
      privileged: y
  volumes:
  - name: v
    secret:
      secretName: s
      defaultMode: 0644
`)
	// hostIPC: "yes" is a quoted string, which a boolean field refuses.
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, "hostIPC") || errs[0].Line != 8 {
		t.Fatalf("errors = %v, want one about hostIPC at line 8", errs)
	}
	if len(objs) != 1 || objs[0].Typed != nil {
		t.Fatalf("got %d objects; want 1 untyped object kept after the type error", len(objs))
	}
	objs, errs = decodeAll(t, strings.Replace(`apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  hostNetwork: yes
  hostPID: On
  containers:
  - name: c
    image: x
    securityContext:
      privileged: y
  volumes:
  - name: v
    secret:
      secretName: s
      defaultMode: 0644
`, "", "", 1))
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	pod := objs[0].Typed.(*corev1.Pod)
	if !pod.Spec.HostNetwork || !pod.Spec.HostPID || !*pod.Spec.Containers[0].SecurityContext.Privileged {
		t.Errorf("YAML 1.1 booleans not read as true: %+v", pod.Spec)
	}
	if got := *pod.Spec.Volumes[0].Secret.DefaultMode; got != 0o644 {
		t.Errorf("defaultMode = %d, want %d (octal 0644)", got, 0o644)
	}
}

func TestMergeKeysAndAliases(t *testing.T) {
	objs, errs := decodeAll(t, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  labels: &labels
    app: web
spec:
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels:
        <<: *labels
        tier: front
    spec:
      containers:
      - &c
        name: a
        image: x
      - <<: *c
        name: b
`)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	d := objs[0].Typed.(*appsv1.Deployment)
	if diff := cmp.Diff(map[string]string{"app": "web", "tier": "front"}, d.Spec.Template.Labels); diff != "" {
		t.Errorf("merged labels (-want +got):\n%s", diff)
	}
	if n := len(d.Spec.Template.Spec.Containers); n != 2 || d.Spec.Template.Spec.Containers[1].Name != "b" || d.Spec.Template.Spec.Containers[1].Image != "x" {
		t.Errorf("containers = %+v", d.Spec.Template.Spec.Containers)
	}
}

func TestListAndLines(t *testing.T) {
	objs, errs := decodeAll(t, `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: a
- apiVersion: v1
  kind: Service
  metadata:
    name: b
  spec:
    ports:
    - port: 80
`)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(objs) != 2 {
		t.Fatalf("got %d objects, want 2", len(objs))
	}
	if objs[0].Source.Line != 4 || objs[1].Source.Line != 8 {
		t.Errorf("lines = %d, %d; want 4, 8", objs[0].Source.Line, objs[1].Source.Line)
	}
	if objs[1].Seq.Item != 1 {
		t.Errorf("item seq = %d", objs[1].Seq.Item)
	}
	if loc := objs[1].Location("spec.ports[0].port"); loc.Line != 14 {
		t.Errorf("Location(spec.ports[0].port) = %d, want 14", loc.Line)
	}
}

func TestLocateAfterRelease(t *testing.T) {
	in := "# header\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    a.b/c: x\nspec:\n  containers:\n  - name: c\n    image: i\n"
	objs, _ := decodeAll(t, in)
	o := objs[0]
	before := o.Location(`metadata.annotations["a.b/c"]`).Line
	o.Locator.(*Locator).Release()
	after := o.Location(`metadata.annotations["a.b/c"]`).Line
	if before != 8 || after != 8 {
		t.Errorf("annotation line = %d before release, %d after; want 8", before, after)
	}
	if l := o.Location("spec.containers[0].securityContext.privileged").Line; l != 11 {
		t.Errorf("missing field located at line %d, want 11 (the container)", l)
	}
}

// TestBadInput: every kind of bad document is an error with a line, and the
// good documents around it still decode.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name, doc, want string
		line            int
	}{
		{"syntax", "apiVersion: v1\nkind: Pod\nmetadata: {name: p\n", "invalid YAML", 3},
		{"bad indent", "apiVersion: v1\nkind: Pod\n  metadata: x\n", "invalid YAML", 3},
		{"duplicate key", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n", `key "name" is already defined at line 8`, 5},
		{"no kind", "apiVersion: v1\nmetadata: {name: x}\n", "no kind", 1},
		{"no apiVersion", "kind: Pod\nmetadata: {name: x}\n", "no apiVersion", 1},
		{"not an object", "apiVersion: v1\n", "no kind", 1},
		{"sequence", "- a\n- b\n", "not a Kubernetes object", 1},
		{"template key", "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ name }}\n", "mapping key must be a plain value", 4},
		{"wrong type", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: many\n", "spec.replicas: got a string, want int32", 5},
		{"no name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "no metadata.name", 1},
		{"binary", "apiVersion: v1\x00\n", "binary", 0},
		{"nan", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec: {x: .nan}\n", "cannot be represented in JSON", 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: before}\n---\n" + c.doc + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: after}\n"
			objs, errs := decodeAll(t, in)
			var found bool
			for _, e := range errs {
				if strings.Contains(e.Msg, c.want) {
					found = true
					if e.Line != c.line+4 {
						t.Errorf("error %q at line %d, want %d", e.Msg, e.Line, c.line+4)
					}
				}
			}
			if !found {
				t.Errorf("errors = %v, want one containing %q", errs, c.want)
			}
			var names []string
			for _, o := range objs {
				names = append(names, o.Name())
			}
			if len(names) < 2 || names[0] != "before" || names[len(names)-1] != "after" {
				t.Errorf("objects = %v, want the documents around the bad one", names)
			}
		})
	}
}

func TestUnknownFields(t *testing.T) {
	objs, errs := decodeAll(t, `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContex:
    runAsNonRoot: true
  containers:
  - name: c
    image: i
    securityContext:
      privilegd: true
`)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	var got []string
	for _, fe := range objs[0].FieldErrors {
		got = append(got, string(fe.Path)+"@"+itoa(objs[0].Location(fe.Path).Line))
	}
	want := []string{"spec.securityContex@6", "spec.containers[0].securityContext.privilegd@12"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unknown fields (-want +got):\n%s", diff)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestLimits: alias bombs, deep nesting and oversized documents are refused
// with a clear error, quickly.
func TestLimits(t *testing.T) {
	var bomb strings.Builder
	bomb.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		prev := "*a" + string(rune('0'+i-1))
		if i >= 10 {
			prev = "*a" + string(rune('a'+i-10))
		}
		name := "a" + string(rune('0'+i))
		if i >= 10 {
			name = "a" + string(rune('a'+i-10))
		}
		bomb.WriteString(name + ": &" + name + " [" + strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	_, errs := decodeAll(t, bomb.String())
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, "aliases expand to too many values") {
		t.Errorf("alias bomb: errors = %v", errs)
	}

	deep := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n"
	_, errs = decodeAll(t, deep)
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, "nested more than") {
		t.Errorf("deep nesting: errors = %v", errs)
	}

	big := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  k: " + strings.Repeat("x", 2<<20) + "\n"
	d := Decode(Split([]byte(big))[0], k8s.Source{File: "big.yaml"}, k8s.Seq{}, Options{MaxDocumentBytes: 1 << 20})
	if len(d.Errors) != 1 || !strings.Contains(d.Errors[0].Msg, "more than the limit") {
		t.Errorf("oversized document: errors = %v", d.Errors)
	}
}

func TestJSONInput(t *testing.T) {
	in := "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Service\",\n\t\"metadata\": {\"name\": \"s\", \"annotations\": {\"u\": \"http:\\/\\/x\"}},\n\t\"spec\": {\"ports\": [{\"port\": 80}]}\n}\n"
	objs, errs := decodeAll(t, in)
	if len(errs) != 0 || len(objs) != 1 {
		t.Fatalf("objects %d, errors %v", len(objs), errs)
	}
	svc := objs[0].Typed.(*corev1.Service)
	if svc.Annotations["u"] != "http://x" || svc.Spec.Ports[0].Port != 80 {
		t.Errorf("decoded %+v", svc)
	}
	if l := objs[0].Location("spec.ports[0].port").Line; l != 5 {
		t.Errorf("port line = %d, want 5", l)
	}
}

func TestSkipForeign(t *testing.T) {
	d := Decode(Split([]byte("name: my-app\nversion: 1.0\n"))[0], k8s.Source{File: "values.yaml"}, k8s.Seq{}, Options{SkipForeign: true})
	if len(d.Errors) != 0 || d.Skipped != 1 {
		t.Errorf("foreign document: errors %v, skipped %d", d.Errors, d.Skipped)
	}
	d = Decode(Split([]byte("kind: Pod\nmetadata: {name: x}\n"))[0], k8s.Source{File: "pod.yaml"}, k8s.Seq{}, Options{SkipForeign: true})
	if len(d.Errors) != 1 {
		t.Errorf("a document with a kind is not foreign: errors %v", d.Errors)
	}
}
