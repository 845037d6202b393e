package io.rum.slave.cache;

/**
 * The clients that keep a hot tier of one cache and want its invalidations: node, stream, when they last renewed,
 * and whether a message to them was dropped (they must then be told to forget the whole cache). Bounded: at most
 * {@link #MAX} subscribers per cache; a subscription not renewed for the expiry time is dropped.
 */
final class Subscribers
{
    static final int MAX = 1024;

    private final int[] nodes = new int[MAX];
    private final int[] streams = new int[MAX];
    private final long[] renewedNs = new long[MAX];
    private final boolean[] mustReset = new boolean[MAX];
    private int size;

    int size()
    {
        return size;
    }

    int node(final int i)
    {
        return nodes[i];
    }

    int stream(final int i)
    {
        return streams[i];
    }

    boolean mustReset(final int i)
    {
        return mustReset[i];
    }

    void mustReset(final int i, final boolean value)
    {
        mustReset[i] = value;
    }

    /** @return whether this node's stream is subscribed. */
    boolean contains(final int node, final int stream)
    {
        for (int i = 0; i < size; i++)
        {
            if (nodes[i] == node && streams[i] == stream)
            {
                return true;
            }
        }
        return false;
    }

    static final int FULL = -1;
    static final int RENEWED = 0;
    static final int ADDED = 1;

    /**
     * Adds or renews a subscription.
     *
     * @return {@link #RENEWED}, {@link #ADDED} (new, or a message to it was lost: the client must assume it missed
     * changes) or {@link #FULL}.
     */
    int renew(final int node, final int stream, final long nowNs)
    {
        for (int i = 0; i < size; i++)
        {
            if (nodes[i] == node && streams[i] == stream)
            {
                renewedNs[i] = nowNs;
                if (mustReset[i])
                {
                    // A message to it was lost and no RESET got through: the renewal tells it instead.
                    mustReset[i] = false;
                    return ADDED;
                }
                return RENEWED;
            }
        }
        if (size == MAX)
        {
            return FULL;
        }
        nodes[size] = node;
        streams[size] = stream;
        renewedNs[size] = nowNs;
        mustReset[size] = false;
        size++;
        return ADDED;
    }

    /** Told about each subscription that ends. */
    @FunctionalInterface
    interface Ended
    {
        void onEnded(int node, int stream);
    }

    /** Drops one subscription if present, telling {@code ended}. */
    void remove(final int node, final int stream, final Ended ended)
    {
        for (int i = 0; i < size; i++)
        {
            if (nodes[i] == node && streams[i] == stream)
            {
                ended.onEnded(node, stream);
                final int last = --size;
                nodes[i] = nodes[last];
                streams[i] = streams[last];
                renewedNs[i] = renewedNs[last];
                mustReset[i] = mustReset[last];
                return;
            }
        }
    }

    /** Drops every subscription, telling {@code ended} about each. */
    void clear(final Ended ended)
    {
        for (int i = 0; i < size; i++)
        {
            ended.onEnded(nodes[i], streams[i]);
        }
        size = 0;
    }

    /** Drops subscriptions not renewed within {@code expiryNs}, telling {@code ended}; @return how many. */
    int expire(final long nowNs, final long expiryNs, final Ended ended)
    {
        int dropped = 0;
        for (int i = size - 1; i >= 0; i--)
        {
            if (nowNs - renewedNs[i] > expiryNs)
            {
                ended.onEnded(nodes[i], streams[i]);
                final int last = --size;
                nodes[i] = nodes[last];
                streams[i] = streams[last];
                renewedNs[i] = renewedNs[last];
                mustReset[i] = mustReset[last];
                dropped++;
            }
        }
        return dropped;
    }
}
