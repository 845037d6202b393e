package io.rum.net.medium;

import org.agrona.MutableDirectBuffer;

/**
 * Receives frames from a {@link Medium}. The buffer is only valid during the call and is backed by a
 * {@code byte[]} or a {@code ByteBuffer}; the handler may write into the frame's own bytes while it runs. Over DPDK
 * it is the mbuf the frame arrived in, which the next poll frees: a reference kept past the call reads other frames.
 */
@FunctionalInterface
public interface FrameHandler
{
    /**
     * @param peer   the peer number of the sender, for replies.
     * @param buffer holding the frame.
     * @param offset of the frame's first byte.
     * @param length of the frame as delivered.
     */
    void onFrame(int peer, MutableDirectBuffer buffer, int offset, int length);

    /**
     * A frame whose CRC32C the medium has checked and found right (a medium that {@link Medium#seals()}), so the
     * handler need not compute it again; everything else about the frame is still unchecked. By default the same as
     * {@link #onFrame}: a handler that does not care checks it again.
     */
    default void onCheckedFrame(final int peer, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        onFrame(peer, buffer, offset, length);
    }
}
