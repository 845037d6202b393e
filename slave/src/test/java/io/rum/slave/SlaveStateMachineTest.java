package io.rum.slave;

import io.rum.allocator.offheap.AllocatorConfiguration;
import io.rum.allocator.offheap.SizeClassAllocator;
import io.rum.allocator.placement.Handles;
import io.rum.allocator.protocol.Opcode;
import io.rum.allocator.protocol.RequestFlyweight;
import io.rum.allocator.protocol.Status;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class SlaveStateMachineTest
{
    private static final int NODE = 3;
    private static final int CLIENT = 70_000;
    private static final long BUDGET = 1 << 20;

    private final List<SizeClassAllocator> allocators = new ArrayList<>();
    private final CapturingResponse response = new CapturingResponse();
    private SlaveStateMachine machine = newMachine(64);

    private SlaveStateMachine newMachine(final int maxRegions)
    {
        final SizeClassAllocator allocator =
            new SizeClassAllocator(new SlaveConfiguration(BUDGET, maxRegions).allocatorConfiguration());
        allocators.add(allocator);
        return new SlaveStateMachine(NODE, allocator, maxRegions, 1 << 20);
    }

    @AfterEach
    void close()
    {
        allocators.forEach(SizeClassAllocator::close);
    }

    static byte[] request(final int opcode, final long handle, final long offset, final long length, final byte[] payload)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[RequestFlyweight.HEADER_LENGTH + payload.length]);
        new RequestFlyweight().wrap(buffer, 0, buffer.capacity()).write(opcode, handle, offset, length);
        buffer.putBytes(RequestFlyweight.HEADER_LENGTH, payload);
        return buffer.byteArray();
    }

    private CapturingResponse apply(final SlaveStateMachine m, final byte[] request)
    {
        m.apply(CLIENT, new UnsafeBuffer(request), 0, request.length, response.reset());
        return response;
    }

    private CapturingResponse apply(final int opcode, final long handle, final long offset, final long length,
        final byte[] payload)
    {
        return apply(machine, request(opcode, handle, offset, length, payload));
    }

    private CapturingResponse apply(final int opcode, final long handle, final long offset, final long length)
    {
        return apply(opcode, handle, offset, length, new byte[0]);
    }

    private long alloc(final long size)
    {
        final CapturingResponse r = apply(Opcode.ALLOC, 0, 0, size);
        assertEquals(Status.OK, r.status(), r.text());
        assertEquals(size, r.response().regionSize());
        return r.response().handle();
    }

    private void expect(final int status, final String reason, final CapturingResponse r)
    {
        assertEquals(status, r.status(), () -> "status; reason: " + r.text());
        assertTrue(r.text().contains(reason), () -> "reason \"" + r.text() + "\" should contain \"" + reason + "\"");
    }

    private byte[] read(final long handle, final long offset, final int length)
    {
        final CapturingResponse r = apply(Opcode.READ, handle, offset, length);
        assertEquals(Status.OK, r.status(), r.text());
        assertEquals(length, r.response().payloadLength());
        final byte[] bytes = new byte[length];
        r.response().payloadOffset();
        System.arraycopy(r.bytes(), r.response().payloadOffset(), bytes, 0, length);
        return bytes;
    }

    private static byte[] utf8(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void allocWriteReadFree()
    {
        final long handle = alloc(100);
        assertEquals(NODE, Handles.nodeId(handle));
        assertArrayEquals(new byte[100], read(handle, 0, 100), "new regions are zeroed");
        assertEquals(Status.OK, apply(Opcode.WRITE, handle, 10, 3, new byte[] {1, 2, 3}).status());
        assertArrayEquals(new byte[] {0, 1, 2, 3, 0}, read(handle, 9, 5));
        assertArrayEquals(new byte[0], read(handle, 100, 0), "an empty read at the end is in range");
        assertEquals(Status.OK, apply(Opcode.FREE, handle, 0, 0).status());
        expect(Status.FREED, "was freed", apply(Opcode.READ, handle, 0, 1));
        expect(Status.FREED, "was freed", apply(Opcode.FREE, handle, 0, 0));
        final long next = alloc(100);
        assertEquals(Handles.slot(handle), Handles.slot(next), "the slot is reused");
        assertNotEquals(handle, next, "with a new generation");
        assertArrayEquals(new byte[100], read(next, 0, 100), "reused memory is zeroed");
    }

    @Test
    void callocZeroesReusedMemory()
    {
        final long dirty = alloc(4096);
        final byte[] ones = new byte[4096];
        Arrays.fill(ones, (byte)1);
        apply(Opcode.WRITE, dirty, 0, 4096, ones);
        apply(Opcode.FREE, dirty, 0, 0);
        final CapturingResponse r = apply(Opcode.CALLOC, 0, 0, 4096);
        assertEquals(Status.OK, r.status());
        assertArrayEquals(new byte[4096], read(r.response().handle(), 0, 4096));
    }

    @Test
    void namedAllocationsAttachAndMismatch()
    {
        final CapturingResponse created = apply(Opcode.ALLOC_NAMED, 0, 0, 64, utf8("table"));
        assertEquals(Status.OK, created.status());
        final long handle = created.response().handle();
        apply(Opcode.WRITE, handle, 0, 1, new byte[] {42});
        final CapturingResponse attached = apply(Opcode.ALLOC_NAMED, 0, 0, 64, utf8("table"));
        assertEquals(handle, attached.response().handle(), "same name and size attaches");
        expect(Status.NAME_SIZE_MISMATCH, "region \"table\" has 64 bytes, not 65",
            apply(Opcode.ALLOC_NAMED, 0, 0, 65, utf8("table")));
        final CapturingResponse found = apply(Opcode.LOOKUP_NAMED, 0, 0, 0, utf8("table"));
        assertEquals(handle, found.response().handle());
        assertEquals(64, found.response().regionSize());
        assertArrayEquals(new byte[] {42}, read(handle, 0, 1));
        expect(Status.NO_SUCH_NAME, "no region named \"chair\"", apply(Opcode.LOOKUP_NAMED, 0, 0, 0, utf8("chair")));
        assertEquals(1, machine.regions().namedCount());
        assertEquals(Status.OK, apply(Opcode.FREE, handle, 0, 0).status(), "named regions are freed by handle");
        assertEquals(0, machine.regions().namedCount());
        expect(Status.NO_SUCH_NAME, "no region named", apply(Opcode.LOOKUP_NAMED, 0, 0, 0, utf8("table")));
        final long again = apply(Opcode.ALLOC_NAMED, 0, 0, 65, utf8("table")).response().handle();
        assertArrayEquals(new byte[65], read(again, 0, 65));
    }

    @Test
    void badNames()
    {
        expect(Status.BAD_REQUEST, "the name is empty", apply(Opcode.ALLOC_NAMED, 0, 0, 8, new byte[0]));
        expect(Status.BAD_REQUEST, "name of 1025 bytes is longer than 1024",
            apply(Opcode.ALLOC_NAMED, 0, 0, 8, new byte[1025]));
        expect(Status.BAD_REQUEST, "not valid UTF-8",
            apply(Opcode.ALLOC_NAMED, 0, 0, 8, new byte[] {(byte)0xC3, (byte)0x28}));
        expect(Status.BAD_REQUEST, "not valid UTF-8", apply(Opcode.LOOKUP_NAMED, 0, 0, 0, new byte[] {(byte)0xFF}));
        expect(Status.BAD_REQUEST, "at least 1 byte", apply(Opcode.ALLOC_NAMED, 0, 0, 0, utf8("zero")));
        assertEquals(Status.OK, apply(Opcode.ALLOC_NAMED, 0, 0, 8, new byte[1024]).status(), "1024 bytes is fine");
        assertEquals(Status.OK, apply(Opcode.ALLOC_NAMED, 0, 0, 8, utf8("größe ✓")).status());
    }

    @Test
    void reallocKeepsHandleAndZeroesGrowth()
    {
        final long handle = alloc(10);
        final byte[] data = new byte[10];
        Arrays.fill(data, (byte)7);
        apply(Opcode.WRITE, handle, 0, 10, data);
        // Shrink, then grow: the bytes past the small size must read as zeros, not the old 7s.
        final CapturingResponse shrunk = apply(Opcode.REALLOC, handle, 0, 4);
        assertEquals(Status.OK, shrunk.status());
        assertEquals(handle, shrunk.response().handle());
        expect(Status.OUT_OF_RANGE, "offset 4 + length 1 outside region of 4 bytes", apply(Opcode.READ, handle, 4, 1));
        assertEquals(Status.OK, apply(Opcode.REALLOC, handle, 0, 300_000).status(), "moves to a large allocation");
        final byte[] back = read(handle, 0, 300_000);
        for (int i = 0; i < back.length; i++)
        {
            assertEquals(i < 4 ? 7 : 0, back[i], "byte " + i);
        }
        expect(Status.BAD_REQUEST, "at least 1 byte", apply(Opcode.REALLOC, handle, 0, 0));
        expect(Status.BAD_REQUEST, "at least 1 byte", apply(Opcode.REALLOC, handle, 0, -5));
    }

    @Test
    void outOfMemoryThenRecovery()
    {
        final long big = alloc(600_000);
        apply(Opcode.WRITE, big, 0, 3, new byte[] {1, 2, 3});
        expect(Status.OUT_OF_MEMORY, "alloc of 600000 bytes: out of memory", apply(Opcode.ALLOC, 0, 0, 600_000));
        expect(Status.OUT_OF_MEMORY, "alloc of " + Long.MAX_VALUE, apply(Opcode.ALLOC, 0, 0, Long.MAX_VALUE));
        expect(Status.OUT_OF_MEMORY, "the region is unchanged", apply(Opcode.REALLOC, big, 0, 2_000_000));
        assertArrayEquals(new byte[] {1, 2, 3}, read(big, 0, 3), "a refused realloc leaves the region intact");
        assertEquals(600_000, machine.regions().sizeBytes(Handles.slot(big)));
        assertEquals(Status.OK, apply(Opcode.FREE, big, 0, 0).status());
        alloc(600_000);
    }

    @Test
    void fullRegionTableIsOutOfMemory()
    {
        machine = newMachine(3);
        final long first = alloc(1);
        alloc(1);
        alloc(1);
        expect(Status.OUT_OF_MEMORY, "region table is full (3 regions)", apply(Opcode.ALLOC, 0, 0, 1));
        apply(Opcode.FREE, first, 0, 0);
        alloc(1);
    }

    @Test
    void badHandles()
    {
        final long handle = alloc(16);
        final int slot = Handles.slot(handle);
        expect(Status.BAD_HANDLE, "belongs to slave 4, this is slave 3",
            apply(Opcode.READ, Handles.handle(4, 0, slot), 0, 1));
        expect(Status.BAD_HANDLE, "slot 999 was never allocated", apply(Opcode.READ, Handles.handle(NODE, 0, 999), 0, 1));
        expect(Status.BAD_HANDLE, "not a handle", apply(Opcode.WRITE, 0, 0, 1, new byte[1]));
        expect(Status.BAD_HANDLE, "not a handle", apply(Opcode.FREE, -1, 0, 0));
        expect(Status.FREED, "generation 0", apply(Opcode.READ, Handles.handle(NODE, 5, slot), 0, 1));
        expect(Status.BAD_HANDLE, "never allocated", apply(Opcode.REALLOC, Handles.handle(NODE, 0, 7), 0, 8));
    }

    @Test
    void outOfRange()
    {
        final long handle = alloc(4096);
        expect(Status.OUT_OF_RANGE, "offset 4096 + length 8 outside region of 4096 bytes",
            apply(Opcode.READ, handle, 4096, 8));
        expect(Status.OUT_OF_RANGE, "offset 4089 + length 8", apply(Opcode.WRITE, handle, 4089, 8, new byte[8]));
        expect(Status.OUT_OF_RANGE, "offset " + Long.MAX_VALUE + " + length 8",
            apply(Opcode.READ, handle, Long.MAX_VALUE, 8));
        expect(Status.OUT_OF_RANGE, "offset " + Long.MAX_VALUE, apply(Opcode.WRITE, handle, Long.MAX_VALUE, 1, new byte[1]));
        expect(Status.OUT_OF_RANGE, "offset -1", apply(Opcode.READ, handle, -1, 1));
        expect(Status.OUT_OF_RANGE, "offset " + Long.MIN_VALUE, apply(Opcode.READ, handle, Long.MIN_VALUE, 1));
        expect(Status.BAD_REQUEST, "read of -1 bytes", apply(Opcode.READ, handle, 0, -1));
        expect(Status.BAD_REQUEST, "read of " + Long.MAX_VALUE + " bytes", apply(Opcode.READ, handle, 1, Long.MAX_VALUE));
        // A region's usable size may exceed its requested size: the requested one is the bound.
        final long small = alloc(10);
        expect(Status.OUT_OF_RANGE, "outside region of 10 bytes", apply(Opcode.READ, small, 8, 4));
    }

    @Test
    void malformedRequests()
    {
        for (int length = 0; length < RequestFlyweight.HEADER_LENGTH; length++)
        {
            final byte[] shortRequest = new byte[length];
            expect(Status.BAD_REQUEST, "request of " + length + " bytes is shorter than the 32-byte header",
                apply(machine, shortRequest));
        }
        expect(Status.BAD_REQUEST, "unknown opcode 0", apply(0, 0, 0, 0));
        expect(Status.BAD_REQUEST, "unknown opcode 200", apply(200, 0, 0, 0));
        final long handle = alloc(64);
        expect(Status.BAD_REQUEST, "write says 8 bytes but carries 4", apply(Opcode.WRITE, handle, 0, 8, new byte[4]));
        final byte[] truncated = Arrays.copyOf(request(Opcode.WRITE, handle, 0, 8, new byte[8]), 36);
        expect(Status.BAD_REQUEST, "write says 8 bytes but carries 4", apply(machine, truncated));
        expect(Status.BAD_REQUEST, "read takes no payload, got 2 bytes", apply(Opcode.READ, handle, 0, 1, new byte[2]));
        expect(Status.BAD_REQUEST, "alloc takes no payload", apply(Opcode.ALLOC, 0, 0, 8, new byte[1]));
        expect(Status.BAD_REQUEST, "free takes no payload", apply(Opcode.FREE, handle, 0, 0, new byte[1]));
        expect(Status.BAD_REQUEST, "alloc of 0 bytes", apply(Opcode.ALLOC, 0, 0, 0));
        expect(Status.BAD_REQUEST, "calloc of -3 bytes", apply(Opcode.CALLOC, 0, 0, -3));
        assertEquals(1, machine.regions().size(), "no failure changed the state");
    }

    @Test
    void statsReportsMemoryRegionsAndCounts()
    {
        alloc(1000);
        apply(Opcode.ALLOC_NAMED, 0, 0, 10, utf8("n"));
        apply(Opcode.READ, Handles.handle(NODE, 0, 50), 0, 1);
        final CapturingResponse r = apply(Opcode.STATS, 0, 0, 0);
        assertEquals(Status.OK, r.status());
        final String text = r.text();
        assertTrue(text.contains("memory budget bytes: " + BUDGET), text);
        assertTrue(text.contains("regions: 2 of at most 64"), text);
        assertTrue(text.contains("named regions: 1"), text);
        assertTrue(text.contains("op alloc: 1 ok, 0 failed"), text);
        assertTrue(text.contains("op read: 0 ok, 1 failed"), text);
        assertTrue(text.contains("memory used bytes: "), text);
    }

    /** Replication depends on it: the same requests give the same responses, byte for byte. */
    @Test
    void deterministic()
    {
        final long seed = new SplittableRandom().nextLong();
        final List<byte[]> requests = randomRequests(new SplittableRandom(seed), 2000);
        final List<byte[]> first = responses(newMachine(32), requests);
        final List<byte[]> second = responses(newMachine(32), requests);
        for (int i = 0; i < requests.size(); i++)
        {
            final int index = i;
            assertArrayEquals(first.get(i), second.get(i), () -> "seed " + seed + ", response " + index);
        }
    }

    private List<byte[]> responses(final SlaveStateMachine m, final List<byte[]> requests)
    {
        final List<byte[]> out = new ArrayList<>();
        for (final byte[] request : requests)
        {
            out.add(apply(m, request).bytes());
        }
        out.add(m.statsText().getBytes(StandardCharsets.UTF_8));
        return out;
    }

    /** Requests against handles that will exist (slots 0..40, generations 0..2), mostly valid. */
    private static List<byte[]> randomRequests(final SplittableRandom random, final int count)
    {
        final List<byte[]> requests = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final long handle = Handles.handle(NODE, random.nextInt(3), random.nextInt(40));
            final long size = random.nextInt(8) == 0 ? 100_000 + random.nextInt(400_000) : 1 + random.nextInt(5000);
            final long offset = random.nextInt(6000);
            final int length = random.nextInt(300);
            final byte[] data = new byte[length];
            random.nextBytes(data);
            requests.add(switch (random.nextInt(10))
            {
                case 0, 1 -> request(Opcode.ALLOC, 0, 0, size, new byte[0]);
                case 2 -> request(Opcode.CALLOC, 0, 0, size, new byte[0]);
                case 3 -> request(Opcode.ALLOC_NAMED, 0, 0, 1 + random.nextInt(3), utf8("n" + random.nextInt(5)));
                case 4 -> request(Opcode.REALLOC, handle, 0, size, new byte[0]);
                case 5 -> request(Opcode.FREE, handle, 0, 0, new byte[0]);
                case 6, 7 -> request(Opcode.WRITE, handle, offset, length, data);
                case 8 -> request(Opcode.READ, handle, offset, length, new byte[0]);
                default -> request(Opcode.LOOKUP_NAMED, 0, 0, 0, utf8("n" + random.nextInt(5)));
            });
        }
        return requests;
    }

    @Test
    void allocatorConfigurationsForSmallAndLargeBudgets()
    {
        final AllocatorConfiguration small = new SlaveConfiguration(1 << 20, 10).allocatorConfiguration();
        assertEquals(1 << 20, small.budgetBytes());
        final AllocatorConfiguration large = SlaveConfiguration.ofMemory(4L << 30).allocatorConfiguration();
        assertEquals(4L << 30, large.budgetBytes());
        assertEquals(3L << 30, SlaveConfiguration.parseSize("3g"));
        assertEquals(512L << 20, SlaveConfiguration.parseSize("512M"));
        assertEquals(64L << 10, SlaveConfiguration.parseSize("64k"));
        assertEquals(123, SlaveConfiguration.parseSize("123"));
    }
}
