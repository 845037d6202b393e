package io.rum.allocator.offheap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.rum.allocator.offheap.SizeClassAllocator.OUT_OF_MEMORY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exact budgets, errors and in-place rules of the allocator, with a small configuration: a 1 MiB budget in
 * 128 KiB chunks of 4 KiB pages (small classes up to 16 KiB, large up to 128 KiB, huge above).
 */
@Timeout(30)
class SizeClassAllocatorTest
{
    private static final int BUDGET = 1 << 20;
    private static final int CHUNK = 128 << 10;
    private static final int PAGE = 4096;

    private final SizeClassAllocator allocator = new SizeClassAllocator(new AllocatorConfiguration(BUDGET, CHUNK, PAGE));

    @AfterEach
    void close()
    {
        allocator.close();
    }

    @Test
    void smallAllocationsFillTheBudgetExactlyThenRecover()
    {
        final List<Long> addresses = new ArrayList<>();
        for (int i = 0; i < BUDGET / 1024; i++)
        {
            final long address = allocator.allocate(1000);
            assertTrue(address >= 0, "allocation " + i);
            assertEquals(1024, allocator.sizeOf(address));
            addresses.add(address);
        }
        assertEquals(OUT_OF_MEMORY, allocator.allocate(1));
        assertEquals(OUT_OF_MEMORY, allocator.allocate(CHUNK));
        SizeClassAllocator.Stats stats = allocator.stats();
        assertEquals(BUDGET, stats.committedBytes());
        assertEquals(BUDGET, stats.allocatedBytes());
        assertEquals(BUDGET / 1024, stats.allocations());
        assertEquals(0.0, stats.fragmentation());

        allocator.free(addresses.remove(17));
        final long again = allocator.allocate(900);
        assertTrue(again >= 0);
        assertEquals(OUT_OF_MEMORY, allocator.allocate(900));
        addresses.add(again);

        addresses.forEach(allocator::free);
        stats = allocator.stats();
        assertEquals(0, stats.allocations());
        assertEquals(0, stats.allocatedBytes());
        // Kept empty slabs and the spare chunk are given back when the whole budget is asked for at once.
        final long whole = allocator.allocate(BUDGET);
        assertTrue(whole >= 0);
        assertEquals(BUDGET, allocator.stats().committedBytes());
        assertEquals(OUT_OF_MEMORY, allocator.allocate(1));
        allocator.free(whole);
        assertEquals(0, allocator.stats().committedBytes());
        assertTrue(allocator.allocate(1) >= 0);
    }

    @Test
    void largeAllocationsTakeWholePagesUpToTheBudget()
    {
        final long[] addresses = new long[BUDGET / CHUNK];
        for (int i = 0; i < addresses.length; i++)
        {
            addresses[i] = allocator.allocate(CHUNK - 100);
            assertEquals(CHUNK, allocator.sizeOf(addresses[i]));
        }
        assertEquals(OUT_OF_MEMORY, allocator.allocate(CHUNK));
        assertEquals(OUT_OF_MEMORY, allocator.allocate(16));
        assertEquals(addresses.length, allocator.stats().largeAllocations());
        allocator.free(addresses[3]);
        final long a = allocator.allocate(20_000);
        assertEquals(5 * PAGE, allocator.sizeOf(a));
        final long b = allocator.allocate(16);
        assertTrue(b >= 0);
        final SizeClassAllocator.Stats stats = allocator.stats();
        assertEquals(BUDGET, stats.committedBytes());
        assertEquals(7L * CHUNK + 5 * PAGE + 16, stats.allocatedBytes());
        assertEquals(CHUNK - 6 * PAGE, stats.freePageBytes());
    }

    @Test
    void hugeAllocationsGetTheirOwnSegmentAndGiveItBack()
    {
        assertEquals(OUT_OF_MEMORY, allocator.allocate(BUDGET + 1));
        final long huge = allocator.allocate(3 * CHUNK + 1);
        assertEquals(3 * CHUNK + PAGE, allocator.sizeOf(huge));
        assertEquals(0, AddressDescriptor.offset(huge));
        final byte[] tail = {1, 2, 3, 4};
        allocator.putBytes(huge, 3 * CHUNK + PAGE - 4, tail, 0, 4);
        final byte[] read = new byte[4];
        allocator.getBytes(huge, 3 * CHUNK + PAGE - 4, read, 0, 4);
        assertArrayEquals(tail, read);
        assertEquals(1, allocator.stats().hugeAllocations());
        assertEquals(3 * CHUNK + PAGE, allocator.stats().committedBytes());
        allocator.free(huge);
        assertEquals(0, allocator.stats().committedBytes());
        assertEquals(0, allocator.stats().hugeAllocations());
    }

    @Test
    void aDoubleFreeIsReportedAndChangesNothing()
    {
        final long small = allocator.allocate(40);
        final long other = allocator.allocate(40);
        final long large = allocator.allocate(50_000);
        final long huge = allocator.allocate(2 * CHUNK);
        allocator.free(small);
        allocator.free(large);
        allocator.free(huge);
        final String before = allocator.stats().toString();

        final BadAddressException smallTwice = assertThrows(BadAddressException.class, () -> allocator.free(small));
        assertEquals(BadAddressException.Reason.NOT_LIVE, smallTwice.reason());
        assertEquals(small, smallTwice.address());
        assertTrue(smallTwice.getMessage().contains("already freed"), smallTwice.getMessage());
        assertEquals(BadAddressException.Reason.NOT_LIVE,
            assertThrows(BadAddressException.class, () -> allocator.free(large)).reason());
        assertEquals(BadAddressException.Reason.OUT_OF_RANGE,
            assertThrows(BadAddressException.class, () -> allocator.free(huge)).reason());
        assertEquals(before, allocator.stats().toString());
        assertEquals(48, allocator.sizeOf(other));
    }

    @Test
    void badAddressesAreReportedWithTheirReason()
    {
        final long small = allocator.allocate(40);
        final long large = allocator.allocate(50_000);
        final long huge = allocator.allocate(2 * CHUNK);
        assertReason(BadAddressException.Reason.OUT_OF_RANGE, -1);
        assertReason(BadAddressException.Reason.OUT_OF_RANGE, Long.MIN_VALUE);
        assertReason(BadAddressException.Reason.OUT_OF_RANGE, AddressDescriptor.address(1000, 0));
        assertReason(BadAddressException.Reason.OUT_OF_RANGE, small + CHUNK);
        assertReason(BadAddressException.Reason.INTERIOR, small + 8);
        assertReason(BadAddressException.Reason.INTERIOR, large + PAGE);
        assertReason(BadAddressException.Reason.INTERIOR, huge + 16);
        final BadAddressException never = assertThrows(BadAddressException.class, () -> allocator.free(small + 48));
        assertTrue(never.getMessage().contains("never allocated"), never.getMessage());
        assertThrows(BadAddressException.class, () -> allocator.reallocate(small + 8, 10));
        assertThrows(BadAddressException.class, () -> allocator.segment(small + 8, 1));
        assertEquals(3, allocator.stats().allocations());
    }

    @Test
    void accessIsBoundedByTheUsableSize()
    {
        final long address = allocator.allocate(20);
        assertEquals(24, allocator.sizeOf(address));
        assertEquals(24, allocator.segment(address, 24).byteSize());
        final byte[] bytes = new byte[25];
        assertThrows(IndexOutOfBoundsException.class, () -> allocator.segment(address, 25));
        assertThrows(IndexOutOfBoundsException.class, () -> allocator.putBytes(address, 0, bytes, 0, 25));
        assertThrows(IndexOutOfBoundsException.class, () -> allocator.getBytes(address, 20, bytes, 0, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> allocator.segment(address, -1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> allocator.zero(address, 25));
        assertThrows(IllegalArgumentException.class, () -> allocator.allocate(0));
        assertThrows(IllegalArgumentException.class, () -> allocator.reallocate(address, 0));
    }

    @Test
    void segmentsCopyInAndOut()
    {
        final long address = allocator.allocate(100);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment src = arena.allocate(100);
            for (int i = 0; i < 100; i++)
            {
                src.set(ValueLayout.JAVA_BYTE, i, (byte)i);
            }
            allocator.copyFrom(src, 10, address, 5, 50);
            final MemorySegment dst = arena.allocate(100);
            allocator.copyTo(address, 5, dst, 0, 50);
            assertEquals(10, dst.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(59, dst.get(ValueLayout.JAVA_BYTE, 49));
            assertEquals(10, allocator.segment(address, 5, 1).get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void zeroMakesReusedMemoryCallocClean()
    {
        final long first = allocator.allocate(64);
        allocator.putBytes(first, 0, filled(64, (byte)0x5A), 0, 64);
        allocator.free(allocator.allocate(64));
        allocator.free(first);
        final long reused = allocator.allocate(64);
        allocator.zero(reused, 64);
        final byte[] read = new byte[64];
        allocator.getBytes(reused, 0, read, 0, 64);
        assertArrayEquals(new byte[64], read);
    }

    @Test
    void reallocateStaysInPlaceWhenTheClassAllows()
    {
        final long small = allocator.allocate(40);
        assertEquals(small, allocator.reallocate(small, 48));
        assertEquals(small, allocator.reallocate(small, 33));

        final long large = allocator.allocate(5 * PAGE);
        assertEquals(large, allocator.reallocate(large, 9 * PAGE), "the following pages are free: grow in place");
        assertEquals(9 * PAGE, allocator.sizeOf(large));
        assertEquals(large, allocator.reallocate(large, 4 * PAGE + 1), "shrink in place");
        assertEquals(5 * PAGE, allocator.sizeOf(large));
        final long blocker = allocator.allocate(4 * PAGE + 1);
        assertEquals(large + 5 * PAGE, blocker, "the freed tail is reused first fit");
        allocator.putBytes(large, 0, filled(5 * PAGE, (byte)7), 0, 5 * PAGE);
        final long moved = allocator.reallocate(large, 6 * PAGE);
        assertNotEquals(large, moved);
        final byte[] read = new byte[5 * PAGE];
        allocator.getBytes(moved, 0, read, 0, read.length);
        assertArrayEquals(filled(5 * PAGE, (byte)7), read);
        assertThrows(BadAddressException.class, () -> allocator.sizeOf(large));

        final long huge = allocator.allocate(4 * CHUNK);
        assertEquals(huge, allocator.reallocate(huge, 3 * CHUNK));
        assertEquals(4 * CHUNK, allocator.sizeOf(huge));
    }

    @Test
    void aReallocateThatCannotFitLeavesTheOldAllocationIntact()
    {
        final long victim = allocator.allocate(1000);
        allocator.putBytes(victim, 0, filled(1000, (byte)3), 0, 1000);
        final List<Long> filler = new ArrayList<>();
        for (long a = allocator.allocate(CHUNK); a != OUT_OF_MEMORY; a = allocator.allocate(CHUNK))
        {
            filler.add(a);
        }
        assertEquals(OUT_OF_MEMORY, allocator.reallocate(victim, 2 * CHUNK));
        assertEquals(OUT_OF_MEMORY, allocator.reallocate(victim, CHUNK));
        final byte[] read = new byte[1000];
        allocator.getBytes(victim, 0, read, 0, 1000);
        assertArrayEquals(filled(1000, (byte)3), read);
        allocator.free(filler.getFirst());
        final long grown = allocator.reallocate(victim, CHUNK);
        assertTrue(grown >= 0);
        allocator.getBytes(grown, 0, read, 0, 1000);
        assertArrayEquals(filled(1000, (byte)3), read);
    }

    @Test
    void aLargeBudgetCommitsNothingUntilUsed()
    {
        try (SizeClassAllocator big = new SizeClassAllocator(AllocatorConfiguration.ofBudget(4L << 30)))
        {
            assertEquals(0, big.stats().committedBytes());
            final long address = big.allocate(16);
            assertEquals(AllocatorConfiguration.DEFAULT_CHUNK_SIZE_BYTES, big.stats().committedBytes());
            big.free(address);
            assertEquals(4L << 30, big.stats().budgetBytes());
        }
    }

    @Test
    void aClosedAllocatorRefusesWork()
    {
        final long address = allocator.allocate(16);
        allocator.close();
        assertThrows(IllegalStateException.class, () -> allocator.allocate(16));
        assertThrows(IllegalStateException.class, () -> allocator.free(address));
    }

    @Test
    void configurationsAreValidated()
    {
        assertThrows(IllegalArgumentException.class, () -> new AllocatorConfiguration(BUDGET, CHUNK, 1024));
        assertThrows(IllegalArgumentException.class, () -> new AllocatorConfiguration(BUDGET, 3 * PAGE, PAGE));
        assertThrows(IllegalArgumentException.class, () -> new AllocatorConfiguration(BUDGET, 4 * PAGE, PAGE));
        assertThrows(IllegalArgumentException.class, () -> new AllocatorConfiguration(BUDGET, 128 * PAGE, PAGE));
        assertThrows(IllegalArgumentException.class, () -> new AllocatorConfiguration(BUDGET + 1, CHUNK, PAGE));
        assertThrows(IllegalArgumentException.class, () -> new AllocatorConfiguration(0, CHUNK, PAGE));
    }

    @Test
    void aBudgetThatIsNotAWholeNumberOfChunksEndsInASmallerChunk()
    {
        try (SizeClassAllocator odd = new SizeClassAllocator(new AllocatorConfiguration(CHUNK + 2 * PAGE, CHUNK, PAGE)))
        {
            assertTrue(odd.allocate(CHUNK) >= 0);
            for (int i = 0; i < 8; i++)
            {
                assertTrue(odd.allocate(1024) >= 0, "block " + i + " of a two-page slab");
            }
            assertEquals(OUT_OF_MEMORY, odd.allocate(1024));
            assertEquals(CHUNK + 2 * PAGE, odd.stats().committedBytes());
        }
    }

    private void assertReason(final BadAddressException.Reason reason, final long address)
    {
        final BadAddressException ex = assertThrows(BadAddressException.class, () -> allocator.sizeOf(address));
        assertEquals(reason, ex.reason(), ex.getMessage());
    }

    private static byte[] filled(final int length, final byte value)
    {
        final byte[] bytes = new byte[length];
        Arrays.fill(bytes, value);
        return bytes;
    }
}
