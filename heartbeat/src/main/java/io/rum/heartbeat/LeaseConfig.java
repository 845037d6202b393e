package io.rum.heartbeat;

import java.util.concurrent.TimeUnit;

/**
 * Client lease settings, validated once.
 *
 * <p>Defaults, and why: a lease of 800 ms renewed every 200 ms (by any request, or by an idle renewal), and a
 * grace of 800 ms. A client silent for the lease is fenced: its next request gets a clear error and it must
 * open a new session, so a client that was paused (GC, SIGSTOP, a VM migration) never writes into memory that
 * was given to someone else. Its anonymous allocations are reclaimed once lease plus grace have passed, at
 * most 1.6 s after a crash, inside the "lease + 1 s" the cluster promises: the grace covers renewal messages
 * still in flight and clock-rate differences, and is at least the lease. Four renewals fit in one lease, and
 * each is a retransmitted RPC, so loss delays a renewal by milliseconds rather than losing it. The original RUM
 * declared a client dead after 10 s; memberlist suspects after about 5 s.
 *
 * @param leaseNs   a client silent this long is fenced.
 * @param graceNs   after lease + grace its anonymous allocations are reclaimed; at least the lease.
 * @param renewNs   how often an idle client renews.
 * @param tombstones fenced sessions remembered so they stay fenced after their allocations are reclaimed.
 */
public record LeaseConfig(long leaseNs, long graceNs, long renewNs, int tombstones)
{
    public LeaseConfig
    {
        if (leaseNs <= 0 || graceNs < leaseNs || renewNs <= 0 || renewNs * 2 > leaseNs || tombstones < 1)
        {
            throw new IllegalArgumentException("need lease > 0, grace >= lease, 0 < renew <= lease / 2, tombstones > 0");
        }
    }

    public static LeaseConfig defaults()
    {
        return new LeaseConfig(TimeUnit.MILLISECONDS.toNanos(800), TimeUnit.MILLISECONDS.toNanos(800),
            TimeUnit.MILLISECONDS.toNanos(200), 65_536);
    }
}
