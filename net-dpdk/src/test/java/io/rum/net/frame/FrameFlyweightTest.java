package io.rum.net.frame;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each flyweight against its ASCII diagram. The offsets below are typed in from the diagrams, not taken from
 * the flyweights' constants, so a constant that drifts from its diagram (or a field written at the wrong
 * place) fails here. Every field is checked as raw little-endian bytes, and every byte the diagram calls
 * reserved is checked to be written as zero.
 */
class FrameFlyweightTest
{
    private static final int BASE = 24;
    private static final int CAPACITY = 1024;

    private final byte[] bytes = new byte[CAPACITY];
    private final UnsafeBuffer buffer = new UnsafeBuffer(bytes);

    FrameFlyweightTest()
    {
        // Non-zero garbage everywhere, so a field the flyweight forgets to write (or to zero) shows.
        Arrays.fill(bytes, (byte)0xA5);
    }

    /**
     * Reads {@code width} bytes at {@code BASE + offset} as an unsigned little-endian number, byte by byte.
     */
    private long raw(final int offset, final int width)
    {
        long value = 0;
        for (int i = width - 1; i >= 0; i--)
        {
            value = (value << 8) | (bytes[BASE + offset + i] & 0xFF);
        }
        return value;
    }

    private static long mask(final long value, final int width)
    {
        return width == 8 ? value : value & ((1L << (width * 8)) - 1);
    }

    private void assertRaw(final int offset, final int width, final long expected, final String field)
    {
        assertEquals(mask(expected, width), raw(offset, width), field + " at offset " + offset + " (" + width + " bytes)");
    }

    private void writeTestHeader(final FrameHeaderFlyweight header, final int type, final int length)
    {
        header.wrap(buffer, BASE);
        header.writeHeader(type, length, 0x0102_0304, 0x0A0B_0C0D, 0x1122_3344_5566_7788L, 0x8877_6655_4433_2211L);
    }

    private void assertTestHeader(final FrameHeaderFlyweight header, final int type, final int length)
    {
        assertRaw(0, 2, 0x5255, "magic");
        assertEquals(0x55, bytes[BASE] & 0xFF, "magic is little-endian: low byte first");
        assertRaw(2, 1, 1, "version");
        assertRaw(3, 1, type, "type");
        assertRaw(4, 4, length, "frame length");
        assertRaw(16, 4, 0x0102_0304, "source node");
        assertRaw(20, 4, 0x0A0B_0C0D, "destination node");
        assertRaw(24, 8, 0x1122_3344_5566_7788L, "source epoch");
        assertRaw(32, 8, 0x8877_6655_4433_2211L, "destination epoch");
        assertEquals(0x5255, header.magic());
        assertEquals(1, header.version());
        assertEquals(type, header.type());
        assertEquals(length, header.frameLength());
        assertEquals(0x0102_0304, header.srcNode());
        assertEquals(0x0A0B_0C0D, header.dstNode());
        assertEquals(0x1122_3344_5566_7788L, header.srcEpoch());
        assertEquals(0x8877_6655_4433_2211L, header.dstEpoch());
        assertEquals(BASE, header.offset());
        assertEquals(buffer, header.buffer());
    }

    @Test
    void headerConstantsMatchDiagram()
    {
        assertEquals(0, FrameHeaderFlyweight.MAGIC_OFFSET);
        assertEquals(2, FrameHeaderFlyweight.VERSION_OFFSET);
        assertEquals(3, FrameHeaderFlyweight.TYPE_OFFSET);
        assertEquals(4, FrameHeaderFlyweight.FRAME_LENGTH_OFFSET);
        assertEquals(8, FrameHeaderFlyweight.CRC_OFFSET);
        assertEquals(12, FrameHeaderFlyweight.FLAGS_OFFSET);
        assertEquals(16, FrameHeaderFlyweight.SRC_NODE_OFFSET);
        assertEquals(20, FrameHeaderFlyweight.DST_NODE_OFFSET);
        assertEquals(24, FrameHeaderFlyweight.SRC_EPOCH_OFFSET);
        assertEquals(32, FrameHeaderFlyweight.DST_EPOCH_OFFSET);
        assertEquals(40, FrameHeaderFlyweight.HEADER_LENGTH);
        assertEquals(0x5255, FrameHeaderFlyweight.MAGIC);
        assertEquals(1, FrameHeaderFlyweight.CURRENT_VERSION);
        assertEquals(java.nio.ByteOrder.LITTLE_ENDIAN, FrameHeaderFlyweight.ORDER);
    }

    @Test
    void headerWritesEveryFieldAtItsOffsetAndZeroesCrcFlagsAndReserved()
    {
        final FrameHeaderFlyweight header = new FrameHeaderFlyweight();
        writeTestHeader(header, FrameType.REJECT, 56);
        assertTestHeader(header, FrameType.REJECT, 56);
        assertRaw(8, 4, 0, "crc zeroed by writeHeader");
        assertRaw(12, 2, 0, "flags zeroed by writeHeader");
        assertRaw(14, 2, 0, "reserved zeroed by writeHeader");
        assertEquals(0xA5, bytes[BASE - 1] & 0xFF, "nothing written before the frame");
        assertEquals(0xA5, bytes[BASE + 40] & 0xFF, "the header writes nothing past byte 40");

        header.flags(0xBEEF);
        assertRaw(12, 2, 0xBEEF, "flags");
        assertRaw(14, 2, 0, "reserved untouched by flags()");
        assertEquals(0xBEEF, header.flags(), "flags are read unsigned");

        header.frameLength(0x7FFF_0102);
        assertRaw(4, 4, 0x7FFF_0102, "frame length setter");
    }

    @Test
    void connectBody()
    {
        assertEquals(40, ConnectFlyweight.SLOTS_OFFSET);
        assertEquals(44, ConnectFlyweight.MAX_MESSAGE_LENGTH_OFFSET);
        assertEquals(48, ConnectFlyweight.MAX_FRAME_LENGTH_OFFSET);
        assertEquals(56, ConnectFlyweight.LENGTH);

        final ConnectFlyweight connect = new ConnectFlyweight();
        writeTestHeader(connect, FrameType.CONNECT, 56);
        connect.slots(0xFFFE).maxMessageLength(0x0403_0201).maxFrameLength(0x0807_0605);
        assertTestHeader(connect, FrameType.CONNECT, 56);
        assertRaw(40, 2, 0xFFFE, "slots");
        assertRaw(42, 2, 0, "reserved after slots");
        assertRaw(44, 4, 0x0403_0201, "max message length");
        assertRaw(48, 4, 0x0807_0605, "max frame length");
        assertRaw(52, 4, 0, "reserved at 52");
        assertEquals(0xA5, bytes[BASE + 56] & 0xFF, "nothing past LENGTH");
        assertEquals(0xFFFE, connect.slots(), "slots read unsigned");
        assertEquals(0x0403_0201, connect.maxMessageLength());
        assertEquals(0x0807_0605, connect.maxFrameLength());
    }

    @Test
    void fragmentBody()
    {
        assertEquals(40, FragmentFlyweight.SLOT_OFFSET);
        assertEquals(44, FragmentFlyweight.MESSAGE_LENGTH_OFFSET);
        assertEquals(48, FragmentFlyweight.CHUNK_LENGTH_OFFSET);
        assertEquals(52, FragmentFlyweight.FRAGMENT_INDEX_OFFSET);
        assertEquals(56, FragmentFlyweight.REQUEST_NUMBER_OFFSET);
        assertEquals(64, FragmentFlyweight.PAYLOAD_OFFSET);

        final FragmentFlyweight fragment = new FragmentFlyweight();
        writeTestHeader(fragment, FrameType.REQUEST, 64 + 10);
        fragment.writeBody(0xFFFF, 0x0102_0304, 0x0506_0708, 0x090A_0B0C, 0x0F0E_0D0C_0B0A_0908L);
        assertTestHeader(fragment, FrameType.REQUEST, 74);
        assertRaw(40, 2, 0xFFFF, "slot");
        assertRaw(42, 2, 0, "reserved after slot");
        assertRaw(44, 4, 0x0102_0304, "message length");
        assertRaw(48, 4, 0x0506_0708, "chunk length");
        assertRaw(52, 4, 0x090A_0B0C, "fragment index");
        assertRaw(56, 8, 0x0F0E_0D0C_0B0A_0908L, "request number");
        assertEquals(0xA5, bytes[BASE + 64] & 0xFF, "writeBody leaves the payload alone");
        assertEquals(0xFFFF, fragment.slot());
        assertEquals(0x0102_0304, fragment.messageLength());
        assertEquals(0x0506_0708, fragment.chunkLength());
        assertEquals(0x090A_0B0C, fragment.fragmentIndex());
        assertEquals(0x0F0E_0D0C_0B0A_0908L, fragment.requestNumber());
        assertEquals(BASE + 64, fragment.payloadOffset());
        assertEquals(10, fragment.payloadLength());
    }

    @Test
    void fragmentCountFollowsTheDocumentedRule()
    {
        assertEquals(1, FragmentFlyweight.fragmentCount(0, 100), "a zero-length message is one, empty, fragment");
        assertEquals(1, FragmentFlyweight.fragmentCount(1, 100));
        assertEquals(1, FragmentFlyweight.fragmentCount(100, 100));
        assertEquals(2, FragmentFlyweight.fragmentCount(101, 100));
        assertEquals(Integer.MAX_VALUE, FragmentFlyweight.fragmentCount(Integer.MAX_VALUE, 1));
        assertEquals(2, FragmentFlyweight.fragmentCount(Integer.MAX_VALUE, Integer.MAX_VALUE - 1), "no int overflow");
    }

    @Test
    void fragmentAckBody()
    {
        assertEquals(40, FragmentAckFlyweight.SLOT_OFFSET);
        assertEquals(42, FragmentAckFlyweight.DIRECTION_OFFSET);
        assertEquals(43, FragmentAckFlyweight.ACK_FLAGS_OFFSET);
        assertEquals(44, FragmentAckFlyweight.CUMULATIVE_OFFSET);
        assertEquals(48, FragmentAckFlyweight.REQUEST_NUMBER_OFFSET);
        assertEquals(56, FragmentAckFlyweight.SACK_OFFSET);
        assertEquals(64, FragmentAckFlyweight.LENGTH);

        final FragmentAckFlyweight ack = new FragmentAckFlyweight();
        writeTestHeader(ack, FrameType.FRAGMENT_ACK, 64);
        ack.writeBody(0xFFFE, 0xFF, 0x81, 0x0102_0304, 0x1112_1314_1516_1718L, 0x8000_0000_0000_0001L);
        assertTestHeader(ack, FrameType.FRAGMENT_ACK, 64);
        assertRaw(40, 2, 0xFFFE, "slot");
        assertRaw(42, 1, 0xFF, "direction");
        assertRaw(43, 1, 0x81, "ack flags");
        assertRaw(44, 4, 0x0102_0304, "cumulative");
        assertRaw(48, 8, 0x1112_1314_1516_1718L, "request number");
        assertRaw(56, 8, 0x8000_0000_0000_0001L, "selective bits");
        assertEquals(0xA5, bytes[BASE + 64] & 0xFF, "nothing past LENGTH");
        assertEquals(0xFFFE, ack.slot());
        assertEquals(0xFF, ack.direction(), "direction read unsigned");
        assertEquals(0x81, ack.ackFlags(), "ack flags read unsigned");
        assertEquals(0x0102_0304, ack.cumulative());
        assertEquals(0x1112_1314_1516_1718L, ack.requestNumber());
        assertEquals(0x8000_0000_0000_0001L, ack.selectiveBits());
    }

    @Test
    void rejectBody()
    {
        assertEquals(40, RejectFlyweight.REASON_OFFSET);
        assertEquals(44, RejectFlyweight.SLOT_OFFSET);
        assertEquals(48, RejectFlyweight.REQUEST_NUMBER_OFFSET);
        assertEquals(56, RejectFlyweight.LENGTH);

        final RejectFlyweight reject = new RejectFlyweight();
        writeTestHeader(reject, FrameType.REJECT, 56);
        reject.writeBody(0x0A0B_0C0D, 0xFFFF, -2L);
        assertTestHeader(reject, FrameType.REJECT, 56);
        assertRaw(40, 4, 0x0A0B_0C0D, "reason");
        assertRaw(44, 2, 0xFFFF, "slot");
        assertRaw(46, 2, 0, "reserved after slot");
        assertRaw(48, 8, -2L, "request number");
        assertEquals(0xA5, bytes[BASE + 56] & 0xFF, "nothing past LENGTH");
        assertEquals(0x0A0B_0C0D, reject.reason());
        assertEquals(0xFFFF, reject.slot());
        assertEquals(-2L, reject.requestNumber());
    }

    @Test
    void streamDataBody()
    {
        assertEquals(40, StreamDataFlyweight.STREAM_ID_OFFSET);
        assertEquals(44, StreamDataFlyweight.MESSAGE_LENGTH_OFFSET);
        assertEquals(48, StreamDataFlyweight.SEQUENCE_OFFSET);
        assertEquals(56, StreamDataFlyweight.INITIAL_SEQUENCE_OFFSET);
        assertEquals(64, StreamDataFlyweight.PAYLOAD_OFFSET);
        assertEquals(1, StreamDataFlyweight.BEGIN);
        assertEquals(2, StreamDataFlyweight.END);

        final StreamDataFlyweight data = new StreamDataFlyweight();
        writeTestHeader(data, FrameType.STREAM_DATA, 64 + 3);
        data.flags(StreamDataFlyweight.BEGIN | StreamDataFlyweight.END);
        data.writeBody(0x4142_4344, 0x0102_0304, 0x1020_3040_5060_7080L, 0x0010_2030_4050_6070L);
        assertTestHeader(data, FrameType.STREAM_DATA, 67);
        assertRaw(12, 2, 3, "B/E flags in the header flags");
        assertRaw(40, 4, 0x4142_4344, "stream id");
        assertRaw(44, 4, 0x0102_0304, "message length");
        assertRaw(48, 8, 0x1020_3040_5060_7080L, "sequence");
        assertRaw(56, 8, 0x0010_2030_4050_6070L, "initial sequence");
        assertEquals(0xA5, bytes[BASE + 64] & 0xFF, "writeBody leaves the payload alone");
        assertEquals(0x4142_4344, data.streamId());
        assertEquals(0x0102_0304, data.messageLength());
        assertEquals(0x1020_3040_5060_7080L, data.sequence());
        assertEquals(0x0010_2030_4050_6070L, data.initialSequence());
        assertEquals(BASE + 64, data.payloadOffset());
        assertEquals(3, data.payloadLength());
    }

    @Test
    void streamStatusBody()
    {
        assertEquals(40, StreamStatusFlyweight.STREAM_ID_OFFSET);
        assertEquals(44, StreamStatusFlyweight.WINDOW_OFFSET);
        assertEquals(48, StreamStatusFlyweight.NEXT_EXPECTED_OFFSET);
        assertEquals(56, StreamStatusFlyweight.RECEIVED_BITS_OFFSET);
        assertEquals(64, StreamStatusFlyweight.LENGTH);
        assertEquals(4, StreamStatusFlyweight.RESET);

        final StreamStatusFlyweight status = new StreamStatusFlyweight();
        writeTestHeader(status, FrameType.STREAM_STATUS, 64);
        status.flags(StreamStatusFlyweight.RESET);
        status.writeBody(0x0506_0708, 0x0102_0304, 0x7F00_0000_0000_00FFL, -1L);
        assertTestHeader(status, FrameType.STREAM_STATUS, 64);
        assertRaw(12, 2, 4, "RESET in the header flags");
        assertRaw(40, 4, 0x0506_0708, "stream id");
        assertRaw(44, 4, 0x0102_0304, "window");
        assertRaw(48, 8, 0x7F00_0000_0000_00FFL, "next expected");
        assertRaw(56, 8, -1L, "received bits");
        assertEquals(0xA5, bytes[BASE + 64] & 0xFF, "nothing past LENGTH");
        assertEquals(0x0506_0708, status.streamId());
        assertEquals(0x0102_0304, status.window());
        assertEquals(0x7F00_0000_0000_00FFL, status.nextExpected());
        assertEquals(-1L, status.receivedBits());
    }

    @Test
    void frameTypesAreConsistent()
    {
        assertEquals(56, FrameType.fixedLength(FrameType.CONNECT));
        assertEquals(56, FrameType.fixedLength(FrameType.CONNECT_ACK));
        assertEquals(64, FrameType.fixedLength(FrameType.REQUEST));
        assertEquals(64, FrameType.fixedLength(FrameType.RESPONSE));
        assertEquals(64, FrameType.fixedLength(FrameType.FRAGMENT_ACK));
        assertEquals(56, FrameType.fixedLength(FrameType.REJECT));
        assertEquals(64, FrameType.fixedLength(FrameType.STREAM_DATA));
        assertEquals(64, FrameType.fixedLength(FrameType.STREAM_STATUS));
        assertEquals(8, FrameType.MAX_TYPE);
        for (int type = 0; type <= 255; type++)
        {
            final boolean known = type >= 1 && type <= FrameType.MAX_TYPE;
            final int fixed = FrameType.fixedLength(type);
            if (known)
            {
                assertTrue(fixed >= FrameHeaderFlyweight.HEADER_LENGTH, "fixed part includes the header: " + type);
                assertEquals(0, fixed % 8, "fixed part is 8-byte aligned: " + type);
                assertFalse(FrameType.name(type).startsWith("UNKNOWN"), "named: " + type);
            }
            else
            {
                assertEquals(-1, fixed, "unknown type " + type);
                assertFalse(FrameType.hasPayload(type), "unknown type has no payload: " + type);
                assertEquals("UNKNOWN(" + type + ")", FrameType.name(type));
            }
        }
        assertTrue(FrameType.hasPayload(FrameType.REQUEST));
        assertTrue(FrameType.hasPayload(FrameType.RESPONSE));
        assertTrue(FrameType.hasPayload(FrameType.STREAM_DATA));
        assertFalse(FrameType.hasPayload(FrameType.CONNECT));
        assertFalse(FrameType.hasPayload(FrameType.CONNECT_ACK));
        assertFalse(FrameType.hasPayload(FrameType.FRAGMENT_ACK));
        assertFalse(FrameType.hasPayload(FrameType.REJECT));
        assertFalse(FrameType.hasPayload(FrameType.STREAM_STATUS));
        // A payload type's fixed length is where its flyweight says the payload starts.
        assertEquals(FragmentFlyweight.PAYLOAD_OFFSET, FrameType.fixedLength(FrameType.REQUEST));
        assertEquals(StreamDataFlyweight.PAYLOAD_OFFSET, FrameType.fixedLength(FrameType.STREAM_DATA));
    }

    /**
     * A sealed frame of each type, with a payload where the type has one, at {@code offset} of {@code target}.
     *
     * @return its length.
     */
    static int sealedFrame(final MutableDirectBuffer target, final int offset, final int type, final int payloadLength)
    {
        final int length = FrameType.fixedLength(type) + (FrameType.hasPayload(type) ? payloadLength : 0);
        final FrameHeaderFlyweight header = new FrameHeaderFlyweight().wrap(target, offset);
        header.writeHeader(type, length, 1, 2, 11, 22);
        for (int i = FrameHeaderFlyweight.HEADER_LENGTH; i < length; i++)
        {
            target.putByte(offset + i, (byte)(i * 7 + type));
        }
        header.seal();
        return length;
    }

    @Test
    void sealDetectsEverySingleBitFlipInEveryFrameType()
    {
        final UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(CAPACITY), 8, CAPACITY - 8);
        for (final MutableDirectBuffer target : new MutableDirectBuffer[]{buffer, direct})
        {
            for (int type = 1; type <= FrameType.MAX_TYPE; type++)
            {
                final int length = sealedFrame(target, BASE, type, 77);
                final FrameHeaderFlyweight header = new FrameHeaderFlyweight().wrap(target, BASE);
                assertTrue(header.crcMatches(length), FrameType.name(type) + " sealed");
                final byte[] before = new byte[length];
                target.getBytes(BASE, before);
                for (int bit = 0; bit < length * 8; bit++)
                {
                    final int at = BASE + bit / 8;
                    target.putByte(at, (byte)(target.getByte(at) ^ (1 << (bit % 8))));
                    assertFalse(header.crcMatches(length), FrameType.name(type) + ": flip of bit " + bit + " missed");
                    target.putByte(at, (byte)(target.getByte(at) ^ (1 << (bit % 8))));
                }
                final byte[] after = new byte[length];
                target.getBytes(BASE, after);
                assertArrayEquals(before, after, "crcMatches leaves the frame as it came");
                assertTrue(header.crcMatches(length));
                assertFalse(header.crcMatches(length - 1), "a truncated delivery does not match");
            }
        }
    }

    @Test
    void crcIsTheSameWhateverBacksTheBuffer()
    {
        final int length = sealedFrame(buffer, BASE, FrameType.REQUEST, 300);
        final int crc = new FrameHeaderFlyweight().wrap(buffer, BASE).crc();
        assertRaw(8, 4, crc, "crc field");

        final ByteBuffer directBytes = ByteBuffer.allocateDirect(CAPACITY);
        final UnsafeBuffer direct = new UnsafeBuffer(directBytes, 100, 600);
        final int directLength = sealedFrame(direct, 3, FrameType.REQUEST, 300);
        assertEquals(length, directLength);
        assertEquals(crc, new FrameHeaderFlyweight().wrap(direct, 3).crc(), "direct ByteBuffer at an offset");

        final UnsafeBuffer heap = new UnsafeBuffer(ByteBuffer.allocate(CAPACITY), 50, 500);
        sealedFrame(heap, 5, FrameType.REQUEST, 300);
        assertEquals(crc, new FrameHeaderFlyweight().wrap(heap, 5).crc(), "heap ByteBuffer at an offset");

        final UnsafeBuffer slice = new UnsafeBuffer(directBytes.slice(600, 400));
        sealedFrame(slice, 1, FrameType.REQUEST, 300);
        assertEquals(crc, new FrameHeaderFlyweight().wrap(slice, 1).crc(), "slice of a direct ByteBuffer");
        assertTrue(new FrameHeaderFlyweight().wrap(direct, 3).crcMatches(length),
            "another buffer over the same ByteBuffer still checks correctly");
    }

    /**
     * A frame sealed gathered (header here, payload elsewhere) carries the CRC the joined frame would: the receiver
     * sees one contiguous frame. Payloads in a byte[], a direct and a heap ByteBuffer, alternating, so the checksum's
     * cached views of two backing buffers are exercised.
     */
    @Test
    void aGatheredSealEqualsTheSealOfTheJoinedFrame()
    {
        final int payloadLength = 300;
        final int length = sealedFrame(buffer, BASE, FrameType.REQUEST, payloadLength);
        final int joinedCrc = new FrameHeaderFlyweight().wrap(buffer, BASE).crc();
        final int headLength = length - payloadLength;
        final UnsafeBuffer[] payloads = {
            new UnsafeBuffer(new byte[payloadLength + 9]),
            new UnsafeBuffer(ByteBuffer.allocateDirect(payloadLength + 9)),
            new UnsafeBuffer(ByteBuffer.allocate(payloadLength + 9), 4, payloadLength + 5)};
        final UnsafeBuffer head = new UnsafeBuffer(ByteBuffer.allocateDirect(CAPACITY));
        final FrameHeaderFlyweight frame = new FrameHeaderFlyweight().wrap(head, 7);
        for (int round = 0; round < 2; round++)
        {
            for (final UnsafeBuffer payload : payloads)
            {
                head.putBytes(7, buffer, BASE, headLength);
                payload.putBytes(3, buffer, BASE + headLength, payloadLength);
                frame.seal(payload, 3, payloadLength);
                assertEquals(joinedCrc, frame.crc(), "gathered from " + payload.byteBuffer() + " / " +
                    (null != payload.byteArray()));
            }
        }
    }
}
