package io.rum.slave;

import io.rum.allocator.Rum;
import io.rum.allocator.RumException;
import io.rum.allocator.RumOptions;
import io.rum.allocator.RumSegment;
import io.rum.allocator.placement.Handles;
import io.rum.allocator.protocol.Status;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The client API against in-process slaves. */
@Timeout(60)
class RumEndToEndTest
{
    private static final int PAGE = 4096;
    private static EmbeddedCluster cluster;
    private Rum rum;

    @BeforeAll
    static void startCluster()
    {
        cluster = EmbeddedCluster.start(3, 64L << 20);
    }

    @AfterAll
    static void stopCluster()
    {
        cluster.close();
    }

    @BeforeEach
    void connect()
    {
        // 16 frames of 4 KiB: 64 KiB of local memory, far less than the tests' data.
        rum = cluster.newClient(RumOptions.defaults().withPageSizeBytes(PAGE).withLocalBudgetBytes(16 * PAGE)
            .withPrefetchPages(3).withMaxRunPages(4).withPartitionCount(1024));
    }

    @AfterEach
    void close()
    {
        rum.close();
    }

    @Test
    void allocWriteFlushReadBack()
    {
        final RumSegment segment = rum.alloc(10_000);
        assertEquals(10_000, segment.size());
        assertEquals(segment.slaveId(), Handles.nodeId(segment.handle()));
        assertEquals(0, segment.getLong(0), "new memory reads as zeros");
        segment.putLong(0, 0x0102030405060708L);
        segment.putInt(9_996, 0xCAFEBABE);
        segment.putByte(5000, (byte)-3);
        assertEquals(0x0102030405060708L, segment.getLong(0));
        assertEquals(0xCAFEBABE, segment.getInt(9_996));
        assertEquals(-3, segment.getByte(5000));
        assertEquals(0x08, segment.getByte(0), "little-endian");
        rum.flush();
        // Another client sees the flushed bytes (the named path would too; here through explicit READ by handle).
        final RumSegment calloc = rum.calloc(100, 8);
        assertEquals(800, calloc.size());
        for (int i = 0; i < 100; i++)
        {
            assertEquals(0, calloc.getLong(i * 8L));
        }
    }

    @Test
    void spreadsAnonymousAllocationsOverSlaves()
    {
        final Map<Integer, Integer> bySlave = new HashMap<>();
        for (int i = 0; i < 90; i++)
        {
            bySlave.merge(rum.alloc(16).slaveId(), 1, Integer::sum);
        }
        assertEquals(3, bySlave.size(), bySlave.toString());
        bySlave.values().forEach(n -> assertTrue(n >= 10, bySlave.toString()));
        assertEquals(2, rum.alloc(16, 2).slaveId());
        assertThrows(IllegalArgumentException.class, () -> rum.alloc(16, 9));
    }

    @Test
    void moreDataThanTheLocalBudget()
    {
        final SplittableRandom random = new SplittableRandom(42);
        final byte[][] model = new byte[4][];
        final RumSegment[] segments = new RumSegment[4];
        for (int s = 0; s < segments.length; s++)
        {
            model[s] = new byte[50_000 + s * 7]; // 4 x 13 pages, and a partial last page
            segments[s] = rum.alloc(model[s].length);
        }
        for (int round = 0; round < 3000; round++)
        {
            final int s = random.nextInt(segments.length);
            final int offset = random.nextInt(model[s].length - 8);
            if (random.nextBoolean())
            {
                final long value = random.nextLong();
                segments[s].putLong(offset, value);
                for (int i = 0; i < 8; i++)
                {
                    model[s][offset + i] = (byte)(value >>> (8 * i));
                }
            }
            else
            {
                long expected = 0;
                for (int i = 0; i < 8; i++)
                {
                    expected |= (model[s][offset + i] & 0xFFL) << (8 * i);
                }
                assertEquals(expected, segments[s].getLong(offset), "segment " + s + " offset " + offset);
            }
            assertTrue(rum.localPages() <= 16);
        }
        for (int s = 0; s < segments.length; s++)
        {
            final byte[] back = new byte[model[s].length];
            segments[s].copyTo(0, back, 0, back.length);
            assertArrayEquals(model[s], back);
        }
    }

    @Test
    void sequentialBulkCopiesAndSegments()
    {
        final int size = 200_000;
        final RumSegment segment = rum.alloc(size);
        final byte[] data = new byte[size];
        new SplittableRandom(7).nextBytes(data);
        segment.copyFrom(0, data, 0, size);
        rum.flush();
        final byte[] back = new byte[size];
        segment.copyTo(0, back, 0, size);
        assertArrayEquals(data, back);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment off = arena.allocate(1000);
            segment.copyTo(123_456, off, 0, 1000);
            for (int i = 0; i < 1000; i++)
            {
                assertEquals(data[123_456 + i], off.get(ValueLayout.JAVA_BYTE, i));
            }
            off.fill((byte)9);
            segment.copyFrom(PAGE - 500, off, 0, 1000);
            assertEquals(9, segment.getByte(PAGE - 500));
            assertEquals(9, segment.getByte(PAGE + 499));
            assertEquals(data[PAGE + 500], segment.getByte(PAGE + 500));
        }
    }

    @Test
    void valuesStraddlingPages()
    {
        final RumSegment segment = rum.alloc(PAGE * 40L);
        for (int k = 1; k < 8; k++)
        {
            final long at = (long)PAGE * (k * 3) - k;
            segment.putLong(at, 0x1122334455667788L * k);
            segment.putInt(at + PAGE * 2L - 2, 0xA1B2C3D4 + k);
        }
        // Touch every other page so the straddled pages are evicted and written back in between.
        for (int p = 0; p < 40; p++)
        {
            segment.putByte((long)p * PAGE + 100, (byte)p);
        }
        for (int k = 1; k < 8; k++)
        {
            final long at = (long)PAGE * (k * 3) - k;
            assertEquals(0x1122334455667788L * k, segment.getLong(at));
            assertEquals(0xA1B2C3D4 + k, segment.getInt(at + PAGE * 2L - 2));
        }
    }

    @Test
    void reallocKeepsHandleAndContents()
    {
        final RumSegment segment = rum.alloc(PAGE + 100);
        final long handle = segment.handle();
        segment.putLong(PAGE + 90, -1L);
        assertSame(segment, rum.realloc(segment, 100_000));
        assertEquals(handle, segment.handle());
        assertEquals(100_000, segment.size());
        assertEquals(-1L, segment.getLong(PAGE + 90));
        assertEquals(0L, segment.getLong(PAGE + 98), "growth reads as zeros, also inside the old last page");
        segment.putLong(90_000, 5);
        rum.realloc(segment, PAGE + 94);
        assertThrows(IndexOutOfBoundsException.class, () -> segment.getLong(PAGE + 90));
        rum.realloc(segment, 100_000);
        assertEquals(0, segment.getLong(90_000), "shrunk away and regrown: zeros");
        assertEquals(0xFFFF_FFFFL, segment.getLong(PAGE + 90), "kept up to the smaller size, zeros after");
        rum.flush();
        assertEquals(0xFFFF_FFFFL, segment.getLong(PAGE + 90));
    }

    @Test
    void namedSegmentsAcrossClients()
    {
        final String name = "e2e-" + System.nanoTime();
        final RumSegment named = rum.allocNamed(name, 3 * PAGE);
        named.putLong(PAGE * 2L, 77);
        assertSame(named, rum.allocNamed(name, 3 * PAGE), "one client, one segment per region");
        try (Rum other = cluster.newClient(rum.options()))
        {
            final RumSegment before = other.attachNamed(name);
            assertEquals(0, before.getLong(PAGE * 2L), "not flushed yet");
            other.free(before);
        }
        final RumException freed = assertThrows(RumException.class, rum::flush);
        assertEquals(Status.FREED, freed.slaveStatus());
        assertTrue(freed.getMessage().contains("was freed"), freed.getMessage());
        rum.free(rum.allocNamed(name + "x", 8));
    }

    @Test
    void namedSurvivesClose()
    {
        final String name = "survivor-" + System.nanoTime();
        try (Rum first = cluster.newClient(rum.options()))
        {
            final RumSegment segment = first.allocNamed(name, 5 * PAGE);
            segment.putLong(3 * PAGE, 31337);
            first.alloc(100).putLong(0, 1);
        }
        final RumSegment again = rum.allocNamed(name, 5 * PAGE);
        assertEquals(31337, again.getLong(3 * PAGE));
        final RumException mismatch = assertThrows(RumException.class, () -> rum.allocNamed(name, 6 * PAGE));
        assertEquals(Status.NAME_SIZE_MISMATCH, mismatch.slaveStatus());
        assertTrue(mismatch.getMessage().contains("has " + 5 * PAGE + " bytes, not " + 6 * PAGE), mismatch.getMessage());
        rum.free(again);
    }

    @Test
    void errorsSurfaceWithTheSlavesReason()
    {
        final RumException oom = assertThrows(RumException.class, () -> rum.alloc(1L << 40));
        assertEquals(Status.OUT_OF_MEMORY, oom.slaveStatus());
        assertTrue(oom.getMessage().startsWith("slave "), oom.getMessage());
        assertTrue(oom.getMessage().contains("OUT_OF_MEMORY"), oom.getMessage());
        final RumSegment segment = rum.alloc(100);
        final RumException grow = assertThrows(RumException.class, () -> rum.realloc(segment, 1L << 40));
        assertTrue(grow.getMessage().contains("the region is unchanged"), grow.getMessage());
        assertEquals(100, segment.size());
        final RumException noName = assertThrows(RumException.class, () -> rum.attachNamed("never-" + System.nanoTime()));
        assertEquals(Status.NO_SUCH_NAME, noName.slaveStatus());
        rum.free(segment);
        assertThrows(IllegalStateException.class, () -> segment.getByte(0));
        assertThrows(IllegalStateException.class, () -> rum.free(segment));
        final RumSegment live = rum.alloc(10);
        final IndexOutOfBoundsException outside = assertThrows(IndexOutOfBoundsException.class, () -> live.getLong(3));
        assertEquals("offset 3 + length 8 outside segment of 10 bytes", outside.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> live.getByte(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> live.putByte(Long.MAX_VALUE, (byte)0));
        assertThrows(IllegalArgumentException.class, () -> rum.calloc(Long.MAX_VALUE, 2));
        assertThrows(IllegalArgumentException.class, () -> rum.alloc(0));
        assertThrows(IllegalArgumentException.class, () -> rum.allocNamed("", 8));
        assertTrue(rum.stats(1).contains("memory budget bytes: "), rum.stats(1));
    }

    @Test
    void closeFreesAnonymousRegions()
    {
        final String before = regionsLine(1);
        try (Rum temporary = cluster.newClient(rum.options()))
        {
            for (int i = 0; i < 5; i++)
            {
                temporary.alloc(1000, 1).putByte(0, (byte)1);
            }
            assertEquals(extractRegions(before) + 5, extractRegions(regionsLine(1)));
        }
        assertEquals(extractRegions(before), extractRegions(regionsLine(1)));
        final IllegalStateException closed = assertThrows(IllegalStateException.class, () ->
        {
            final Rum r = cluster.newClient(rum.options());
            r.close();
            r.alloc(1);
        });
        assertTrue(closed.getMessage().contains("closed"));
    }

    private String regionsLine(final int slave)
    {
        return rum.stats(slave).lines().filter(l -> l.startsWith("regions: ")).findFirst().orElseThrow();
    }

    private static int extractRegions(final String line)
    {
        return Integer.parseInt(line.substring("regions: ".length(), line.indexOf(' ', "regions: ".length())));
    }
}
