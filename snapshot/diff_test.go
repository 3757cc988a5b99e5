package snapshot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// obj decodes a JSON object as snapshots hold them (numbers as json.Number).
func obj(t *testing.T, s string) map[string]any {
	t.Helper()
	o, err := decodeObject([]byte(s))
	if err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return o
}

// change is a FieldChange with its values as JSON, for comparing.
type change struct {
	Path, Change, Old, New string
}

func changesOf(fcs []FieldChange) []change {
	var out []change
	for _, f := range fcs {
		c := change{Path: f.Path, Change: f.Change}
		if f.Change != Added {
			b, _ := json.Marshal(f.Old)
			c.Old = string(b)
		}
		if f.Change != Removed {
			b, _ := json.Marshal(f.New)
			c.New = string(b)
		}
		out = append(out, c)
	}
	return out
}

// diffObjects normalizes a and b with the default patterns and extra ones,
// and returns their differences.
func diffObjects(t *testing.T, a, b string, extra ...string) []change {
	t.Helper()
	m, err := compilePatterns(extra, false)
	if err != nil {
		t.Fatal(err)
	}
	oa, ob := obj(t, a), obj(t, b)
	kind, _ := oa["kind"].(string)
	na, _ := m.normalize(oa, m.start(kind))
	nb, _ := m.normalize(ob, m.start(kind))
	var out []FieldChange
	diffValues(nil, na, nb, &out)
	if (digest(na) == digest(nb)) != (len(out) == 0) {
		t.Errorf("digests equal: %v, but %d changes: the fingerprint and the diff disagree", digest(na) == digest(nb), len(out))
	}
	return changesOf(out)
}

const deployment = `{"apiVersion":"apps/v1","kind":"Deployment",
 "metadata":{"name":"web","namespace":"shop","uid":"u1","resourceVersion":"100","generation":3,
  "creationTimestamp":"2026-01-01T00:00:00Z","labels":{"app.kubernetes.io/name":"web","tier":"front"},
  "managedFields":[{"manager":"kubectl","operation":"Apply"}]},
 "spec":{"replicas":2,"template":{"spec":{
  "containers":[
   {"name":"web","image":"web:1.0","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"args":["--port","80"],
    "volumeMounts":[{"name":"data","mountPath":"/data"},{"name":"data","mountPath":"/cache","subPath":"cache"}]},
   {"name":"sidecar","image":"proxy:2.0","ports":[{"containerPort":8080}]}],
  "tolerations":[{"key":"a","operator":"Exists"},{"key":"b","operator":"Exists"}]}}},
 "status":{"observedGeneration":3,"replicas":2,"conditions":[
  {"type":"Available","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z","lastUpdateTime":"2026-01-01T00:00:00Z"}]}}`

// edit returns deployment with each old string replaced by its new one.
func edit(t *testing.T, pairs ...string) string {
	t.Helper()
	s := deployment
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("the deployment has no %q", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

func TestDiffEngine(t *testing.T) {
	for _, tc := range []struct {
		name   string
		b      string
		ignore []string
		want   []change
	}{
		{
			name: "noise only: resourceVersion, generation, managedFields, uid, status clocks",
			b: edit(t, `"resourceVersion":"100"`, `"resourceVersion":"200"`, `"generation":3`, `"generation":4`,
				`"manager":"kubectl"`, `"manager":"kube-controller-manager"`, `"uid":"u1"`, `"uid":"u2"`,
				`"observedGeneration":3`, `"observedGeneration":4`,
				`"lastTransitionTime":"2026-01-01T00:00:00Z"`, `"lastTransitionTime":"2026-02-01T00:00:00Z"`,
				`"lastUpdateTime":"2026-01-01T00:00:00Z"`, `"lastUpdateTime":"2026-02-01T00:00:00Z"`),
		},
		{
			name: "a scalar",
			b:    edit(t, `"replicas":2,"template"`, `"replicas":3,"template"`),
			want: []change{{"spec.replicas", Changed, "2", "3"}},
		},
		{
			name: "named containers matched by name, in any order",
			b:    edit(t, `"image":"proxy:2.0"`, `"image":"proxy:2.1"`),
			want: []change{{"spec.template.spec.containers[name=sidecar].image", Changed, `"proxy:2.0"`, `"proxy:2.1"`}},
		},
		{
			name: "env matched by name: one added, one removed, one changed",
			b:    edit(t, `{"name":"A","value":"1"},{"name":"B","value":"2"}`, `{"name":"B","value":"3"},{"name":"C","value":"4"}`),
			want: []change{
				{"spec.template.spec.containers[name=web].env[name=B].value", Changed, `"2"`, `"3"`},
				{"spec.template.spec.containers[name=web].env[name=C]", Added, "", `{"name":"C","value":"4"}`},
				{"spec.template.spec.containers[name=web].env[name=A]", Removed, `{"name":"A","value":"1"}`, ""},
			},
		},
		{
			name: "a container added in front is not every container changed",
			b:    edit(t, `"containers":[`, `"containers":[{"name":"init","image":"busybox"},`),
			want: []change{{"spec.template.spec.containers[name=init]", Added, "", `{"image":"busybox","name":"init"}`}},
		},
		{
			name: "named items reordered",
			b:    edit(t, `{"name":"A","value":"1"},{"name":"B","value":"2"}`, `{"name":"B","value":"2"},{"name":"A","value":"1"}`),
			want: []change{{"spec.template.spec.containers[name=web].env", Reordered, `["A","B"]`, `["B","A"]`}},
		},
		{
			name: "volumeMounts share a name: matched by mountPath",
			b:    edit(t, `"subPath":"cache"`, `"subPath":"tmp"`),
			want: []change{{"spec.template.spec.containers[name=web].volumeMounts[mountPath=/cache].subPath", Changed, `"cache"`, `"tmp"`}},
		},
		{
			name: "ports without names: matched by containerPort",
			b:    edit(t, `"ports":[{"containerPort":8080}]`, `"ports":[{"containerPort":8080,"protocol":"UDP"}]`),
			want: []change{{"spec.template.spec.containers[name=sidecar].ports[containerPort=8080].protocol", Added, "", `"UDP"`}},
		},
		{
			name: "a list of scalars is one change",
			b:    edit(t, `"args":["--port","80"]`, `"args":["--port","8080"]`),
			want: []change{{"spec.template.spec.containers[name=web].args", Changed, `["--port","80"]`, `["--port","8080"]`}},
		},
		{
			name: "unnamed items aligned: one inserted in front",
			b:    edit(t, `"tolerations":[`, `"tolerations":[{"key":"z","operator":"Exists"},`),
			want: []change{{"spec.template.spec.tolerations[0]", Added, "", `{"key":"z","operator":"Exists"}`}},
		},
		{
			name: "unnamed items: one changed in place",
			b:    edit(t, `{"key":"b","operator":"Exists"}`, `{"key":"b","operator":"Equal","value":"x"}`),
			want: []change{
				{"spec.template.spec.tolerations[1].operator", Changed, `"Exists"`, `"Equal"`},
				{"spec.template.spec.tolerations[1].value", Added, "", `"x"`},
			},
		},
		{
			name: "nested maps: labels with dotted keys",
			b:    edit(t, `"labels":{"app.kubernetes.io/name":"web","tier":"front"}`, `"labels":{"app.kubernetes.io/name":"shop-web","team":"a"}`),
			want: []change{
				{`metadata.labels["app.kubernetes.io/name"]`, Changed, `"web"`, `"shop-web"`},
				{"metadata.labels.team", Added, "", `"a"`},
				{"metadata.labels.tier", Removed, `"front"`, ""},
			},
		},
		{
			name: "type changes",
			b:    edit(t, `"replicas":2,"template"`, `"replicas":"2","template"`, `"args":["--port","80"]`, `"args":{"port":"80"}`),
			want: []change{
				{"spec.replicas", Changed, "2", `"2"`},
				{"spec.template.spec.containers[name=web].args", Changed, `["--port","80"]`, `{"port":"80"}`},
			},
		},
		{
			name: "a field removed, a field added, null kept apart from missing",
			b:    edit(t, `"replicas":2,"template"`, `"paused":null,"template"`),
			want: []change{
				{"spec.paused", Added, "", "null"},
				{"spec.replicas", Removed, "2", ""},
			},
		},
		{
			name:   "--ignore with wildcards",
			b:      edit(t, `"image":"proxy:2.0"`, `"image":"proxy:2.1"`, `"image":"web:1.0"`, `"image":"web:1.1"`, `"replicas":2,"template"`, `"replicas":3,"template"`),
			ignore: []string{"spec.template.spec.containers[*].image", "Deployment:spec.replicas"},
		},
		{
			name:   "--ignore of one named item",
			b:      edit(t, `"image":"proxy:2.0"`, `"image":"proxy:2.1"`, `"image":"web:1.0"`, `"image":"web:1.1"`),
			ignore: []string{"spec.template.spec.containers[name=sidecar]"},
			want:   []change{{"spec.template.spec.containers[name=web].image", Changed, `"web:1.0"`, `"web:1.1"`}},
		},
		{
			name:   "--ignore of a kind leaves other kinds alone",
			b:      edit(t, `"replicas":2,"template"`, `"replicas":3,"template"`),
			ignore: []string{"StatefulSet:spec.replicas"},
			want:   []change{{"spec.replicas", Changed, "2", "3"}},
		},
		{
			name:   "** reaches any depth",
			b:      edit(t, `"image":"proxy:2.0"`, `"image":"proxy:2.1"`, `"value":"1"`, `"value":"9"`),
			ignore: []string{"spec.**.image", "**.env"},
		},
		{
			name: "a map that only ignored fields filled equals a missing one",
			b:    strings.Replace(deployment, `"labels":{"app.kubernetes.io/name":"web","tier":"front"},`, `"labels":{"app.kubernetes.io/name":"web","tier":"front"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"},`, 1),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := diffObjects(t, deployment, tc.b, tc.ignore...)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLeaseChurn: a Lease's renewals are ignored, but only in Leases.
func TestLeaseChurn(t *testing.T) {
	lease := `{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"kube-scheduler","namespace":"kube-system"},
	 "spec":{"holderIdentity":"a","leaseDurationSeconds":15,"renewTime":"2026-01-01T00:00:00.000000Z"}}`
	renewed := strings.NewReplacer(`"holderIdentity":"a"`, `"holderIdentity":"b"`, `00.000000Z`, `07.000000Z`).Replace(lease)
	if got := diffObjects(t, lease, renewed); len(got) != 0 {
		t.Errorf("a renewed lease differs: %v", got)
	}
	other := strings.Replace(lease, `"kind":"Lease"`, `"kind":"Reservation"`, 1)
	otherRenewed := strings.Replace(renewed, `"kind":"Lease"`, `"kind":"Reservation"`, 1)
	if got := diffObjects(t, other, otherRenewed); len(got) != 2 {
		t.Errorf("the lease patterns reach another kind: %v", got)
	}
	longer := strings.Replace(renewed, `"leaseDurationSeconds":15`, `"leaseDurationSeconds":60`, 1)
	if got := diffObjects(t, lease, longer); len(got) != 1 || got[0].Path != "spec.leaseDurationSeconds" {
		t.Errorf("a lease's duration = %v", got)
	}
}

// TestSecretDigestChange: a Secret read with its values keeps digests, and
// a value that changed shows as a digest that changed, never as the value.
func TestSecretDigestChange(t *testing.T) {
	secret := func(password string) string {
		return fmt.Sprintf(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"shop",
		 "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"password\":\"%s\"}}"}},
		 "type":"Opaque","data":{"password":"%s","user":"YWRtaW4="}}`, b64(password), b64(password))
	}
	a, _, err := prepare([]byte(secret("hunter2-old")), prepareOptions{readSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := prepare([]byte(secret("hunter2-new")), prepareOptions{readSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"hunter2", b64("hunter2-old"), b64("hunter2-new"), "YWRtaW4=", "admin", "last-applied"} {
		if strings.Contains(string(a)+string(b), s) {
			t.Fatalf("a prepared Secret holds %q:\n%s", s, a)
		}
	}
	got := diffObjects(t, string(a), string(b))
	want := []change{{"data.password", Changed,
		`"` + SecretDigest("shop", "db", "password", []byte("hunter2-old")) + `"`,
		`"` + SecretDigest("shop", "db", "password", []byte("hunter2-new")) + `"`}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}

	// Without --read-secrets, only the metadata is kept.
	m, partial, err := prepare([]byte(secret("hunter2-old")), prepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if partial != PartialMetadata || strings.Contains(string(m), `"data"`) || strings.Contains(string(m), "hunter2") {
		t.Errorf("metadata only: partial %q, %s", partial, m)
	}

	// stringData, as files write it, has the digests data would have.
	sd, _, err := prepare([]byte(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"shop"},
	 "stringData":{"password":"hunter2-old"},"data":{"user":"YWRtaW4="}}`), prepareOptions{readSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := diffObjects(t, string(a), string(sd)); len(got) != 1 || got[0].Path != "type" {
		t.Errorf("stringData against data: %v", got)
	}
}

func b64(s string) string {
	b, _ := json.Marshal([]byte(s))
	return strings.Trim(string(b), `"`)
}

func TestSecretDigest(t *testing.T) {
	d := SecretDigest("shop", "db", "password", []byte("x"))
	if !strings.HasPrefix(d, "sha256:") || len(d) != 71 {
		t.Errorf("digest %q", d)
	}
	for _, other := range []string{
		SecretDigest("shop", "db", "password", []byte("y")),
		SecretDigest("shop", "db2", "password", []byte("x")),
		SecretDigest("pay", "db", "password", []byte("x")),
		SecretDigest("shop", "db", "pass", []byte("x")),
		SecretDigest("shop", "dbpassword", "", []byte("x")),
	} {
		if other == d {
			t.Errorf("two different values or Secrets share the digest %s", d)
		}
	}
	if SecretDigest("shop", "db", "password", []byte("x")) != d {
		t.Error("the digest is not stable")
	}
}

func TestParsePattern(t *testing.T) {
	for _, tc := range []struct {
		in, kind string
		segs     int
		err      bool
	}{
		{in: "spec.replicas", segs: 2},
		{in: "Deployment:spec.replicas", kind: "Deployment", segs: 2},
		{in: `metadata.annotations["a.b/c"]`, segs: 3},
		{in: `metadata.annotations["a:b"]`, segs: 3},
		{in: "spec.containers[*].image", segs: 4},
		{in: "spec.containers[name=web].image", segs: 4},
		{in: `spec.containers[name="my web"].image`, segs: 4},
		{in: "rules[0].verbs", segs: 3},
		{in: "status.**", segs: 2},
		{in: "**.lastTransitionTime", segs: 2},
		{in: "", err: true},
		{in: "spec..replicas", err: true},
		{in: "spec.[0]", err: true},
		{in: "spec.a b", err: true},
		{in: "spec.containers[", err: true},
		{in: "spec.containers[x]", err: true},
		{in: `metadata.annotations["a]`, err: true},
		{in: "Kind:", err: true},
	} {
		p, err := ParsePattern(tc.in)
		if tc.err {
			if err == nil {
				t.Errorf("ParsePattern(%q) = %+v, want an error", tc.in, p)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePattern(%q): %v", tc.in, err)
			continue
		}
		if p.Kind != tc.kind || len(p.segs) != tc.segs {
			t.Errorf("ParsePattern(%q) = kind %q, %d steps; want %q, %d", tc.in, p.Kind, len(p.segs), tc.kind, tc.segs)
		}
	}
	for _, s := range DefaultIgnore {
		if _, err := ParsePattern(s); err != nil {
			t.Errorf("DefaultIgnore: %v", err)
		}
	}
}

// TestPathString: paths render as Dozor writes field paths, and every
// rendered path is a pattern that ignores exactly that field.
func TestPathString(t *testing.T) {
	for _, tc := range []struct {
		path []seg
		want string
	}{
		{[]seg{{kind: segKey, key: "spec"}, {kind: segKey, key: "replicas"}}, "spec.replicas"},
		{[]seg{{kind: segKey, key: "metadata"}, {kind: segKey, key: "labels"}, {kind: segKey, key: "app.kubernetes.io/name"}}, `metadata.labels["app.kubernetes.io/name"]`},
		{[]seg{{kind: segKey, key: "containers"}, {kind: segElem, key: "name", value: "web"}, {kind: segKey, key: "image"}}, "containers[name=web].image"},
		{[]seg{{kind: segKey, key: "volumeMounts"}, {kind: segElem, key: "mountPath", value: "/var/run"}}, "volumeMounts[mountPath=/var/run]"},
		{[]seg{{kind: segKey, key: "env"}, {kind: segElem, key: "name", value: "a b]"}}, `env[name="a b]"]`},
		{[]seg{{kind: segKey, key: "rules"}, {kind: segIndex, index: 2}, {kind: segKey, key: "verbs"}}, "rules[2].verbs"},
		{[]seg{{kind: segKey, key: "data"}, {kind: segKey, key: "*"}}, `data["*"]`},
	} {
		got := pathString(tc.path)
		if got != tc.want {
			t.Errorf("pathString = %s, want %s", got, tc.want)
			continue
		}
		p, err := ParsePattern(got)
		if err != nil {
			t.Errorf("ParsePattern(%s): %v", got, err)
			continue
		}
		m := &matcher{pats: []*Pattern{p}}
		st := m.start("")
		ignored := false
		for i, s := range tc.path {
			st, ignored = m.step(st, s)
			if ignored != (i == len(tc.path)-1) {
				t.Errorf("pattern %s: ignored %v at step %d of %d", got, ignored, i+1, len(tc.path))
			}
		}
	}
}
