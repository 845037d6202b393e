package io.rum.slave.cache;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link EntryIndex} against a {@link HashMap} model (address to hash; addresses are unique, hashes are not):
 * seeded random inserts, finds and removes, with hashes drawn mostly from a small set (many equal hashes) and from
 * values that share low bits (the same home slot, different hashes, runs that wrap around the end of the array),
 * growing through many doublings and shrinking back. Removal shifts later entries back; no entry may get lost or
 * become unreachable from its home slot.
 */
class EntryIndexTest
{
    private static final long[] SMALL_SET = {0L, 1L, 15L, 16L, -1L, 0x7FFF_FFFF_FFFF_FFFFL, 0x8000_0000_0000_000FL,
        0x1234_5678_0000_0003L};

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1L, 2L, 3L, 42L, 0x5EEDL, 20251117L, -7L, 99991L})
    void randomOperationsAgreeWithAHashMap(final long seed)
    {
        final Random random = new Random(seed);
        final EntryIndex index = new EntryIndex(16);
        final Map<Long, Long> model = new HashMap<>();
        final List<Long> live = new ArrayList<>();
        long nextAddress = 1;
        int maxCapacity = index.capacity();
        final int steps = 40_000;
        for (int step = 0; step < steps; step++)
        {
            // Grow for the first half (past several doublings), then mostly shrink.
            final boolean growing = step < steps / 2;
            final int insertPercent = growing ? 65 : 20;
            final int removePercent = growing ? 25 : 45;
            final int roll = random.nextInt(100);
            if (roll < insertPercent || live.isEmpty())
            {
                final long hash = drawHash(random);
                final long address = nextAddress;
                nextAddress += 1 + random.nextInt(3);
                index.insert(hash, address);
                model.put(address, hash);
                live.add(address);
            }
            else if (roll < insertPercent + removePercent)
            {
                final int at = random.nextInt(live.size());
                final long address = live.get(at);
                final int slot = slotOf(index, model.get(address), address, seed, step);
                index.removeAt(slot);
                model.remove(address);
                live.set(at, live.get(live.size() - 1));
                live.remove(live.size() - 1);
            }
            else
            {
                // find: the candidates of a hash are exactly the model's addresses with that hash.
                final long hash = random.nextBoolean() ? drawHash(random) : model.getOrDefault(
                    live.get(random.nextInt(live.size())), 0L);
                assertEquals(expected(model, hash), candidates(index, hash), "seed " + seed + " step " + step +
                    ": candidates of hash " + Long.toHexString(hash));
            }
            assertEquals(model.size(), index.size(), "seed " + seed + " step " + step + ": size");
            maxCapacity = Math.max(maxCapacity, index.capacity());
            if (step % 997 == 0)
            {
                checkEverything(index, model, "seed " + seed + " step " + step);
            }
        }
        checkEverything(index, model, "seed " + seed + " at the end");
        assertTrue(maxCapacity >= 16 * 16 * 16, "seed " + seed + ": the index should have grown through several " +
            "doublings, reached only " + maxCapacity);
        // Drain completely: every remaining entry must still be found and removable.
        final Random drain = new Random(seed ^ 0xD7A1L);
        while (!live.isEmpty())
        {
            final int at = drain.nextInt(live.size());
            final long address = live.get(at);
            index.removeAt(slotOf(index, model.get(address), address, seed, -1));
            model.remove(address);
            live.set(at, live.get(live.size() - 1));
            live.remove(live.size() - 1);
            if (live.size() % 501 == 0)
            {
                checkEverything(index, model, "seed " + seed + " draining, " + live.size() + " left");
            }
        }
        assertEquals(0, index.size());
        for (int s = 0; s < index.capacity(); s++)
        {
            assertEquals(EntryIndex.EMPTY, index.addressAt(s), "seed " + seed + ": slot " + s + " after draining");
        }
    }

    @Test
    void everyEntryOfOneHashSurvivesRemovalsFromTheMiddleOfItsRun()
    {
        // One hash, whose home is the last slot: the run wraps around the end of the array.
        final EntryIndex index = new EntryIndex(16);
        final long hash = 15L;
        final Map<Long, Long> model = new HashMap<>();
        for (long a = 100; a < 107; a++)
        {
            index.insert(hash, a);
            model.put(a, hash);
        }
        // Other hashes whose homes are inside the wrapped run.
        for (long a = 200; a < 203; a++)
        {
            index.insert(0L, a);
            model.put(a, 0L);
        }
        checkEverything(index, model, "before removals");
        for (final long a : new long[] {103, 100, 201, 106, 104})
        {
            index.removeAt(slotOf(index, model.get(a), a, 0, (int)a));
            model.remove(a);
            checkEverything(index, model, "after removing " + a);
        }
    }

    @Test
    void clearForgetsEverythingAndShrinks()
    {
        final EntryIndex index = new EntryIndex(16);
        for (long a = 0; a < 1000; a++)
        {
            index.insert(a * 31, a);
        }
        assertTrue(index.capacity() >= 2048);
        index.clear();
        assertEquals(0, index.size());
        assertEquals(16, index.capacity());
        assertEquals(-1, index.nextCandidate(31, index.slotOf(31)));
        index.insert(31, 5);
        assertEquals(List.of(5L), candidates(index, 31));
    }

    private static long drawHash(final Random random)
    {
        final int kind = random.nextInt(10);
        if (kind < 5)
        {
            return SMALL_SET[random.nextInt(SMALL_SET.length)];
        }
        if (kind < 8)
        {
            // Same low bits (same home slot while the index is small), different hashes.
            return ((long)random.nextInt(64) << 40) | (random.nextBoolean() ? 0xFFFFL : 0x7L);
        }
        return random.nextLong();
    }

    /** @return the slot holding {@code address}, found the way EntryTable finds it: candidates of its hash. */
    private static int slotOf(final EntryIndex index, final long hash, final long address, final long seed,
        final int step)
    {
        int slot = index.nextCandidate(hash, index.slotOf(hash));
        int guard = 0;
        while (slot >= 0)
        {
            if (index.addressAt(slot) == address)
            {
                return slot;
            }
            slot = index.nextCandidate(hash, index.after(slot));
            if (++guard > index.capacity())
            {
                fail("seed " + seed + " step " + step + ": probe of hash " + Long.toHexString(hash) + " never ends");
            }
        }
        fail("seed " + seed + " step " + step + ": address " + address + " (hash " + Long.toHexString(hash) +
            ") is lost: not reachable from its home slot");
        return -1;
    }

    private static List<Long> candidates(final EntryIndex index, final long hash)
    {
        final List<Long> found = new ArrayList<>();
        int slot = index.nextCandidate(hash, index.slotOf(hash));
        int guard = 0;
        while (slot >= 0)
        {
            assertEquals(hash, index.hashAt(slot));
            found.add(index.addressAt(slot));
            slot = index.nextCandidate(hash, index.after(slot));
            if (++guard > index.capacity())
            {
                fail("probe of hash " + Long.toHexString(hash) + " never ends");
            }
        }
        found.sort(null);
        return found;
    }

    private static List<Long> expected(final Map<Long, Long> model, final long hash)
    {
        final List<Long> addresses = new ArrayList<>();
        for (final Map.Entry<Long, Long> e : model.entrySet())
        {
            if (e.getValue() == hash)
            {
                addresses.add(e.getKey());
            }
        }
        addresses.sort(null);
        return addresses;
    }

    /**
     * Every slot agrees with the model, at most half the slots are used, and every entry is reachable from its
     * home slot: no empty slot between its home and its slot.
     */
    private static void checkEverything(final EntryIndex index, final Map<Long, Long> model, final String where)
    {
        final int capacity = index.capacity();
        assertEquals(0, capacity & (capacity - 1), where + ": capacity " + capacity + " not a power of two");
        assertTrue(index.size() <= capacity / 2, where + ": more than half full");
        // Walk the array once from an empty slot (there is one: at most half full), tracking where the current
        // run of occupied slots began: an entry is reachable iff its home lies in [run start, its slot].
        final int mask = capacity - 1;
        int empty = 0;
        while (index.addressAt(empty) != EntryIndex.EMPTY)
        {
            empty++;
        }
        int occupied = 0;
        int runStart = (empty + 1) & mask;
        for (int i = 1; i <= capacity; i++)
        {
            final int s = (empty + i) & mask;
            final long address = index.addressAt(s);
            if (address == EntryIndex.EMPTY)
            {
                runStart = (s + 1) & mask;
                continue;
            }
            occupied++;
            final Long hash = model.get(address);
            assertNotEquals(null, hash, where + ": slot " + s + " holds address " + address + " the model removed");
            assertEquals(hash.longValue(), index.hashAt(s), where + ": slot " + s + " hash");
            final int home = index.slotOf(hash);
            assertTrue(((s - home) & mask) <= ((s - runStart) & mask), where + ": address " + address + " in slot " +
                s + " is cut off from its home " + home + " by an empty slot (its run starts at " + runStart + ")");
        }
        assertEquals(model.size(), occupied, where + ": occupied slots");
        for (final Map.Entry<Long, Long> e : model.entrySet())
        {
            slotOf(index, e.getValue(), e.getKey(), 0, -1);
        }
    }
}
