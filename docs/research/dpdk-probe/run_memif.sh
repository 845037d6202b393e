#!/bin/bash
# usage: run_memif.sh java|c <critical> <mode> [iters]   - pong=memif server on -l 0, ping=memif client on -l 1
set -u
cd "$(dirname "$0")"
KIND=$1; CRIT=${2:-false}; MODE=${3:-seg}; ITERS=${4:-20000}
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
SOCK=/tmp/dpdk-probe/memif.sock; rm -f $SOCK
EAL="--no-huge --no-pci --no-telemetry -m 256"
MEMIF="id=0,socket=$SOCK,socket-abstract=no,bsize=8192"
if [ $KIND = java ]; then
  $J ${JOPTS:-} --enable-native-access=ALL-UNNAMED Probe.java --role=pong --critical=$CRIT --mode=$MODE -- $EAL -l 0 --vdev=net_memif0,role=server,$MEMIF > logs/j_srv.out 2> logs/j_srv.err &
  SP=$!; sleep 2
  timeout 120 $J ${JOPTS:-} --enable-native-access=ALL-UNNAMED Probe.java --role=ping --critical=$CRIT --mode=$MODE --iters=$ITERS -- $EAL -l 1 --vdev=net_memif0,role=client,$MEMIF > logs/j_cli.out 2> logs/j_cli.err
  echo "ping rc=$?"; wait $SP; echo "pong rc=$?"
  cat logs/j_cli.out
else
  ./pingpong $EAL --file-prefix=rumc_srv -l 0 --vdev=net_memif0,role=server,$MEMIF -- pong net_memif0 0 > logs/c_srv.out 2> logs/c_srv.err &
  SP=$!; sleep 1
  timeout 60 ./pingpong $EAL --file-prefix=rumc_cli -l 1 --vdev=net_memif0,role=client,$MEMIF -- ping net_memif0 $ITERS 64 1024 4096 > logs/c_cli.out 2> logs/c_cli.err
  echo "ping rc=$?"; wait $SP; echo "pong rc=$?"
  cat logs/c_cli.out
fi
rm -rf /var/run/dpdk/rumc_* /var/run/dpdk/rumj_*
