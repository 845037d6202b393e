#!/usr/bin/env python3
"""Per-hop medians of a MemifExp run with probes.patch (-Drum.probe=true): reads the two newest /tmp/probe-*.bin."""
import glob
import os

import numpy as np

files = sorted(glob.glob('/tmp/probe-*.bin'), key=os.path.getmtime)[-2:]
arrays = [np.fromfile(f, dtype='>i8').reshape(8, -1) for f in files]
client = [a for a in arrays if (a[5] != 0).any()][0]   # mark 5 (await returns) exists only in the client
server = [a for a in arrays if not (a[5] != 0).any()][0]
ok = (client[0] != 0) & (client[5] != 0) & (server[0] != 0) & (server[4] != 0)
idx = np.nonzero(ok)[0]
idx = idx[len(idx) // 2:]  # the later half of the calls: warm


def median(a, b, name):
    d = (b[idx] - a[idx]).astype(np.float64)
    print(f"{name:42s} p50 {np.median(d):6.0f} ns   p10 {np.percentile(d, 10):6.0f}   p90 {np.percentile(d, 90):6.0f}")


C, S = client, server
median(C[0], C[1], 'client: request written -> tx downcall')
median(C[1], C[2], 'client: tx downcall')
median(C[2], S[0], 'client tx returned -> server rx returned')
median(S[0], S[1], 'server: rx returned -> onRequest')
median(S[1], S[2], 'server: onRequest -> response (handler)')
median(S[2], S[3], 'server: response -> tx downcall')
median(S[3], S[4], 'server: tx downcall')
median(S[4], C[3], 'server tx returned -> client rx returned')
median(C[3], C[4], 'client: rx returned -> onResponse')
median(C[4], C[5], 'client: onResponse -> await returns')
median(C[0], C[5], 'total: request written -> await returns')
print(len(idx), "calls")
