#!/bin/bash
# Two network namespaces joined by a veth pair: rumA/vethA <-> rumB/vethB
set -e
ip netns add rumA; ip netns add rumB
ip link add vethA type veth peer name vethB
ip link set vethA netns rumA; ip link set vethB netns rumB
for n in A B; do
  ip netns exec rum$n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip netns exec rum$n sysctl -qw net.ipv6.conf.veth$n.disable_ipv6=1 || true
  ip -n rum$n link set veth$n mtu 9000 up
  ip -n rum$n link set lo up
done
ip -n rumA -d link show vethA | head -3
