package io.rum.net.frame;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One crafted frame per drop reason. Every edit is followed by a re-seal, so the frame fails for the reason
 * under test and not for its checksum (which the validator checks before node ids and fields).
 */
class FrameValidatorTest
{
    private static final int MAX_MESSAGE = 10_000;
    private static final int MAX_FRAME = 1_024;
    private static final int CHUNK = MAX_FRAME - FragmentFlyweight.PAYLOAD_OFFSET;
    private static final int AT = 16;

    private final FrameValidator validator = new FrameValidator(MAX_MESSAGE, MAX_FRAME);
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4 * MAX_FRAME]);
    private final FrameHeaderFlyweight header = new FrameHeaderFlyweight();
    private final FragmentFlyweight fragment = new FragmentFlyweight();
    private final StreamDataFlyweight streamData = new StreamDataFlyweight();

    /**
     * Writes a valid frame of a type at {@link #AT}; for payload types a fragment or stream frame whose
     * payload is {@code payload} bytes of a message of {@code messageLength}.
     */
    private int frame(final int type, final int payload, final int messageLength)
    {
        final int length = FrameType.fixedLength(type) + (FrameType.hasPayload(type) ? payload : 0);
        header.wrap(buffer, AT).writeHeader(type, length, 3, 4, 100, 200);
        for (int i = FrameHeaderFlyweight.HEADER_LENGTH; i < length; i++)
        {
            buffer.putByte(AT + i, (byte)(31 * i));
        }
        switch (type)
        {
            case FrameType.CONNECT, FrameType.CONNECT_ACK ->
                ((ConnectFlyweight)new ConnectFlyweight().wrap(buffer, AT)).slots(8).maxMessageLength(MAX_MESSAGE)
                    .maxFrameLength(MAX_FRAME);
            case FrameType.REQUEST, FrameType.RESPONSE ->
                fragment.wrap(buffer, AT);
            case FrameType.FRAGMENT_ACK ->
                ((FragmentAckFlyweight)new FragmentAckFlyweight().wrap(buffer, AT)).writeBody(1, 0, 0, 3, 7, 5);
            case FrameType.REJECT ->
                ((RejectFlyweight)new RejectFlyweight().wrap(buffer, AT)).writeBody(1, 2, 3);
            case FrameType.STREAM_DATA ->
            {
                streamData.wrap(buffer, AT);
                streamData.flags(StreamDataFlyweight.BEGIN);
                streamData.writeBody(9, messageLength, 10, 5);
            }
            case FrameType.STREAM_STATUS ->
                ((StreamStatusFlyweight)new StreamStatusFlyweight().wrap(buffer, AT)).writeBody(9, 16, 10, 0);
            default -> throw new IllegalArgumentException("type " + type);
        }
        if (type == FrameType.REQUEST || type == FrameType.RESPONSE)
        {
            fragment.wrap(buffer, AT);
            fragment.writeBody(2, messageLength, CHUNK, 0, 42);
        }
        header.wrap(buffer, AT).seal();
        return length;
    }

    private int validFrame(final int type)
    {
        return frame(type, 100, 100);
    }

    private void reseal()
    {
        header.wrap(buffer, AT).seal();
    }

    private void assertReason(final int expected, final int length, final String what)
    {
        final byte[] before = new byte[Math.max(0, length)];
        buffer.getBytes(AT, before);
        final int reason = validator.validate(buffer, AT, length);
        assertEquals(FrameValidator.reasonName(expected), FrameValidator.reasonName(reason), what);
        final byte[] after = new byte[before.length];
        buffer.getBytes(AT, after);
        assertArrayEquals(before, after, "validation leaves the frame unchanged: " + what);
    }

    @Test
    void validFrameOfEveryTypePasses()
    {
        for (int type = 1; type <= FrameType.MAX_TYPE; type++)
        {
            assertReason(FrameValidator.VALID, validFrame(type), FrameType.name(type));
        }
        assertReason(FrameValidator.VALID, frame(FrameType.REQUEST, 0, 0), "zero-length request: one empty fragment");
        assertReason(FrameValidator.VALID, frame(FrameType.STREAM_DATA, 0, 0), "empty stream message");
        assertReason(FrameValidator.VALID, frame(FrameType.RESPONSE, CHUNK, MAX_MESSAGE), "full first chunk");
    }

    @Test
    void reasonNamesAreDistinct()
    {
        final String[] names = new String[FrameValidator.REASONS];
        for (int reason = 0; reason < FrameValidator.REASONS; reason++)
        {
            names[reason] = FrameValidator.reasonName(reason);
        }
        assertEquals(FrameValidator.REASONS, Arrays.stream(names).distinct().count(), Arrays.toString(names));
    }

    @Test
    void tooShort()
    {
        final int length = validFrame(FrameType.REJECT);
        assertReason(FrameValidator.TOO_SHORT, 0, "empty");
        assertReason(FrameValidator.TOO_SHORT, FrameHeaderFlyweight.HEADER_LENGTH - 1, "shorter than the header");
        assertReason(FrameValidator.VALID, length, "the same frame, whole");
    }

    @Test
    void longerThanTheMediumCarriesIsDropped()
    {
        // Dropped, and counted under its own reason.
        final int length = frame(FrameType.REQUEST, MAX_FRAME - FragmentFlyweight.PAYLOAD_OFFSET + 1, MAX_MESSAGE);
        assertReason(FrameValidator.TOO_LONG, length, "over maxFrameLength");
    }

    @Test
    void badMagic()
    {
        final int length = validFrame(FrameType.CONNECT);
        buffer.putShort(AT, (short)0x5552, FrameHeaderFlyweight.ORDER);
        reseal();
        assertReason(FrameValidator.BAD_MAGIC, length, "byte-swapped magic");
        buffer.putShort(AT, (short)0, FrameHeaderFlyweight.ORDER);
        reseal();
        assertReason(FrameValidator.BAD_MAGIC, length, "zero magic");
    }

    @Test
    void badVersion()
    {
        for (final int version : new int[]{0, 2, 255})
        {
            final int length = validFrame(FrameType.REJECT);
            buffer.putByte(AT + 2, (byte)version);
            reseal();
            assertReason(FrameValidator.BAD_VERSION, length, "version " + version);
        }
    }

    @Test
    void unknownType()
    {
        for (final int type : new int[]{0, FrameType.MAX_TYPE + 1, 0x7F, 0x80, 255})
        {
            final int length = validFrame(FrameType.REJECT);
            buffer.putByte(AT + 3, (byte)type);
            reseal();
            assertReason(FrameValidator.UNKNOWN_TYPE, length, "type " + type);
        }
    }

    @Test
    void lengthMismatch()
    {
        int length = validFrame(FrameType.REJECT);
        assertReason(FrameValidator.LENGTH_MISMATCH, length + 8, "delivered more than the header says");
        assertReason(FrameValidator.LENGTH_MISMATCH, length - 8, "delivered less than the header says");

        length = validFrame(FrameType.REJECT);
        header.wrap(buffer, AT).frameLength(length + 8);
        reseal();
        assertReason(FrameValidator.LENGTH_MISMATCH, length + 8, "fixed-length type with trailing bytes");

        length = validFrame(FrameType.FRAGMENT_ACK);
        header.wrap(buffer, AT).frameLength(length - 4);
        reseal();
        assertReason(FrameValidator.LENGTH_MISMATCH, length - 4, "fixed-length type cut short");

        length = validFrame(FrameType.REQUEST);
        header.wrap(buffer, AT).frameLength(60);
        reseal();
        assertReason(FrameValidator.LENGTH_MISMATCH, 60, "payload type shorter than its fixed part");

        length = validFrame(FrameType.STREAM_DATA);
        header.wrap(buffer, AT).frameLength(FrameHeaderFlyweight.HEADER_LENGTH);
        reseal();
        assertReason(FrameValidator.LENGTH_MISMATCH, FrameHeaderFlyweight.HEADER_LENGTH, "stream data of header only");
    }

    @Test
    void badChecksum()
    {
        for (int type = 1; type <= FrameType.MAX_TYPE; type++)
        {
            final int length = validFrame(type);
            final int at = AT + length - 1;
            buffer.putByte(at, (byte)(buffer.getByte(at) ^ 0x10));
            assertReason(FrameValidator.BAD_CHECKSUM, length, FrameType.name(type) + " with its last byte flipped");
        }
        final int length = validFrame(FrameType.CONNECT);
        buffer.putInt(AT + FrameHeaderFlyweight.CRC_OFFSET, 0, FrameHeaderFlyweight.ORDER);
        assertReason(FrameValidator.BAD_CHECKSUM, length, "CRC field zeroed");
    }

    @Test
    void badNode()
    {
        final int[][] nodes = {{0, 4}, {3, 0}, {-1, 4}, {3, Integer.MIN_VALUE}};
        for (final int[] pair : nodes)
        {
            final int length = validFrame(FrameType.CONNECT);
            buffer.putInt(AT + 16, pair[0], FrameHeaderFlyweight.ORDER);
            buffer.putInt(AT + 20, pair[1], FrameHeaderFlyweight.ORDER);
            reseal();
            assertReason(FrameValidator.BAD_NODE, length, "src " + pair[0] + " dst " + pair[1]);
        }
    }

    /**
     * A fragment frame with the given body and payload length, sealed.
     */
    private int fragmentFrame(final int messageLength, final int chunk, final int index, final int payload)
    {
        final int length = FragmentFlyweight.PAYLOAD_OFFSET + payload;
        header.wrap(buffer, AT).writeHeader(FrameType.REQUEST, length, 3, 4, 100, 200);
        fragment.wrap(buffer, AT);
        fragment.writeBody(0, messageLength, chunk, index, 1);
        reseal();
        return length;
    }

    private void assertFragment(final int expected, final int messageLength, final int chunk, final int index,
        final int payload, final String what)
    {
        assertReason(expected, fragmentFrame(messageLength, chunk, index, payload), what);
    }

    @Test
    void fragmentFields()
    {
        final int valid = FrameValidator.VALID;
        final int bad = FrameValidator.BAD_FIELD;
        assertFragment(valid, 250, 100, 0, 100, "first of three");
        assertFragment(valid, 250, 100, 2, 50, "last of three, short");
        assertFragment(valid, MAX_MESSAGE, CHUNK, 0, CHUNK, "largest chunk, largest message");
        assertFragment(valid, 0, 1, 0, 0, "zero-length message is fragment 0 of 1");

        assertFragment(bad, -1, 100, 0, 0, "negative message length");
        assertFragment(bad, Integer.MIN_VALUE, 100, 0, 0, "most negative message length");
        assertFragment(bad, MAX_MESSAGE + 1, CHUNK, 0, CHUNK, "message longer than maxMessageLength");
        assertFragment(bad, Integer.MAX_VALUE, CHUNK, 0, CHUNK, "message of 2 GiB");
        assertFragment(bad, 250, 0, 0, 0, "zero chunk");
        assertFragment(bad, 250, -100, 0, 0, "negative chunk");
        assertFragment(bad, 250, CHUNK + 1, 0, 250, "chunk larger than a frame can carry");
        assertFragment(bad, 250, 100, 3, 0, "index == count");
        assertFragment(bad, 250, 100, 1000, 0, "index far beyond count");
        assertFragment(bad, 250, 100, -1, 100, "negative index");
        assertFragment(bad, 0, 1, 1, 0, "zero-length message has no fragment 1");
        assertFragment(bad, 250, 100, 0, 99, "middle fragment one byte short");
        assertFragment(bad, 250, 100, 1, 101, "middle fragment one byte long");
        assertFragment(bad, 250, 100, 2, 100, "last fragment as long as a full chunk");
        assertFragment(bad, 250, 100, 2, 49, "last fragment one byte short");
        assertFragment(bad, 0, 100, 0, 1, "zero-length message with a payload byte");
        assertFragment(bad, 100, 100, 0, 0, "empty fragment of a non-empty message");
    }

    @Test
    void fragmentFieldsOfResponses()
    {
        final int length = fragmentFrame(250, 100, 3, 0);
        buffer.putByte(AT + 3, (byte)FrameType.RESPONSE);
        reseal();
        assertReason(FrameValidator.BAD_FIELD, length, "RESPONSE with index == count");
    }

    /**
     * A stream data frame, sealed.
     */
    private int streamFrame(
        final int flags, final int messageLength, final long sequence, final long initial, final int payload)
    {
        final int length = StreamDataFlyweight.PAYLOAD_OFFSET + payload;
        header.wrap(buffer, AT).writeHeader(FrameType.STREAM_DATA, length, 3, 4, 100, 200);
        streamData.wrap(buffer, AT);
        streamData.flags(flags);
        streamData.writeBody(5, messageLength, sequence, initial);
        reseal();
        return length;
    }

    private void assertStream(final int expected, final int flags, final int messageLength, final long sequence,
        final long initial, final int payload, final String what)
    {
        assertReason(expected, streamFrame(flags, messageLength, sequence, initial, payload), what);
    }

    @Test
    void streamDataFields()
    {
        final int valid = FrameValidator.VALID;
        final int bad = FrameValidator.BAD_FIELD;
        final int be = StreamDataFlyweight.BEGIN | StreamDataFlyweight.END;
        assertStream(valid, be, 10, 0, 0, 10, "whole message in one frame");
        assertStream(valid, 0, 5000, 7, 3, 100, "middle fragment");
        assertStream(valid, StreamDataFlyweight.END, 5000, 7, 7, 0, "empty end fragment, initial == sequence");
        assertStream(valid, be, MAX_MESSAGE, Long.MAX_VALUE, 0, 10, "largest sequence");

        assertStream(bad, 0x4, 10, 0, 0, 10, "RESET is not a data flag");
        assertStream(bad, be | 0x8000, 10, 0, 0, 10, "high flag bit");
        assertStream(bad, be, 9, 0, 0, 10, "payload longer than the message");
        assertStream(bad, be, -1, 0, 0, 0, "negative message length");
        assertStream(bad, be, MAX_MESSAGE + 1, 0, 0, 0, "message longer than maxMessageLength");
        assertStream(bad, be, 10, 5, 6, 10, "initial sequence after sequence");
        assertStream(bad, be, 10, -1, -2, 10, "negative sequence");
        assertStream(bad, be, 10, Long.MIN_VALUE, Long.MIN_VALUE, 10, "most negative sequence");
        assertStream(bad, be, 10, 5, -1, 10, "negative initial sequence");
    }

    /**
     * Copies a frame sealed in the test's byte[] into {@code target} at {@code offset} and validates it there.
     */
    private int validateCopy(final MutableDirectBuffer target, final int offset, final int length)
    {
        target.putBytes(offset, buffer, AT, length);
        return validator.validate(target, offset, length);
    }

    @Test
    void framesValidateWhateverBacksTheBufferAndAtAnyOffset()
    {
        final ByteBuffer direct = ByteBuffer.allocateDirect(8 * MAX_FRAME);
        final MutableDirectBuffer[] targets = {
            new UnsafeBuffer(new byte[4 * MAX_FRAME]),
            new UnsafeBuffer(new byte[4 * MAX_FRAME], 13, 2 * MAX_FRAME),
            new UnsafeBuffer(direct),
            new UnsafeBuffer(direct, 4 * MAX_FRAME + 5, 2 * MAX_FRAME),
            new UnsafeBuffer(direct.slice(2 * MAX_FRAME + 1, MAX_FRAME + 100)),
            new UnsafeBuffer(ByteBuffer.allocate(4 * MAX_FRAME), 7, 2 * MAX_FRAME),
        };
        final int[] offsets = {0, 1, 3, 64, 77};
        for (int type = 1; type <= FrameType.MAX_TYPE; type++)
        {
            final int length = validFrame(type);
            for (int t = 0; t < targets.length; t++)
            {
                for (final int offset : offsets)
                {
                    assertEquals(FrameValidator.VALID, validateCopy(targets[t], offset, length),
                        FrameType.name(type) + " in target " + t + " at offset " + offset);
                }
            }
            // A flipped bit is caught in every kind of buffer too.
            buffer.putByte(AT + length - 1, (byte)(buffer.getByte(AT + length - 1) ^ 1));
            for (int t = 0; t < targets.length; t++)
            {
                assertEquals(FrameValidator.BAD_CHECKSUM, validateCopy(targets[t], 3, length),
                    FrameType.name(type) + " corrupt in target " + t);
            }
        }
    }

    @Test
    void sealInOneKindOfBufferValidateInAnother()
    {
        final UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(4 * MAX_FRAME), 100, 2 * MAX_FRAME);
        final int length = FrameFlyweightTest.sealedFrame(direct, 9, FrameType.RESPONSE, 0);
        direct.putInt(9 + FragmentFlyweight.MESSAGE_LENGTH_OFFSET, 0, FrameHeaderFlyweight.ORDER);
        direct.putInt(9 + FragmentFlyweight.CHUNK_LENGTH_OFFSET, CHUNK, FrameHeaderFlyweight.ORDER);
        direct.putInt(9 + FragmentFlyweight.FRAGMENT_INDEX_OFFSET, 0, FrameHeaderFlyweight.ORDER);
        new FrameHeaderFlyweight().wrap(direct, 9).seal();
        assertEquals(FrameValidator.VALID, validator.validate(direct, 9, length), "sealed and checked in place");
        final UnsafeBuffer array = new UnsafeBuffer(new byte[MAX_FRAME]);
        array.putBytes(0, direct, 9, length);
        assertEquals(FrameValidator.VALID, validator.validate(array, 0, length), "sealed direct, checked in a byte[]");
    }
}
