package io.rum.net.frame;

/**
 * STREAM_DATA: one fragment of a one-way reliable ordered stream message.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |              Frame header (40 bytes, flags B/E)             ...|  0
 * +---------------------------------------------------------------+
 * |                          Stream Id                            | 40
 * +---------------------------------------------------------------+
 * |                       Message Length                          | 44
 * +---------------------------------------------------------------+
 * |                   Sequence Number (64)                      ...| 48
 * +---------------------------------------------------------------+
 * |                   Initial Sequence (64)                     ...| 56
 * +---------------------------------------------------------------+
 * |                          Payload                            ...| 64
 * </pre>
 *
 * <p>Sequence numbers count frames, not messages, so the receiver orders and acknowledges fragments with
 * one counter (Aeron does the same with term offsets). {@link #BEGIN} and {@link #END} in the header flags
 * mark a message's first and last fragment. The initial sequence is where the publisher started this
 * stream for the receiver's current incarnation (header destination epoch): a receiver that meets a new
 * publisher incarnation starts there and drops everything of older ones.
 */
public final class StreamDataFlyweight extends FrameHeaderFlyweight
{
    public static final int BEGIN = 0x1;
    public static final int END = 0x2;

    public static final int STREAM_ID_OFFSET = 40;
    public static final int MESSAGE_LENGTH_OFFSET = 44;
    public static final int SEQUENCE_OFFSET = 48;
    public static final int INITIAL_SEQUENCE_OFFSET = 56;
    public static final int PAYLOAD_OFFSET = 64;

    public int streamId()
    {
        return buffer.getInt(offset + STREAM_ID_OFFSET, ORDER);
    }

    public int messageLength()
    {
        return buffer.getInt(offset + MESSAGE_LENGTH_OFFSET, ORDER);
    }

    public long sequence()
    {
        return buffer.getLong(offset + SEQUENCE_OFFSET, ORDER);
    }

    public long initialSequence()
    {
        return buffer.getLong(offset + INITIAL_SEQUENCE_OFFSET, ORDER);
    }

    public int payloadOffset()
    {
        return offset + PAYLOAD_OFFSET;
    }

    public int payloadLength()
    {
        return frameLength() - PAYLOAD_OFFSET;
    }

    public StreamDataFlyweight writeBody(
        final int streamId, final int messageLength, final long sequence, final long initialSequence)
    {
        buffer.putInt(offset + STREAM_ID_OFFSET, streamId, ORDER);
        buffer.putInt(offset + MESSAGE_LENGTH_OFFSET, messageLength, ORDER);
        buffer.putLong(offset + SEQUENCE_OFFSET, sequence, ORDER);
        buffer.putLong(offset + INITIAL_SEQUENCE_OFFSET, initialSequence, ORDER);
        return this;
    }
}
