package io.rum.heartbeat;

import java.util.concurrent.TimeUnit;

/**
 * Client lease settings, validated once.
 *
 * <p>Defaults, and why: a lease of 1 s renewed every 250 ms (by any request, or by an idle renewal), and a
 * grace of 1 s. A client silent for the lease is fenced: its next request gets a clear error and it must open
 * a new session, so a client that was paused (GC, SIGSTOP, a VM migration) never writes into memory that was
 * given to someone else. Its anonymous allocations are reclaimed once lease plus grace have passed, about 2 s
 * after a crash: the grace covers renewal messages still in flight and clock-rate differences, and is at
 * least the lease. Four renewals fit in one lease, so three lost in a row (0.05^3 at 5% loss) still do not
 * fence a live client. The original RUM waited 10 s; memberlist suspects after about 5 s.
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
        return new LeaseConfig(TimeUnit.SECONDS.toNanos(1), TimeUnit.SECONDS.toNanos(1),
            TimeUnit.MILLISECONDS.toNanos(250), 65_536);
    }
}
