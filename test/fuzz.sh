#!/usr/bin/env bash
# test/fuzz.sh TARGET PACKAGE [go test flags...]: fuzzes one target for
# FUZZTIME (default 10s).
#
# Go 1.26's fuzz coordinator can fail a target with a bare "context
# deadline exceeded" when -fuzztime runs out while a worker is mid-call
# (golang/go#75804, fixed in Go 1.27). That is not a finding: a real one
# writes its input to testdata/fuzz and says "Failing input written". So
# when the run fails with that message alone, the corpus (seeds and every
# input found so far) is replayed deterministically, and that replay is
# the verdict. Any other failure fails.
set -uo pipefail
target=$1 pkg=$2
shift 2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"${GO:-go}" test -run '^$' -fuzz "^${target}\$" -fuzztime "${FUZZTIME:-10s}" "$@" "$pkg" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] && exit 0
if grep -q 'context deadline exceeded' "$log" && ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"; then
  echo "fuzz: $target: the fuzz coordinator's own deadline race at the end of -fuzztime (golang/go#75804), no failing input; replaying the corpus"
  exec "${GO:-go}" test -count=1 -run "^${target}\$" "$pkg"
fi
exit "$rc"
