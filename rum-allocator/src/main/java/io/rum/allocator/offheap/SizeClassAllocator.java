package io.rum.allocator.offheap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;

/**
 * The slave's memory manager: a fixed budget of off-heap memory handed out in pieces named by addresses.
 *
 * <p>Why its own allocator: a slave holds millions of client regions and cache entries, and one Java
 * object per piece would put them all on the heap, in front of the garbage collector. Here the bytes are
 * off-heap (FFM {@link MemorySegment}s) and the bookkeeping is in a few primitive arrays and in the free
 * memory itself, so the heap does not grow with the number of allocations.
 *
 * <h2>Three kinds of allocation</h2>
 * <pre>
 *  size                          kind    lives in                                     alloc / free
 *  1 .. maxSmallBytes (256 KiB)  small   a block of a slab of its size class          O(1)
 *  .. chunk size (4 MiB)         large   a run of whole pages of one chunk            first fit over chunks
 *  above the chunk size          huge    a segment (and arena) of its own             one arena open / close
 * </pre>
 * Memory for small and large allocations is committed a chunk at a time, lazily, so a 4 GiB budget costs
 * nothing until it is used; see {@link SizeClasses} for the classes, {@link Slabs} for the free lists and
 * {@link PageRuns} for pages and chunks. A new slab costs one first-fit page-run search (amortised over
 * its blocks); committing a chunk costs a zero fill of the chunk.
 *
 * <h2>Addresses</h2>
 * {@link #allocate} returns a non-negative opaque address ({@link AddressDescriptor}: segment slot and
 * offset) or {@link #OUT_OF_MEMORY}. Every method that takes an address checks it names the start of a
 * live allocation, in O(1): the page of the address says which span holds it, the span says its kind
 * and block size, and a per-chunk bitmap of live blocks (never in client-writable memory) says whether
 * the block is live. A double free, a stale, interior or invented address throws
 * {@link BadAddressException} with the reason, and changes nothing. Reads and writes are bounds-checked
 * against the usable size ({@link #sizeOf}), which may exceed the size asked for.
 *
 * <h2>Errors</h2>
 * Running out of budget is a data-path outcome, answered with {@link #OUT_OF_MEMORY} and never an
 * exception: before giving up, the allocator releases the empty slabs and the empty chunk it keeps for
 * reuse and tries once more. A refused {@code reallocate} leaves the old allocation as it was. Bad
 * addresses and sizes below one byte are bugs of the caller and throw.
 *
 * <h2>Threads</h2>
 * Not thread-safe, by design: the slave applies every state change on one thread, so the allocator has
 * no locks and no atomics. The memory itself is in shared arenas: another thread (a transport poller)
 * may read or write the bytes of an allocation through {@link #segment} while the allocation is live,
 * if the slave orders that access against the free, e.g. by handing the work over through a queue.
 * Freeing an allocation never unmaps memory another allocation uses; releasing a whole empty chunk or
 * huge segment closes its arena, after which a stale {@link MemorySegment} of it throws rather than
 * reading freed memory.
 */
public final class SizeClassAllocator implements AutoCloseable
{
    /** Returned instead of an address when the budget cannot hold the allocation. */
    public static final long OUT_OF_MEMORY = -1;

    private static final byte KIND_SMALL = 0;
    private static final byte KIND_LARGE = 1;
    private static final byte KIND_HUGE = 2;

    private final AllocatorConfiguration configuration;
    private final SizeClasses classes;
    private final SegmentTable segments;
    private final PageRuns runs;
    private final Slabs slabs;
    private final int pageBytes;
    private final int chunkBytes;
    private long largeAllocations;
    private long largeBytes;
    private long hugeAllocations;
    private long hugeBytes;

    // Set by resolve(); valid until the next call. One thread, so scratch fields beat returning a record.
    private byte resolvedKind;
    private int resolvedSlot;
    private long resolvedOffset;
    private int resolvedSpan;
    private int resolvedIndex;

    /**
     * @param configuration the budget and chunk and page sizes.
     */
    public SizeClassAllocator(final AllocatorConfiguration configuration)
    {
        this.configuration = Objects.requireNonNull(configuration, "configuration");
        classes = new SizeClasses(configuration);
        segments = new SegmentTable(configuration.budgetBytes(), configuration.maxSegments());
        runs = new PageRuns(segments, configuration);
        slabs = new Slabs(segments, runs, classes, configuration);
        pageBytes = configuration.pageSizeBytes();
        chunkBytes = configuration.chunkSizeBytes();
    }

    /**
     * Allocates memory. Its contents are unspecified: memory is reused without clearing ({@link #zero}).
     *
     * @param sizeBytes at least 1.
     * @return the address of at least {@code sizeBytes} bytes, or {@link #OUT_OF_MEMORY}.
     * @throws IllegalArgumentException if {@code sizeBytes} is below 1.
     */
    public long allocate(final long sizeBytes)
    {
        requirePositive(sizeBytes);
        segments.ensureOpen();
        long address = tryAllocate(sizeBytes);
        if (address == OUT_OF_MEMORY && releaseKeptMemory())
        {
            address = tryAllocate(sizeBytes);
        }
        return address;
    }

    /**
     * Frees an allocation.
     *
     * @param address of a live allocation.
     * @throws BadAddressException if the address is not the start of a live allocation (double free).
     */
    public void free(final long address)
    {
        final long usableBytes = resolve(address);
        switch (resolvedKind)
        {
            case KIND_SMALL -> slabs.free(resolvedSpan, resolvedIndex);
            case KIND_LARGE ->
            {
                runs.free(resolvedSpan);
                largeAllocations--;
                largeBytes -= usableBytes;
            }
            default ->
            {
                segments.release(resolvedSlot);
                hugeAllocations--;
                hugeBytes -= usableBytes;
            }
        }
    }

    /**
     * Changes the size of an allocation, in place when its size class allows: the same small class, a
     * large allocation whose following pages are free or that shrinks, a huge one that shrinks by less than
     * half. Otherwise allocates anew, copies the smaller of the two sizes, and frees the old allocation;
     * that needs room for both at once.
     *
     * @param address      of a live allocation.
     * @param newSizeBytes at least 1.
     * @return the address of the allocation, which may have moved, or {@link #OUT_OF_MEMORY}, in which case
     * the old allocation is intact and still live.
     * @throws BadAddressException if the address is not the start of a live allocation.
     */
    public long reallocate(final long address, final long newSizeBytes)
    {
        final long usableBytes = resolve(address);
        requirePositive(newSizeBytes);
        if (resizeInPlace(usableBytes, newSizeBytes))
        {
            return address;
        }
        final long moved = allocate(newSizeBytes);
        if (moved == OUT_OF_MEMORY)
        {
            return OUT_OF_MEMORY;
        }
        MemorySegment.copy(base(address), AddressDescriptor.offset(address), base(moved),
            AddressDescriptor.offset(moved), Math.min(usableBytes, newSizeBytes));
        free(address);
        return moved;
    }

    /**
     * @param address of a live allocation.
     * @return its usable size: the bytes that may be read and written, at least the size asked for.
     * @throws BadAddressException if the address is not the start of a live allocation.
     */
    public long sizeOf(final long address)
    {
        return resolve(address);
    }

    /**
     * @param address     of a live allocation.
     * @param lengthBytes of the view, at most the usable size.
     * @return a view of the first {@code lengthBytes} of the allocation; valid until it is freed.
     */
    public MemorySegment segment(final long address, final long lengthBytes)
    {
        return segment(address, 0, lengthBytes);
    }

    /**
     * @param address     of a live allocation.
     * @param offset      in the allocation.
     * @param lengthBytes of the view.
     * @return a view of bytes {@code [offset, offset + lengthBytes)} of the allocation.
     * @throws IndexOutOfBoundsException if the range is not within the usable size.
     */
    public MemorySegment segment(final long address, final long offset, final long lengthBytes)
    {
        checkRange(address, offset, lengthBytes);
        return base(address).asSlice(resolvedOffset + offset, lengthBytes);
    }

    /** Copies {@code length} bytes from an array into an allocation at {@code offset}. */
    public void putBytes(final long address, final long offset, final byte[] src, final int srcIndex, final int length)
    {
        checkRange(address, offset, length);
        MemorySegment.copy(src, srcIndex, base(address), ValueLayout.JAVA_BYTE, resolvedOffset + offset, length);
    }

    /** Copies {@code length} bytes of an allocation at {@code offset} into an array. */
    public void getBytes(final long address, final long offset, final byte[] dst, final int dstIndex, final int length)
    {
        checkRange(address, offset, length);
        MemorySegment.copy(base(address), ValueLayout.JAVA_BYTE, resolvedOffset + offset, dst, dstIndex, length);
    }

    /** Copies {@code length} bytes from a segment into an allocation at {@code offset}. */
    public void copyFrom(
        final MemorySegment src, final long srcOffset, final long address, final long offset, final long length)
    {
        checkRange(address, offset, length);
        MemorySegment.copy(src, srcOffset, base(address), resolvedOffset + offset, length);
    }

    /** Copies {@code length} bytes of an allocation at {@code offset} into a segment. */
    public void copyTo(
        final long address, final long offset, final MemorySegment dst, final long dstOffset, final long length)
    {
        checkRange(address, offset, length);
        MemorySegment.copy(base(address), resolvedOffset + offset, dst, dstOffset, length);
    }

    /** Zeroes the first {@code lengthBytes} of an allocation: allocate then zero is calloc. */
    public void zero(final long address, final long lengthBytes)
    {
        checkRange(address, 0, lengthBytes);
        base(address).asSlice(resolvedOffset, lengthBytes).fill((byte)0);
    }

    /** @return a snapshot of the counters; allocates, so for the control path. */
    public Stats stats()
    {
        final long[] byClass = new long[classes.count()];
        long smallBytes = 0;
        long smallCount = 0;
        for (int c = 0; c < byClass.length; c++)
        {
            byClass[c] = slabs.liveBlocks(c);
            smallCount += byClass[c];
            smallBytes += byClass[c] * classes.blockBytes(c);
        }
        return new Stats(configuration.budgetBytes(), segments.committedBytes(), smallBytes + largeBytes + hugeBytes,
            smallCount + largeAllocations + hugeAllocations, byClass, largeAllocations, hugeAllocations,
            runs.freeBytes());
    }

    /** @return the size classes, for reading block sizes by class index. */
    public SizeClasses sizeClasses()
    {
        return classes;
    }

    /** @return the configuration this allocator was built with. */
    public AllocatorConfiguration configuration()
    {
        return configuration;
    }

    /** Releases all memory; every address and segment view becomes invalid. */
    @Override
    public void close()
    {
        segments.close();
    }

    private long tryAllocate(final long sizeBytes)
    {
        if (sizeBytes <= classes.maxSmallBytes())
        {
            return slabs.allocate(classes.classOf(sizeBytes));
        }
        if (sizeBytes <= chunkBytes)
        {
            final int pages = pagesFor(sizeBytes);
            final int first = runs.allocate(pages, PageRuns.KIND_LARGE);
            if (first < 0)
            {
                return OUT_OF_MEMORY;
            }
            largeAllocations++;
            largeBytes += (long)pages * pageBytes;
            return AddressDescriptor.address(runs.slotOf(first), runs.offsetOf(first));
        }
        if (sizeBytes > configuration.budgetBytes())
        {
            return OUT_OF_MEMORY;
        }
        final long bytes = (long)pagesFor(sizeBytes) * pageBytes;
        final int slot = segments.commit(bytes, SegmentTable.HUGE);
        if (slot < 0)
        {
            return OUT_OF_MEMORY;
        }
        hugeAllocations++;
        hugeBytes += bytes;
        return AddressDescriptor.address(slot, 0);
    }

    /** Expects {@link #resolve} of the allocation just done. */
    private boolean resizeInPlace(final long usableBytes, final long newSizeBytes)
    {
        switch (resolvedKind)
        {
            case KIND_SMALL ->
            {
                return newSizeBytes <= classes.maxSmallBytes()
                    && classes.classOf(newSizeBytes) == runs.spanKind(resolvedSpan);
            }
            case KIND_LARGE ->
            {
                if (newSizeBytes <= classes.maxSmallBytes() || newSizeBytes > chunkBytes)
                {
                    return false;
                }
                final int oldPages = runs.spanPages(resolvedSpan);
                final int newPages = pagesFor(newSizeBytes);
                if (newPages < oldPages)
                {
                    runs.shrink(resolvedSpan, newPages);
                }
                else if (newPages > oldPages && !runs.grow(resolvedSpan, newPages))
                {
                    return false;
                }
                largeBytes += (long)(newPages - oldPages) * pageBytes;
                return true;
            }
            default ->
            {
                return newSizeBytes > chunkBytes && newSizeBytes <= usableBytes && newSizeBytes > usableBytes / 2;
            }
        }
    }

    private boolean releaseKeptMemory()
    {
        final boolean slabsReleased = slabs.releaseEmpty();
        final boolean chunkReleased = runs.releaseSpare();
        return slabsReleased || chunkReleased;
    }

    private void checkRange(final long address, final long offset, final long length)
    {
        final long usableBytes = resolve(address);
        Objects.checkFromIndexSize(offset, length, usableBytes);
    }

    private MemorySegment base(final long address)
    {
        return segments.segment((int)AddressDescriptor.slot(address));
    }

    /**
     * Checks an address names the start of a live allocation and notes what it is in the resolved fields.
     *
     * @return the usable size of the allocation.
     */
    private long resolve(final long address)
    {
        final long slot = AddressDescriptor.slot(address);
        final long offset = AddressDescriptor.offset(address);
        final byte segmentKind = segments.kind(slot);
        if (segmentKind == SegmentTable.FREE)
        {
            throw new BadAddressException(BadAddressException.Reason.OUT_OF_RANGE, address, "no segment in that slot");
        }
        final MemorySegment segment = segments.segment((int)slot);
        resolvedSlot = (int)slot;
        resolvedOffset = offset;
        if (segmentKind == SegmentTable.HUGE)
        {
            if (offset != 0)
            {
                throw new BadAddressException(BadAddressException.Reason.INTERIOR, address,
                    "huge allocation of " + segment.byteSize() + " bytes starts at offset 0");
            }
            resolvedKind = KIND_HUGE;
            return segment.byteSize();
        }
        if (offset >= segment.byteSize())
        {
            throw new BadAddressException(BadAddressException.Reason.OUT_OF_RANGE, address,
                "chunk has " + segment.byteSize() + " bytes");
        }
        final int page = runs.pageId((int)slot, (int)(offset / pageBytes));
        final int span = runs.spanStart(page);
        if (span < 0)
        {
            throw new BadAddressException(BadAddressException.Reason.NOT_LIVE, address, "its page is free");
        }
        resolvedSpan = span;
        final long relative = offset - runs.offsetOf(span);
        final byte spanKind = runs.spanKind(span);
        if (spanKind == PageRuns.KIND_LARGE)
        {
            final long usableBytes = (long)runs.spanPages(span) * pageBytes;
            if (relative != 0)
            {
                throw new BadAddressException(BadAddressException.Reason.INTERIOR, address,
                    "large allocation of " + usableBytes + " bytes starts " + relative + " bytes earlier");
            }
            resolvedKind = KIND_LARGE;
            return usableBytes;
        }
        final int blockBytes = classes.blockBytes(spanKind);
        final long index = relative / blockBytes;
        if (relative % blockBytes != 0 || index >= classes.blocksPerSlab(spanKind))
        {
            throw new BadAddressException(BadAddressException.Reason.INTERIOR, address,
                "not on a block boundary of a slab of " + blockBytes + "-byte blocks");
        }
        if (!slabs.isLive(span, (int)index))
        {
            throw new BadAddressException(BadAddressException.Reason.NOT_LIVE, address, blockBytes + "-byte block "
                + index + (slabs.neverUsed(span, (int)index) ? " was never allocated" : " was already freed"));
        }
        resolvedKind = KIND_SMALL;
        resolvedIndex = (int)index;
        return blockBytes;
    }

    private int pagesFor(final long sizeBytes)
    {
        return (int)((sizeBytes + pageBytes - 1) / pageBytes);
    }

    private static void requirePositive(final long sizeBytes)
    {
        if (sizeBytes < 1)
        {
            throw new IllegalArgumentException("size " + sizeBytes + " must be at least 1 byte");
        }
    }

    /**
     * A snapshot of the allocator's counters.
     *
     * @param budgetBytes             the most memory the allocator may commit.
     * @param committedBytes          memory obtained from the operating system now: chunks and huge segments.
     * @param allocatedBytes          usable bytes of live allocations.
     * @param allocations             live allocations.
     * @param smallAllocationsByClass live small allocations by size class index ({@link SizeClasses}).
     * @param largeAllocations        live allocations of whole pages.
     * @param hugeAllocations         live allocations with a segment of their own.
     * @param freePageBytes           bytes of committed chunks in pages no slab or large allocation holds.
     */
    public record Stats(
        long budgetBytes,
        long committedBytes,
        long allocatedBytes,
        long allocations,
        long[] smallAllocationsByClass,
        long largeAllocations,
        long hugeAllocations,
        long freePageBytes)
    {
        /** Copies the array, so a snapshot stays a snapshot. */
        public Stats
        {
            smallAllocationsByClass = smallAllocationsByClass.clone();
        }

        @Override
        public long[] smallAllocationsByClass()
        {
            return smallAllocationsByClass.clone();
        }

        /**
         * @return the share of committed memory that holds no live allocation: free pages, free blocks of
         * slabs, and slab tails; 0 when nothing is committed. Rounding of sizes up to a class is not in it.
         */
        public double fragmentation()
        {
            return committedBytes == 0 ? 0.0 : (double)(committedBytes - allocatedBytes) / committedBytes;
        }

        @Override
        public String toString()
        {
            return "Stats[budgetBytes=" + budgetBytes + ", committedBytes=" + committedBytes + ", allocatedBytes="
                + allocatedBytes + ", allocations=" + allocations + ", smallAllocationsByClass="
                + Arrays.toString(smallAllocationsByClass) + ", largeAllocations=" + largeAllocations
                + ", hugeAllocations=" + hugeAllocations + ", freePageBytes=" + freePageBytes + "]";
        }
    }
}
