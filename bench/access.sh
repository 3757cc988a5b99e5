#!/usr/bin/env bash
# make bench-access: measures the access analysis on this machine.
#   - Go benchmarks of package rbac on 10,000 roles and bindings and 5,000
#     service accounts in memory: building the model, one who-can question
#     (target: under 10 ms), every dangerous access, and the whole analysis
#     with the escalation graph and every subject's shortest path (target:
#     under 2 s);
#   - the whole dozor command on the same cluster as manifests
#     (bench/rbacgen: 21,500 objects, 3 MB of YAML), best wall time and
#     peak RSS of RUNS: reading and decoding the YAML included.
# Figures go to standard output and bench/out/access.txt; docs/benchmarks.md
# records them.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
OUT=bench/out
mkdir -p "$OUT/bin"
go build -trimpath -o "$OUT/bin/dozor" ./cmd/dozor
go run ./bench/rbacgen -out "$OUT/access.yaml"

FIGURES="$OUT/access.txt"
. bench/best.sh

: > "$OUT/access.txt"
DOZOR_NO_CLUSTER=1 go test -run '^$' -bench 'BenchmarkBuild|BenchmarkWhoCan|BenchmarkAllowed|BenchmarkRisks|BenchmarkAnalysis' -benchmem ./rbac/ \
  | grep Benchmark | tee -a "$OUT/access.txt"
ls -l "$OUT/access.yaml" | awk '{printf "manifests: %d MB\n", $5/1048576}' | tee -a "$OUT/access.txt"
best "dozor access who-can get secrets -n ns250 -f" "$OUT/bin/dozor" access who-can get secrets -n ns250 -f "$OUT/access.yaml"
best "dozor access risks -f" "$OUT/bin/dozor" access risks -f "$OUT/access.yaml"
best "dozor access paths -o json -f" "$OUT/bin/dozor" access paths -o json -f "$OUT/access.yaml"
"$OUT/bin/dozor" access paths -o json --members -f "$OUT/access.yaml" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print("  graph: %d vertices, %d edges; %d subjects with a path (with members), %d workloads carry one" % (d["graph"]["vertices"], d["graph"]["edges"], len(d["subjects"]), len(d["workloads"])))' \
  | tee -a "$OUT/access.txt"
