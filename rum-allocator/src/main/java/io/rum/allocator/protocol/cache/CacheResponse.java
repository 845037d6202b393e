package io.rum.allocator.protocol.cache;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A slave's answer to a {@link CacheRequest}: a header, then one result per request item, in request order. A
 * failed request carries no results but a reason a person can act on (UTF-8, after the header).
 *
 * <pre>
 *  Header                                                          byte
 * +---------------------------------------------------------------+
 * |                        Status (32)                            |  0
 * +-------------------------------+-------------------------------+
 * |         Result Count          |           Reserved            |  4
 * +-------------------------------+-------------------------------+
 * |              Slave Clock (64), epoch milliseconds           ...|  8
 * +---------------------------------------------------------------+
 * |          Result (64): SIZE's count, SCAN's next cursor      ...| 16
 * +---------------------------------------------------------------+
 *
 *  Item result
 * +---------------------------------------------------------------+
 * |     Item Status (32): OK, or OUT_OF_MEMORY for this item      |  0
 * |       bit 8: applied                                          |
 * +---------------------------------------------------------------+
 * |                      Partition (32)                           |  4
 * +---------------------------------------------------------------+
 * |     Previous Version (64): of the live entry before the op  ...|  8
 * +---------------------------------------------------------------+
 * |     Version (64): the entry's version after the op          ...| 16
 * +---------------------------------------------------------------+
 * |     Sequence (64): the partition's change count after it    ...| 24
 * +---------------------------------------------------------------+
 * |     Remaining Life (64): ms until the entry expires,        ...| 32
 * |       -1 never, -2 absent after the op                        |
 * +---------------------------------------------------------------+
 * |     Value Length (32): value read or previous value, -1 none  | 40
 * +---------------------------------------------------------------+
 * |     Expired Length (32): bytes of an expired entry the op     | 44
 * |       removed, -1 none                                        |
 * +---------------------------------------------------------------+
 * |              Value bytes, then expired bytes                ...| 48
 * </pre>
 *
 * A SCAN answers one result per key, with the key's bytes as the value.
 */
public final class CacheResponse
{
    public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    public static final int HEADER_LENGTH = 24;
    public static final int ITEM_HEADER_LENGTH = 48;
    public static final int APPLIED = 1 << 8;
    public static final int ITEM_STATUS_MASK = 0xFF;
    public static final long LIFE_NEVER = -1;
    public static final long LIFE_ABSENT = -2;
    /** SCAN's next cursor once every partition was answered. */
    public static final long SCAN_DONE = -1;

    private CacheResponse()
    {
    }

    public static void writeHeader(final MutableDirectBuffer buffer, final int status, final int count,
        final long nowMs, final long result)
    {
        buffer.putInt(0, status, ORDER);
        buffer.putShort(4, (short)count, ORDER);
        buffer.putShort(6, (short)0, ORDER);
        buffer.putLong(8, nowMs, ORDER);
        buffer.putLong(16, result, ORDER);
    }

    /**
     * Writes an item result's header at {@code index}; the caller copies value and expired bytes after it.
     *
     * @return the index after the header.
     */
    public static int writeItemHeader(final MutableDirectBuffer buffer, final int index, final int statusAndFlags,
        final int partition, final long previousVersion, final long version, final long sequence,
        final long remainingLife, final int valueLength, final int expiredLength)
    {
        buffer.putInt(index, statusAndFlags, ORDER);
        buffer.putInt(index + 4, partition, ORDER);
        buffer.putLong(index + 8, previousVersion, ORDER);
        buffer.putLong(index + 16, version, ORDER);
        buffer.putLong(index + 24, sequence, ORDER);
        buffer.putLong(index + 32, remainingLife, ORDER);
        buffer.putInt(index + 40, valueLength, ORDER);
        buffer.putInt(index + 44, expiredLength, ORDER);
        return index + ITEM_HEADER_LENGTH;
    }

    public static int status(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset, ORDER);
    }

    public static int count(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + 4, ORDER) & 0xFFFF;
    }

    public static long nowMs(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + 8, ORDER);
    }

    public static long result(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + 16, ORDER);
    }

    /** @return the failure reason of a response whose status is not OK. */
    public static String reason(final DirectBuffer buffer, final int offset, final int length)
    {
        return length > HEADER_LENGTH ? buffer.getStringWithoutLengthUtf8(offset + HEADER_LENGTH, length - HEADER_LENGTH)
            : "";
    }

    /** Reads item results one after the other, checking each against the response's end. */
    public static final class ItemReader
    {
        private DirectBuffer buffer;
        private int next;
        private int end;
        private int statusAndFlags;
        private int partition;
        private long previousVersion;
        private long version;
        private long sequence;
        private long remainingLife;
        private int valueOffset;
        private int valueLength;
        private int expiredOffset;
        private int expiredLength;

        public ItemReader wrap(final DirectBuffer buffer, final int offset, final int length)
        {
            this.buffer = buffer;
            this.next = offset + HEADER_LENGTH;
            this.end = offset + length;
            return this;
        }

        /** @return false if the next result is malformed (a protocol error: the caller fails the operation). */
        public boolean next()
        {
            if (end - next < ITEM_HEADER_LENGTH)
            {
                return false;
            }
            statusAndFlags = buffer.getInt(next, ORDER);
            partition = buffer.getInt(next + 4, ORDER);
            previousVersion = buffer.getLong(next + 8, ORDER);
            version = buffer.getLong(next + 16, ORDER);
            sequence = buffer.getLong(next + 24, ORDER);
            remainingLife = buffer.getLong(next + 32, ORDER);
            valueLength = buffer.getInt(next + 40, ORDER);
            expiredLength = buffer.getInt(next + 44, ORDER);
            valueOffset = next + ITEM_HEADER_LENGTH;
            if (valueLength < -1 || expiredLength < -1 ||
                (long)Math.max(valueLength, 0) + Math.max(expiredLength, 0) > end - valueOffset)
            {
                return false;
            }
            expiredOffset = valueOffset + Math.max(valueLength, 0);
            next = expiredOffset + Math.max(expiredLength, 0);
            return true;
        }

        public int itemStatus()
        {
            return statusAndFlags & ITEM_STATUS_MASK;
        }

        public boolean applied()
        {
            return (statusAndFlags & APPLIED) != 0;
        }

        public int partition()
        {
            return partition;
        }

        public long previousVersion()
        {
            return previousVersion;
        }

        public long version()
        {
            return version;
        }

        public long sequence()
        {
            return sequence;
        }

        public long remainingLife()
        {
            return remainingLife;
        }

        /** @return the value bytes, or null for none. */
        public byte[] value()
        {
            return bytes(valueOffset, valueLength);
        }

        /** @return the expired entry's bytes, or null for none. */
        public byte[] expired()
        {
            return bytes(expiredOffset, expiredLength);
        }

        private byte[] bytes(final int offset, final int length)
        {
            if (length < 0)
            {
                return null;
            }
            final byte[] b = new byte[length];
            buffer.getBytes(offset, b);
            return b;
        }
    }
}
