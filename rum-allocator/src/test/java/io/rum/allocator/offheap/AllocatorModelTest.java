package io.rum.allocator.offheap;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.rum.allocator.offheap.SizeClassAllocator.OUT_OF_MEMORY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random sequences of allocate, calloc, free, reallocate and write against a plain model: a list of live
 * allocations and the bytes each should hold. After every step the touched allocation reads back as the
 * model says, and no two live allocations overlap; at the end every allocation reads back, the counters
 * agree with the model, and once everything is freed the whole budget can be allocated in one piece
 * (nothing leaked). The budget is small, so sequences run out of memory and recover.
 */
class AllocatorModelTest
{
    private static final int BUDGET = 384 << 10;
    private static final int CHUNK = 128 << 10;
    private static final int PAGE = 4096;

    sealed interface Op permits Alloc, Calloc, Free, Realloc, Write
    {
    }

    record Alloc(int size) implements Op
    {
    }

    record Calloc(int size) implements Op
    {
    }

    record Free(int pick) implements Op
    {
    }

    record Realloc(int pick, int size) implements Op
    {
    }

    record Write(int pick, int at, int length, boolean throughSegment) implements Op
    {
    }

    private static final class Live
    {
        long address;
        byte[] bytes;

        Live(final long address, final byte[] bytes)
        {
            this.address = address;
            this.bytes = bytes;
        }
    }

    @Property(tries = 400, edgeCases = EdgeCasesMode.NONE)
    void allocatorAgreesWithTheModel(@ForAll("ops") final List<Op> ops)
    {
        try (SizeClassAllocator allocator = new SizeClassAllocator(new AllocatorConfiguration(BUDGET, CHUNK, PAGE));
            Arena scratch = Arena.ofConfined())
        {
            final List<Live> live = new ArrayList<>();
            final TreeMap<Long, Long> extents = new TreeMap<>();
            int step = 0;
            boolean outOfMemory = false;
            int moves = 0;
            for (final Op op : ops)
            {
                step++;
                switch (op)
                {
                    case Alloc(final int size) ->
                    {
                        final long address = allocator.allocate(size);
                        outOfMemory |= address == OUT_OF_MEMORY;
                        if (address != OUT_OF_MEMORY)
                        {
                            final Live entry = new Live(address, pattern(size, step));
                            allocator.putBytes(address, 0, entry.bytes, 0, size);
                            claim(allocator, extents, address, size);
                            live.add(entry);
                            check(allocator, entry);
                        }
                    }
                    case Calloc(final int size) ->
                    {
                        final long address = allocator.allocate(size);
                        if (address != OUT_OF_MEMORY)
                        {
                            allocator.zero(address, size);
                            claim(allocator, extents, address, size);
                            final Live entry = new Live(address, new byte[size]);
                            live.add(entry);
                            check(allocator, entry);
                        }
                    }
                    case Free(final int pick) ->
                    {
                        if (!live.isEmpty())
                        {
                            final Live entry = live.remove(pick % live.size());
                            allocator.free(entry.address);
                            extents.remove(entry.address);
                        }
                    }
                    case Realloc(final int pick, final int size) ->
                    {
                        if (!live.isEmpty())
                        {
                            final Live entry = live.get(pick % live.size());
                            final long moved = allocator.reallocate(entry.address, size);
                            outOfMemory |= moved == OUT_OF_MEMORY;
                            moves += moved != OUT_OF_MEMORY && moved != entry.address ? 1 : 0;
                            if (moved != OUT_OF_MEMORY)
                            {
                                extents.remove(entry.address);
                                final byte[] bytes = Arrays.copyOf(entry.bytes, size);
                                entry.address = moved;
                                check(allocator, entry, Math.min(entry.bytes.length, size));
                                if (size > entry.bytes.length)
                                {
                                    final byte[] grown = pattern(size - entry.bytes.length, step);
                                    System.arraycopy(grown, 0, bytes, entry.bytes.length, grown.length);
                                    allocator.putBytes(moved, entry.bytes.length, grown, 0, grown.length);
                                }
                                entry.bytes = bytes;
                                claim(allocator, extents, moved, size);
                            }
                            check(allocator, entry);
                        }
                    }
                    case Write(final int pick, final int at, final int length, final boolean throughSegment) ->
                    {
                        if (!live.isEmpty())
                        {
                            final Live entry = live.get(pick % live.size());
                            final int offset = at % entry.bytes.length;
                            final int count = Math.min(length, entry.bytes.length - offset);
                            final byte[] data = pattern(count, step * 31);
                            if (throughSegment)
                            {
                                final MemorySegment src = scratch.allocate(count);
                                MemorySegment.copy(data, 0, src, ValueLayout.JAVA_BYTE, 0, count);
                                allocator.copyFrom(src, 0, entry.address, offset, count);
                            }
                            else
                            {
                                allocator.putBytes(entry.address, offset, data, 0, count);
                            }
                            System.arraycopy(data, 0, entry.bytes, offset, count);
                            check(allocator, entry);
                        }
                    }
                }
            }
            Statistics.label("ran out of memory").collect(outOfMemory);
            Statistics.label("reallocate moved").collect(moves > 0);
            live.forEach(entry -> check(allocator, entry));
            checkStats(allocator, live);
            live.forEach(entry -> allocator.free(entry.address));
            final SizeClassAllocator.Stats empty = allocator.stats();
            assertEquals(0, empty.allocations());
            assertEquals(0, empty.allocatedBytes());
            final long whole = allocator.allocate(BUDGET);
            assertTrue(whole >= 0, "after freeing everything the whole budget is free: " + empty);
        }
    }

    @Provide
    Arbitrary<List<Op>> ops()
    {
        final Arbitrary<Integer> sizes = Arbitraries.frequencyOf(
            Tuple.of(55, Arbitraries.integers().between(1, 600)),
            Tuple.of(25, Arbitraries.integers().between(601, 16 << 10)),
            Tuple.of(14, Arbitraries.integers().between((16 << 10) + 1, CHUNK)),
            Tuple.of(6, Arbitraries.integers().between(CHUNK + 1, 300 << 10)));
        final Arbitrary<Integer> picks = Arbitraries.integers().between(0, 1 << 20);
        final Arbitrary<Op> op = Arbitraries.frequencyOf(
            Tuple.of(40, sizes.<Op>map(Alloc::new)),
            Tuple.of(8, sizes.<Op>map(Calloc::new)),
            Tuple.of(15, picks.<Op>map(Free::new)),
            Tuple.of(15, Combinators.combine(picks, sizes).<Op>as(Realloc::new)),
            Tuple.of(25, Combinators.combine(picks, picks, Arbitraries.integers().between(1, 5000),
                Arbitraries.of(true, false)).<Op>as(Write::new)));
        return op.list().ofMinSize(10).ofMaxSize(120);
    }

    /** Records an allocation's extent in address space and checks it overlaps no other live one. */
    private static void claim(
        final SizeClassAllocator allocator, final TreeMap<Long, Long> extents, final long address, final int size)
    {
        final long usable = allocator.sizeOf(address);
        assertTrue(usable >= size, "usable " + usable + " < asked " + size);
        final Map.Entry<Long, Long> below = extents.floorEntry(address);
        assertFalse(below != null && below.getValue() > address, "overlaps the allocation at " + below);
        final Map.Entry<Long, Long> above = extents.ceilingEntry(address);
        assertFalse(above != null && above.getKey() < address + usable, "overlaps the allocation at " + above);
        extents.put(address, address + usable);
    }

    private static void check(final SizeClassAllocator allocator, final Live entry)
    {
        check(allocator, entry, entry.bytes.length);
    }

    private static void check(final SizeClassAllocator allocator, final Live entry, final int length)
    {
        final byte[] read = new byte[length];
        allocator.getBytes(entry.address, 0, read, 0, length);
        assertArrayEquals(Arrays.copyOf(entry.bytes, length), read, "contents of 0x" + Long.toHexString(entry.address));
    }

    private static void checkStats(final SizeClassAllocator allocator, final List<Live> live)
    {
        final SizeClassAllocator.Stats stats = allocator.stats();
        assertEquals(live.size(), stats.allocations());
        assertEquals(live.stream().mapToLong(e -> allocator.sizeOf(e.address)).sum(), stats.allocatedBytes());
        final long small = Arrays.stream(stats.smallAllocationsByClass()).sum();
        assertEquals(stats.allocations(), small + stats.largeAllocations() + stats.hugeAllocations());
        final SizeClasses classes = allocator.sizeClasses();
        for (int c = 0; c < classes.count(); c++)
        {
            final int block = classes.blockBytes(c);
            assertEquals(live.stream().filter(e -> allocator.sizeOf(e.address) == block
                    && e.bytes.length <= classes.maxSmallBytes()).count(),
                stats.smallAllocationsByClass()[c], "class " + c);
        }
        assertTrue(stats.committedBytes() <= BUDGET);
        assertTrue(stats.allocatedBytes() + stats.freePageBytes() <= stats.committedBytes());
        assertTrue(stats.fragmentation() >= 0 && stats.fragmentation() <= 1);
    }

    private static byte[] pattern(final int length, final int seed)
    {
        final byte[] bytes = new byte[length];
        int x = seed * 0x9E3779B9 + 1;
        for (int i = 0; i < length; i++)
        {
            x = x * 1_103_515_245 + 12_345;
            bytes[i] = (byte)(x >>> 24);
        }
        return bytes;
    }
}
