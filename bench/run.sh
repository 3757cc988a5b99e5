#!/usr/bin/env bash
# make bench: measures `dozor scan` on a corpus of real-world manifests.
#
# Builds, from ../shared/corpus/manifests (283 files, 458 objects), corpora of
# 5 and 50 renamed copies (about 2,300 and 23,000 objects), then measures, on
# this machine:
#   - dozor scan with every check, on both sizes (linearity: 10x the objects
#     should cost at most 11x the time), wall time and peak RSS, best of RUNS;
#   - plain YAML decoding of the same files (yaml.v3 into Go values, on every
#     core): the floor under any YAML-reading scanner;
#   - kube-score v1.20.0 on the "clean" corpus (files kube-score can parse:
#     it refuses to score anything when one file is bad), when it can be
#     installed from the Go module proxy; dozor on the same clean corpus.
# Figures go to standard output and bench/out/results.txt; docs/benchmarks.md
# records them with the machine they were measured on.
set -euo pipefail
cd "$(dirname "$0")/.."

SHARED=${SHARED:-../shared}
RUNS=${RUNS:-3}
OUT=bench/out
SRC="$SHARED/corpus/manifests"
if [ ! -d "$SRC" ]; then
  echo "bench: $SRC is missing: the benchmark corpus comes from ../shared" >&2
  exit 1
fi
mkdir -p "$OUT/bin"

echo "== building"
go build -trimpath -o "$OUT/bin/dozor" ./cmd/dozor
go build -trimpath -o "$OUT/bin/yamldecode" ./bench/yamldecode
go build -trimpath -o "$OUT/bin/corpus" ./bench/corpus
if [ ! -x "$OUT/bin/kube-score" ]; then
  GOBIN="$PWD/$OUT/bin" go install github.com/zegl/kube-score/cmd/kube-score@v1.20.0 2>/dev/null \
    || echo "bench: kube-score could not be installed; it is left out"
fi

echo "== corpora"
"$OUT/bin/corpus" -src "$SRC" -copies 5 -out "$OUT/c5"
"$OUT/bin/corpus" -src "$SRC" -copies 50 -out "$OUT/c50"
"$OUT/bin/corpus" -src "$SRC" -copies 50 -clean -out "$OUT/c50clean"
find "$OUT/c50clean" -name '*.yaml' -print0 | sort -z | xargs -0 cat > "$OUT/c50clean.yaml"

# measure KEY LABEL CMD...: best wall time (and its peak RSS) over RUNS runs;
# records KEY's seconds in $OUT/KEY.t for the ratios below.
measure() {
  local key=$1 label=$2; shift 2
  local best="" rss="" cpu=""
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M %P" -o "$OUT/time.txt" "$@" >/dev/null 2>&1 || true
    read -r t m p < <(tail -n 1 "$OUT/time.txt")
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$m; cpu=$p; fi
  done
  echo "$best" > "$OUT/$key.t"
  printf "%-46s %7.2f s  %5d MB  CPU %5s\n" "$label" "$best" "$((rss / 1024))" "$cpu" | tee -a "$OUT/results.txt"
}
ratio() { awk "BEGIN{printf \"%.1f\", $(cat "$OUT/$1.t") / $(cat "$OUT/$2.t")}"; }
rate() { awk "BEGIN{printf \"%.0f\", $1 / $(cat "$OUT/$2.t")}"; }

: > "$OUT/results.txt"
echo "== results (best of $RUNS; $(nproc) cores; $(go version | cut -d' ' -f3))" | tee -a "$OUT/results.txt"
# dozor exits 2 on the corpus's bad files (by design): keep the report anyway.
objects() { { "$OUT/bin/dozor" scan "$1" -o json --fail-on none 2>/dev/null || true; } | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["objects"])'; }
n5=$(objects "$OUT/c5"); n50=$(objects "$OUT/c50"); nclean=$(objects "$OUT/c50clean")
echo "objects: c5=$n5 c50=$n50 c50clean=$nclean" | tee -a "$OUT/results.txt"
D="$OUT/bin/dozor"
measure yaml   "yaml.v3 decode only, c50"                 "$OUT/bin/yamldecode" "$OUT/c50"
measure d5     "dozor scan, c5 (table)"                   "$D" scan "$OUT/c5" --fail-on none
measure d50    "dozor scan, c50 (table)"                  "$D" scan "$OUT/c50" --fail-on none
measure d50j   "dozor scan, c50 (json)"                   "$D" scan "$OUT/c50" -o json --fail-on none
measure dcl    "dozor scan, c50clean from stdin (table)"  sh -c "'$D' scan - --fail-on none < '$OUT/c50clean.yaml'"
measure dclj   "dozor scan, c50clean from stdin (json)"   sh -c "'$D' scan - -o json --fail-on none < '$OUT/c50clean.yaml'"
if [ -x "$OUT/bin/kube-score" ]; then
  measure ks   "kube-score score, c50clean from stdin (ci)" sh -c "'$OUT/bin/kube-score' score --output-format ci - < '$OUT/c50clean.yaml'"
fi
{
  echo "objects per second, c50 (table): $(rate "$n50" d50)"
  echo "linearity: c50 / c5 time = $(ratio d50 d5) (objects x$(awk "BEGIN{printf \"%.1f\", $n50/$n5}"))"
  echo "dozor / yaml.v3 decode time, c50: $(ratio d50 yaml)"
  if [ -x "$OUT/bin/kube-score" ]; then
    echo "kube-score / dozor time, c50clean: $(ratio ks dcl) (table), $(ratio ks dclj) (json)"
  fi
} | tee -a "$OUT/results.txt"
