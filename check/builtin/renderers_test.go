package builtin_test

import (
	"github.com/dozor-dev/dozor/k8s/helm"
	"github.com/dozor-dev/dozor/k8s/kustomize"
	"github.com/dozor-dev/dozor/scan"
)

// Renderers are the chart and kustomization renderers fixtures use, so a
// fixture may be a chart or a kustomization directory.
var Renderers = scan.Renderers{Chart: helm.Render, Kustomization: kustomize.Build}
