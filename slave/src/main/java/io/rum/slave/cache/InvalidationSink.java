package io.rum.slave.cache;

import org.agrona.DirectBuffer;

/**
 * Where the cache service sends invalidations: a stream to each subscribed client (the transport's
 * {@link io.rum.net.transport.StreamPublication}s in a running slave; a recorder in tests). Never blocks.
 */
public interface InvalidationSink
{
    /**
     * Prepares the stream to a new subscriber.
     *
     * @return false if it cannot be had (the node holds as many streams as it may): the subscription is refused.
     */
    boolean open(int node, int streamId);

    /**
     * @return a non-negative position if the message was taken; negative if not (full window, closed, too long):
     * the service then tells that subscriber to reset.
     */
    long offer(int node, int streamId, DirectBuffer buffer, int offset, int length);

    /** The last subscription on this stream ended: its resources may go. */
    void release(int node, int streamId);
}
