package io.rum.net.frame;

/**
 * CONNECT and CONNECT_ACK: a session handshake. The client learns the server's epoch before it sends any
 * request, so every request can name the incarnation it is meant for and a restarted server never executes
 * a stale duplicate meant for its predecessor.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                    Frame header (40 bytes)                  ...|  0
 * +-------------------------------+-------------------------------+
 * |          Slots               |           Reserved             | 40
 * +-------------------------------+-------------------------------+
 * |                    Max Message Length                         | 44
 * +---------------------------------------------------------------+
 * |                   Max Frame Length (MTU)                      | 48
 * +---------------------------------------------------------------+
 * |                          Reserved                             | 52
 * +---------------------------------------------------------------+ 56
 * </pre>
 */
public final class ConnectFlyweight extends FrameHeaderFlyweight
{
    public static final int SLOTS_OFFSET = 40;
    public static final int MAX_MESSAGE_LENGTH_OFFSET = 44;
    public static final int MAX_FRAME_LENGTH_OFFSET = 48;
    public static final int LENGTH = 56;

    public int slots()
    {
        return buffer.getShort(offset + SLOTS_OFFSET, ORDER) & 0xFFFF;
    }

    public ConnectFlyweight slots(final int slots)
    {
        buffer.putShort(offset + SLOTS_OFFSET, (short)slots, ORDER);
        buffer.putShort(offset + SLOTS_OFFSET + 2, (short)0, ORDER);
        return this;
    }

    public int maxMessageLength()
    {
        return buffer.getInt(offset + MAX_MESSAGE_LENGTH_OFFSET, ORDER);
    }

    public ConnectFlyweight maxMessageLength(final int length)
    {
        buffer.putInt(offset + MAX_MESSAGE_LENGTH_OFFSET, length, ORDER);
        return this;
    }

    public int maxFrameLength()
    {
        return buffer.getInt(offset + MAX_FRAME_LENGTH_OFFSET, ORDER);
    }

    public ConnectFlyweight maxFrameLength(final int length)
    {
        buffer.putInt(offset + MAX_FRAME_LENGTH_OFFSET, length, ORDER);
        buffer.putInt(offset + MAX_FRAME_LENGTH_OFFSET + 4, 0, ORDER);
        return this;
    }
}
