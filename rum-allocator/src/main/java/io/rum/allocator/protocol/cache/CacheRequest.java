package io.rum.allocator.protocol.cache;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A request to a slave's cache service: a header, then {@code count} items, each a fixed item header followed by
 * its key and value bytes. Batches are many items in one request; a single operation is a batch of one.
 *
 * <pre>
 *  Header                                                          byte
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+-------------------------------+
 * |    Opcode     |     Flags     |          Item Count           |  0
 * +---------------+---------------+-------------------------------+
 * |                     Argument (32)                             |  4
 * +---------------------------------------------------------------+
 * |                     Cache Id (64)                           ...|  8
 * +---------------------------------------------------------------+
 *
 *  Item
 * +---------------------------------------------------------------+
 * |             Version (64): expected version, or scan cursor  ...|  0
 * +---------------------------------------------------------------+
 * |             TTL A (64): see CacheOpcode and CacheTtl        ...|  8
 * +---------------------------------------------------------------+
 * |             TTL B (64): update duration of PUT              ...| 16
 * +---------------------------------------------------------------+
 * |                     Key Length (32)                           | 24
 * +---------------------------------------------------------------+
 * |                Value Length (32), -1 = no value               | 28
 * +---------------------------------------------------------------+
 * |              Key bytes, then value bytes                    ...| 32
 * </pre>
 *
 * Little-endian. The cache id is a 64-bit hash of the cache's name; the slave trusts nothing else in a request
 * (it computes each key's hash and partition itself) and checks every length against the request's end.
 */
public final class CacheRequest
{
    public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    public static final int HEADER_LENGTH = 16;
    public static final int ITEM_HEADER_LENGTH = 32;
    /** Flag: answer the previous value of a write. */
    public static final int FLAG_RETURN_PREVIOUS = 1;
    /** The most items in one request. */
    public static final int MAX_ITEMS = 0xFFFF;
    public static final int NO_VALUE = -1;

    private static final int FLAGS_OFFSET = 1;
    private static final int COUNT_OFFSET = 2;
    private static final int ARGUMENT_OFFSET = 4;
    private static final int CACHE_ID_OFFSET = 8;

    private CacheRequest()
    {
    }

    /** Writes the header at index 0. */
    public static void writeHeader(final MutableDirectBuffer buffer, final int opcode, final int flags, final int count,
        final int argument, final long cacheId)
    {
        buffer.putByte(0, (byte)opcode);
        buffer.putByte(FLAGS_OFFSET, (byte)flags);
        buffer.putShort(COUNT_OFFSET, (short)count, ORDER);
        buffer.putInt(ARGUMENT_OFFSET, argument, ORDER);
        buffer.putLong(CACHE_ID_OFFSET, cacheId, ORDER);
    }

    /** @return the length of an item with these key and value lengths (value -1 = none). */
    public static int itemLength(final int keyLength, final int valueLength)
    {
        return ITEM_HEADER_LENGTH + keyLength + Math.max(valueLength, 0);
    }

    /**
     * Writes an item's header at {@code index}; the caller copies the key (and value) after it.
     *
     * @return the index of the key bytes.
     */
    public static int writeItemHeader(final MutableDirectBuffer buffer, final int index, final long version,
        final long ttlA, final long ttlB, final int keyLength, final int valueLength)
    {
        buffer.putLong(index, version, ORDER);
        buffer.putLong(index + 8, ttlA, ORDER);
        buffer.putLong(index + 16, ttlB, ORDER);
        buffer.putInt(index + 24, keyLength, ORDER);
        buffer.putInt(index + 28, valueLength, ORDER);
        return index + ITEM_HEADER_LENGTH;
    }

    public static int opcode(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset) & 0xFF;
    }

    public static int flags(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
    }

    public static int count(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + COUNT_OFFSET, ORDER) & 0xFFFF;
    }

    public static int argument(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + ARGUMENT_OFFSET, ORDER);
    }

    public static long cacheId(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + CACHE_ID_OFFSET, ORDER);
    }

    /**
     * Reads items one after the other, checking each against the request's end. Reusable; not thread-safe.
     */
    public static final class ItemReader
    {
        private DirectBuffer buffer;
        private int next;
        private int end;
        private int item;
        private long version;
        private long ttlA;
        private long ttlB;
        private int keyOffset;
        private int keyLength;
        private int valueOffset;
        private int valueLength;
        private String error;

        /** Starts reading the items of a request whose header has been checked. */
        public ItemReader wrap(final DirectBuffer buffer, final int offset, final int length)
        {
            this.buffer = buffer;
            this.next = offset + HEADER_LENGTH;
            this.end = offset + length;
            this.item = -1;
            this.error = null;
            return this;
        }

        /**
         * Reads the next item.
         *
         * @return false if it is malformed: {@link #error()} says why.
         */
        public boolean next()
        {
            item++;
            if (end - next < ITEM_HEADER_LENGTH)
            {
                error = "item " + item + " is cut short: " + (end - next) + " bytes left of a " + ITEM_HEADER_LENGTH +
                    "-byte item header";
                return false;
            }
            version = buffer.getLong(next, ORDER);
            ttlA = buffer.getLong(next + 8, ORDER);
            ttlB = buffer.getLong(next + 16, ORDER);
            keyLength = buffer.getInt(next + 24, ORDER);
            valueLength = buffer.getInt(next + 28, ORDER);
            keyOffset = next + ITEM_HEADER_LENGTH;
            final long room = end - keyOffset;
            if (keyLength < 0 || valueLength < NO_VALUE || (long)keyLength + Math.max(valueLength, 0) > room)
            {
                error = "item " + item + " claims a key of " + keyLength + " and a value of " + valueLength +
                    " bytes, with " + room + " bytes left in the request";
                return false;
            }
            if (!CacheTtl.isValid(ttlA) || !CacheTtl.isValid(ttlB))
            {
                error = "item " + item + " has an invalid duration code " + (CacheTtl.isValid(ttlA) ? ttlB : ttlA);
                return false;
            }
            valueOffset = keyOffset + keyLength;
            next = valueOffset + Math.max(valueLength, 0);
            return true;
        }

        /** @return whether bytes are left after the last item read. */
        public boolean hasTrailingBytes()
        {
            return next != end;
        }

        public String error()
        {
            return error;
        }

        public long version()
        {
            return version;
        }

        public long ttlA()
        {
            return ttlA;
        }

        public long ttlB()
        {
            return ttlB;
        }

        public DirectBuffer buffer()
        {
            return buffer;
        }

        public int keyOffset()
        {
            return keyOffset;
        }

        public int keyLength()
        {
            return keyLength;
        }

        public int valueOffset()
        {
            return valueOffset;
        }

        /** @return the value's length, or {@link #NO_VALUE}. */
        public int valueLength()
        {
            return valueLength;
        }
    }
}
