package io.rum.allocator.protocol;

/**
 * Operation codes of the remote-memory protocol between a client ({@code Rum}) and a slave. Part of the
 * wire protocol: never renumber.
 */
public final class Opcode
{
    /** Anonymous allocation owned by the caller's session: {@code length} = size. */
    public static final int ALLOC = 1;
    /** Like ALLOC, zero-filled. */
    public static final int CALLOC = 2;
    /** Named, permanent allocation: payload = UTF-8 name, {@code length} = size; attaches if it exists. */
    public static final int ALLOC_NAMED = 3;
    /** Finds a named allocation: payload = name. */
    public static final int LOOKUP_NAMED = 4;
    /** Resizes {@code handle} to {@code length} bytes; contents kept up to the smaller size, growth zeroed. */
    public static final int REALLOC = 5;
    /** Frees {@code handle}. */
    public static final int FREE = 6;
    /** Reads {@code length} bytes at {@code offset} of {@code handle}. */
    public static final int READ = 7;
    /** Writes the payload at {@code offset} of {@code handle}. */
    public static final int WRITE = 8;
    /** Slave statistics, as text. */
    public static final int STATS = 9;
    /** Renews the lease of the session named by the request's lease epoch (heartbeat service range). */
    public static final int LEASE_RENEW = 65;

    private Opcode()
    {
    }

    public static String name(final int opcode)
    {
        return switch (opcode)
        {
            case ALLOC -> "alloc";
            case CALLOC -> "calloc";
            case ALLOC_NAMED -> "allocNamed";
            case LOOKUP_NAMED -> "lookupNamed";
            case REALLOC -> "realloc";
            case FREE -> "free";
            case READ -> "read";
            case WRITE -> "write";
            case STATS -> "stats";
            case LEASE_RENEW -> "leaseRenew";
            default -> "opcode " + opcode;
        };
    }
}
