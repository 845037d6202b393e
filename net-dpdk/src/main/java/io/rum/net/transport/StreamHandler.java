package io.rum.net.transport;

import org.agrona.DirectBuffer;

/**
 * Receives stream messages in order. Runs inside the transport's duty cycle (one at a time); must not block.
 */
@FunctionalInterface
public interface StreamHandler
{
    void onMessage(int srcNode, int streamId, DirectBuffer buffer, int offset, int length);

    /**
     * The publisher on {@code srcNode} restarted: messages of its earlier incarnation that were not yet
     * delivered never will be.
     */
    default void onPublisherRestart(final int srcNode, final int streamId)
    {
    }
}
