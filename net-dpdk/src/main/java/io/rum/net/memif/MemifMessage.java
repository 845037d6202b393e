package io.rum.net.memif;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A memif control message (memif protocol 2.0, as DPDK's memif and libmemif speak it): 128 bytes, little-endian,
 * packed, a 16-bit type and then one of these bodies (byte offsets from the start of the message):
 *
 * <pre>
 *  HELLO      (server to client)  2 name[32]  34 min_version u16  36 max_version u16  38 max_region u16
 *                                 40 max_m2s_ring u16  42 max_s2m_ring u16  44 max_log2_ring_size u8
 *  INIT       (client to server)  2 version u16  4 id u32  8 mode u8  9 secret[24]  33 name[32]
 *  ADD_REGION (client to server)  2 index u16  4 size u64                       + the region's fd (SCM_RIGHTS)
 *  ADD_RING   (client to server)  2 flags u16  4 index u16  6 region u16  8 offset u32  12 log2_ring_size u8
 *                                 13 private_hdr_size u16                       + the ring's interrupt eventfd
 *  CONNECT    (client to server)  2 if_name[32]
 *  CONNECTED  (server to client)  2 if_name[32]
 *  DISCONNECT (either way)        2 code u32  6 reason[96]
 *  ACK        (server to client)  no body
 * </pre>
 *
 * The client owns all shared memory: it creates the regions and the rings and hands their descriptors over; the
 * server maps what it is given. Messages go in lock step: the client sends the next one when the previous is
 * acknowledged, as DPDK's memif does (it sends one queued message per message it receives).
 */
public final class MemifMessage
{
    public static final int LENGTH = 128;
    public static final int NAME_LENGTH = 32;
    public static final int SECRET_LENGTH = 24;
    public static final int REASON_LENGTH = 96;
    /** Protocol 2.0: major in the high byte. */
    public static final int VERSION = 0x0200;
    public static final int MODE_ETHERNET = 0;
    /** ADD_RING's flag for a ring in the client-to-server direction (memif's "S2M"). */
    public static final int RING_CLIENT_TO_SERVER = 1;

    public static final int NONE = 0;
    public static final int ACK = 1;
    public static final int HELLO = 2;
    public static final int INIT = 3;
    public static final int ADD_REGION = 4;
    public static final int ADD_RING = 5;
    public static final int CONNECT = 6;
    public static final int CONNECTED = 7;
    public static final int DISCONNECT = 8;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final int TYPE = 0;
    private static final int BODY = 2;

    private final UnsafeBuffer buffer;

    /** @param buffer exactly {@link #LENGTH} bytes, the message memory passed to sendmsg and recvmsg. */
    public MemifMessage(final UnsafeBuffer buffer)
    {
        if (buffer.capacity() != LENGTH)
        {
            throw new IllegalArgumentException("a memif message is " + LENGTH + " bytes, not " + buffer.capacity());
        }
        this.buffer = buffer;
    }

    /** Starts a message of {@code type}: the whole message zeroed, so unused fields and names' tails are NUL. */
    public MemifMessage reset(final int type)
    {
        buffer.setMemory(0, LENGTH, (byte)0);
        buffer.putShort(TYPE, (short)type, ORDER);
        return this;
    }

    public int type()
    {
        return buffer.getShort(TYPE, ORDER) & 0xFFFF;
    }

    public static String typeName(final int type)
    {
        return switch (type)
        {
            case NONE -> "NONE";
            case ACK -> "ACK";
            case HELLO -> "HELLO";
            case INIT -> "INIT";
            case ADD_REGION -> "ADD_REGION";
            case ADD_RING -> "ADD_RING";
            case CONNECT -> "CONNECT";
            case CONNECTED -> "CONNECTED";
            case DISCONNECT -> "DISCONNECT";
            default -> "type " + type;
        };
    }

    // HELLO

    public MemifMessage hello(final String name, final int maxRegion, final int maxRings, final int maxLog2RingSize)
    {
        reset(HELLO);
        putString(BODY, name, NAME_LENGTH);
        buffer.putShort(BODY + 32, (short)VERSION, ORDER);
        buffer.putShort(BODY + 34, (short)VERSION, ORDER);
        buffer.putShort(BODY + 36, (short)maxRegion, ORDER);
        buffer.putShort(BODY + 38, (short)maxRings, ORDER);
        buffer.putShort(BODY + 40, (short)maxRings, ORDER);
        buffer.putByte(BODY + 42, (byte)maxLog2RingSize);
        return this;
    }

    public String helloName()
    {
        return getString(BODY, NAME_LENGTH);
    }

    public int helloMinVersion()
    {
        return u16(BODY + 32);
    }

    public int helloMaxVersion()
    {
        return u16(BODY + 34);
    }

    public int helloMaxRegion()
    {
        return u16(BODY + 36);
    }

    /** The highest ring index the server takes in the server-to-client direction (memif's "M2S"). */
    public int helloMaxServerToClientRing()
    {
        return u16(BODY + 38);
    }

    /** The highest ring index the server takes in the client-to-server direction (memif's "S2M"). */
    public int helloMaxClientToServerRing()
    {
        return u16(BODY + 40);
    }

    public int helloMaxLog2RingSize()
    {
        return buffer.getByte(BODY + 42) & 0xFF;
    }

    // INIT

    public MemifMessage init(final long id, final String secret, final String name)
    {
        reset(INIT);
        buffer.putShort(BODY, (short)VERSION, ORDER);
        buffer.putInt(BODY + 2, (int)id, ORDER);
        buffer.putByte(BODY + 6, (byte)MODE_ETHERNET);
        putString(BODY + 7, secret, SECRET_LENGTH);
        putString(BODY + 31, name, NAME_LENGTH);
        return this;
    }

    public int initVersion()
    {
        return u16(BODY);
    }

    public long initId()
    {
        return buffer.getInt(BODY + 2, ORDER) & 0xFFFF_FFFFL;
    }

    public int initMode()
    {
        return buffer.getByte(BODY + 6) & 0xFF;
    }

    public String initSecret()
    {
        return getString(BODY + 7, SECRET_LENGTH);
    }

    public String initName()
    {
        return getString(BODY + 31, NAME_LENGTH);
    }

    // ADD_REGION

    public MemifMessage addRegion(final int index, final long size)
    {
        reset(ADD_REGION);
        buffer.putShort(BODY, (short)index, ORDER);
        buffer.putLong(BODY + 2, size, ORDER);
        return this;
    }

    public int regionIndex()
    {
        return u16(BODY);
    }

    public long regionSize()
    {
        return buffer.getLong(BODY + 2, ORDER);
    }

    // ADD_RING

    public MemifMessage addRing(
        final boolean clientToServer, final int index, final int region, final int offset, final int log2RingSize)
    {
        reset(ADD_RING);
        buffer.putShort(BODY, (short)(clientToServer ? RING_CLIENT_TO_SERVER : 0), ORDER);
        buffer.putShort(BODY + 2, (short)index, ORDER);
        buffer.putShort(BODY + 4, (short)region, ORDER);
        buffer.putInt(BODY + 6, offset, ORDER);
        buffer.putByte(BODY + 10, (byte)log2RingSize);
        buffer.putShort(BODY + 11, (short)0, ORDER);
        return this;
    }

    public boolean ringClientToServer()
    {
        return (u16(BODY) & RING_CLIENT_TO_SERVER) != 0;
    }

    public int ringIndex()
    {
        return u16(BODY + 2);
    }

    public int ringRegion()
    {
        return u16(BODY + 4);
    }

    public long ringOffset()
    {
        return buffer.getInt(BODY + 6, ORDER) & 0xFFFF_FFFFL;
    }

    public int ringLog2Size()
    {
        return buffer.getByte(BODY + 10) & 0xFF;
    }

    public int ringPrivateHeaderSize()
    {
        return u16(BODY + 11);
    }

    // CONNECT, CONNECTED

    public MemifMessage connect(final int type, final String interfaceName)
    {
        reset(type);
        putString(BODY, interfaceName, NAME_LENGTH);
        return this;
    }

    public String interfaceName()
    {
        return getString(BODY, NAME_LENGTH);
    }

    // DISCONNECT

    public MemifMessage disconnect(final int code, final String reason)
    {
        reset(DISCONNECT);
        buffer.putInt(BODY, code, ORDER);
        putString(BODY + 4, reason, REASON_LENGTH);
        return this;
    }

    public String disconnectReason()
    {
        return getString(BODY + 4, REASON_LENGTH);
    }

    private int u16(final int at)
    {
        return buffer.getShort(at, ORDER) & 0xFFFF;
    }

    /** ASCII, cut to leave at least one NUL (the field was zeroed by {@link #reset}). */
    private void putString(final int at, final String value, final int capacity)
    {
        final byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        buffer.putBytes(at, bytes, 0, Math.min(bytes.length, capacity - 1));
    }

    /** Up to the first NUL or the field's end: a peer need not terminate a full-length name. */
    private String getString(final int at, final int capacity)
    {
        int length = 0;
        while (length < capacity && buffer.getByte(at + length) != 0)
        {
            length++;
        }
        final byte[] bytes = new byte[length];
        buffer.getBytes(at, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
