package io.rum.allocator.offheap;

/**
 * The settings of a {@link SizeClassAllocator}, validated once here so the allocator never has to.
 *
 * <p>Memory is committed in chunks of {@code chunkSizeBytes}, each cut into pages of {@code pageSizeBytes}.
 * A chunk holds at most 64 pages, so the free pages of a chunk fit in one {@code long} and finding a run of
 * free pages is a handful of bit operations. Allocations larger than a chunk get a segment of their own.
 *
 * @param budgetBytes    the most off-heap memory the allocator may commit; a positive multiple of the page size.
 * @param chunkSizeBytes the unit in which memory for small and large allocations is committed; a power of two.
 * @param pageSizeBytes  the unit of slabs and large allocations; a power of two, at least 4 KiB, and 8 to 64
 *                       pages make a chunk.
 */
public record AllocatorConfiguration(long budgetBytes, int chunkSizeBytes, int pageSizeBytes)
{
    /** 4 MiB: a 4 GiB budget is 1024 chunks, and committing one costs a 4 MiB zero fill. */
    public static final int DEFAULT_CHUNK_SIZE_BYTES = 4 << 20;
    /** 64 KiB: 64 pages to a default chunk, and large allocations waste at most one page. */
    public static final int DEFAULT_PAGE_SIZE_BYTES = 64 << 10;
    /** Offsets inside a segment take 40 bits of an address, so no budget may exceed 1 TiB. */
    public static final long MAX_BUDGET_BYTES = 1L << 40;

    /**
     * @throws IllegalArgumentException if a size is out of range or not a power of two where it must be.
     */
    public AllocatorConfiguration
    {
        if (pageSizeBytes < 4096 || Integer.bitCount(pageSizeBytes) != 1)
        {
            throw new IllegalArgumentException("page size " + pageSizeBytes + " must be a power of two >= 4096");
        }
        if (chunkSizeBytes <= 0 || Integer.bitCount(chunkSizeBytes) != 1)
        {
            throw new IllegalArgumentException("chunk size " + chunkSizeBytes + " must be a power of two");
        }
        final int pagesPerChunk = chunkSizeBytes / pageSizeBytes;
        if (pagesPerChunk < 8 || pagesPerChunk > 64)
        {
            throw new IllegalArgumentException(
                "chunk size " + chunkSizeBytes + " must be 8 to 64 pages of " + pageSizeBytes + " bytes");
        }
        if (budgetBytes <= 0 || budgetBytes > MAX_BUDGET_BYTES || budgetBytes % pageSizeBytes != 0)
        {
            throw new IllegalArgumentException("budget " + budgetBytes + " must be a positive multiple of the page size "
                + pageSizeBytes + " and at most " + MAX_BUDGET_BYTES);
        }
    }

    /**
     * @param budgetBytes the most memory to commit, a multiple of 64 KiB.
     * @return the default chunk and page sizes with this budget.
     */
    public static AllocatorConfiguration ofBudget(final long budgetBytes)
    {
        return new AllocatorConfiguration(budgetBytes, DEFAULT_CHUNK_SIZE_BYTES, DEFAULT_PAGE_SIZE_BYTES);
    }

    /** @return pages in a full chunk, 8 to 64. */
    public int pagesPerChunk()
    {
        return chunkSizeBytes / pageSizeBytes;
    }

    /** @return the most segments that can be live at once: full chunks plus allocations bigger than a chunk. */
    public int maxSegments()
    {
        return (int)(2 * ((budgetBytes + chunkSizeBytes - 1) / chunkSizeBytes));
    }
}
