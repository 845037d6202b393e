package io.rum.allocator.offheap;

/**
 * An address that names no live allocation was passed to {@link SizeClassAllocator}: a double free, a
 * stale address, or one the allocator never handed out. The allocator's state is unchanged.
 *
 * <p>This is a control-path error: a slave only passes addresses it took from its own region table, so
 * seeing this means a bug in the slave, never bad client input.
 */
public final class BadAddressException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    /** Why an address was refused. */
    public enum Reason
    {
        /** No segment, or no page of one, holds the address. */
        OUT_OF_RANGE,
        /** The address is inside an allocation but not at its start. */
        INTERIOR,
        /** The address is where an allocation starts, but none is live there: a double free or a stale address. */
        NOT_LIVE
    }

    private final transient Reason reason;
    private final long address;

    /**
     * @param reason  why the address was refused.
     * @param address the address.
     * @param detail  what the allocator found there.
     */
    public BadAddressException(final Reason reason, final long address, final String detail)
    {
        super(message(reason, address, detail));
        this.reason = reason;
        this.address = address;
    }

    /** @return why the address was refused. */
    public Reason reason()
    {
        return reason;
    }

    /** @return the refused address. */
    public long address()
    {
        return address;
    }

    private static String message(final Reason reason, final long address, final String detail)
    {
        final String what = switch (reason)
        {
            case OUT_OF_RANGE -> "is not in any committed segment";
            case INTERIOR -> "points inside an allocation, not at its start";
            case NOT_LIVE -> "is not live: double free or stale address";
        };
        return "address 0x" + Long.toHexString(address) + " (slot " + AddressDescriptor.slot(address) + ", offset "
            + AddressDescriptor.offset(address) + ") " + what + ": " + detail;
    }
}
