#!/usr/bin/env bash
# make bench-cluster: measures Dozor against kubectl on the real test
# cluster, seeded with 50,000 more objects (BENCH_PODS pods, BENCH_CMS config
# maps, BENCH_CRS custom resources).
#
#   kubectl: `kubectl get TYPES -A -o json`, every type Dozor reads, one after
#            another, as kubectl lists them; the size of that JSON is the
#            yardstick for memory;
#   dozor:   `dozor inventory` plus `dozor scan cluster` (every check).
#
# Targets (issue 3): Dozor's time at most 1.3x kubectl's; Dozor's peak RSS at
# most 3x the size of the listed JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$PWD/bench/out
mkdir -p "$OUT"
go build -trimpath -o "$OUT/bin/dozor" ./cmd/dozor
cd test/cluster
exec go run ./cmd/testcluster run \
  -bulk-pods "${BENCH_PODS:-20000}" -bulk-configmaps "${BENCH_CMS:-15000}" -bulk-crs "${BENCH_CRS:-15000}" \
  -- bash ../../bench/cluster-measure.sh "$OUT"
