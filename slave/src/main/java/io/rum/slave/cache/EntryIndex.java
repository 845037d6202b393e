package io.rum.slave.cache;

import java.util.Arrays;

/**
 * The key index of one cache on one slave: an open-addressing hash table from a key's 64-bit hash to the
 * address of its entry record, in two primitive arrays, so the heap holds no object per entry.
 *
 * <p>Linear probing; several keys may share a hash (the caller compares the key bytes of each candidate, see
 * {@link #slotOf} and {@link #nextCandidate}). Deletion shifts the following run back (Knuth's algorithm R), so
 * there are no tombstones and probe runs stay short. Kept at most half full; grows by doubling.
 *
 * <p>Not thread-safe: one slave thread owns it.
 */
final class EntryIndex
{
    static final long EMPTY = -1;
    private static final int MAX_CAPACITY = 1 << 30;

    private long[] hashes;
    private long[] addresses;
    private int mask;
    private int size;

    EntryIndex(final int initialCapacity)
    {
        final int capacity = Math.max(16, Integer.highestOneBit(Math.max(1, initialCapacity - 1)) << 1);
        allocate(capacity);
    }

    private void allocate(final int capacity)
    {
        hashes = new long[capacity];
        addresses = new long[capacity];
        Arrays.fill(addresses, EMPTY);
        mask = capacity - 1;
    }

    int size()
    {
        return size;
    }

    int capacity()
    {
        return addresses.length;
    }

    /** @return the first slot that may hold {@code hash}: the start of its probe. */
    int slotOf(final long hash)
    {
        return home(hash);
    }

    /**
     * @return the next slot at or after {@code slot} holding {@code hash}, or -1 at the end of the probe run.
     */
    int nextCandidate(final long hash, final int slot)
    {
        int s = slot & mask;
        while (addresses[s] != EMPTY)
        {
            if (hashes[s] == hash)
            {
                return s;
            }
            s = (s + 1) & mask;
        }
        return -1;
    }

    /** @return the slot after {@code slot}, to continue a probe past a candidate that did not match. */
    int after(final int slot)
    {
        return (slot + 1) & mask;
    }

    long addressAt(final int slot)
    {
        return addresses[slot];
    }

    long hashAt(final int slot)
    {
        return hashes[slot];
    }

    void setAddress(final int slot, final long address)
    {
        addresses[slot] = address;
    }

    /**
     * Adds a mapping for a key known to be absent.
     *
     * @throws IllegalStateException if the table cannot grow further.
     */
    void insert(final long hash, final long address)
    {
        if (size + 1 > addresses.length >> 1)
        {
            grow();
        }
        int s = home(hash);
        while (addresses[s] != EMPTY)
        {
            s = (s + 1) & mask;
        }
        hashes[s] = hash;
        addresses[s] = address;
        size++;
    }

    /** Removes the mapping in {@code slot}, shifting later entries of its run back into place. */
    void removeAt(final int slot)
    {
        int hole = slot;
        int s = (slot + 1) & mask;
        while (addresses[s] != EMPTY)
        {
            final int home = home(hashes[s]);
            // Move s into the hole unless its home lies cyclically in (hole, s]: then it must stay after its home.
            final boolean stays = hole <= s ? (hole < home && home <= s) : (hole < home || home <= s);
            if (!stays)
            {
                hashes[hole] = hashes[s];
                addresses[hole] = addresses[s];
                hole = s;
            }
            s = (s + 1) & mask;
        }
        addresses[hole] = EMPTY;
        size--;
    }

    /** Forgets every mapping (the caller frees the records) and shrinks back to the initial size. */
    void clear()
    {
        allocate(16);
        size = 0;
    }

    private void grow()
    {
        if (addresses.length >= MAX_CAPACITY)
        {
            throw new IllegalStateException("cache index full: " + size + " entries");
        }
        final long[] oldHashes = hashes;
        final long[] oldAddresses = addresses;
        allocate(oldAddresses.length << 1);
        for (int i = 0; i < oldAddresses.length; i++)
        {
            if (oldAddresses[i] != EMPTY)
            {
                int s = home(oldHashes[i]);
                while (addresses[s] != EMPTY)
                {
                    s = (s + 1) & mask;
                }
                hashes[s] = oldHashes[i];
                addresses[s] = oldAddresses[i];
            }
        }
    }

    private int home(final long hash)
    {
        // The top bits choose the partition; the low bits, well mixed by KeyHash, choose the slot.
        return (int)hash & mask;
    }
}
