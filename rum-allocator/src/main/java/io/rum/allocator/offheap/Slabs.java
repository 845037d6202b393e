package io.rum.allocator.offheap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Slabs: spans of pages cut into equal blocks of one size class, and the O(1) allocation of those blocks.
 *
 * <p>Each class keeps a doubly linked list of its slabs that have a free block ("partial" slabs). A slab
 * hands out blocks from its own free list first, then from a bump index over blocks never used, so a new
 * slab costs nothing per block. A freed block's first four bytes, off-heap, link it to the next free
 * block of its slab:
 *
 * <pre>
 *  slab = a run of pages in a chunk, cut into blocks of the class size
 * +---------+---------+---------+---------+---------+- ... -+---------+------+
 * | block 0 | block 1 | block 2 | block 3 | block 4 |       | block n | tail |
 * |  live   |  free   |  live   |  free   |  never  |       |  never  |unused|
 * +---------+----+----+---------+----+----+---------+- ... -+---------+------+
 *                |                   |        ^
 *                |  int next = -1    |        bump = 4: blocks 4..n were never handed out
 *                +<------------------+ int next = 1     freeHead = 3
 *
 *  free block:  +------------------------------+----------------------------------+
 *               | next free block index (int32)|  stale contents of the last owner |
 *               +------------------------------+----------------------------------+
 * </pre>
 *
 * <p>The links live in the freed memory itself, so they cost no space; everything else about a slab
 * (free head, bump index, live count, list links) is in {@code int} arrays indexed by the slab's first
 * page id. A bitmap, one bit per 16 bytes of every chunk holding a slab (1/128 of the chunk, on the heap,
 * dropped with the chunk), marks the live blocks: it is what tells a double free from a first free, and it is never in the
 * memory a client can write, so a client cannot corrupt it.
 *
 * <p>A slab whose last block is freed is kept as its class's one empty slab, reset to bump allocation;
 * a second empty slab of the class gives its pages back. The kept empty slabs are given back when the
 * budget runs out ({@link #releaseEmpty()}).
 */
final class Slabs
{
    private static final ValueLayout.OfInt LINK = ValueLayout.JAVA_INT;

    private final SegmentTable segments;
    private final PageRuns runs;
    private final SizeClasses classes;
    private final int pagesPerChunk;
    private final int wordsPerPage;
    private final int[] freeHead;
    private final int[] bump;
    private final int[] live;
    private final int[] next;
    private final int[] prev;
    private final int[] partialHead;
    private final int[] emptySlab;
    private final long[] liveBlocks;

    Slabs(final SegmentTable segments, final PageRuns runs, final SizeClasses classes,
        final AllocatorConfiguration configuration)
    {
        this.segments = segments;
        this.runs = runs;
        this.classes = classes;
        pagesPerChunk = configuration.pagesPerChunk();
        wordsPerPage = configuration.pageSizeBytes() / SizeClasses.MIN_BLOCK_BYTES / Long.SIZE;
        final int pages = segments.capacity() * pagesPerChunk;
        freeHead = new int[pages];
        bump = new int[pages];
        live = new int[pages];
        next = new int[pages];
        prev = new int[pages];
        partialHead = new int[classes.count()];
        Arrays.fill(partialHead, -1);
        emptySlab = new int[classes.count()];
        Arrays.fill(emptySlab, -1);
        liveBlocks = new long[classes.count()];
    }

    /**
     * @param sizeClass of the block.
     * @return the address of a block, or {@link SizeClassAllocator#OUT_OF_MEMORY}.
     */
    long allocate(final int sizeClass)
    {
        int slab = partialHead[sizeClass];
        if (slab < 0)
        {
            slab = newSlab(sizeClass);
            if (slab < 0)
            {
                return SizeClassAllocator.OUT_OF_MEMORY;
            }
        }
        if (slab == emptySlab[sizeClass])
        {
            emptySlab[sizeClass] = -1;
        }
        final int slot = runs.slotOf(slab);
        final long base = runs.offsetOf(slab);
        final int blockBytes = classes.blockBytes(sizeClass);
        int index = freeHead[slab];
        if (index >= 0)
        {
            freeHead[slab] = segments.segment(slot).get(LINK, base + (long)index * blockBytes);
        }
        else
        {
            index = bump[slab]++;
        }
        live[slab]++;
        if (freeHead[slab] < 0 && bump[slab] == classes.blocksPerSlab(sizeClass))
        {
            unlink(sizeClass, slab);
        }
        segments.liveBits(slot)[bitWord(slab, index)] |= 1L << index;
        liveBlocks[sizeClass]++;
        return AddressDescriptor.address(slot, base + (long)index * blockBytes);
    }

    /**
     * Frees a block the caller has checked is live ({@link #isLive}).
     */
    void free(final int slab, final int index)
    {
        final int sizeClass = runs.spanKind(slab);
        final int slot = runs.slotOf(slab);
        final boolean wasFull = freeHead[slab] < 0 && bump[slab] == classes.blocksPerSlab(sizeClass);
        segments.liveBits(slot)[bitWord(slab, index)] &= ~(1L << index);
        liveBlocks[sizeClass]--;
        if (--live[slab] == 0)
        {
            // Forget the free list: the empty slab restarts bump allocation from block 0.
            freeHead[slab] = -1;
            bump[slab] = 0;
            if (wasFull)
            {
                linkHead(sizeClass, slab);
            }
            if (emptySlab[sizeClass] < 0)
            {
                emptySlab[sizeClass] = slab;
            }
            else
            {
                unlink(sizeClass, slab);
                runs.free(slab);
            }
            return;
        }
        final long offset = runs.offsetOf(slab) + (long)index * classes.blockBytes(sizeClass);
        segments.segment(slot).set(LINK, offset, freeHead[slab]);
        freeHead[slab] = index;
        if (wasFull)
        {
            linkHead(sizeClass, slab);
        }
    }

    /** @return whether a block of a slab is allocated. */
    boolean isLive(final int slab, final int index)
    {
        final long[] bits = segments.liveBits(runs.slotOf(slab));
        return (bits[bitWord(slab, index)] & (1L << index)) != 0;
    }

    /** @return whether a block of a slab was never handed out since the slab was last empty. */
    boolean neverUsed(final int slab, final int index)
    {
        return index >= bump[slab];
    }

    /** Gives back the pages of every kept empty slab. @return whether there was one. */
    boolean releaseEmpty()
    {
        boolean released = false;
        for (int c = 0; c < emptySlab.length; c++)
        {
            final int slab = emptySlab[c];
            if (slab >= 0)
            {
                emptySlab[c] = -1;
                unlink(c, slab);
                runs.free(slab);
                released = true;
            }
        }
        return released;
    }

    /** @return live blocks of a class. */
    long liveBlocks(final int sizeClass)
    {
        return liveBlocks[sizeClass];
    }

    private int newSlab(final int sizeClass)
    {
        final int slab = runs.allocate(classes.slabPages(sizeClass), (byte)sizeClass);
        if (slab < 0)
        {
            return -1;
        }
        segments.liveBits(runs.slotOf(slab), pagesPerChunk * wordsPerPage);
        freeHead[slab] = -1;
        bump[slab] = 0;
        live[slab] = 0;
        linkHead(sizeClass, slab);
        return slab;
    }

    /** @return the index, in its chunk's bitmap, of the word holding a block's bit. */
    private int bitWord(final int slab, final int index)
    {
        return (slab % pagesPerChunk) * wordsPerPage + (index >>> 6);
    }

    private void linkHead(final int sizeClass, final int slab)
    {
        final int head = partialHead[sizeClass];
        next[slab] = head;
        prev[slab] = -1;
        if (head >= 0)
        {
            prev[head] = slab;
        }
        partialHead[sizeClass] = slab;
    }

    private void unlink(final int sizeClass, final int slab)
    {
        final int n = next[slab];
        final int p = prev[slab];
        if (p >= 0)
        {
            next[p] = n;
        }
        else
        {
            partialHead[sizeClass] = n;
        }
        if (n >= 0)
        {
            prev[n] = p;
        }
    }
}
