package io.rum.net.frame;

import org.agrona.DirectBuffer;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C over a frame. {@link CRC32C} is an intrinsic on x86 and aarch64 (several GB/s a core), so a
 * small frame costs nanoseconds. Frames must sit in a buffer backed by a {@code byte[]} or a
 * {@link ByteBuffer}: every medium receives into one of those. Per-thread state keeps the hot path
 * allocation-free: a view of the last backing buffer is reused while the poller keeps using it.
 */
final class FrameChecksum
{
    private static final ThreadLocal<FrameChecksum> PER_THREAD = ThreadLocal.withInitial(FrameChecksum::new);

    private final CRC32C crc = new CRC32C();
    private ByteBuffer viewSource;
    private ByteBuffer view;

    private FrameChecksum()
    {
    }

    static int compute(final DirectBuffer buffer, final int offset, final int length)
    {
        return PER_THREAD.get().checksum(buffer, offset, length);
    }

    private int checksum(final DirectBuffer buffer, final int offset, final int length)
    {
        crc.reset();
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
            if (backing != viewSource)
            {
                viewSource = backing;
                view = backing.duplicate();
            }
            final int start = buffer.wrapAdjustment() + offset;
            view.limit(view.capacity()).position(start).limit(start + length);
            crc.update(view);
        }
        return (int)crc.getValue();
    }
}
