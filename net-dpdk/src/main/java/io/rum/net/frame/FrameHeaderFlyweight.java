package io.rum.net.frame;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The fixed header every RUM frame starts with, whatever the medium.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+---------------+---------------+
 * |          Magic 0x5255         |    Version    |     Type      |  0
 * +-------------------------------+---------------+---------------+
 * |                        Frame Length                           |  4
 * +---------------------------------------------------------------+
 * |                   CRC32C (field zeroed)                       |  8
 * +-------------------------------+-------------------------------+
 * |             Flags             |           Reserved            | 12
 * +-------------------------------+-------------------------------+
 * |                        Source Node Id                         | 16
 * +---------------------------------------------------------------+
 * |                      Destination Node Id                      | 20
 * +---------------------------------------------------------------+
 * |                       Source Epoch (64)                     ...| 24
 * +---------------------------------------------------------------+
 * |                    Destination Epoch (64)                   ...| 32
 * +---------------------------------------------------------------+
 * |                     Type-specific body                      ...| 40
 * </pre>
 *
 * <p>All fields are little-endian. The frame length covers header, body and payload, so a receiver
 * can check it against what the medium delivered before reading anything else. The CRC32C covers the
 * whole frame with the CRC field taken as zero: Ethernet and UDP checksums do not protect a shared
 * memory ring (memif) or a buggy NIC offload, and a flipped payload bit must never reach a handler.
 * Epochs name an incarnation of a node; a destination epoch of zero means "not known yet".
 */
public class FrameHeaderFlyweight
{
    public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    public static final short MAGIC = 0x5255;
    public static final byte CURRENT_VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 2;
    public static final int TYPE_OFFSET = 3;
    public static final int FRAME_LENGTH_OFFSET = 4;
    public static final int CRC_OFFSET = 8;
    public static final int FLAGS_OFFSET = 12;
    public static final int SRC_NODE_OFFSET = 16;
    public static final int DST_NODE_OFFSET = 20;
    public static final int SRC_EPOCH_OFFSET = 24;
    public static final int DST_EPOCH_OFFSET = 32;
    public static final int HEADER_LENGTH = 40;

    protected MutableDirectBuffer buffer;
    protected int offset;
    /** Created on first use: most flyweights only read fields. Used by the one thread using this flyweight. */
    private FrameChecksum checksum;

    /**
     * Points this flyweight at a frame.
     *
     * @param buffer holding the frame.
     * @param offset of the frame's first byte.
     * @return this for chaining.
     */
    public FrameHeaderFlyweight wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    public int offset()
    {
        return offset;
    }

    /**
     * Writes magic, version, type and the node and epoch fields; zeroes flags, CRC and reserved bytes.
     */
    public FrameHeaderFlyweight writeHeader(
        final int type, final int frameLength, final int srcNode, final int dstNode, final long srcEpoch,
        final long dstEpoch)
    {
        buffer.putShort(offset + MAGIC_OFFSET, MAGIC, ORDER);
        buffer.putByte(offset + VERSION_OFFSET, CURRENT_VERSION);
        buffer.putByte(offset + TYPE_OFFSET, (byte)type);
        buffer.putInt(offset + FRAME_LENGTH_OFFSET, frameLength, ORDER);
        buffer.putInt(offset + CRC_OFFSET, 0, ORDER);
        buffer.putInt(offset + FLAGS_OFFSET, 0, ORDER);
        buffer.putInt(offset + SRC_NODE_OFFSET, srcNode, ORDER);
        buffer.putInt(offset + DST_NODE_OFFSET, dstNode, ORDER);
        buffer.putLong(offset + SRC_EPOCH_OFFSET, srcEpoch, ORDER);
        buffer.putLong(offset + DST_EPOCH_OFFSET, dstEpoch, ORDER);
        return this;
    }

    public int magic()
    {
        return buffer.getShort(offset + MAGIC_OFFSET, ORDER) & 0xFFFF;
    }

    public int version()
    {
        return buffer.getByte(offset + VERSION_OFFSET) & 0xFF;
    }

    public int type()
    {
        return buffer.getByte(offset + TYPE_OFFSET) & 0xFF;
    }

    public int frameLength()
    {
        return buffer.getInt(offset + FRAME_LENGTH_OFFSET, ORDER);
    }

    public FrameHeaderFlyweight frameLength(final int length)
    {
        buffer.putInt(offset + FRAME_LENGTH_OFFSET, length, ORDER);
        return this;
    }

    public int crc()
    {
        return buffer.getInt(offset + CRC_OFFSET, ORDER);
    }

    public int flags()
    {
        return buffer.getShort(offset + FLAGS_OFFSET, ORDER) & 0xFFFF;
    }

    public FrameHeaderFlyweight flags(final int flags)
    {
        buffer.putShort(offset + FLAGS_OFFSET, (short)flags, ORDER);
        return this;
    }

    public int srcNode()
    {
        return buffer.getInt(offset + SRC_NODE_OFFSET, ORDER);
    }

    public int dstNode()
    {
        return buffer.getInt(offset + DST_NODE_OFFSET, ORDER);
    }

    public long srcEpoch()
    {
        return buffer.getLong(offset + SRC_EPOCH_OFFSET, ORDER);
    }

    public long dstEpoch()
    {
        return buffer.getLong(offset + DST_EPOCH_OFFSET, ORDER);
    }

    private FrameChecksum checksum()
    {
        FrameChecksum c = checksum;
        if (null == c)
        {
            c = new FrameChecksum();
            checksum = c;
        }
        return c;
    }

    /**
     * Computes and stores the CRC over {@code frameLength()} bytes. Call last, after the payload is in place.
     */
    public void seal()
    {
        seal(null, 0, 0);
    }

    /**
     * Seals a frame to be sent gathered: its first {@code frameLength() - payloadLength} bytes are here, its payload
     * lies in {@code payload} (null when {@code payloadLength} is 0). The CRC is the one of the two joined.
     */
    public void seal(final DirectBuffer payload, final int payloadOffset, final int payloadLength)
    {
        final int headLength = frameLength() - payloadLength;
        buffer.putInt(offset + CRC_OFFSET, 0, ORDER);
        buffer.putInt(offset + CRC_OFFSET,
            checksum().checksum(buffer, offset, headLength, payload, payloadOffset, payloadLength), ORDER);
    }

    /**
     * The CRC check; restores the stored CRC so the frame is left as it came.
     *
     * @param length bytes the medium delivered for this frame.
     * @return true when the frame's CRC matches its contents.
     */
    public boolean crcMatches(final int length)
    {
        final int stored = crc();
        buffer.putInt(offset + CRC_OFFSET, 0, ORDER);
        final int actual = checksum().checksum(buffer, offset, length);
        buffer.putInt(offset + CRC_OFFSET, stored, ORDER);
        return stored == actual;
    }
}
