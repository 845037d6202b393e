package io.rum.net.transport;

/**
 * The first byte of every RPC request names a service, so the services of a node share its transport through
 * an {@link RpcRouter}. Part of the wire protocol: never move a range.
 */
public final class Services
{
    /** Remote memory (slave operations): 1..63, the operation code itself. */
    public static final int MEMORY_FIRST = 1;
    public static final int MEMORY_LAST = 63;
    /** Heartbeats and leases: 64..79. */
    public static final int HEARTBEAT_FIRST = 64;
    public static final int HEARTBEAT_LAST = 79;
    /** Cache entries: 80..127. */
    public static final int CACHE_FIRST = 80;
    public static final int CACHE_LAST = 127;

    private Services()
    {
    }
}
