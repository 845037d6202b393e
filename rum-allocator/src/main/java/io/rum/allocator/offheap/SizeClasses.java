package io.rum.allocator.offheap;

/**
 * The small size classes: 16 bytes, then every power of two and the point half way to the next
 * (16, 24, 32, 48, 64, 96, ...) up to {@link #maxSmallBytes()}.
 *
 * <p>Two classes per doubling bound the space lost to rounding at a third of a block (a 17-byte request gets
 * 24 bytes) while keeping the table short enough that the class of a size is computed, not searched: one
 * leading-zero count and one comparison. Each class is carved from slabs of whole pages holding at least
 * eight blocks, so the tail of a slab that no block fills is at most an eighth of it.
 *
 * <p>Blocks are 8-byte aligned; a power-of-two class is aligned to its size up to the page size.
 */
public final class SizeClasses
{
    /** The smallest block: room for a free-list link and then some. */
    public static final int MIN_BLOCK_BYTES = 16;
    /** The largest small class when chunks are big enough: above it, allocations take whole pages. */
    public static final int MAX_SMALL_BYTES_CAP = 256 << 10;
    /** A slab holds at least this many blocks. */
    public static final int MIN_BLOCKS_PER_SLAB = 8;

    private final int maxSmallBytes;
    private final int[] blockBytes;
    private final int[] slabPages;
    private final int[] blocksPerSlab;

    /**
     * @param configuration whose page and chunk sizes shape the slabs.
     */
    public SizeClasses(final AllocatorConfiguration configuration)
    {
        final int pageBytes = configuration.pageSizeBytes();
        maxSmallBytes = Math.min(MAX_SMALL_BYTES_CAP, configuration.chunkSizeBytes() / MIN_BLOCKS_PER_SLAB);
        final int count = indexOf(maxSmallBytes) + 1;
        blockBytes = new int[count];
        slabPages = new int[count];
        blocksPerSlab = new int[count];
        for (int c = 0; c < count; c++)
        {
            final int power = 1 << (4 + c / 2);
            final int block = (c & 1) == 0 ? power : power + power / 2;
            final long slabBytes = Math.max(pageBytes, (long)MIN_BLOCKS_PER_SLAB * block);
            blockBytes[c] = block;
            slabPages[c] = (int)((slabBytes + pageBytes - 1) / pageBytes);
            blocksPerSlab[c] = slabPages[c] * pageBytes / block;
        }
    }

    /** @return the number of small classes. */
    public int count()
    {
        return blockBytes.length;
    }

    /** @return the largest size served from a slab. */
    public int maxSmallBytes()
    {
        return maxSmallBytes;
    }

    /**
     * @param sizeBytes 1..{@link #maxSmallBytes()}.
     * @return the class whose blocks are the smallest that hold {@code sizeBytes}.
     */
    public int classOf(final long sizeBytes)
    {
        return indexOf(sizeBytes);
    }

    /** @return the block size of a class. */
    public int blockBytes(final int sizeClass)
    {
        return blockBytes[sizeClass];
    }

    /** @return the pages of one slab of a class. */
    public int slabPages(final int sizeClass)
    {
        return slabPages[sizeClass];
    }

    /** @return the blocks in one slab of a class. */
    public int blocksPerSlab(final int sizeClass)
    {
        return blocksPerSlab[sizeClass];
    }

    private static int indexOf(final long sizeBytes)
    {
        if (sizeBytes <= MIN_BLOCK_BYTES)
        {
            return 0;
        }
        // 2^log < size <= 2^(log+1); the classes in that range are 1.5 * 2^log and 2^(log+1).
        final int log = 63 - Long.numberOfLeadingZeros(sizeBytes - 1);
        final long threeHalves = (1L << log) + (1L << (log - 1));
        return sizeBytes <= threeHalves ? 2 * (log - 4) + 1 : 2 * (log - 3);
    }
}
