# Sourced by the bench scripts. best LABEL COMMAND...: runs COMMAND $RUNS
# times and prints the best wall time and the highest peak RSS, also
# appended to $FIGURES. Uses $OUT for scratch files.
best() {
  local label=$1; shift
  local bt="" br=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" || { cat "$OUT/stderr.txt" >&2; true; }
    read -r t r < "$OUT/time.txt"
    if [ -z "$bt" ] || awk "BEGIN{exit !($t < $bt)}"; then bt=$t; fi
    if [ "$r" -gt "$br" ]; then br=$r; fi
  done
  printf '%-58s %7.2f s %7d MB\n' "$label" "$bt" $((br / 1024)) | tee -a "$FIGURES"
}
