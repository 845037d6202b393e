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
OUT=$1
SRC_DIR=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
rm -f "$OUT/SHIM-MISSING.txt"

missing() {
  echo "$1" > "$OUT/SHIM-MISSING.txt"
  rm -f "$OUT/librum_dpdk_shim.so"
  echo "build-shim: DPDK shim not built: $1" >&2
  exit 0
}

command -v gcc >/dev/null 2>&1 || missing "gcc not installed (apt-get install gcc)"
command -v pkg-config >/dev/null 2>&1 || missing "pkg-config not installed (apt-get install pkg-config)"
pkg-config --exists libdpdk || missing "libdpdk-dev not installed (pkg-config libdpdk not found; apt-get install dpdk libdpdk-dev)"

# pkg-config adds -march=corei7 for Debian's DPDK; -fvisibility=hidden exports only RUM_API symbols.
# rte_bus_vdev is not in libdpdk.pc's public libs; --no-undefined makes a missing library a build error.
# shellcheck disable=SC2046
if ! gcc -O2 -g -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden \
    $(pkg-config --cflags libdpdk) \
    -o "$OUT/librum_dpdk_shim.so.tmp" "$SRC_DIR/rum_dpdk_shim.c" \
    $(pkg-config --libs libdpdk) -lrte_bus_vdev -Wl,--no-undefined 2> "$OUT/build-shim.log"; then
  cat "$OUT/build-shim.log" >&2
  rm -f "$OUT/librum_dpdk_shim.so.tmp"
  echo "build-shim: gcc failed on rum_dpdk_shim.c, see above" >&2
  exit 1
fi
mv "$OUT/librum_dpdk_shim.so.tmp" "$OUT/librum_dpdk_shim.so"
echo "build-shim: built $OUT/librum_dpdk_shim.so (DPDK $(pkg-config --modversion libdpdk))"
