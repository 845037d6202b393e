package io.rum.net.transport;

/**
 * Outcome codes of an RPC. The data path returns codes; callers on the control path turn them into
 * exceptions with {@link #describe(int)}.
 */
public final class RpcStatus
{
    /** The response arrived. */
    public static final int OK = 0;
    /** No response before the deadline. The request may or may not have executed. */
    public static final int TIMEOUT = 1;
    /** The server restarted or lost the session; the request may have executed on the old incarnation. */
    public static final int PEER_RESTARTED = 2;
    /** The server refused the request (no handler, or no session capacity). */
    public static final int REJECTED = 3;
    /** The request is longer than the transport or the server accepts. */
    public static final int TOO_LARGE = 4;
    /** The transport closed before the call completed. */
    public static final int CLOSED = 5;
    /** No slot was free before the deadline: too many calls in flight to that node. */
    public static final int BUSY = 6;
    /** The medium has no route to the node. */
    public static final int NO_ROUTE = 7;

    private RpcStatus()
    {
    }

    public static String describe(final int status)
    {
        return switch (status)
        {
            case OK -> "ok";
            case TIMEOUT -> "timed out waiting for the response";
            case PEER_RESTARTED -> "the server restarted or lost the session";
            case REJECTED -> "the server rejected the request";
            case TOO_LARGE -> "the message is larger than allowed";
            case CLOSED -> "the transport is closed";
            case BUSY -> "no call slot became free in time";
            case NO_ROUTE -> "no route to the node";
            default -> "status " + status;
        };
    }
}
