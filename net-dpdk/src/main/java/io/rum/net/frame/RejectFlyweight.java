package io.rum.net.frame;

/**
 * REJECT: the receiver will not take what the sender sent, for a reason the sender must act on.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                    Frame header (40 bytes)                  ...|  0
 * +---------------------------------------------------------------+
 * |                           Reason                              | 40
 * +-------------------------------+-------------------------------+
 * |             Slot              |           Reserved            | 44
 * +-------------------------------+-------------------------------+
 * |                    Request Number (64)                      ...| 48
 * +---------------------------------------------------------------+ 56
 * </pre>
 *
 * <p>The header's source epoch is the rejecting node's current epoch, so a client that was talking to
 * an earlier incarnation learns of the restart from the rejection itself.
 */
public final class RejectFlyweight extends FrameHeaderFlyweight
{
    /** The frame was meant for another incarnation of this node, or for a session it does not have. */
    public static final int REASON_UNKNOWN_SESSION = 1;
    /** The message is longer than the receiver accepts. */
    public static final int REASON_TOO_LARGE = 2;
    /** The receiver holds as many sessions as it may. */
    public static final int REASON_NO_SESSION_CAPACITY = 3;
    /** No handler is registered for requests on this node. */
    public static final int REASON_NO_HANDLER = 4;
    /** The handler threw: the request ran (at most once) but produced no response. */
    public static final int REASON_HANDLER_FAILED = 5;

    public static final int REASON_OFFSET = 40;
    public static final int SLOT_OFFSET = 44;
    public static final int REQUEST_NUMBER_OFFSET = 48;
    public static final int LENGTH = 56;

    public int reason()
    {
        return buffer.getInt(offset + REASON_OFFSET, ORDER);
    }

    public int slot()
    {
        return buffer.getShort(offset + SLOT_OFFSET, ORDER) & 0xFFFF;
    }

    public long requestNumber()
    {
        return buffer.getLong(offset + REQUEST_NUMBER_OFFSET, ORDER);
    }

    public RejectFlyweight writeBody(final int reason, final int slot, final long requestNumber)
    {
        buffer.putInt(offset + REASON_OFFSET, reason, ORDER);
        buffer.putShort(offset + SLOT_OFFSET, (short)slot, ORDER);
        buffer.putShort(offset + SLOT_OFFSET + 2, (short)0, ORDER);
        buffer.putLong(offset + REQUEST_NUMBER_OFFSET, requestNumber, ORDER);
        return this;
    }
}
