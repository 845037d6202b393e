package io.rum.net.frame;

/**
 * STREAM_STATUS: a stream receiver tells the publisher what it holds and how much more it may send.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |              Frame header (40 bytes, flag RESET)            ...|  0
 * +---------------------------------------------------------------+
 * |                          Stream Id                            | 40
 * +---------------------------------------------------------------+
 * |                   Receiver Window (frames)                    | 44
 * +---------------------------------------------------------------+
 * |                Next Expected Sequence (64)                  ...| 48
 * +---------------------------------------------------------------+
 * |                     Received Bits (64)                      ...| 56
 * +---------------------------------------------------------------+ 64
 * </pre>
 *
 * <p>Every frame below the next expected sequence is delivered (a cumulative ack). Bit {@code i} of the
 * received bits says frame {@code next + 1 + i} is held out of order, so the publisher resends only the
 * gaps (a NAK). {@link #RESET} asks the publisher to start the stream afresh for this receiver
 * incarnation, named by the header's source epoch.
 */
public final class StreamStatusFlyweight extends FrameHeaderFlyweight
{
    public static final int RESET = 0x4;

    public static final int STREAM_ID_OFFSET = 40;
    public static final int WINDOW_OFFSET = 44;
    public static final int NEXT_EXPECTED_OFFSET = 48;
    public static final int RECEIVED_BITS_OFFSET = 56;
    public static final int LENGTH = 64;

    public int streamId()
    {
        return buffer.getInt(offset + STREAM_ID_OFFSET, ORDER);
    }

    public int window()
    {
        return buffer.getInt(offset + WINDOW_OFFSET, ORDER);
    }

    public long nextExpected()
    {
        return buffer.getLong(offset + NEXT_EXPECTED_OFFSET, ORDER);
    }

    public long receivedBits()
    {
        return buffer.getLong(offset + RECEIVED_BITS_OFFSET, ORDER);
    }

    public StreamStatusFlyweight writeBody(
        final int streamId, final int window, final long nextExpected, final long receivedBits)
    {
        buffer.putInt(offset + STREAM_ID_OFFSET, streamId, ORDER);
        buffer.putInt(offset + WINDOW_OFFSET, window, ORDER);
        buffer.putLong(offset + NEXT_EXPECTED_OFFSET, nextExpected, ORDER);
        buffer.putLong(offset + RECEIVED_BITS_OFFSET, receivedBits, ORDER);
        return this;
    }
}
