package io.rum.net.transport;

import org.agrona.DirectBuffer;

/**
 * A one-way reliable ordered stream of messages to one node. Messages arrive in order, each once, while
 * both ends keep running; if either end restarts the stream starts afresh for the new incarnation and the
 * receiver is told ({@link StreamHandler#onPublisherRestart}).
 */
public interface StreamPublication
{
    /** The window is full: retry after the receiver has acknowledged more. */
    long BACK_PRESSURED = -1;
    /** The message is longer than {@link #maxMessageLength()}. */
    long TOO_LARGE = -2;
    /** The transport is closed. */
    long CLOSED = -3;

    int nodeId();

    int streamId();

    /**
     * @return the largest message this publication takes: it must fit the retransmission window.
     */
    int maxMessageLength();

    /**
     * Copies a message into the stream. Never blocks.
     *
     * @return the stream position after the message (frames), or a negative code.
     */
    long offer(DirectBuffer buffer, int offset, int length);

    /**
     * @return the position up to which the receiver has acknowledged delivery.
     */
    long acknowledgedPosition();
}
