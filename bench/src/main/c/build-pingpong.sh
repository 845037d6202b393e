#!/bin/sh
# Builds OUTDIR/memif_pingpong from memif_pingpong.c against the installed DPDK: the raw C baseline of
# the DPDK rows of `./rum bench transport`. Run by Maven (bench, phase compile) with OUTDIR = target/native.
#
# Without gcc or the DPDK headers this is not an error: it writes OUTDIR/PINGPONG-MISSING.txt with the
# reason and exits 0, so the rest of RUM still builds; the bench prints that reason instead of the DPDK rows.
# The PMDs (net_memif, mempool_ring) are loaded by EAL from its plugin directory at run time, so no extra
# libraries are linked.
set -eu
if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
SRC_DIR=$(cd "$(dirname "$0")" && pwd)
exec sh "$SRC_DIR/../../../../net-dpdk/src/main/c/build-dpdk.sh" build-pingpong \
  "$1/memif_pingpong" "$1/PINGPONG-MISSING.txt" "$SRC_DIR/memif_pingpong.c"
