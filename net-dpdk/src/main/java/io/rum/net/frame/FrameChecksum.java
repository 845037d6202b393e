package io.rum.net.frame;

import org.agrona.DirectBuffer;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C over a frame. {@link CRC32C} is an intrinsic on x86 and aarch64 (several GB/s a core), so a
 * small frame costs nanoseconds. Frames must sit in a buffer backed by a {@code byte[]} or a
 * {@link ByteBuffer}: every medium receives into one of those. One instance per flyweight that seals or checks
 * frames, used by one thread at a time as the flyweight is (a thread-local lookup per frame cost more than the
 * CRC of a small frame); a view of the last backing buffer is reused while the caller keeps using it.
 */
final class FrameChecksum
{
    private final CRC32C crc = new CRC32C();
    // A view of the ByteBuffer last read for each part: a gathered frame's header and payload lie in two.
    private final ViewOf headView = new ViewOf();
    private final ViewOf payloadView = new ViewOf();

    int checksum(final DirectBuffer buffer, final int offset, final int length)
    {
        crc.reset();
        update(buffer, offset, length, headView);
        return (int)crc.getValue();
    }

    /**
     * The CRC of {@code head[headOffset..+headLength)} followed by {@code payload[payloadOffset..+payloadLength)}:
     * a frame sent gathered (see {@code Medium#sendGathered}). {@code payload} may be null when its length is 0.
     */
    int checksum(
        final DirectBuffer head, final int headOffset, final int headLength, final DirectBuffer payload,
        final int payloadOffset, final int payloadLength)
    {
        crc.reset();
        update(head, headOffset, headLength, headView);
        if (payloadLength > 0)
        {
            update(payload, payloadOffset, payloadLength, payloadView);
        }
        return (int)crc.getValue();
    }

    private void update(final DirectBuffer buffer, final int offset, final int length, final ViewOf views)
    {
        final byte[] array = buffer.byteArray();
        if (null != array)
        {
            crc.update(array, buffer.wrapAdjustment() + offset, length);
        }
        else
        {
            final ByteBuffer backing = buffer.byteBuffer();
            if (null == backing)
            {
                throw new IllegalArgumentException("frame buffer must be backed by a byte[] or a ByteBuffer");
            }
            final ByteBuffer view = views.of(backing);
            final int start = buffer.wrapAdjustment() + offset;
            view.limit(view.capacity()).position(start).limit(start + length);
            crc.update(view);
        }
    }

    /** A duplicate of the last ByteBuffer asked for, so reading its window leaves the original's position alone. */
    private static final class ViewOf
    {
        private ByteBuffer source;
        private ByteBuffer view;

        ByteBuffer of(final ByteBuffer backing)
        {
            if (backing != source)
            {
                view = backing.duplicate();
                source = backing;
            }
            return view;
        }
    }
}
