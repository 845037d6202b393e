package io.rum.allocator;

import io.rum.allocator.placement.Handles;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A region of remote memory on one slave, used through a local mirror kept page by page.
 *
 * <h2>Pages</h2>
 * The region is cut into pages of {@link RumOptions#pageSizeBytes()}; the last one may be partial. Each page
 * is <i>absent</i> (not held locally), <i>clean</i> (held, same bytes as the slave) or <i>dirty</i> (held,
 * written since it was fetched). An access checks the state of its page, one array read: an absent page is
 * fetched from the slave (a READ, with the following pages too when the access continues a sequential run);
 * a write marks the page dirty. A write that covers a whole absent page does not fetch it. Dirty pages go back
 * to the slave on {@link Rum#flush()}, on {@link Rum#close()} (named segments) and when their frame is evicted
 * to make room: the local memory of all segments of one {@link Rum} is bounded by
 * {@link RumOptions#localBudgetBytes()}, so a program can use more remote memory than it holds.
 *
 * <h2>Values</h2>
 * Multi-byte values are little-endian and need no alignment; a value that straddles a page boundary is read
 * and written byte by byte across the two pages.
 *
 * <h2>Threads</h2>
 * Every method takes the lock of the segment's {@link Rum}: all segments of one {@code Rum} are accessed by
 * one thread at a time. Simple and correct; a program that wants parallel remote memory uses one {@code Rum}
 * per thread. Values written by one thread are seen by the next thread to take the lock. Other clients see
 * the bytes after a {@link Rum#flush()} of the writer and a fresh fetch by the reader: there is no coherence
 * between clients' local copies.
 */
public final class RumSegment
{
    static final byte ABSENT = 0;
    static final byte CLEAN = 1;
    static final byte DIRTY = 2;

    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Rum rum;
    private final PageCache cache;
    private final long handle;
    private final int slaveId;
    private final String name;
    private final int pageSize;
    private final int pageShift;
    private final int pageMask;

    // Guarded by rum.lock.
    long sizeBytes;
    byte[] state;
    int[] frame;
    int dirtyPages;
    int lastFaultPage = -2;
    boolean freed;

    RumSegment(final Rum rum, final PageCache cache, final long handle, final int slaveId, final String name,
        final long sizeBytes)
    {
        this.rum = rum;
        this.cache = cache;
        this.handle = handle;
        this.slaveId = slaveId;
        this.name = name;
        this.pageSize = cache.pageSizeBytes;
        this.pageShift = cache.pageShift;
        this.pageMask = pageSize - 1;
        this.sizeBytes = sizeBytes;
        final int pages = pagesFor(sizeBytes);
        state = new byte[pages];
        frame = new int[pages];
        Arrays.fill(frame, -1);
    }

    /** @return the region's handle: the slave's name for it. */
    public long handle()
    {
        return handle;
    }

    /** @return the node id of the slave that holds the region. */
    public int slaveId()
    {
        return slaveId;
    }

    /** @return the name of a named region, or null for an anonymous one. */
    public String name()
    {
        return name;
    }

    public boolean isNamed()
    {
        return null != name;
    }

    /** @return the size in bytes. */
    public long size()
    {
        rum.lock.lock();
        try
        {
            return sizeBytes;
        }
        finally
        {
            rum.lock.unlock();
        }
    }

    public byte getByte(final long offset)
    {
        rum.lock.lock();
        try
        {
            check(offset, 1);
            return byteAt(offset);
        }
        finally
        {
            rum.lock.unlock();
        }
    }

    public void putByte(final long offset, final byte value)
    {
        rum.lock.lock();
        try
        {
            check(offset, 1);
            putByteAt(offset, value);
        }
        finally
        {
            rum.lock.unlock();
        }
    }

    public int getInt(final long offset)
    {
        rum.lock.lock();
        try
        {
            check(offset, Integer.BYTES);
            final int inPage = (int)offset & pageMask;
            if (inPage <= pageSize - Integer.BYTES)
            {
                final int f = frameFor((int)(offset >>> pageShift), false, false);
                return cache.frames.get(INT_LE, cache.address(f) + inPage);
            }
            return (int)straddleRead(offset, Integer.BYTES);
        }
        finally
        {
            rum.lock.unlock();
        }
    }

    public void putInt(final long offset, final int value)
    {
        rum.lock.lock();
        try
        {
            check(offset, Integer.BYTES);
            final int inPage = (int)offset & pageMask;
            if (inPage <= pageSize - Integer.BYTES)
            {
                final int f = frameFor((int)(offset >>> pageShift), true, false);
                cache.frames.set(INT_LE, cache.address(f) + inPage, value);
            }
            else
            {
                straddleWrite(offset, Integer.BYTES, value);
            }
        }
        finally
        {
            rum.lock.unlock();
        }
    }

    public long getLong(final long offset)
    {
        rum.lock.lock();
        try
        {
            check(offset, Long.BYTES);
            final int inPage = (int)offset & pageMask;
            if (inPage <= pageSize - Long.BYTES)
            {
                final int f = frameFor((int)(offset >>> pageShift), false, false);
                return cache.frames.get(LONG_LE, cache.address(f) + inPage);
            }
            return straddleRead(offset, Long.BYTES);
        }
        finally
        {
            rum.lock.unlock();
        }
    }

    public void putLong(final long offset, final long value)
    {
        rum.lock.lock();
        try
        {
            check(offset, Long.BYTES);
            final int inPage = (int)offset & pageMask;
            if (inPage <= pageSize - Long.BYTES)
            {
                final int f = frameFor((int)(offset >>> pageShift), true, false);
                cache.frames.set(LONG_LE, cache.address(f) + inPage, value);
            }
            else
            {
                straddleWrite(offset, Long.BYTES, value);
            }
        }
        finally
        {
            rum.lock.unlock();
        }
    }

    /** Copies {@code length} bytes at {@code offset} of this segment into {@code dst[dstIndex..]}. */
    public void copyTo(final long offset, final byte[] dst, final int dstIndex, final int length)
    {
        Objects.checkFromIndexSize(dstIndex, length, dst.length);
        copyTo(offset, MemorySegment.ofArray(dst), dstIndex, length);
    }

    /** Copies {@code length} bytes at {@code offset} of this segment into {@code dst} at {@code dstOffset}. */
    public void copyTo(final long offset, final MemorySegment dst, final long dstOffset, final long length)
    {
        Objects.checkFromIndexSize(dstOffset, length, dst.byteSize());
        copyPages(offset, dst, dstOffset, length, false);
    }

    /** Copies {@code src[srcIndex..srcIndex + length)} into this segment at {@code offset}. */
    public void copyFrom(final long offset, final byte[] src, final int srcIndex, final int length)
    {
        Objects.checkFromIndexSize(srcIndex, length, src.length);
        copyFrom(offset, MemorySegment.ofArray(src), srcIndex, length);
    }

    /** Copies {@code length} bytes of {@code src} at {@code srcOffset} into this segment at {@code offset}. */
    public void copyFrom(final long offset, final MemorySegment src, final long srcOffset, final long length)
    {
        Objects.checkFromIndexSize(srcOffset, length, src.byteSize());
        copyPages(offset, src, srcOffset, length, true);
    }

    /**
     * Walks the pages of {@code [offset, offset + length)} and copies each piece between its frame and
     * {@code other}: into the segment (marking the page dirty; a page written whole is not fetched first) or
     * out of it.
     */
    private void copyPages(
        final long offset, final MemorySegment other, final long otherOffset, final long length, final boolean write)
    {
        rum.lock.lock();
        try
        {
            check(offset, length);
            long pos = offset;
            long done = 0;
            while (done < length)
            {
                final int inPage = (int)pos & pageMask;
                final int n = (int)Math.min(pageSize - inPage, length - done);
                if (write)
                {
                    final boolean wholePage = inPage == 0 && (n == pageSize || pos + n == sizeBytes);
                    final int f = frameFor((int)(pos >>> pageShift), true, wholePage);
                    MemorySegment.copy(other, otherOffset + done, cache.frames, cache.address(f) + inPage, n);
                }
                else
                {
                    final int f = frameFor((int)(pos >>> pageShift), false, false);
                    MemorySegment.copy(cache.frames, cache.address(f) + inPage, other, otherOffset + done, n);
                }
                pos += n;
                done += n;
            }
        }
        finally
        {
            rum.lock.unlock();
        }
    }

    /** Writes this segment's dirty pages back to its slave. */
    public void flush()
    {
        rum.flush(this);
    }

    @Override
    public String toString()
    {
        return "RumSegment[" + (null == name ? "" : "name=" + name + ", ") + "handle=" + Handles.toString(handle)
            + ", slave=" + slaveId + ", size=" + sizeBytes + (freed ? ", freed" : "") + "]";
    }

    // ---- Under rum.lock ---------------------------------------------------------------------------------

    int pageCount()
    {
        return state.length;
    }

    int pagesFor(final long bytes)
    {
        return (int)((bytes + pageSize - 1) >>> pageShift);
    }

    /** @return the valid bytes of a page: a full page, or less for the last one. */
    int pageBytes(final int page)
    {
        return (int)Math.min(pageSize, sizeBytes - ((long)page << pageShift));
    }

    void setState(final int page, final byte newState)
    {
        final byte old = state[page];
        if (old == DIRTY && newState != DIRTY)
        {
            dirtyPages--;
        }
        else if (old != DIRTY && newState == DIRTY)
        {
            dirtyPages++;
        }
        state[page] = newState;
    }

    /** Drops every page of {@code fromPage} and after from the local cache, dirty or not. */
    void dropPages(final int fromPage)
    {
        for (int p = fromPage; p < state.length; p++)
        {
            if (state[p] != ABSENT)
            {
                cache.release(frame[p]);
                frame[p] = -1;
                setState(p, ABSENT);
            }
        }
    }

    /** Changes the size after the slave did; see {@link Rum#realloc}. */
    void resize(final long newSize)
    {
        final int oldPages = state.length;
        final int newPages = pagesFor(newSize);
        if (newSize < sizeBytes)
        {
            dropPages(newPages);
        }
        else if (newSize > sizeBytes && (sizeBytes & pageMask) != 0 && state[oldPages - 1] != ABSENT)
        {
            // The slave zero-filled the growth; the old last page's frame holds stale bytes past the old end.
            final int tail = (int)(sizeBytes & pageMask);
            cache.frames.asSlice(cache.address(frame[oldPages - 1]) + tail, pageSize - tail).fill((byte)0);
        }
        state = Arrays.copyOf(state, newPages);
        frame = Arrays.copyOf(frame, newPages);
        for (int p = oldPages; p < newPages; p++)
        {
            frame[p] = -1;
        }
        sizeBytes = newSize;
    }

    private void check(final long offset, final long length)
    {
        rum.checkOpen();
        if (freed)
        {
            throw new IllegalStateException(this + " was freed");
        }
        if (offset < 0 || length < 0 || offset > sizeBytes - length)
        {
            throw new IndexOutOfBoundsException(
                "offset " + offset + " + length " + length + " outside segment of " + sizeBytes + " bytes");
        }
    }

    private int frameFor(final int page, final boolean write, final boolean wholePage)
    {
        final int f;
        if (state[page] == ABSENT)
        {
            f = rum.fault(this, page, wholePage);
        }
        else
        {
            f = frame[page];
            cache.referenced[f] = true;
        }
        if (write && state[page] != DIRTY)
        {
            setState(page, DIRTY);
        }
        return f;
    }

    private byte byteAt(final long offset)
    {
        final int f = frameFor((int)(offset >>> pageShift), false, false);
        return cache.frames.get(ValueLayout.JAVA_BYTE, cache.address(f) + ((int)offset & pageMask));
    }

    private void putByteAt(final long offset, final byte value)
    {
        final int f = frameFor((int)(offset >>> pageShift), true, false);
        cache.frames.set(ValueLayout.JAVA_BYTE, cache.address(f) + ((int)offset & pageMask), value);
    }

    /** One byte at a time: the second page's fault may evict the first page's frame. */
    private long straddleRead(final long offset, final int bytes)
    {
        long value = 0;
        for (int i = 0; i < bytes; i++)
        {
            value |= (byteAt(offset + i) & 0xFFL) << (Byte.SIZE * i);
        }
        return value;
    }

    private void straddleWrite(final long offset, final int bytes, final long value)
    {
        for (int i = 0; i < bytes; i++)
        {
            putByteAt(offset + i, (byte)(value >>> (Byte.SIZE * i)));
        }
    }
}
