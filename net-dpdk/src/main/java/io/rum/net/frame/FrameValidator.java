package io.rum.net.frame;

import org.agrona.MutableDirectBuffer;

/**
 * Checks a received frame before anything reads its body: every length and offset that a later step uses is
 * validated here, against what the medium actually delivered, so a malformed or hostile frame is counted and
 * dropped instead of reaching a reassembly buffer.
 *
 * <p>Instances are used by one thread at a time: the one running the duty cycle.
 */
public final class FrameValidator
{
    public static final int VALID = 0;
    public static final int TOO_SHORT = 1;
    public static final int BAD_MAGIC = 2;
    public static final int BAD_VERSION = 3;
    public static final int UNKNOWN_TYPE = 4;
    public static final int LENGTH_MISMATCH = 5;
    public static final int BAD_CHECKSUM = 6;
    public static final int BAD_NODE = 7;
    public static final int BAD_FIELD = 8;
    public static final int TOO_LONG = 9;
    public static final int REASONS = 10;

    private final FrameHeaderFlyweight header = new FrameHeaderFlyweight();
    private final FragmentFlyweight fragment = new FragmentFlyweight();
    private final StreamDataFlyweight streamData = new StreamDataFlyweight();
    private final FragmentAckFlyweight ack = new FragmentAckFlyweight();
    private final int maxMessageLength;
    private final int maxFrameLength;

    /**
     * @param maxMessageLength the largest RPC or stream message this node accepts.
     * @param maxFrameLength   the largest frame the medium carries.
     */
    public FrameValidator(final int maxMessageLength, final int maxFrameLength)
    {
        this.maxMessageLength = maxMessageLength;
        this.maxFrameLength = maxFrameLength;
    }

    public static String reasonName(final int reason)
    {
        return switch (reason)
        {
            case VALID -> "valid";
            case TOO_SHORT -> "too short";
            case BAD_MAGIC -> "bad magic";
            case BAD_VERSION -> "unsupported version";
            case UNKNOWN_TYPE -> "unknown type";
            case LENGTH_MISMATCH -> "length mismatch";
            case BAD_CHECKSUM -> "bad checksum";
            case BAD_NODE -> "bad node id";
            case BAD_FIELD -> "field out of range";
            case TOO_LONG -> "longer than the medium's frames";
            default -> "reason " + reason;
        };
    }

    /**
     * @param buffer holding the frame (backed by a byte[] or ByteBuffer).
     * @param offset of the frame.
     * @param length bytes the medium delivered.
     * @return {@link #VALID} or the reason to drop the frame.
     */
    public int validate(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        return validate(buffer, offset, length, false);
    }

    /**
     * @param checksumChecked whether the medium has found the frame's CRC32C right (see {@code
     *                        FrameHandler#onCheckedFrame}): it is then not computed again; every other check is made.
     * @return as {@link #validate(MutableDirectBuffer, int, int)}.
     */
    public int validate(
        final MutableDirectBuffer buffer, final int offset, final int length, final boolean checksumChecked)
    {
        if (length < FrameHeaderFlyweight.HEADER_LENGTH)
        {
            return TOO_SHORT;
        }
        if (length > maxFrameLength)
        {
            return TOO_LONG;
        }
        header.wrap(buffer, offset);
        if (header.magic() != (FrameHeaderFlyweight.MAGIC & 0xFFFF))
        {
            return BAD_MAGIC;
        }
        if (header.version() != FrameHeaderFlyweight.CURRENT_VERSION)
        {
            return BAD_VERSION;
        }
        final int type = header.type();
        final int fixed = FrameType.fixedLength(type);
        if (fixed < 0)
        {
            return UNKNOWN_TYPE;
        }
        if (header.frameLength() != length || length < fixed || (!FrameType.hasPayload(type) && length != fixed))
        {
            return LENGTH_MISMATCH;
        }
        if (!checksumChecked && !header.crcMatches(length))
        {
            return BAD_CHECKSUM;
        }
        if (header.srcNode() <= 0 || header.dstNode() <= 0)
        {
            return BAD_NODE;
        }
        return switch (type)
        {
            case FrameType.REQUEST, FrameType.RESPONSE -> validateFragment(buffer, offset);
            case FrameType.STREAM_DATA -> validateStreamData(buffer, offset);
            case FrameType.FRAGMENT_ACK -> validateAck(buffer, offset);
            default -> VALID;
        };
    }

    private int validateFragment(final MutableDirectBuffer buffer, final int offset)
    {
        fragment.wrap(buffer, offset);
        final int messageLength = fragment.messageLength();
        final int chunk = fragment.chunkLength();
        final int index = fragment.fragmentIndex();
        final int payload = fragment.payloadLength();
        if (messageLength < 0 || messageLength > maxMessageLength || chunk <= 0 ||
            chunk > maxFrameLength - FragmentFlyweight.PAYLOAD_OFFSET)
        {
            return BAD_FIELD;
        }
        final int count = FragmentFlyweight.fragmentCount(messageLength, chunk);
        if (index < 0 || index >= count)
        {
            return BAD_FIELD;
        }
        final long start = (long)index * chunk;
        final long expected = Math.min(chunk, messageLength - start);
        return payload == expected ? VALID : BAD_FIELD;
    }

    private int validateAck(final MutableDirectBuffer buffer, final int offset)
    {
        ack.wrap(buffer, offset);
        final int direction = ack.direction();
        return ack.cumulative() >= 0 && (direction == FragmentAckFlyweight.DIRECTION_REQUEST ||
            direction == FragmentAckFlyweight.DIRECTION_RESPONSE) ? VALID : BAD_FIELD;
    }

    private int validateStreamData(final MutableDirectBuffer buffer, final int offset)
    {
        streamData.wrap(buffer, offset);
        final int messageLength = streamData.messageLength();
        final int flags = streamData.flags();
        if (messageLength < 0 || messageLength > maxMessageLength || streamData.payloadLength() > messageLength ||
            streamData.sequence() < 0 || streamData.initialSequence() < 0 ||
            streamData.initialSequence() > streamData.sequence() ||
            (flags & ~(StreamDataFlyweight.BEGIN | StreamDataFlyweight.END)) != 0)
        {
            return BAD_FIELD;
        }
        return VALID;
    }
}
