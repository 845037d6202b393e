package io.rum.slave.cache;

import io.rum.allocator.Buffers;
import io.rum.allocator.offheap.SizeClassAllocator;
import io.rum.allocator.placement.KeyHash;
import io.rum.allocator.placement.PartitionTable;
import io.rum.allocator.protocol.cache.CacheTtl;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.BitSet;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2LongHashMap;

/**
 * The entries of one cache on one slave. Each entry is one record in the slave's off-heap memory, allocated from
 * its {@link SizeClassAllocator}; the heap holds only the {@link EntryIndex} (two primitive arrays), a list head
 * and a change counter per non-empty partition, and a bitmap of non-empty partitions.
 *
 * <pre>
 *  Entry record                                                    byte
 * +---------------------------------------------------------------+
 * |     Next (64): next record of the same partition, -1 none   ...|  0
 * +---------------------------------------------------------------+
 * |     Previous (64): previous record of the partition, -1     ...|  8
 * +---------------------------------------------------------------+
 * |     Version (64)                                            ...| 16
 * +---------------------------------------------------------------+
 * |     Deadline (64): expiry on the slave clock, ms; MAX never ...| 24
 * +---------------------------------------------------------------+
 * |     Key Hash (64)                                           ...| 32
 * +---------------------------------------------------------------+
 * |     Partition (32)            |     Key Length (32)           | 40
 * +---------------------------------------------------------------+
 * |     Value Length (32)         |     Reserved (32)             | 48
 * +---------------------------------------------------------------+
 * |     Key bytes, then value bytes                             ...| 56
 * </pre>
 *
 * <p>Why partition lists: a scan answers whole partitions, in partition order, so a key present for the whole
 * scan is returned exactly once however the entries around it change; and the owner of a partition can drop or
 * hand over a partition's entries without walking the index.
 *
 * <p>Not thread-safe: the slave's duty cycle owns it.
 */
final class EntryTable
{
    static final long NONE = -1;
    static final int RECORD_HEADER = 56;
    private static final int NEXT = 0;
    private static final int PREV = 8;
    private static final int VERSION = 16;
    private static final int DEADLINE = 24;
    private static final int HASH = 32;
    private static final int PARTITION = 40;
    private static final int KEY_LENGTH = 44;
    private static final int VALUE_LENGTH = 48;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final java.nio.ByteOrder NATIVE = java.nio.ByteOrder.nativeOrder();
    private static final int PARTITION_SHIFT = Long.SIZE - Integer.numberOfTrailingZeros(
        PartitionTable.DEFAULT_PARTITION_COUNT);

    private final long cacheId;
    private final SizeClassAllocator allocator;
    private final EntryIndex index = new EntryIndex(16);
    private final Long2LongHashMap heads = new Long2LongHashMap(NONE);
    private final Long2LongHashMap sequences = new Long2LongHashMap(0);
    private final BitSet nonEmpty = new BitSet(PartitionTable.DEFAULT_PARTITION_COUNT);
    private long bytes;
    private int sweepCursor;

    EntryTable(final long cacheId, final SizeClassAllocator allocator)
    {
        this.cacheId = cacheId;
        this.allocator = allocator;
    }

    long cacheId()
    {
        return cacheId;
    }

    /** @return entries held, expired ones not yet removed included. */
    int size()
    {
        return index.size();
    }

    /** @return the index's slot count (what a full sweep looks at). */
    int indexCapacity()
    {
        return index.capacity();
    }

    /** @return bytes of key and value held. */
    long bytes()
    {
        return bytes;
    }

    static long hash(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] array = buffer.byteArray();
        if (null != array)
        {
            return KeyHash.hash(array, buffer.wrapAdjustment() + offset, length);
        }
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        return KeyHash.hash(copy);
    }

    static int partitionOf(final long hash)
    {
        return (int)(hash >>> PARTITION_SHIFT);
    }

    /** The index slot of the last {@link #find} that succeeded. */
    private int foundSlot = -1;

    /** @return the record of the key, or {@link #NONE}. */
    long find(final long hash, final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        int slot = index.nextCandidate(hash, index.slotOf(hash));
        while (slot >= 0)
        {
            final long record = index.addressAt(slot);
            if (keyEquals(record, key, keyOffset, keyLength))
            {
                foundSlot = slot;
                return record;
            }
            slot = index.nextCandidate(hash, index.after(slot));
        }
        return NONE;
    }

    private boolean keyEquals(final long record, final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        if (header(record).get(INT, KEY_LENGTH) != keyLength)
        {
            return false;
        }
        final MemorySegment r = allocator.segment(record, RECORD_HEADER + (long)keyLength);
        int i = 0;
        for (; i + 8 <= keyLength; i += 8)
        {
            if (r.get(LONG, RECORD_HEADER + i) != key.getLong(keyOffset + i, NATIVE))
            {
                return false;
            }
        }
        for (; i < keyLength; i++)
        {
            if (r.get(ValueLayout.JAVA_BYTE, RECORD_HEADER + i) != key.getByte(keyOffset + i))
            {
                return false;
            }
        }
        return true;
    }

    private MemorySegment header(final long record)
    {
        return allocator.segment(record, RECORD_HEADER);
    }

    long version(final long record)
    {
        return header(record).get(LONG, VERSION);
    }

    long deadline(final long record)
    {
        return header(record).get(LONG, DEADLINE);
    }

    void deadline(final long record, final long deadlineMs)
    {
        header(record).set(LONG, DEADLINE, deadlineMs);
    }

    int partition(final long record)
    {
        return header(record).get(INT, PARTITION);
    }

    int keyLength(final long record)
    {
        return header(record).get(INT, KEY_LENGTH);
    }

    int valueLength(final long record)
    {
        return header(record).get(INT, VALUE_LENGTH);
    }

    /** Copies the record's value into {@code dst} at {@code index}. */
    void copyValue(final long record, final MutableDirectBuffer dst, final int index)
    {
        final MemorySegment h = header(record);
        final int keyLength = h.get(INT, KEY_LENGTH);
        final int valueLength = h.get(INT, VALUE_LENGTH);
        Buffers.copy(allocator.segment(record, RECORD_HEADER + keyLength, valueLength), 0, dst, index, valueLength);
    }

    /** Copies the record's key into {@code dst} at {@code index}. */
    void copyKey(final long record, final MutableDirectBuffer dst, final int index)
    {
        final int keyLength = keyLength(record);
        Buffers.copy(allocator.segment(record, RECORD_HEADER, keyLength), 0, dst, index, keyLength);
    }

    /**
     * Stores a new record for a key: replaces {@code existing} (the record {@link #find} returned) or adds the
     * key if {@code existing} is {@link #NONE}. Nothing changes if memory runs out.
     *
     * @return the new record, or {@link SizeClassAllocator#OUT_OF_MEMORY}.
     */
    long store(final long existing, final long hash, final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer value, final int valueOffset, final int valueLength, final long version, final long deadline)
    {
        final long record = allocator.allocate(RECORD_HEADER + (long)keyLength + valueLength);
        if (record == SizeClassAllocator.OUT_OF_MEMORY)
        {
            return record;
        }
        final int partition = partitionOf(hash);
        final MemorySegment r = allocator.segment(record, RECORD_HEADER + (long)keyLength + valueLength);
        r.set(LONG, VERSION, version);
        r.set(LONG, DEADLINE, deadline);
        r.set(LONG, HASH, hash);
        r.set(INT, PARTITION, partition);
        r.set(INT, KEY_LENGTH, keyLength);
        r.set(INT, VALUE_LENGTH, valueLength);
        r.set(INT, VALUE_LENGTH + 4, 0);
        Buffers.copy(key, keyOffset, r, RECORD_HEADER, keyLength);
        Buffers.copy(value, valueOffset, r, RECORD_HEADER + (long)keyLength, valueLength);
        if (existing == NONE)
        {
            index.insert(hash, record);
        }
        else
        {
            index.setAddress(foundSlot, record);
            unlink(existing);
            freeRecord(existing);
        }
        link(record, partition);
        bytes += keyLength + valueLength;
        return record;
    }

    /** Removes the record {@link #find} returned last. */
    void remove(final long record)
    {
        index.removeAt(foundSlot);
        unlink(record);
        freeRecord(record);
    }

    /** @return the partition's change counter after one more change. */
    long bump(final int partition)
    {
        final long next = sequences.get(partition) + 1;
        sequences.put(partition, next);
        return next;
    }

    long sequence(final int partition)
    {
        return sequences.get(partition);
    }

    private void link(final long record, final int partition)
    {
        final long head = heads.get(partition);
        final MemorySegment r = header(record);
        r.set(LONG, NEXT, head);
        r.set(LONG, PREV, NONE);
        if (head != NONE)
        {
            header(head).set(LONG, PREV, record);
        }
        else
        {
            nonEmpty.set(partition);
        }
        heads.put(partition, record);
    }

    private void unlink(final long record)
    {
        final MemorySegment r = header(record);
        final long next = r.get(LONG, NEXT);
        final long prev = r.get(LONG, PREV);
        final int partition = r.get(INT, PARTITION);
        if (next != NONE)
        {
            header(next).set(LONG, PREV, prev);
        }
        if (prev != NONE)
        {
            header(prev).set(LONG, NEXT, next);
        }
        else if (next != NONE)
        {
            heads.put(partition, next);
        }
        else
        {
            heads.remove(partition);
            nonEmpty.clear(partition);
        }
    }

    private void freeRecord(final long record)
    {
        final MemorySegment h = header(record);
        bytes -= h.get(INT, KEY_LENGTH) + h.get(INT, VALUE_LENGTH);
        allocator.free(record);
    }

    /** @return the first non-empty partition at or after {@code from}, or -1. */
    int nextPartition(final int from)
    {
        return from >= PartitionTable.DEFAULT_PARTITION_COUNT ? -1 : nonEmpty.nextSetBit(from);
    }

    /** @return the first record of a partition, or {@link #NONE}. */
    long head(final int partition)
    {
        return heads.get(partition);
    }

    /** @return the record after {@code record} in its partition, or {@link #NONE}. */
    long next(final long record)
    {
        return header(record).get(LONG, NEXT);
    }

    /**
     * Looks at up to {@code slots} index slots from where the last sweep stopped and removes the expired records
     * found, telling {@code removed} about each before it goes.
     */
    void sweep(final int slots, final long nowMs, final ExpiredSink removed)
    {
        for (int i = 0; i < slots && index.size() > 0; i++)
        {
            final int slot = sweepCursor & (index.capacity() - 1);
            final long record = index.addressAt(slot);
            if (record != EntryIndex.EMPTY && CacheTtl.isExpired(deadline(record), nowMs))
            {
                removed.onExpired(this, record);
                foundSlot = slot;
                remove(record);
                // The shift may have moved an unvisited entry into this slot: look at it again.
                continue;
            }
            sweepCursor = slot + 1;
        }
    }

    /** Frees every record. */
    void clear()
    {
        for (int p = nonEmpty.nextSetBit(0); p >= 0; p = nonEmpty.nextSetBit(p + 1))
        {
            long record = heads.get(p);
            while (record != NONE)
            {
                final long next = next(record);
                allocator.free(record);
                record = next;
            }
        }
        index.clear();
        heads.clear();
        nonEmpty.clear();
        bytes = 0;
    }

    /** Told about each record the sweep removes, before it is freed. */
    @FunctionalInterface
    interface ExpiredSink
    {
        void onExpired(EntryTable table, long record);
    }
}
