package io.rum.slave.cache;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

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
    /** Messages held back while a subscriber's stream window was full, sent later as one batch; lazily made. */
    private final UnsafeBuffer[] pending = new UnsafeBuffer[MAX];
    private final int[] pendingLength = new int[MAX];
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

    /** @return bytes held back for subscriber i. */
    int pendingLength(final int i)
    {
        return pendingLength[i];
    }

    UnsafeBuffer pending(final int i)
    {
        return pending[i];
    }

    /**
     * Holds a message back for subscriber i, after the ones already held.
     *
     * @return false if that would exceed {@code maxBytes}: the caller resets the subscriber instead.
     */
    boolean hold(final int i, final DirectBuffer message, final int length, final int maxBytes)
    {
        final int at = pendingLength[i];
        if (at + length > maxBytes)
        {
            return false;
        }
        if (null == pending[i] || pending[i].capacity() < at + length)
        {
            final UnsafeBuffer grown = new UnsafeBuffer(new byte[Math.min(maxBytes, Math.max(4096, 2 * (at + length)))]);
            if (null != pending[i])
            {
                grown.putBytes(0, pending[i], 0, at);
            }
            pending[i] = grown;
        }
        pending[i].putBytes(at, message, 0, length);
        pendingLength[i] = at + length;
        return true;
    }

    /** Forgets what was held back for subscriber i (sent, or replaced by a reset). */
    void clearPending(final int i)
    {
        pendingLength[i] = 0;
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
        pendingLength[size] = 0;
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
                removeAt(i, ended);
                return;
            }
        }
    }

    /** Ends subscription i: the last one takes its place (order does not matter). */
    private void removeAt(final int i, final Ended ended)
    {
        ended.onEnded(nodes[i], streams[i]);
        final int last = --size;
        nodes[i] = nodes[last];
        streams[i] = streams[last];
        renewedNs[i] = renewedNs[last];
        mustReset[i] = mustReset[last];
        pending[i] = pending[last];
        pendingLength[i] = pendingLength[last];
        pending[last] = null;
        pendingLength[last] = 0;
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
                removeAt(i, ended);
                dropped++;
            }
        }
        return dropped;
    }
}
