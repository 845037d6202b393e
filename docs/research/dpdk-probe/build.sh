#!/bin/sh
# Build the RUM DPDK shim (.so) and the C ping-pong baseline.
# Needs: apt-get install -y dpdk libdpdk-dev pkg-config gcc
set -eu
cd "$(dirname "$0")"
CFLAGS="-O2 -g -Wall -Wextra -fPIC $(pkg-config --cflags libdpdk)"
LIBS="$(pkg-config --libs libdpdk)"
# -Wl,--no-as-needed is not required: PMDs (net_memif, net_af_packet, mempool_ring)
# are dlopen'ed by EAL from RTE_EAL_PMD_PATH (/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0).
gcc $CFLAGS -shared -fvisibility=hidden -o librum_dpdk_shim.so rum_dpdk_shim.c $LIBS
gcc $CFLAGS -o pingpong pingpong.c -L. -lrum_dpdk_shim -Wl,-rpath,'$ORIGIN' $LIBS
gcc $CFLAGS -o mbuf_abi mbuf_abi.c $LIBS
echo built: librum_dpdk_shim.so pingpong mbuf_abi
