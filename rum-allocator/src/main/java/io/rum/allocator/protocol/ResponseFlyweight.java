package io.rum.allocator.protocol;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * A slave's answer to one {@link RequestFlyweight}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                          Status                               |  0
 * +---------------------------------------------------------------+
 * |                      Reserved (32)                            |  4
 * +---------------------------------------------------------------+
 * |                        Handle (64)                          ...|  8
 * +---------------------------------------------------------------+
 * |                     Region Size (64)                        ...| 16
 * +---------------------------------------------------------------+
 * |           Payload (read data, stats text, or a message)     ...| 24
 * </pre>
 *
 * <p>A failed request carries a human-readable reason in the payload, so a client error says what the slave
 * saw (e.g. "offset 4096 + length 8 outside region of 4096 bytes").
 */
public final class ResponseFlyweight
{
    public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    public static final int STATUS_OFFSET = 0;
    public static final int HANDLE_OFFSET = 8;
    public static final int SIZE_OFFSET = 16;
    public static final int HEADER_LENGTH = 24;

    private DirectBuffer buffer;
    private int offset;
    private int length;

    public ResponseFlyweight wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return this;
    }

    public static void write(
        final MutableDirectBuffer buffer, final int status, final long handle, final long regionSize)
    {
        buffer.putInt(STATUS_OFFSET, status, ORDER);
        buffer.putInt(4, 0, ORDER);
        buffer.putLong(HANDLE_OFFSET, handle, ORDER);
        buffer.putLong(SIZE_OFFSET, regionSize, ORDER);
    }

    public boolean isComplete()
    {
        return length >= HEADER_LENGTH;
    }

    public int status()
    {
        return buffer.getInt(offset + STATUS_OFFSET, ORDER);
    }

    public long handle()
    {
        return buffer.getLong(offset + HANDLE_OFFSET, ORDER);
    }

    public long regionSize()
    {
        return buffer.getLong(offset + SIZE_OFFSET, ORDER);
    }

    public int payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }

    public int payloadLength()
    {
        return length - HEADER_LENGTH;
    }

    public String payloadText()
    {
        return buffer.getStringWithoutLengthUtf8(payloadOffset(), payloadLength());
    }
}
