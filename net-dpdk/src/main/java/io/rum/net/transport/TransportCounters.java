package io.rum.net.transport;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters of one transport. Only the thread running the transport's duty cycle writes a counter, one thread
 * at a time under its lock, so a plain read-increment-{@code lazySet} is exact; readers on other threads see
 * values at most a moment old.
 */
public final class TransportCounters
{
    public enum Counter
    {
        FRAMES_SENT,
        FRAMES_RECEIVED,
        FRAMES_BACK_PRESSURED,
        FRAMES_MALFORMED,
        FRAMES_MISADDRESSED,
        FRAMES_STALE,
        RETRANSMISSIONS,
        DUPLICATE_REQUESTS_ANSWERED,
        REQUESTS_EXECUTED,
        CALLS_COMPLETED,
        CALLS_TIMED_OUT,
        CALLS_FAILED,
        REJECTS_SENT,
        PEER_RESTARTS_DETECTED,
        REASSEMBLY_REFUSED,
        REASSEMBLY_ABANDONED,
        SESSIONS_OPENED,
        STREAM_MESSAGES_DELIVERED,
        STREAM_FRAMES_RETRANSMITTED,
        STREAM_FRAMES_OUT_OF_WINDOW,
        HANDLER_ERRORS
    }

    private static final Counter[] ALL = Counter.values();
    private final AtomicLongArray values = new AtomicLongArray(ALL.length);

    /**
     * Adds one. Duty cycle only: one thread at a time (see ReliableTransport).
     */
    public void increment(final Counter counter)
    {
        final int i = counter.ordinal();
        values.lazySet(i, values.get(i) + 1);
    }

    /**
     * Adds a delta. Duty cycle only: one thread at a time (see ReliableTransport).
     */
    public void add(final Counter counter, final long delta)
    {
        final int i = counter.ordinal();
        values.lazySet(i, values.get(i) + delta);
    }

    public long get(final Counter counter)
    {
        return values.get(counter.ordinal());
    }

    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder("{");
        for (final Counter c : ALL)
        {
            final long v = values.get(c.ordinal());
            if (v != 0)
            {
                sb.append(sb.length() > 1 ? ", " : "").append(c.name().toLowerCase()).append('=').append(v);
            }
        }
        return sb.append('}').toString();
    }
}
