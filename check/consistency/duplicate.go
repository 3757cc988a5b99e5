package consistency

import (
	"fmt"
	"path/filepath"

	"github.com/dozor-dev/dozor/check"
	"github.com/dozor-dev/dozor/finding"
	"github.com/dozor-dev/dozor/k8s"
)

func duplicateObject() *check.Check {
	return &check.Check{
		Rule: finding.Rule{
			ID: "DZ-REF-012", Name: "duplicate-object",
			Title:    "Object defined twice",
			Severity: finding.Medium,
			Description: "Two definitions of the same kind, namespace and name are one object in the cluster: applying them " +
				"leaves only the last one, and the settings of the other are silently lost. " +
				"Kinds of different API groups with the same name, such as Calico's NetworkPolicy, are told apart; objects " +
				"named by generateName are left out, and so are plain files in different directories, which are usually " +
				"copies for different clusters or environments." + partial,
			Remediation: "Remove one definition, or rename one of the objects.",
			References:  []string{"https://kubernetes.io/docs/concepts/overview/working-with-objects/names/"},
			Tags:        []string{"consistency"},
		},
		Index: func(ctx *check.Context, ix *k8s.Index) {
			type key struct {
				group, dir string
				k8s.Key
			}
			first := map[key]*k8s.Object{}
			for _, o := range ix.Objects() {
				if o.Meta.Name == "" {
					continue
				}
				g := o.Group()
				if builtinGroup(g) {
					g = "" // apps/v1 and extensions/v1beta1 Deployments are the same objects
				}
				k := key{group: g, Key: k8s.KeyOf(o)}
				if o.Source.Chart == "" && o.Source.Kustomization == "" {
					// Plain files in different directories are usually copies
					// for different clusters or environments.
					k.dir = filepath.Dir(o.Source.File)
				}
				f, dup := first[k]
				if !dup {
					first[k] = o
					continue
				}
				where := "namespace " + fmt.Sprintf("%q", k.Namespace)
				if k.Namespace == "" {
					where = "the cluster"
				}
				ctx.Report(o, "metadata.name", "%s %q in %s is already defined at %s; only the definition applied last survives",
					o.Kind, o.Name(), where, place(f))
			}
		},
	}
}

// place says where an object is defined: file and line, or chart template.
func place(o *k8s.Object) string {
	l := o.Location("")
	switch {
	case l.Template != "":
		return l.Template
	case l.Line > 0:
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	}
	return l.File
}
