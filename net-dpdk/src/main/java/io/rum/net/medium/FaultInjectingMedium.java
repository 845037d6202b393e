package io.rum.net.medium;

import io.rum.net.frame.FrameHeaderFlyweight;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps any medium and, on the send side, drops, duplicates, reorders, delays or cuts frames as a
 * {@link FaultPlan} says. Decisions come from one seeded generator, so a single-threaded simulation replays
 * exactly from its seed; with real threads the sequence of decisions still replays, the interleaving does not.
 *
 * <p>Partitions are decided from the frame header's source and destination node. Held frames (delayed or
 * waiting to be reordered) are copies in a fixed pool; when the pool is full a frame goes out at once, so the
 * decorator never buffers without bound. Held frames are released by later sends and by every poll.
 */
public final class FaultInjectingMedium extends ForwardingMedium
{
    private static final int HELD_FRAMES = 256;

    private final FaultPlan plan;
    private final long seed;
    private final NanoClock clock;
    private final SplittableRandom random;
    private final UnsafeBuffer[] held = new UnsafeBuffer[HELD_FRAMES];
    private final int[] heldLength = new int[HELD_FRAMES];
    private final int[] heldPeer = new int[HELD_FRAMES];
    private final long[] heldDueNs = new long[HELD_FRAMES];
    private int heldCount;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong duplicated = new AtomicLong();
    private final AtomicLong reordered = new AtomicLong();
    private final AtomicLong delayed = new AtomicLong();
    private final AtomicLong cut = new AtomicLong();

    public FaultInjectingMedium(final Medium delegate, final FaultPlan plan, final long seed, final NanoClock clock)
    {
        super(delegate);
        this.plan = plan;
        this.seed = seed;
        this.clock = clock;
        this.random = new SplittableRandom(seed);
        for (int i = 0; i < HELD_FRAMES; i++)
        {
            held[i] = new UnsafeBuffer(new byte[delegate.maxFrameLength()]);
        }
    }

    public long seed()
    {
        return seed;
    }

    public long dropped()
    {
        return dropped.get();
    }

    public long duplicated()
    {
        return duplicated.get();
    }

    public long reordered()
    {
        return reordered.get();
    }

    public long delayed()
    {
        return delayed.get();
    }

    public long cut()
    {
        return cut.get();
    }

    @Override
    public String name()
    {
        return delegate.name() + " with faults (seed " + seed + ")";
    }

    @Override
    public int send(final int peer, final DirectBuffer buffer, final int offset, final int length)
    {
        if (length > delegate.maxFrameLength())
        {
            return FAILED;
        }
        final long nowNs = clock.nanoTime();
        releaseDue(nowNs, false);
        if (length >= FrameHeaderFlyweight.HEADER_LENGTH && plan.isCut(srcNode(buffer, offset), dstNode(buffer, offset)))
        {
            cut.incrementAndGet();
            return SENT;
        }
        if (random.nextDouble() < plan.dropRate())
        {
            dropped.incrementAndGet();
            return SENT;
        }
        if (random.nextDouble() < plan.duplicateRate())
        {
            duplicated.incrementAndGet();
            delegate.send(peer, buffer, offset, length);
        }
        if (random.nextDouble() < plan.reorderRate() && hold(peer, buffer, offset, length, Long.MAX_VALUE))
        {
            // Goes out after the next frame sent or polled, i.e. behind at least one later frame.
            reordered.incrementAndGet();
            return SENT;
        }
        if (plan.maxDelayNs() > 0 && random.nextDouble() < plan.delayRate() &&
            hold(peer, buffer, offset, length, nowNs + random.nextLong(plan.maxDelayNs() + 1)))
        {
            delayed.incrementAndGet();
            return SENT;
        }
        final int result = delegate.send(peer, buffer, offset, length);
        releaseDue(nowNs, true);
        return result;
    }

    private static int srcNode(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + FrameHeaderFlyweight.SRC_NODE_OFFSET, FrameHeaderFlyweight.ORDER);
    }

    private static int dstNode(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + FrameHeaderFlyweight.DST_NODE_OFFSET, FrameHeaderFlyweight.ORDER);
    }

    @Override
    public int poll(final FrameHandler handler, final int limit)
    {
        releaseDue(clock.nanoTime(), true);
        return delegate.poll(handler, limit);
    }

    private boolean hold(final int peer, final DirectBuffer buffer, final int offset, final int length, final long dueNs)
    {
        if (heldCount == HELD_FRAMES)
        {
            return false;
        }
        buffer.getBytes(offset, held[heldCount], 0, length);
        heldLength[heldCount] = length;
        heldPeer[heldCount] = peer;
        heldDueNs[heldCount] = dueNs;
        heldCount++;
        return true;
    }

    /**
     * Sends held frames that are due; with {@code releaseReordered}, also those held only to be reordered.
     */
    private void releaseDue(final long nowNs, final boolean releaseReordered)
    {
        int i = 0;
        while (i < heldCount)
        {
            final long due = heldDueNs[i];
            if ((due == Long.MAX_VALUE && releaseReordered) || (due != Long.MAX_VALUE && due - nowNs <= 0))
            {
                delegate.send(heldPeer[i], held[i], 0, heldLength[i]);
                removeHeld(i);
            }
            else
            {
                i++;
            }
        }
    }

    private void removeHeld(final int index)
    {
        final int last = --heldCount;
        if (index != last)
        {
            final UnsafeBuffer buffer = held[index];
            held[index] = held[last];
            held[last] = buffer;
            heldLength[index] = heldLength[last];
            heldPeer[index] = heldPeer[last];
            heldDueNs[index] = heldDueNs[last];
        }
    }
}
