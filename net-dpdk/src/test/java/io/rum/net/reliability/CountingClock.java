package io.rum.net.reliability;

import org.agrona.concurrent.NanoClock;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that counts its reads and stands still: a transport's timers then run in its first cycle only (they run
 * every 20 µs, and a cycle that ran them leaves the next a fresh read), so counts of reads do not depend on speed.
 */
final class CountingClock implements NanoClock
{
    final AtomicLong reads = new AtomicLong();

    @Override
    public long nanoTime()
    {
        reads.incrementAndGet();
        return 1_000_000_000L;
    }
}
