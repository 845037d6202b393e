package io.rum.net.medium;

import org.agrona.DirectBuffer;

/**
 * A medium that copies every frame into memory of its own (an mbuf, a ring) and so can take a frame's header and
 * payload from two places in that one copy: {@link #send} is the one-part case of {@link #sendGathered}.
 */
public interface GatheringMedium extends Medium
{
    @Override
    default boolean gathers()
    {
        return true;
    }

    @Override
    default int send(final int peer, final DirectBuffer buffer, final int offset, final int length)
    {
        return sendGathered(peer, buffer, offset, length, null, 0, 0);
    }

    /**
     * {@inheritDoc} {@code payload} may be null when {@code payloadLength} is 0.
     */
    @Override
    int sendGathered(
        int peer, DirectBuffer head, int headOffset, int headLength, DirectBuffer payload, int payloadOffset,
        int payloadLength);
}
