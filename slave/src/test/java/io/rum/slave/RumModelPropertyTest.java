package io.rum.slave;

import io.rum.allocator.Rum;
import io.rum.allocator.RumOptions;
import io.rum.allocator.RumSegment;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Random sequences of alloc, calloc, realloc, free, read, write and flush through {@link Rum}, against two
 * slave processes over UDP, agree with a plain model: one byte array per live segment. The local budget (16
 * pages of 4 KiB) is smaller than the data, so pages are evicted and written back all the time.
 */
class RumModelPropertyTest
{
    private static final int PAGE = 4096;
    private static SlaveProcesses slaves;

    @BeforeContainer
    static void startSlaves()
    {
        slaves = SlaveProcesses.start(2, "64m");
    }

    @AfterContainer
    static void stopSlaves()
    {
        if (null != slaves)
        {
            slaves.close();
        }
    }

    sealed interface Op permits Alloc, Calloc, Realloc, Free, Write, Read, Flush
    {
    }

    record Alloc(int size) implements Op
    {
    }

    record Calloc(int count, int size) implements Op
    {
    }

    record Realloc(int target, int size) implements Op
    {
    }

    record Free(int target) implements Op
    {
    }

    /** Writes {@code length} bytes of {@code seed}-derived data at a fraction of the segment; kind 0..2. */
    record Write(int target, double at, int length, int kind, byte seed) implements Op
    {
    }

    record Read(int target, double at, int length, int kind) implements Op
    {
    }

    record Flush() implements Op
    {
    }

    @Provide
    Arbitrary<List<Op>> sequences()
    {
        final Arbitrary<Integer> sizes = Arbitraries.oneOf(Arbitraries.integers().between(1, 100),
            Arbitraries.integers().between(1, 20 * PAGE));
        final Arbitrary<Integer> targets = Arbitraries.integers().between(0, 1000);
        final Arbitrary<Double> at = Arbitraries.doubles().between(0, 1);
        final Arbitrary<Op> op = Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(3, sizes.map(Alloc::new)),
            net.jqwik.api.Tuple.of(1, Combinators.combine(Arbitraries.integers().between(1, 64),
                Arbitraries.integers().between(1, 512)).as(Calloc::new)),
            net.jqwik.api.Tuple.of(2, Combinators.combine(targets, sizes).as(Realloc::new)),
            net.jqwik.api.Tuple.of(1, targets.map(Free::new)),
            net.jqwik.api.Tuple.of(6, Combinators.combine(targets, at, Arbitraries.integers().between(1, 3 * PAGE),
                Arbitraries.integers().between(0, 2), Arbitraries.bytes()).as(Write::new)),
            net.jqwik.api.Tuple.of(5, Combinators.combine(targets, at, Arbitraries.integers().between(1, 3 * PAGE),
                Arbitraries.integers().between(0, 2)).as(Read::new)),
            net.jqwik.api.Tuple.of(1, Arbitraries.just(new Flush())));
        return op.list().ofMinSize(10).ofMaxSize(60);
    }

    @Property(tries = 30)
    void agreesWithAnInMemoryModel(@ForAll("sequences") final List<Op> ops)
    {
        final RumOptions options = RumOptions.defaults().withPageSizeBytes(PAGE).withLocalBudgetBytes(16 * PAGE)
            .withPrefetchPages(4).withMaxRunPages(8).withPartitionCount(1024);
        final List<RumSegment> segments = new ArrayList<>();
        final List<byte[]> model = new ArrayList<>();
        try (Rum rum = Rum.init(slaves.machinesCsv(), options))
        {
            for (final Op op : ops)
            {
                apply(rum, op, segments, model);
            }
            rum.flush();
            for (int i = 0; i < segments.size(); i++)
            {
                final byte[] back = new byte[model.get(i).length];
                segments.get(i).copyTo(0, back, 0, back.length);
                assertArrayEquals(model.get(i), back, "segment " + i + " at the end");
            }
        }
    }

    private static void apply(final Rum rum, final Op op, final List<RumSegment> segments, final List<byte[]> model)
    {
        switch (op)
        {
            case Alloc(final int size) ->
            {
                segments.add(rum.alloc(size));
                model.add(new byte[size]);
            }
            case Calloc(final int count, final int size) ->
            {
                segments.add(rum.calloc(count, size));
                model.add(new byte[count * size]);
            }
            case Realloc(final int target, final int size) ->
            {
                if (!segments.isEmpty())
                {
                    final int i = target % segments.size();
                    rum.realloc(segments.get(i), size);
                    model.set(i, Arrays.copyOf(model.get(i), size));
                    assertEquals(size, segments.get(i).size());
                }
            }
            case Free(final int target) ->
            {
                if (!segments.isEmpty())
                {
                    final int i = target % segments.size();
                    rum.free(segments.remove(i));
                    model.remove(i);
                }
            }
            case Write(final int target, final double at, final int length, final int kind, final byte seed) ->
            {
                if (!segments.isEmpty())
                {
                    final int i = target % segments.size();
                    write(segments.get(i), model.get(i), at, length, kind, seed);
                }
            }
            case Read(final int target, final double at, final int length, final int kind) ->
            {
                if (!segments.isEmpty())
                {
                    final int i = target % segments.size();
                    read(segments.get(i), model.get(i), at, length, kind);
                }
            }
            case Flush() -> rum.flush();
        }
    }

    private static void write(final RumSegment segment, final byte[] model, final double at, final int length,
        final int kind, final byte seed)
    {
        final int width = kind == 0 ? 1 : kind == 1 ? Integer.BYTES : Long.BYTES;
        if (kind == 2 && length > Long.BYTES)
        {
            final int n = Math.min(length, model.length);
            final int offset = (int)(at * (model.length - n));
            final byte[] data = new byte[n];
            for (int k = 0; k < n; k++)
            {
                data[k] = (byte)(seed + k * 31);
            }
            segment.copyFrom(offset, data, 0, n);
            System.arraycopy(data, 0, model, offset, n);
            return;
        }
        if (model.length < width)
        {
            return;
        }
        final int offset = (int)(at * (model.length - width));
        final long value = seed * 0x0101010101010101L + offset;
        switch (width)
        {
            case 1 -> segment.putByte(offset, (byte)value);
            case Integer.BYTES -> segment.putInt(offset, (int)value);
            default -> segment.putLong(offset, value);
        }
        for (int k = 0; k < width; k++)
        {
            model[offset + k] = (byte)(value >>> (8 * k));
        }
    }

    private static void read(final RumSegment segment, final byte[] model, final double at, final int length,
        final int kind)
    {
        if (kind == 2)
        {
            final int n = Math.min(length, model.length);
            final int offset = (int)(at * (model.length - n));
            final byte[] back = new byte[n];
            segment.copyTo(offset, back, 0, n);
            assertArrayEquals(Arrays.copyOfRange(model, offset, offset + n), back, "bytes at " + offset);
            return;
        }
        final int width = kind == 0 ? 1 : Long.BYTES;
        if (model.length < width)
        {
            return;
        }
        final int offset = (int)(at * (model.length - width));
        long expected = 0;
        for (int k = 0; k < width; k++)
        {
            expected |= (model[offset + k] & 0xFFL) << (8 * k);
        }
        if (width == 1)
        {
            assertEquals((byte)expected, segment.getByte(offset), "byte at " + offset);
        }
        else
        {
            assertEquals(expected, segment.getLong(offset), "long at " + offset);
        }
    }
}
