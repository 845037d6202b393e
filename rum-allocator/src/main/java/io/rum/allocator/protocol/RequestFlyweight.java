package io.rum.allocator.protocol;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * A remote-memory request, the body of one RPC to a slave.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+-------------------------------+
 * |    Opcode     |    Flags      |           Reserved            |  0
 * +---------------+---------------+-------------------------------+
 * |                      Lease Epoch (32)                         |  4
 * +---------------------------------------------------------------+
 * |                        Handle (64)                          ...|  8
 * +---------------------------------------------------------------+
 * |                        Offset (64)                          ...| 16
 * +---------------------------------------------------------------+
 * |                   Length or Size (64)                       ...| 24
 * +---------------------------------------------------------------+
 * |               Payload (write data or a name)                ...| 32
 * </pre>
 *
 * <p>The lease epoch names the client's session (see {@code io.rum.heartbeat.LeaseTable}): every request renews
 * the session's lease, and a request of a session whose lease expired is refused with {@link Status#FENCED}.
 * Zero means no session (tools that own nothing).
 *
 * <p>Handles name regions ({@code io.rum.allocator.placement.Handles}); no address of the slave's memory ever
 * travels. The slave checks offset and length against the region before touching memory.
 */
public final class RequestFlyweight
{
    public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    public static final int OPCODE_OFFSET = 0;
    public static final int FLAGS_OFFSET = 1;
    public static final int LEASE_EPOCH_OFFSET = 4;
    public static final int HANDLE_OFFSET = 8;
    public static final int OFFSET_OFFSET = 16;
    public static final int LENGTH_OFFSET = 24;
    public static final int HEADER_LENGTH = 32;

    private MutableDirectBuffer buffer;
    private int offset;
    private int length;

    public RequestFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /**
     * Wraps a received request read-only; the buffer is never written through this view.
     */
    public RequestFlyweight wrapForRead(final DirectBuffer buffer, final int offset, final int length)
    {
        return wrap((MutableDirectBuffer)buffer, offset, length);
    }

    public RequestFlyweight write(final int opcode, final long handle, final long regionOffset, final long lengthOrSize)
    {
        buffer.putByte(offset + OPCODE_OFFSET, (byte)opcode);
        buffer.putByte(offset + FLAGS_OFFSET, (byte)0);
        buffer.putShort(offset + 2, (short)0, ORDER);
        buffer.putInt(offset + 4, 0, ORDER);
        buffer.putLong(offset + HANDLE_OFFSET, handle, ORDER);
        buffer.putLong(offset + OFFSET_OFFSET, regionOffset, ORDER);
        buffer.putLong(offset + LENGTH_OFFSET, lengthOrSize, ORDER);
        return this;
    }

    public RequestFlyweight leaseEpoch(final int epoch)
    {
        buffer.putInt(offset + LEASE_EPOCH_OFFSET, epoch, ORDER);
        return this;
    }

    public int leaseEpoch()
    {
        return buffer.getInt(offset + LEASE_EPOCH_OFFSET, ORDER);
    }

    public boolean isComplete()
    {
        return length >= HEADER_LENGTH;
    }

    public int opcode()
    {
        return buffer.getByte(offset + OPCODE_OFFSET) & 0xFF;
    }

    public long handle()
    {
        return buffer.getLong(offset + HANDLE_OFFSET, ORDER);
    }

    public long regionOffset()
    {
        return buffer.getLong(offset + OFFSET_OFFSET, ORDER);
    }

    public long lengthOrSize()
    {
        return buffer.getLong(offset + LENGTH_OFFSET, ORDER);
    }

    public int payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }

    public int payloadLength()
    {
        return length - HEADER_LENGTH;
    }

    public DirectBuffer buffer()
    {
        return buffer;
    }
}
