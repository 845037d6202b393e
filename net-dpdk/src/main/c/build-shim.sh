#!/bin/sh
# Builds OUTDIR/librum_dpdk_shim.so from rum_dpdk_shim.c against the installed DPDK.
# Run by Maven (net-dpdk, phase compile) with OUTDIR = target/native.
#
# Without gcc or the DPDK headers this is not an error: it writes OUTDIR/SHIM-MISSING.txt with
# the reason and exits 0, so the rest of RUM still builds. DpdkShim.check() reads that file, so
# "transport=dpdk" and the DPDK tests fail naming the missing package.
set -eu
if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
SRC_DIR=$(cd "$(dirname "$0")" && pwd)
# -fvisibility=hidden exports only RUM_API symbols. rte_bus_vdev is not in libdpdk.pc's public libs;
# --no-undefined makes a missing library a build error.
EXTRA_LIBS="-lrte_bus_vdev -Wl,--no-undefined" exec sh "$SRC_DIR/build-dpdk.sh" build-shim \
  "$1/librum_dpdk_shim.so" "$1/SHIM-MISSING.txt" "$SRC_DIR/rum_dpdk_shim.c" -fPIC -shared -fvisibility=hidden
