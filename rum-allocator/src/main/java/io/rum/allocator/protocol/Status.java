package io.rum.allocator.protocol;

/**
 * Result codes a slave answers with. Every failure leaves the slave's state as it was.
 */
public final class Status
{
    public static final int OK = 0;
    /** The slave's memory budget cannot hold the allocation; it keeps serving. */
    public static final int OUT_OF_MEMORY = 1;
    /** The handle names no region of this slave, or a region of another slave. */
    public static final int BAD_HANDLE = 2;
    /** The handle's region was freed (its generation is gone). */
    public static final int FREED = 3;
    /** Offset and length reach outside the region. */
    public static final int OUT_OF_RANGE = 4;
    /** No named region has that name. */
    public static final int NO_SUCH_NAME = 5;
    /** A named region exists with another size. */
    public static final int NAME_SIZE_MISMATCH = 6;
    /** The request is malformed (unknown opcode, bad lengths, bad name). */
    public static final int BAD_REQUEST = 7;
    /** A named region cannot be freed by this call (named regions are permanent unless freed by name owner). */
    public static final int NOT_ALLOWED = 8;
    /** The session's lease expired (the client was silent too long): open a new session. */
    public static final int FENCED = 9;

    private Status()
    {
    }

    public static String describe(final int status)
    {
        return switch (status)
        {
            case OK -> "ok";
            case OUT_OF_MEMORY -> "out of memory on the slave";
            case BAD_HANDLE -> "no such region (bad handle)";
            case FREED -> "the region was freed";
            case OUT_OF_RANGE -> "offset and length outside the region";
            case NO_SUCH_NAME -> "no region with that name";
            case NAME_SIZE_MISMATCH -> "a region with that name exists with another size";
            case BAD_REQUEST -> "malformed request";
            case NOT_ALLOWED -> "operation not allowed on this region";
            case FENCED -> "this client's lease expired: it was fenced and must open a new session";
            default -> "status " + status;
        };
    }
}
