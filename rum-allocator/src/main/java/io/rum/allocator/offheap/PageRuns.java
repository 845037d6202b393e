package io.rum.allocator.offheap;

import java.util.Arrays;

/**
 * Runs of contiguous pages inside chunks: the spans that slabs and large allocations live in.
 *
 * <p>A page is named by its page id, {@code slot * pagesPerChunk + pageInChunk}; everything about pages
 * is kept in primitive arrays indexed by page id, so no Java object exists per span. The free pages of a
 * chunk are the set bits of one {@code long}, so a run of {@code k} free pages in a chunk is found with
 * {@code k} shifts and ands, and freeing a run is one or. Finding a chunk with room scans the committed
 * chunks first-fit (at most budget / chunk size of them, 1024 for 4 GiB in 4 MiB chunks): it is paid once
 * per slab of blocks and once per large allocation, never per small allocation.
 *
 * <p>A chunk whose pages are all free is kept as the one spare (so a slab freed and needed again does not
 * close and reopen an arena); any further empty chunk is released to the budget at once, and the spare is
 * released when the budget is needed for something else.
 */
final class PageRuns
{
    /** Span kind of a free page. Kinds 0 and up are the size class of a slab. */
    static final byte KIND_FREE = -1;
    /** Span kind of a large allocation: a run of pages for one allocation. */
    static final byte KIND_LARGE = -2;

    private final SegmentTable segments;
    private final int pagesPerChunk;
    private final int pageBytes;
    private final int chunkBytes;
    private final int[] spanStart;
    private final int[] spanPages;
    private final byte[] spanKind;
    private final long[] freeMask;
    private final long[] fullMask;
    private final int[] chunks;
    private final int[] chunkPosition;
    private int chunkCount;
    private int spareChunk = -1;
    private long freePages;

    PageRuns(final SegmentTable segments, final AllocatorConfiguration configuration)
    {
        this.segments = segments;
        pagesPerChunk = configuration.pagesPerChunk();
        pageBytes = configuration.pageSizeBytes();
        chunkBytes = configuration.chunkSizeBytes();
        final int slots = segments.capacity();
        spanStart = new int[slots * pagesPerChunk];
        Arrays.fill(spanStart, -1);
        spanPages = new int[slots * pagesPerChunk];
        spanKind = new byte[slots * pagesPerChunk];
        Arrays.fill(spanKind, KIND_FREE);
        freeMask = new long[slots];
        fullMask = new long[slots];
        chunks = new int[slots];
        chunkPosition = new int[slots];
    }

    /**
     * Takes a run of pages, committing a chunk if no committed one has room.
     *
     * @param pages 1..pages per chunk.
     * @param kind  of the span: a size class or {@link #KIND_LARGE}.
     * @return the page id of the first page, or -1 if no run is free and the budget has no room for a chunk.
     */
    int allocate(final int pages, final byte kind)
    {
        for (int i = 0; i < chunkCount; i++)
        {
            final int slot = chunks[i];
            final int first = findRun(freeMask[slot], pages);
            if (first >= 0)
            {
                return take(slot, first, pages, kind);
            }
        }
        final int slot = commitChunk(pages);
        return slot < 0 ? -1 : take(slot, 0, pages, kind);
    }

    /** Frees the span that starts at a page. */
    void free(final int firstPage)
    {
        final int slot = firstPage / pagesPerChunk;
        final int pages = spanPages[firstPage];
        Arrays.fill(spanStart, firstPage, firstPage + pages, -1);
        spanKind[firstPage] = KIND_FREE;
        freeMask[slot] |= runMask(pages) << (firstPage % pagesPerChunk);
        freePages += pages;
        if (freeMask[slot] == fullMask[slot])
        {
            if (spareChunk < 0)
            {
                spareChunk = slot;
            }
            else
            {
                releaseChunk(slot);
            }
        }
    }

    /**
     * Grows a span in place if the pages after it in its chunk are free.
     *
     * @return whether the span now has {@code newPages} pages.
     */
    boolean grow(final int firstPage, final int newPages)
    {
        final int slot = firstPage / pagesPerChunk;
        final int page = firstPage % pagesPerChunk;
        final int oldPages = spanPages[firstPage];
        if (page + newPages > pagesPerChunk)
        {
            return false;
        }
        final long extra = runMask(newPages - oldPages) << (page + oldPages);
        if ((freeMask[slot] & extra) != extra)
        {
            return false;
        }
        freeMask[slot] &= ~extra;
        freePages -= newPages - oldPages;
        Arrays.fill(spanStart, firstPage + oldPages, firstPage + newPages, firstPage);
        spanPages[firstPage] = newPages;
        return true;
    }

    /** Gives the tail of a span back, keeping its first {@code newPages} pages. */
    void shrink(final int firstPage, final int newPages)
    {
        final int slot = firstPage / pagesPerChunk;
        final int oldPages = spanPages[firstPage];
        freeMask[slot] |= runMask(oldPages - newPages) << (firstPage % pagesPerChunk + newPages);
        freePages += oldPages - newPages;
        Arrays.fill(spanStart, firstPage + newPages, firstPage + oldPages, -1);
        spanPages[firstPage] = newPages;
    }

    /** @return whether there was a spare empty chunk to release. */
    boolean releaseSpare()
    {
        if (spareChunk < 0)
        {
            return false;
        }
        releaseChunk(spareChunk);
        spareChunk = -1;
        return true;
    }

    /** @return the first page of the span holding a page, or -1 if the page is free. */
    int spanStart(final int page)
    {
        return spanStart[page];
    }

    int spanPages(final int firstPage)
    {
        return spanPages[firstPage];
    }

    byte spanKind(final int firstPage)
    {
        return spanKind[firstPage];
    }

    /** @return the page id of a page of a chunk. */
    int pageId(final int slot, final int pageInChunk)
    {
        return slot * pagesPerChunk + pageInChunk;
    }

    int slotOf(final int page)
    {
        return page / pagesPerChunk;
    }

    /** @return the byte offset of a page in its chunk. */
    long offsetOf(final int page)
    {
        return (long)(page % pagesPerChunk) * pageBytes;
    }

    int pageBytes()
    {
        return pageBytes;
    }

    /** @return bytes of committed chunks in free pages. */
    long freeBytes()
    {
        return freePages * pageBytes;
    }

    private int take(final int slot, final int first, final int pages, final byte kind)
    {
        freeMask[slot] &= ~(runMask(pages) << first);
        freePages -= pages;
        if (slot == spareChunk)
        {
            spareChunk = -1;
        }
        final int firstPage = pageId(slot, first);
        Arrays.fill(spanStart, firstPage, firstPage + pages, firstPage);
        spanPages[firstPage] = pages;
        spanKind[firstPage] = kind;
        return firstPage;
    }

    private int commitChunk(final int pagesNeeded)
    {
        // The last chunk of a budget that is not a multiple of the chunk size is smaller.
        final long bytes = Math.min(chunkBytes, segments.uncommittedBytes());
        if (bytes < (long)pagesNeeded * pageBytes)
        {
            return -1;
        }
        final int slot = segments.commit(bytes, SegmentTable.CHUNK);
        if (slot < 0)
        {
            return -1;
        }
        final int pages = (int)(bytes / pageBytes);
        freeMask[slot] = runMask(pages);
        fullMask[slot] = runMask(pages);
        freePages += pages;
        chunkPosition[slot] = chunkCount;
        chunks[chunkCount++] = slot;
        return slot;
    }

    private void releaseChunk(final int slot)
    {
        final int position = chunkPosition[slot];
        final int last = chunks[--chunkCount];
        chunks[position] = last;
        chunkPosition[last] = position;
        freePages -= Long.bitCount(fullMask[slot]);
        freeMask[slot] = 0;
        fullMask[slot] = 0;
        segments.release(slot);
    }

    /** @return the lowest bit of a run of {@code pages} set bits in {@code free}, or -1. */
    private static int findRun(final long free, final int pages)
    {
        long starts = free;
        for (int i = 1; i < pages && starts != 0; i++)
        {
            starts &= free >>> i;
        }
        return starts == 0 ? -1 : Long.numberOfTrailingZeros(starts);
    }

    private static long runMask(final int pages)
    {
        return pages == 64 ? -1L : (1L << pages) - 1;
    }
}
