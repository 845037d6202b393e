package io.rum.allocator.offheap;

/**
 * The layout of the address token {@link SizeClassAllocator} hands out: which segment, and where in it.
 *
 * <pre>
 *  63 62                        40 39                                      0
 * +--+----------------------------+-----------------------------------------+
 * |0 |   segment slot (23 bits)   |    byte offset in the segment (40 bits) |
 * +--+----------------------------+-----------------------------------------+
 * </pre>
 *
 * <p>A segment is a chunk (cut into pages, holding slabs and large allocations) or one allocation bigger
 * than a chunk, which always starts at offset 0. The sign bit is always clear, so every address is
 * non-negative and the negative values are free for status codes such as
 * {@link SizeClassAllocator#OUT_OF_MEMORY}. Slots are reused after their segment is released, so an
 * address is only meaningful while its allocation is live: it never leaves the slave, where regions are
 * named by handles that carry a generation.
 */
public final class AddressDescriptor
{
    /** Bits of the offset field. */
    public static final int OFFSET_BITS = 40;
    /** Mask of the offset field. */
    public static final long OFFSET_MASK = (1L << OFFSET_BITS) - 1;
    /** The largest slot that fits. */
    public static final int MAX_SLOT = (1 << 23) - 1;

    private AddressDescriptor()
    {
    }

    /**
     * @param slot   of the segment, 0..{@link #MAX_SLOT}.
     * @param offset in the segment, below 2^40.
     * @return the address.
     */
    public static long address(final int slot, final long offset)
    {
        return ((long)slot << OFFSET_BITS) | offset;
    }

    /** @return the segment slot of an address; out of range for a negative value. */
    public static long slot(final long address)
    {
        return address >>> OFFSET_BITS;
    }

    /** @return the offset in its segment of an address. */
    public static long offset(final long address)
    {
        return address & OFFSET_MASK;
    }
}
