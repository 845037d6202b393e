package io.rum.net.frame;

/**
 * FRAGMENT_ACK: what a receiver holds of one multi-fragment message, or a client's probe for the rest of a
 * response.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                    Frame header (40 bytes)                  ...|  0
 * +-------------------------------+---------------+---------------+
 * |             Slot              |   Direction   |   Ack Flags   | 40
 * +-------------------------------+---------------+---------------+
 * |                  Cumulative Fragments Held                    | 44
 * +---------------------------------------------------------------+
 * |                    Request Number (64)                      ...| 48
 * +---------------------------------------------------------------+
 * |                  Selective Ack Bits (64)                    ...| 56
 * +---------------------------------------------------------------+ 64
 * </pre>
 *
 * <p>Fragments {@code [0, cumulative)} are held; bit {@code i} of the selective bits says fragment
 * {@code cumulative + 1 + i} is held too (fragment {@code cumulative} is by definition missing).
 * Acks are idempotent and cumulative, so losing or duplicating one costs nothing but a retransmission.
 * The server keeps no retransmission timers (eRPC): a client whose response stalls sends this frame with
 * {@link #PROBE} set, and the server answers with the fragments the client lacks.
 */
public final class FragmentAckFlyweight extends FrameHeaderFlyweight
{
    public static final int DIRECTION_REQUEST = 0;
    public static final int DIRECTION_RESPONSE = 1;
    public static final int PROBE = 1;
    /** The receiver gave up a stalled partial message: send every fragment again. */
    public static final int RESTART = 2;

    public static final int SLOT_OFFSET = 40;
    public static final int DIRECTION_OFFSET = 42;
    public static final int ACK_FLAGS_OFFSET = 43;
    public static final int CUMULATIVE_OFFSET = 44;
    public static final int REQUEST_NUMBER_OFFSET = 48;
    public static final int SACK_OFFSET = 56;
    public static final int LENGTH = 64;

    public int slot()
    {
        return buffer.getShort(offset + SLOT_OFFSET, ORDER) & 0xFFFF;
    }

    public int direction()
    {
        return buffer.getByte(offset + DIRECTION_OFFSET) & 0xFF;
    }

    public int ackFlags()
    {
        return buffer.getByte(offset + ACK_FLAGS_OFFSET) & 0xFF;
    }

    public int cumulative()
    {
        return buffer.getInt(offset + CUMULATIVE_OFFSET, ORDER);
    }

    public long requestNumber()
    {
        return buffer.getLong(offset + REQUEST_NUMBER_OFFSET, ORDER);
    }

    public long selectiveBits()
    {
        return buffer.getLong(offset + SACK_OFFSET, ORDER);
    }

    public FragmentAckFlyweight writeBody(
        final int slot, final int direction, final int ackFlags, final int cumulative, final long requestNumber,
        final long selectiveBits)
    {
        buffer.putShort(offset + SLOT_OFFSET, (short)slot, ORDER);
        buffer.putByte(offset + DIRECTION_OFFSET, (byte)direction);
        buffer.putByte(offset + ACK_FLAGS_OFFSET, (byte)ackFlags);
        buffer.putInt(offset + CUMULATIVE_OFFSET, cumulative, ORDER);
        buffer.putLong(offset + REQUEST_NUMBER_OFFSET, requestNumber, ORDER);
        buffer.putLong(offset + SACK_OFFSET, selectiveBits, ORDER);
        return this;
    }
}
