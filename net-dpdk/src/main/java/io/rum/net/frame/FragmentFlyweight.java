package io.rum.net.frame;

/**
 * REQUEST and RESPONSE: one fragment of an RPC message travelling in one session slot.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                    Frame header (40 bytes)                  ...|  0
 * +-------------------------------+-------------------------------+
 * |             Slot              |           Reserved            | 40
 * +-------------------------------+-------------------------------+
 * |                       Message Length                          | 44
 * +---------------------------------------------------------------+
 * |                        Chunk Length                           | 48
 * +---------------------------------------------------------------+
 * |                       Fragment Index                          | 52
 * +---------------------------------------------------------------+
 * |                    Request Number (64)                      ...| 56
 * +---------------------------------------------------------------+
 * |                          Payload                            ...| 64
 * </pre>
 *
 * <p>A message of {@code messageLength} bytes is cut into {@code ceil(messageLength / chunkLength)}
 * fragments (one, empty, for a zero-length message); fragment {@code i} carries bytes
 * {@code [i * chunk, min((i + 1) * chunk, messageLength))}. Every fragment repeats message and chunk
 * length, so the receiver can place any fragment that arrives first and check each one against the
 * others. The request number orders uses of a slot: a receiver never goes back to a smaller one.
 */
public final class FragmentFlyweight extends FrameHeaderFlyweight
{
    public static final int SLOT_OFFSET = 40;
    public static final int MESSAGE_LENGTH_OFFSET = 44;
    public static final int CHUNK_LENGTH_OFFSET = 48;
    public static final int FRAGMENT_INDEX_OFFSET = 52;
    public static final int REQUEST_NUMBER_OFFSET = 56;
    public static final int PAYLOAD_OFFSET = 64;

    public int slot()
    {
        return buffer.getShort(offset + SLOT_OFFSET, ORDER) & 0xFFFF;
    }

    public int messageLength()
    {
        return buffer.getInt(offset + MESSAGE_LENGTH_OFFSET, ORDER);
    }

    public int chunkLength()
    {
        return buffer.getInt(offset + CHUNK_LENGTH_OFFSET, ORDER);
    }

    public int fragmentIndex()
    {
        return buffer.getInt(offset + FRAGMENT_INDEX_OFFSET, ORDER);
    }

    public long requestNumber()
    {
        return buffer.getLong(offset + REQUEST_NUMBER_OFFSET, ORDER);
    }

    public int payloadOffset()
    {
        return offset + PAYLOAD_OFFSET;
    }

    public int payloadLength()
    {
        return frameLength() - PAYLOAD_OFFSET;
    }

    public FragmentFlyweight writeBody(
        final int slot, final int messageLength, final int chunkLength, final int fragmentIndex,
        final long requestNumber)
    {
        buffer.putShort(offset + SLOT_OFFSET, (short)slot, ORDER);
        buffer.putShort(offset + SLOT_OFFSET + 2, (short)0, ORDER);
        buffer.putInt(offset + MESSAGE_LENGTH_OFFSET, messageLength, ORDER);
        buffer.putInt(offset + CHUNK_LENGTH_OFFSET, chunkLength, ORDER);
        buffer.putInt(offset + FRAGMENT_INDEX_OFFSET, fragmentIndex, ORDER);
        buffer.putLong(offset + REQUEST_NUMBER_OFFSET, requestNumber, ORDER);
        return this;
    }

    /**
     * @return the number of fragments a message of this length has with this chunk length.
     */
    public static int fragmentCount(final int messageLength, final int chunkLength)
    {
        return messageLength == 0 ? 1 : (int)((messageLength + (long)chunkLength - 1) / chunkLength);
    }
}
