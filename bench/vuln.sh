#!/usr/bin/env bash
# make bench-vuln: measures the vulnerability database and component
# matching on this machine, best wall time and peak RSS of RUNS:
#   - dozor db import of everything in ../shared/data (4,291 Go and 44
#     Kubernetes advisories, 1,404 KEV entries, 23 end-of-life products)
#     and the fixtures of vuln/testdata; the target is under 30 s;
#   - dozor db import of a made-up OSV archive of 200,000 advisories over
#     20,000 packages (bench/osvgen), the size of the largest real ones;
#   - dozor components on a made-up inventory of 1,000 nodes (bench/inventorygen):
#     the whole command, process start, reading the inventory, opening the
#     database and matching every component; the target is under 1 s.
# Figures go to standard output and bench/out/vuln.txt; docs/benchmarks.md
# records them.
set -euo pipefail
cd "$(dirname "$0")/.."

SHARED=${SHARED:-../shared}
RUNS=${RUNS:-3}
NODES=${NODES:-1000}
OUT=bench/out
if [ ! -d "$SHARED/data/osv" ]; then
  echo "bench: $SHARED/data is missing: the vulnerability data comes from ../shared" >&2
  exit 1
fi
mkdir -p "$OUT/bin"
go build -trimpath -o "$OUT/bin/dozor" ./cmd/dozor
go build -trimpath -o "$OUT/bin/inventorygen" ./bench/inventorygen
go build -trimpath -o "$OUT/bin/osvgen" ./bench/osvgen
[ -f "$OUT/osv-big/Debian/all.zip" ] || "$OUT/bin/osvgen" -advisories 200000 -packages 20000 -out "$OUT/osv-big/Debian/all.zip"
"$OUT/bin/inventorygen" -nodes "$NODES" -out "$OUT/inventory-$NODES.json"

FIGURES="$OUT/vuln.txt"
. bench/best.sh

: > "$OUT/vuln.txt"
best "dozor db import ../shared/data" "$OUT/bin/dozor" db import --db "$OUT/vuln.db" "$SHARED/data" vuln/testdata
best "dozor db import (200,000 made-up advisories, 96 MB zip)" "$OUT/bin/dozor" db import --db "$OUT/vuln-big.db" "$OUT/osv-big"
ls -l "$OUT/vuln-big.db" | awk '{printf "  database file: %d MB\n", $5/1048576}' | tee -a "$OUT/vuln.txt"
best "dozor components --inventory ($NODES nodes)" "$OUT/bin/dozor" components --db "$OUT/vuln.db" --inventory "$OUT/inventory-$NODES.json" -o json --now 2026-11-23
"$OUT/bin/dozor" components --db "$OUT/vuln.db" --inventory "$OUT/inventory-$NODES.json" -o json --now 2026-11-23 2>/dev/null \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print("  %d distinct versions, %d vulnerabilities matched, %d findings" % (len(d["components"]), sum(len(c["vulnerabilities"]) for c in d["components"]), len(d["findings"])))' \
  | tee -a "$OUT/vuln.txt"
go test -run '^$' -bench 'BenchmarkAnalyze' -benchmem ./component/ | grep Benchmark | tee -a "$OUT/vuln.txt"
