#!/bin/sh
# Builds OUTDIR/memif_pingpong from memif_pingpong.c against the installed DPDK: the raw C baseline of
# the DPDK rows of `./rum bench transport`. Run by Maven (bench, phase compile) with OUTDIR = target/native.
#
# Without gcc or the DPDK headers this is not an error: it writes OUTDIR/PINGPONG-MISSING.txt with the
# reason and exits 0, so the rest of RUM still builds; the bench prints that reason instead of the DPDK rows.
set -eu
if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
OUT=$1
SRC_DIR=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
rm -f "$OUT/PINGPONG-MISSING.txt"

missing() {
  echo "$1" > "$OUT/PINGPONG-MISSING.txt"
  rm -f "$OUT/memif_pingpong"
  echo "build-pingpong: memif_pingpong not built: $1" >&2
  exit 0
}

command -v gcc >/dev/null 2>&1 || missing "gcc not installed (apt-get install gcc)"
command -v pkg-config >/dev/null 2>&1 || missing "pkg-config not installed (apt-get install pkg-config)"
pkg-config --exists libdpdk || missing "libdpdk-dev not installed (pkg-config libdpdk not found; apt-get install dpdk libdpdk-dev)"

# pkg-config adds -march=corei7 for Debian's DPDK. The PMDs (net_memif, mempool_ring) are loaded by EAL from
# its plugin directory at run time, so no extra libraries are linked.
# shellcheck disable=SC2046
if ! gcc -O2 -g -Wall -Wextra -Werror \
    $(pkg-config --cflags libdpdk) \
    -o "$OUT/memif_pingpong.tmp" "$SRC_DIR/memif_pingpong.c" \
    $(pkg-config --libs libdpdk) 2> "$OUT/build-pingpong.log"; then
  cat "$OUT/build-pingpong.log" >&2
  rm -f "$OUT/memif_pingpong.tmp"
  echo "build-pingpong: gcc failed on memif_pingpong.c, see above" >&2
  exit 1
fi
mv "$OUT/memif_pingpong.tmp" "$OUT/memif_pingpong"
echo "build-pingpong: built $OUT/memif_pingpong (DPDK $(pkg-config --modversion libdpdk))"
