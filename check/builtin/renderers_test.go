package builtin_test

import "github.com/dozor-dev/dozor/scan"

// Renderers are the chart and kustomization renderers fixtures use.
var Renderers = scan.Renderers{}
