#!/bin/bash
# usage: run_afpacket.sh java|c [critical] [mode] [iters]  - creates rumA/rumB netns + veth, ping-pong, deletes them
set -u
cd "$(dirname "$0")"
KIND=$1; CRIT=${2:-false}; MODE=${3:-seg}; ITERS=${4:-20000}
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
EAL="--no-huge --no-pci --no-shconf --no-telemetry -m 256"
AF="qpairs=1,blocksz=16384,framesz=8192,framecnt=512"   # framesz must exceed the largest frame (+~80 B tpacket hdr)
./netns_up.sh >/dev/null || exit 1
if [ $KIND = java ]; then
  ip netns exec rumA $J --enable-native-access=ALL-UNNAMED Probe.java --role=pong --critical=$CRIT --mode=$MODE --port=net_af_packet0 -- $EAL -l 0 --vdev=net_af_packet0,iface=vethA,$AF > logs/af_a.out 2> logs/af_a.err &
  SP=$!; sleep 2
  timeout 120 ip netns exec rumB $J --enable-native-access=ALL-UNNAMED Probe.java --role=ping --critical=$CRIT --mode=$MODE --iters=$ITERS --port=net_af_packet0 -- $EAL -l 1 --vdev=net_af_packet0,iface=vethB,$AF 2> logs/af_b.err
else
  ip netns exec rumA ./pingpong $EAL --file-prefix=rumc_a -l 0 --vdev=net_af_packet0,iface=vethA,$AF -- pong net_af_packet0 0 > logs/af_a.out 2> logs/af_a.err &
  SP=$!; sleep 1
  timeout 60 ip netns exec rumB ./pingpong $EAL --file-prefix=rumc_b -l 1 --vdev=net_af_packet0,iface=vethB,$AF -- ping net_af_packet0 $ITERS 64 1024 4096 2> logs/af_b.err
fi
echo "ping rc=$?"; wait $SP; echo "pong rc=$?"
./netns_down.sh
rm -rf /var/run/dpdk/rumc_* /var/run/dpdk/rumj_*
