package io.rum.heartbeat;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LeaseTableTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final LeaseConfig CONFIG = LeaseConfig.defaults();

    @Test
    void renewedLeaseStaysValidAndHalfALeaseOfSilenceIsHarmless()
    {
        final LeaseTable leases = new LeaseTable(CONFIG);
        final List<String> reclaimed = new ArrayList<>();
        long now = 0;
        for (int i = 0; i < 100; i++)
        {
            assertEquals(LeaseTable.VALID, leases.renew(70_000, 5, now));
            leases.expire(now, (node, epoch) -> reclaimed.add(node + "/" + epoch));
            now += CONFIG.renewNs();
        }
        now += CONFIG.leaseNs() / 2;
        leases.expire(now, (node, epoch) -> reclaimed.add(node + "/" + epoch));
        assertEquals(LeaseTable.VALID, leases.renew(70_000, 5, now), "paused for half a lease: still valid");
        assertEquals(List.of(), reclaimed);
    }

    @Test
    void silentClientIsFencedAfterTheLeaseAndReclaimedAfterLeasePlusGrace()
    {
        final LeaseTable leases = new LeaseTable(CONFIG);
        final List<String> reclaimed = new ArrayList<>();
        assertEquals(LeaseTable.VALID, leases.renew(70_000, 5, 0));
        assertEquals(LeaseTable.VALID, leases.renew(70_001, 9, 0));
        long reclaimAt = -1;
        for (long now = 0; now < 5_000 * MS; now += MS)
        {
            leases.renew(70_001, 9, now);
            if (leases.expire(now, (node, epoch) -> reclaimed.add(node + "/" + epoch)) > 0)
            {
                reclaimAt = now;
                break;
            }
        }
        assertEquals(List.of("70000/5"), reclaimed, "only the silent session, only once");
        assertTrue(reclaimAt > CONFIG.leaseNs() + CONFIG.graceNs() && reclaimAt <= CONFIG.leaseNs() + CONFIG.graceNs() + MS,
            "reclaimed right after lease + grace: " + reclaimAt / MS + " ms");
        assertEquals(LeaseTable.FENCED, leases.renew(70_000, 5, reclaimAt), "a reclaimed session stays fenced");
        assertEquals(LeaseTable.VALID, leases.renew(70_000, 6, reclaimAt), "a new session of the same node is fine");
    }

    @Test
    void requestAfterTheLeaseButBeforeReclaimIsFencedToo()
    {
        final LeaseTable leases = new LeaseTable(CONFIG);
        leases.renew(70_000, 5, 0);
        final long woke = CONFIG.leaseNs() + 10 * MS;
        assertEquals(LeaseTable.FENCED, leases.renew(70_000, 5, woke));
        assertTrue(leases.isFenced(70_000, 5));
        final List<Integer> reclaimed = new ArrayList<>();
        leases.expire(CONFIG.leaseNs() + CONFIG.graceNs() + MS, (node, epoch) -> reclaimed.add(node));
        assertEquals(List.of(70_000), reclaimed, "its memory is still reclaimed on time");
    }

    @Test
    void tombstonesAreBounded()
    {
        final LeaseTable leases = new LeaseTable(new LeaseConfig(CONFIG.leaseNs(), CONFIG.graceNs(), CONFIG.renewNs(), 3));
        for (int i = 0; i < 10; i++)
        {
            leases.renew(80_000 + i, 1, 0);
        }
        leases.expire(10_000 * MS, (node, epoch) -> { });
        int fenced = 0;
        for (int i = 0; i < 10; i++)
        {
            fenced += leases.isFenced(80_000 + i, 1) ? 1 : 0;
        }
        assertEquals(3, fenced, "only the newest tombstones are kept");
        assertEquals(0, leases.sessions());
        assertEquals(10, leases.reclaimed());
    }
}
