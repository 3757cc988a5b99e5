#!/usr/bin/env bash
# Run by bench/cluster.sh inside a seeded test cluster: KUBECONFIG and
# KUBECTL are set.
set -euo pipefail
OUT=$1
D=$OUT/bin/dozor
RUNS=${RUNS:-3}
: > "$OUT/cluster-results.txt"

# The types Dozor reads: every listable resource but events and
# componentstatuses, which it skips.
TYPES=$("$KUBECTL" api-resources --verbs=list -o name | grep -v -E '^(events|events\.events\.k8s\.io|componentstatuses)$' | paste -sd, -)
OBJECTS=$("$KUBECTL" get "$TYPES" -A -o name 2>/dev/null | wc -l)

# best KEY CMD...: best wall time, and the highest peak RSS, over RUNS runs,
# into $OUT/KEY.t and $OUT/KEY.m. (Peak RSS varies from run to run with the
# timing of garbage collection: the highest is the honest figure.)
best() {
  local key=$1; shift
  local bt="" bm=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" > "$OUT/$key.out" 2>/dev/null || true
    read -r t m < <(tail -n 1 "$OUT/time.txt")
    if [ -z "$bt" ] || awk "BEGIN{exit !($t < $bt)}"; then bt=$t; fi
    if [ "$m" -gt "$bm" ]; then bm=$m; fi
  done
  echo "$bt" > "$OUT/$key.t"; echo "$bm" > "$OUT/$key.m"
}

best kubectl "$KUBECTL" get "$TYPES" -A -o json
JSON_BYTES=$(stat -c %s "$OUT/kubectl.out")
best kubectltable "$KUBECTL" get "$TYPES" -A
HAVE_INVENTORY=0
if "$D" inventory --help >/dev/null 2>&1; then
  HAVE_INVENTORY=1
  best inventory "$D" inventory -o json
fi
best scan "$D" scan cluster -o json --fail-on none

{
  echo "== cluster benchmark ($(nproc) cores; best time and highest peak RSS of $RUNS runs): $OBJECTS objects of $(echo "$TYPES" | tr ',' '\n' | wc -l) types"
  printf "%-44s %7.2f s  %5d MB RSS\n" "kubectl get TYPES -A -o json" "$(cat "$OUT/kubectl.t")" "$(( $(cat "$OUT/kubectl.m") / 1024 ))"
  printf "%-44s %7.2f s  %5d MB RSS\n" "kubectl get TYPES -A (table)" "$(cat "$OUT/kubectltable.t")" "$(( $(cat "$OUT/kubectltable.m") / 1024 ))"
  if [ "$HAVE_INVENTORY" = 1 ]; then
    printf "%-44s %7.2f s  %5d MB RSS\n" "dozor inventory" "$(cat "$OUT/inventory.t")" "$(( $(cat "$OUT/inventory.m") / 1024 ))"
  fi
  printf "%-44s %7.2f s  %5d MB RSS\n" "dozor scan cluster (every check)" "$(cat "$OUT/scan.t")" "$(( $(cat "$OUT/scan.m") / 1024 ))"
  echo "listed JSON: $(( JSON_BYTES / 1024 / 1024 )) MB"
  total=$(cat "$OUT/scan.t")
  peak=$(cat "$OUT/scan.m")
  if [ "$HAVE_INVENTORY" = 1 ]; then
    total=$(awk "BEGIN{print $total + $(cat "$OUT/inventory.t")}")
    peak=$(( peak > $(cat "$OUT/inventory.m") ? peak : $(cat "$OUT/inventory.m") ))
  fi
  awk "BEGIN{printf \"dozor (inventory + scan) / kubectl -o json time: %.2f\n\", $total / $(cat "$OUT/kubectl.t")}"
  awk "BEGIN{printf \"dozor peak RSS / listed JSON size: %.2f\n\", $peak * 1024 / $JSON_BYTES}"
} | tee -a "$OUT/cluster-results.txt"
