package io.rum.allocator.offheap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The off-heap segments the allocator has committed, by slot, and the budget they are charged to.
 *
 * <p>Each segment has an arena of its own ({@link Arena#ofShared()}), so it can be given back to the
 * operating system on its own: an empty chunk or a freed huge allocation returns its bytes to the budget.
 * A shared arena lets any thread read the memory (a transport poller copying it into frames); closing one
 * costs a handshake with all threads, which is why chunks are kept around rather than closed eagerly.
 * If the operating system refuses memory the commit fails like an exhausted budget: the slave answers
 * "out of memory" and keeps serving.
 */
final class SegmentTable implements AutoCloseable
{
    static final byte FREE = 0;
    static final byte CHUNK = 1;
    static final byte HUGE = 2;

    private static final long ALIGNMENT_BYTES = 4096;

    private final long budgetBytes;
    private final MemorySegment[] segments;
    private final Arena[] arenas;
    private final byte[] kinds;
    private final long[][] liveBits;
    private final int[] freeSlots;
    private int freeSlotCount;
    private long committedBytes;
    private boolean closed;

    SegmentTable(final long budgetBytes, final int maxSegments)
    {
        this.budgetBytes = budgetBytes;
        segments = new MemorySegment[maxSegments];
        arenas = new Arena[maxSegments];
        kinds = new byte[maxSegments];
        liveBits = new long[maxSegments][];
        freeSlots = new int[maxSegments];
        for (int i = 0; i < maxSegments; i++)
        {
            freeSlots[i] = maxSegments - 1 - i;
        }
        freeSlotCount = maxSegments;
    }

    /**
     * @param bytes to commit.
     * @param kind  {@link #CHUNK} or {@link #HUGE}.
     * @return the slot of the new zero-filled segment, or -1 if it would exceed the budget or the operating
     * system refused.
     */
    int commit(final long bytes, final byte kind)
    {
        ensureOpen();
        if (bytes > budgetBytes - committedBytes || freeSlotCount == 0)
        {
            return -1;
        }
        final Arena arena = Arena.ofShared();
        final MemorySegment segment;
        try
        {
            segment = arena.allocate(bytes, ALIGNMENT_BYTES);
        }
        catch (final OutOfMemoryError ex)
        {
            arena.close();
            return -1;
        }
        final int slot = freeSlots[--freeSlotCount];
        segments[slot] = segment;
        arenas[slot] = arena;
        kinds[slot] = kind;
        committedBytes += bytes;
        return slot;
    }

    /** Closes the segment in a slot and gives its bytes back to the budget. */
    void release(final int slot)
    {
        committedBytes -= segments[slot].byteSize();
        arenas[slot].close();
        arenas[slot] = null;
        segments[slot] = null;
        kinds[slot] = FREE;
        liveBits[slot] = null;
        freeSlots[freeSlotCount++] = slot;
    }

    /** @return the kind of a slot, {@link #FREE} for one out of range. */
    byte kind(final long slot)
    {
        ensureOpen();
        return slot >= 0 && slot < kinds.length ? kinds[(int)slot] : FREE;
    }

    /**
     * The live-block bitmap of a chunk's slabs, which lives and dies with the chunk so a released chunk
     * costs no heap.
     *
     * @param words the bitmap's length, should it have to be created.
     */
    long[] liveBits(final int slot, final int words)
    {
        long[] bits = liveBits[slot];
        if (bits == null)
        {
            bits = new long[words];
            liveBits[slot] = bits;
        }
        return bits;
    }

    /** @return the live-block bitmap of a chunk that holds a slab. */
    long[] liveBits(final int slot)
    {
        return liveBits[slot];
    }

    MemorySegment segment(final int slot)
    {
        return segments[slot];
    }

    int capacity()
    {
        return kinds.length;
    }

    long budgetBytes()
    {
        return budgetBytes;
    }

    long committedBytes()
    {
        return committedBytes;
    }

    long uncommittedBytes()
    {
        return budgetBytes - committedBytes;
    }

    /** @throws IllegalStateException if the table is closed. */
    void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("allocator is closed");
        }
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            for (int slot = 0; slot < arenas.length; slot++)
            {
                if (arenas[slot] != null)
                {
                    release(slot);
                }
            }
            closed = true;
        }
    }
}
