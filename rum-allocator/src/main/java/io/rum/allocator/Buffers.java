package io.rum.allocator;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/**
 * Copies between FFM {@link MemorySegment}s (slave regions, client page frames) and Agrona buffers (the
 * transport's request and response buffers) without an intermediate array.
 *
 * <p>The transport's buffers wrap heap arrays today; a buffer over a direct {@link ByteBuffer} or a raw
 * address works too. The array path allocates nothing; the other two make one small segment object.
 */
public final class Buffers
{
    private Buffers()
    {
    }

    /**
     * Copies {@code length} bytes of a segment into a buffer.
     */
    public static void copy(
        final MemorySegment src, final long srcOffset, final MutableDirectBuffer dst, final int dstIndex, final int length)
    {
        dst.boundsCheck(dstIndex, length);
        final byte[] array = dst.byteArray();
        if (null != array)
        {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset, array, dst.wrapAdjustment() + dstIndex, length);
        }
        else
        {
            MemorySegment.copy(src, srcOffset, view(dst), dstIndex, length);
        }
    }

    /**
     * Copies {@code length} bytes of a buffer into a segment.
     */
    public static void copy(
        final DirectBuffer src, final int srcIndex, final MemorySegment dst, final long dstOffset, final int length)
    {
        src.boundsCheck(srcIndex, length);
        final byte[] array = src.byteArray();
        if (null != array)
        {
            MemorySegment.copy(array, src.wrapAdjustment() + srcIndex, dst, ValueLayout.JAVA_BYTE, dstOffset, length);
        }
        else
        {
            MemorySegment.copy(view(src), srcIndex, dst, dstOffset, length);
        }
    }

    @SuppressWarnings("restricted")
    private static MemorySegment view(final DirectBuffer buffer)
    {
        final ByteBuffer byteBuffer = buffer.byteBuffer();
        if (null != byteBuffer)
        {
            return MemorySegment.ofBuffer(byteBuffer.duplicate().clear())
                .asSlice(buffer.wrapAdjustment(), buffer.capacity());
        }
        // A buffer over a raw address: the transport owns that memory for as long as the buffer is wrapped.
        return MemorySegment.ofAddress(buffer.addressOffset()).reinterpret(buffer.capacity());
    }
}
