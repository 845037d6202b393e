package io.rum.allocator.protocol.cache;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A message of a slave's invalidation stream to a subscribed client: a key of a cache changed (or expired, or was
 * removed), or every entry of a cache must be forgotten (RESET: cleared, destroyed, or messages were dropped).
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |     Type (32): 1 = key changed, 2 = reset the cache           |  0
 * +---------------------------------------------------------------+
 * |                      Partition (32)                           |  4
 * +---------------------------------------------------------------+
 * |                      Cache Id (64)                          ...|  8
 * +---------------------------------------------------------------+
 * |     Sequence (64): the partition's change count after it    ...| 16
 * +---------------------------------------------------------------+
 * |                      Key Length (32)                          | 24
 * +---------------------------------------------------------------+
 * |                      Reserved (32)                            | 28
 * +---------------------------------------------------------------+
 * |                      Key bytes                              ...| 32
 * </pre>
 *
 * Sequences count the changes of one partition of one cache on its owning slave, from 1; a client that sees a
 * sequence skip knows it missed a change and forgets the partition's entries.
 */
public final class Invalidation
{
    public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    public static final int HEADER_LENGTH = 32;
    public static final int KEY_CHANGED = 1;
    public static final int RESET = 2;

    private Invalidation()
    {
    }

    /** Writes the header; the caller copies the key after it. */
    public static void write(final MutableDirectBuffer buffer, final int type, final int partition, final long cacheId,
        final long sequence, final int keyLength)
    {
        buffer.putInt(0, type, ORDER);
        buffer.putInt(4, partition, ORDER);
        buffer.putLong(8, cacheId, ORDER);
        buffer.putLong(16, sequence, ORDER);
        buffer.putInt(24, keyLength, ORDER);
        buffer.putInt(28, 0, ORDER);
    }

    public static int type(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset, ORDER);
    }

    public static int partition(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + 4, ORDER);
    }

    public static long cacheId(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + 8, ORDER);
    }

    public static long sequence(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + 16, ORDER);
    }

    public static int keyLength(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + 24, ORDER);
    }
}
