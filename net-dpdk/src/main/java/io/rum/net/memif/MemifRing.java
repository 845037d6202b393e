package io.rum.net.memif;

import org.agrona.concurrent.UnsafeBuffer;

import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A memif ring in shared memory: a header on two cache lines of its own, then {@code 1 << log2Size} descriptors.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------------------------------------------------------+
 * |                       cookie 0x03E31F20                       |   0
 * +-------------------------------+-------------------------------+
 * |        flags (MASK_INT)       |              head             |   4
 * +-------------------------------+-------------------------------+
 * |                      ... to 64 (cache line)                   |
 * +-------------------------------+-------------------------------+
 * |              tail             |                               |  64
 * +-------------------------------+-------------------------------+
 * |                      ... to 128 (cache line)                  |
 * +-------------------------------+-------------------------------+
 * | descriptor 0: flags (NEXT)    |            region             | 128
 * +-------------------------------+-------------------------------+
 * |                 length (bytes in the buffer)                  | 132
 * +---------------------------------------------------------------+
 * |                 offset of the buffer in region                | 136
 * +---------------------------------------------------------------+
 * |                           metadata                            | 140
 * +---------------------------------------------------------------+
 * | descriptor 1 ...                                              | 144
 * </pre>
 *
 * All little-endian. {@code head} and {@code tail} are free-running 16-bit counters; a slot is
 * {@code counter & (size - 1)}.
 *
 * <ul>
 * <li>Client to server: the client produces (fills the slots from head, then publishes head); the server
 * consumes up to head and publishes tail as it is done with the slots.</li>
 * <li>Server to client: the client hands the server empty buffers (publishes head); the server fills slots
 * from tail and publishes tail; the client consumes up to tail, then hands those buffers back.</li>
 * </ul>
 *
 * A counter is published with a release store after the descriptors and buffers it covers are written, and read
 * with an acquire load before they are read: the same pairing DPDK's memif uses.
 */
public final class MemifRing
{
    public static final int COOKIE = 0x03E3_1F20;
    public static final int FLAG_MASK_INT = 1;
    public static final int DESC_FLAG_NEXT = 1;
    public static final int HEADER_LENGTH = 128;
    public static final int DESCRIPTOR_LENGTH = 16;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final int COOKIE_OFFSET = 0;
    private static final int FLAGS_OFFSET = 4;
    private static final int HEAD_OFFSET = 6;
    private static final int TAIL_OFFSET = 64;
    private static final int DESC_FLAGS = 0;
    private static final int DESC_REGION = 2;
    private static final int DESC_LENGTH = 4;
    private static final int DESC_OFFSET = 8;

    private final UnsafeBuffer memory;
    private final int base;
    private final int size;
    private final int mask;

    /**
     * @param memory the mapped region the ring lies in.
     * @param base   where the ring starts in it.
     */
    public MemifRing(final UnsafeBuffer memory, final int base, final int log2Size)
    {
        this.memory = memory;
        this.base = base;
        this.size = 1 << log2Size;
        this.mask = size - 1;
        memory.boundsCheck(base, bytes(log2Size));
    }

    /** @return the bytes a ring of {@code 1 << log2Size} descriptors takes. */
    public static int bytes(final int log2Size)
    {
        return HEADER_LENGTH + (DESCRIPTOR_LENGTH << log2Size);
    }

    public int size()
    {
        return size;
    }

    public int cookie()
    {
        return memory.getInt(base + COOKIE_OFFSET, ORDER);
    }

    public void cookie(final int cookie)
    {
        memory.putInt(base + COOKIE_OFFSET, cookie, ORDER);
    }

    public int flags()
    {
        return memory.getShort(base + FLAGS_OFFSET, ORDER) & 0xFFFF;
    }

    public void flags(final int flags)
    {
        memory.putShort(base + FLAGS_OFFSET, (short)flags, ORDER);
    }

    /** @return head, with acquire: what the other side wrote before publishing it is visible. */
    public int headAcquire()
    {
        final int head = memory.getShort(base + HEAD_OFFSET, ORDER) & 0xFFFF;
        VarHandle.acquireFence();
        return head;
    }

    /** Publishes head, with release: what this side wrote before is visible to whoever reads this head. */
    public void headRelease(final int head)
    {
        VarHandle.releaseFence();
        memory.putShort(base + HEAD_OFFSET, (short)head, ORDER);
    }

    public int tailAcquire()
    {
        final int tail = memory.getShort(base + TAIL_OFFSET, ORDER) & 0xFFFF;
        VarHandle.acquireFence();
        return tail;
    }

    public void tailRelease(final int tail)
    {
        VarHandle.releaseFence();
        memory.putShort(base + TAIL_OFFSET, (short)tail, ORDER);
    }

    /** Plain reset of both counters, for a ring nobody else uses yet (set up, or reset at connect). */
    public void resetCounters()
    {
        memory.putShort(base + HEAD_OFFSET, (short)0, ORDER);
        memory.putShort(base + TAIL_OFFSET, (short)0, ORDER);
    }

    private int descriptor(final int counter)
    {
        return base + HEADER_LENGTH + (counter & mask) * DESCRIPTOR_LENGTH;
    }

    public int descFlags(final int counter)
    {
        return memory.getShort(descriptor(counter) + DESC_FLAGS, ORDER) & 0xFFFF;
    }

    public int descRegion(final int counter)
    {
        return memory.getShort(descriptor(counter) + DESC_REGION, ORDER) & 0xFFFF;
    }

    /** @return the length as an unsigned value, so a hostile peer's huge length stays positive and fails checks. */
    public long descLength(final int counter)
    {
        return memory.getInt(descriptor(counter) + DESC_LENGTH, ORDER) & 0xFFFF_FFFFL;
    }

    public long descOffset(final int counter)
    {
        return memory.getInt(descriptor(counter) + DESC_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public void descFlags(final int counter, final int flags)
    {
        memory.putShort(descriptor(counter) + DESC_FLAGS, (short)flags, ORDER);
    }

    public void descLength(final int counter, final int length)
    {
        memory.putInt(descriptor(counter) + DESC_LENGTH, length, ORDER);
    }

    /** Points a descriptor at a buffer, as the client does for every slot when it sets a ring up. */
    public void descBuffer(final int counter, final int region, final int offset, final int length)
    {
        final int at = descriptor(counter);
        memory.putShort(at + DESC_FLAGS, (short)0, ORDER);
        memory.putShort(at + DESC_REGION, (short)region, ORDER);
        memory.putInt(at + DESC_LENGTH, length, ORDER);
        memory.putInt(at + DESC_OFFSET, offset, ORDER);
        memory.putInt(at + 12, 0, ORDER);
    }
}
