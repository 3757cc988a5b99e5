#!/usr/bin/env bash
# Image SBOM benchmark: Dozor, Syft and Trivy side by side on the same
# inputs, in one run (docs/benchmarks.md, "Image SBOM: Dozor, Trivy and
# Syft").
#
#   bench/images/compare.sh            # every input
#   INPUTS=debian12 RUNS=5 bench/images/compare.sh
#
# Inputs, made once into a cache outside the clone ($CACHE) and reused:
#   debian12        debootstrap --variant=minbase bookworm plus python3,
#                   git, gcc, nodejs, npm, as a directory;
#   debian12-large  the same plus a JDK, g++, cmake, Go, Ruby, pip, numpy,
#                   scipy, pandas and Perl modules, as a directory;
#   oci-large       debian12-large as an OCI image layout with one gzip'd
#                   layer (read by streaming the layer).
# Each root file system also holds two Go programs in /usr/local/bin
# (bin/dozor and Syft's binary), so that Go modules are compared too.
#
# Syft and Trivy are built from their Go modules (bench/images/tools/*/go.mod,
# the versions pinned there) into bin/tools, once; nothing of them is copied
# here. Each tool runs $RUNS times per input, in turn, with no network (in
# a new network namespace, when unshare works), writing CycloneDX JSON;
# the table has the best wall time (with that run's CPU use) and the
# highest peak RSS (/usr/bin/time) of the runs. bench/images/sbomcmp then compares the
# SBOMs: what share of Syft's and of Trivy's deb and golang packages
# (name and version) Dozor also finds, and the first it misses.
#
# Environment: RUNS (3), INPUTS (all three), CACHE
# (~/.cache/dozor-test), OUT (bench/out/images: the SBOMs and figures),
# LOAD_BELOW (unset: when set, wait before each timed run until the
# 1-minute load average is under it, on a shared machine).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
RUNS="${RUNS:-3}"
CACHE="${CACHE:-$HOME/.cache/dozor-test}"
OUT="${OUT:-$REPO/bench/out/images}"
INPUTS="${INPUTS:-debian12 debian12-large oci-large}"
GO="${GO:-go}"

BASE_PACKAGES="python3 git gcc nodejs npm"
LARGE_PACKAGES="$BASE_PACKAGES g++ make cmake default-jdk-headless golang-go ruby python3-pip python3-numpy python3-scipy python3-pandas libwww-perl libjson-perl libyaml-perl libdbi-perl libxml-libxml-perl curl openssh-client vim-nox"

modversion() { awk -v m="$2" '$1 == "require" && $2 == m { print $3 } $1 == m { print $2 }' "$1" | head -1; }
SYFT_VERSION=$(modversion bench/images/tools/syft/go.mod github.com/anchore/syft)
TRIVY_VERSION=$(modversion bench/images/tools/trivy/go.mod github.com/aquasecurity/trivy)
SYFT=$REPO/bin/tools/syft-$SYFT_VERSION
TRIVY=$REPO/bin/tools/trivy-$TRIVY_VERSION
DOZOR=$REPO/bin/dozor

mkdir -p "$OUT" "$CACHE" bin/tools
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# --- tools -------------------------------------------------------------------

[ -x /usr/bin/time ] || { $SUDO apt-get install -y -q time >/dev/null || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q time >/dev/null; }; }
command -v debootstrap >/dev/null || $SUDO apt-get install -y -q debootstrap >/dev/null

echo "building bin/dozor"
"$GO" build -o "$DOZOR" ./cmd/dozor

# Built as their releases are (their .goreleaser files): static, stripped,
# with the version stamped; Trivy's with GOEXPERIMENT=jsonv2.
if [ ! -x "$SYFT" ]; then
  echo "building Syft $SYFT_VERSION (once: several minutes)"
  (cd bench/images/tools/syft && CGO_ENABLED=0 "$GO" build -trimpath -tags containers_image_openpgp,exclude_graphdriver_btrfs \
    -ldflags "-s -w -X main.version=${SYFT_VERSION#v}" -o "$SYFT.tmp" github.com/anchore/syft/cmd/syft) && mv "$SYFT.tmp" "$SYFT"
fi
if [ ! -x "$TRIVY" ]; then
  echo "building Trivy $TRIVY_VERSION (once: several minutes)"
  (cd bench/images/tools/trivy && CGO_ENABLED=0 GOEXPERIMENT=jsonv2 "$GO" build -trimpath \
    -ldflags "-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=${TRIVY_VERSION#v}" -o "$TRIVY.tmp" github.com/aquasecurity/trivy/cmd/trivy) && mv "$TRIVY.tmp" "$TRIVY"
fi

# --- inputs ------------------------------------------------------------------

# rootfs NAME PACKAGES: $CACHE/bench-NAME, made once (written beside and
# renamed when complete) as a Dockerfile would: debootstrap --variant=minbase
# bookworm, then apt-get install --no-install-recommends PACKAGES in it
# (debootstrap's own --include cannot install npm: its resolver ignores
# the packages that provide the virtual ones npm's dependencies name), then
# apt's caches and lists removed.
rootfs() {
  local dir=$CACHE/bench-$1 log=$OUT/rootfs-$1.log
  [ -s "$dir/var/lib/dpkg/status" ] && return
  echo "making $dir (debootstrap and apt-get: several minutes; log in $log)"
  rm -rf "$dir.tmp"
  mkdir -p "$CACHE/debootstrap-debs"
  $SUDO debootstrap --variant=minbase --cache-dir="$CACHE/debootstrap-debs" bookworm "$dir.tmp" \
    http://deb.debian.org/debian >"$log" 2>&1 || { tail "$log" >&2; exit 1; }
  $SUDO mount -t proc proc "$dir.tmp/proc"
  # shellcheck disable=SC2086 # the packages are words
  if ! { $SUDO chroot "$dir.tmp" apt-get update -q &&
    $SUDO chroot "$dir.tmp" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $2 &&
    $SUDO chroot "$dir.tmp" apt-get clean; } >>"$log" 2>&1; then
    $SUDO umount "$dir.tmp/proc"; tail "$log" >&2; exit 1
  fi
  $SUDO umount "$dir.tmp/proc"
  $SUDO rm -rf "$dir.tmp"/var/lib/apt/lists/* "$dir.tmp"/var/cache/apt/*.bin
  mkdir -p "$dir.tmp/usr/local/bin"
  cp "$DOZOR" "$dir.tmp/usr/local/bin/dozor"
  cp "$SYFT" "$dir.tmp/usr/local/bin/syft"
  mv "$dir.tmp" "$dir"
}

# ocilayout NAME ROOTFS: $CACHE/bench-NAME, an OCI layout whose one layer
# is a gzip'd tar of ROOTFS.
ocilayout() {
  local dir=$CACHE/bench-$1
  if [ ! -f "$dir/oci-layout" ]; then
    echo "making $dir"
    rm -rf "$dir.tmp" "$dir.layer.tar.gz"
    tar -C "$2" --numeric-owner -cf - $(cd "$2" && ls -A) | gzip -6 >"$dir.layer.tar.gz"
    "$GO" run ./bench/images/ocilayout -layer "$dir.layer.tar.gz" -out "$dir.tmp"
    rm -f "$dir.layer.tar.gz"
    mv "$dir.tmp" "$dir"
  fi
}

# describe NAME DIR: packages, files and size of a root file system.
describe() {
  printf '%s: %s packages, %s files, %s MB\n' "$1" "$(grep -c '^Package:' "$2/var/lib/dpkg/status")" \
    "$(find "$2" -type f | wc -l)" "$(du -sm "$2" | cut -f1)"
}

for input in $INPUTS; do
  case $input in
    debian12) rootfs debian12 "$BASE_PACKAGES" ;;
    debian12-large) rootfs debian12-large "$LARGE_PACKAGES" ;;
    oci-large) rootfs debian12-large "$LARGE_PACKAGES"; ocilayout oci-large "$CACHE/bench-debian12-large" ;;
    *) echo "unknown input $input" >&2; exit 2 ;;
  esac
done

# --- runs --------------------------------------------------------------------

# No network for the tools: a new network namespace where unshare works.
NONET=()
if unshare -n true 2>/dev/null; then NONET=($SUDO unshare -n); else echo "warning: unshare -n fails: the tools run with the network"; fi
export SYFT_CHECK_FOR_APP_UPDATE=false

# command TOOL INPUT SBOM: the command line of TOOL for INPUT, writing SBOM.
command_for() {
  local tool=$1 input=$2 sbom=$3 src kind
  case $input in
    oci-*) kind=oci; src=$CACHE/bench-$input ;;
    *) kind=dir; src=$CACHE/bench-$input ;;
  esac
  case $tool in
    dozor) echo "$DOZOR image $kind:$src -o cyclonedx --db $OUT/no-such.db" ;;
    syft)
      [ $kind = oci ] && kind=oci-dir
      echo "$SYFT scan $kind:$src -o cyclonedx-json=$sbom -q" ;;
    trivy)
      # SBOM only (CycloneDX turns Trivy's vulnerability scanning off), no
      # database downloads, no layer cache kept between runs. Trivy reads
      # jars only with its Java DB, which it cannot fetch here: offline it
      # stops ("--skip-java-db-update cannot be specified on the first
      # run"), so it skips them (two in debian12-large, none in debian12).
      local common="--format cyclonedx --output $sbom --offline-scan --skip-db-update --skip-java-db-update --skip-check-update --skip-version-check --disable-telemetry --no-progress --quiet --cache-backend memory --cache-dir $OUT/trivy-cache --skip-files **/*.jar"
      if [ $kind = oci ]; then echo "$TRIVY image --input $src $common"; else echo "$TRIVY rootfs $common $src"; fi ;;
  esac
}

wait_load() {
  [ -n "${LOAD_BELOW:-}" ] || return 0
  while awk -v max="$LOAD_BELOW" '{ exit !($1 >= max) }' /proc/loadavg; do sleep 10; done
}

{
  echo "# $(date -u +%FT%TZ) $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "# $("$GO" version); Syft $SYFT_VERSION, Trivy $TRIVY_VERSION; best wall time and highest peak RSS of $RUNS runs"
} | tee "$OUT/figures.txt"

for input in $INPUTS; do
  case $input in
    oci-*) describe "$input (the layer of)" "$CACHE/bench-debian12-${input#oci-}"
      echo "  layer: $(du -sm "$CACHE/bench-$input/blobs" | cut -f1) MB gzip'd in $CACHE/bench-$input" ;;
    *) describe "$input" "$CACHE/bench-$input" ;;
  esac | tee -a "$OUT/figures.txt"
  dir=$OUT/$input
  rm -rf "$dir" && mkdir -p "$dir"
  : >"$dir/times.txt"
  declare -A best=() peak=() cpu=()
  for run in $(seq "$RUNS"); do
    for tool in dozor syft trivy; do
      sbom=$dir/$tool.cdx.json
      wait_load
      read -ra cmd <<<"$(command_for "$tool" "$input" "$sbom")"
      rc=0
      if [ "$tool" = dozor ]; then
        /usr/bin/time -f '%e %M %P' -o "$dir/time.txt" "${NONET[@]}" "${cmd[@]}" >"$sbom" 2>"$dir/$tool.stderr" || rc=$?
      else
        /usr/bin/time -f '%e %M %P' -o "$dir/time.txt" "${NONET[@]}" "${cmd[@]}" >"$dir/$tool.stdout" 2>"$dir/$tool.stderr" || rc=$?
      fi
      # Dozor exits 3 when the image was read but entries were skipped.
      if [ $rc -ne 0 ] && ! { [ "$tool" = dozor ] && [ $rc -eq 3 ]; }; then
        echo "$tool on $input failed (exit $rc):" >&2; tail -20 "$dir/$tool.stderr" >&2; exit 1
      fi
      read -r t r p < <(tail -1 "$dir/time.txt")
      echo "$tool run $run: $t s $((r / 1024)) MB $p CPU" | tee -a "$dir/runs.txt"
      if [ -z "${best[$tool]:-}" ] || awk -v a="$t" -v b="${best[$tool]}" 'BEGIN { exit !(a < b) }'; then best[$tool]=$t cpu[$tool]=$p; fi
      if [ "${peak[$tool]:-0}" -lt "$r" ]; then peak[$tool]=$r; fi
    done
  done
  for tool in dozor syft trivy; do echo "$tool ${best[$tool]} ${peak[$tool]} ${cpu[$tool]}" >>"$dir/times.txt"; done
  unset best peak cpu
  "$GO" run ./bench/images/sbomcmp -times "$dir/times.txt" -dozor "$dir/dozor.cdx.json" -syft "$dir/syft.cdx.json" -trivy "$dir/trivy.cdx.json" | sed 's/^/  /' | tee -a "$OUT/figures.txt"
done
echo "figures: $OUT/figures.txt; SBOMs and each run's figures: $OUT/INPUT/"
