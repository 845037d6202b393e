package io.rum.heartbeat;

import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongArrayQueue;


/**
 * A slave's view of its clients' leases. A session is a (client node, lease epoch) pair: the client picks a
 * new epoch for every session. Every request of a session renews it; a session silent for the lease is
 * fenced, and after lease plus grace its owner is handed to the reclaimer (which frees the session's
 * anonymous allocations) and the session is remembered as a tombstone, so a paused client that wakes up
 * after its memory was reclaimed is still told it was fenced.
 *
 * <p>Time is passed in. Not thread-safe: the slave applies leases on the same thread (or under the same lock)
 * as every other state change.
 */
public final class LeaseTable
{
    /** The session holds a valid lease (now renewed). */
    public static final int VALID = 0;
    /** The session's lease expired: refuse the request; the client must open a new session. */
    public static final int FENCED = 1;

    private final LeaseConfig config;
    private final Long2LongHashMap lastRenewalNs = new Long2LongHashMap(Long.MIN_VALUE);
    private final Long2LongHashMap fencedAtNs = new Long2LongHashMap(Long.MIN_VALUE);
    private final LongArrayQueue tombstoneOrder = new LongArrayQueue();
    private long reclaimed;

    public LeaseTable(final LeaseConfig config)
    {
        this.config = config;
    }

    private static long session(final int clientNode, final int leaseEpoch)
    {
        return ((long)clientNode << 32) | (leaseEpoch & 0xFFFF_FFFFL);
    }

    /**
     * Checks and renews the lease of a session making a request. A session never seen before starts a lease.
     *
     * @return {@link #VALID} or {@link #FENCED}.
     */
    public int renew(final int clientNode, final int leaseEpoch, final long nowNs)
    {
        final long session = session(clientNode, leaseEpoch);
        if (fencedAtNs.containsKey(session))
        {
            return FENCED;
        }
        final long last = lastRenewalNs.get(session);
        if (last != Long.MIN_VALUE && nowNs - last > config.leaseNs())
        {
            fence(session, nowNs);
            return FENCED;
        }
        lastRenewalNs.put(session, nowNs);
        return VALID;
    }

    /**
     * Fences sessions whose lease ran out and reclaims those past lease plus grace.
     *
     * @param reclaimer told each session to reclaim.
     * @return sessions reclaimed now.
     */
    public int expire(final long nowNs, final ReclaimHandler reclaimer)
    {
        int count = 0;
        final Long2LongHashMap.KeyIterator it = lastRenewalNs.keySet().iterator();
        while (it.hasNext())
        {
            final long session = it.nextValue();
            final long silentNs = nowNs - lastRenewalNs.get(session);
            if (silentNs > config.leaseNs() + config.graceNs())
            {
                it.remove();
                fence(session, nowNs);
                reclaimed++;
                count++;
                reclaimer.reclaim((int)(session >>> 32), (int)session);
            }
        }
        return count;
    }

    private void fence(final long session, final long nowNs)
    {
        if (fencedAtNs.put(session, nowNs) == Long.MIN_VALUE)
        {
            tombstoneOrder.addLong(session);
            while (tombstoneOrder.size() > config.tombstones())
            {
                fencedAtNs.remove(tombstoneOrder.removeLong());
            }
        }
    }

    /**
     * @return whether the session is fenced.
     */
    public boolean isFenced(final int clientNode, final int leaseEpoch)
    {
        return fencedAtNs.containsKey(session(clientNode, leaseEpoch));
    }

    /**
     * @return sessions with a lease (fenced ones awaiting reclaim included).
     */
    public int sessions()
    {
        return lastRenewalNs.size();
    }

    /**
     * @return sessions reclaimed since the start.
     */
    public long reclaimed()
    {
        return reclaimed;
    }

    /**
     * Frees what a session owned.
     */
    @FunctionalInterface
    public interface ReclaimHandler
    {
        void reclaim(int clientNode, int leaseEpoch);
    }
}
