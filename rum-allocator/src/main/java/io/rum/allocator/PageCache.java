package io.rum.allocator;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The local page frames of one {@link Rum}: one off-heap segment cut into {@code frameCount} page-sized
 * frames, shared by all its segments, plus who holds each frame. Eviction is the clock (second chance)
 * algorithm: a frame's {@code referenced} bit is set on every access and cleared as the hand passes; the hand
 * evicts the first unreferenced, unpinned frame it meets. {@link Rum} drives it under its lock; this class is
 * only the bookkeeping.
 */
final class PageCache implements AutoCloseable
{
    final int pageSizeBytes;
    final int pageShift;
    final int frameCount;
    final MemorySegment frames;
    final RumSegment[] owner;
    final int[] ownerPage;
    final boolean[] referenced;
    final boolean[] pinned;
    private final int[] freeFrames;
    private final Arena arena;
    private int freeCount;
    private int hand;

    PageCache(final int pageSizeBytes, final int frameCount)
    {
        this.pageSizeBytes = pageSizeBytes;
        this.pageShift = Integer.numberOfTrailingZeros(pageSizeBytes);
        this.frameCount = frameCount;
        this.arena = Arena.ofShared();
        this.frames = arena.allocate((long)frameCount * pageSizeBytes, 4096);
        owner = new RumSegment[frameCount];
        ownerPage = new int[frameCount];
        referenced = new boolean[frameCount];
        pinned = new boolean[frameCount];
        freeFrames = new int[frameCount];
        for (int f = 0; f < frameCount; f++)
        {
            freeFrames[f] = frameCount - 1 - f;
        }
        freeCount = frameCount;
    }

    long address(final int frame)
    {
        return (long)frame << pageShift;
    }

    /** @return a free frame, or -1 if all are in use. */
    int pollFree()
    {
        return freeCount > 0 ? freeFrames[--freeCount] : -1;
    }

    void release(final int frame)
    {
        owner[frame] = null;
        ownerPage[frame] = -1;
        referenced[frame] = false;
        pinned[frame] = false;
        freeFrames[freeCount++] = frame;
    }

    /**
     * Advances the clock hand to a victim: the first frame that is held, not pinned and not referenced,
     * clearing the referenced bits it passes. Bounded: two turns clear every bit.
     *
     * @return the victim frame, still held by its owner, or -1 if every frame is pinned.
     */
    int nextVictim()
    {
        for (int steps = 0; steps < 2 * frameCount + 1; steps++)
        {
            final int f = hand;
            hand = f + 1 == frameCount ? 0 : f + 1;
            if (pinned[f] || null == owner[f])
            {
                continue;
            }
            if (referenced[f])
            {
                referenced[f] = false;
                continue;
            }
            return f;
        }
        return -1;
    }

    int framesInUse()
    {
        return frameCount - freeCount;
    }

    @Override
    public void close()
    {
        arena.close();
    }
}
