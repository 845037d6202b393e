package io.rum.samples;

import io.rum.allocator.Rum;
import io.rum.allocator.RumException;
import io.rum.allocator.RumOptions;
import io.rum.allocator.RumSegment;
import io.rum.allocator.placement.Member;
import io.rum.allocator.protocol.Status;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * {@code ./rum memtest [--config machines.csv]}: exercises every function of the remote-memory API and checks
 * each result against a local reference (a byte array). Prints {@code PASS <function>} or
 * {@code FAIL <function>: why} per function and a summary; exits 1 if anything failed. Without
 * {@code --config} it starts three slaves in this JVM. The local budget (256 KiB) is far below the data, so
 * paging, eviction and write-back are exercised too.
 */
public final class MemTest
{
    private static final int PAGE = 4096;
    private final PrintStream out;
    private int passed;
    private int failed;

    private MemTest(final PrintStream out)
    {
        this.out = out;
    }

    public static void main(final String[] args)
    {
        System.exit(run(args, System.out));
    }

    /** @return the exit code: 0 if every function passed, 1 otherwise, 2 for a usage mistake. */
    public static int run(final String[] args, final PrintStream out)
    {
        Path config = null;
        for (int i = 0; i < args.length; i++)
        {
            if (args[i].equals("--config") && i + 1 < args.length)
            {
                config = Path.of(args[++i]);
            }
            else
            {
                out.println("usage: memtest [--config machines.csv]");
                return 2;
            }
        }
        final RumOptions options = RumOptions.defaults().withPageSizeBytes(PAGE).withLocalBudgetBytes(64 * PAGE)
            .withPartitionCount(1024);
        final MemTest test = new MemTest(out);
        try (SampleCluster cluster = null == config ? SampleCluster.embedded(3, 256L << 20, options) :
            SampleCluster.remote(config, options))
        {
            out.println("memtest against " + cluster.describe());
            test.runAll(cluster);
        }
        out.println("memtest: " + test.passed + " passed, " + test.failed + " failed");
        return test.failed == 0 ? 0 : 1;
    }

    @FunctionalInterface
    private interface Check
    {
        void run() throws Exception;
    }

    private void check(final String function, final Check check)
    {
        try
        {
            check.run();
            passed++;
            out.println("PASS " + function);
        }
        catch (final Exception | AssertionError ex)
        {
            failed++;
            out.println("FAIL " + function + ": " + ex);
        }
    }

    private static void expect(final boolean condition, final String what)
    {
        if (!condition)
        {
            throw new AssertionError(what);
        }
    }

    private static void expectBytes(final byte[] expected, final RumSegment segment, final long offset)
    {
        final byte[] actual = new byte[expected.length];
        segment.copyTo(offset, actual, 0, actual.length);
        final int mismatch = Arrays.mismatch(expected, actual);
        expect(mismatch < 0, "byte " + (offset + mismatch) + " is " + (mismatch < 0 ? 0 : actual[mismatch])
            + ", expected " + (mismatch < 0 ? 0 : expected[mismatch]));
    }

    private void runAll(final SampleCluster cluster) throws RuntimeException
    {
        final Rum[] holder = new Rum[1];
        check("init", () -> holder[0] = cluster.newClient());
        final Rum rum = holder[0];
        if (null == rum)
        {
            return;
        }
        final SplittableRandom random = new SplittableRandom(2019);
        final int size = 64 * PAGE + 123; // more than the local budget, with a partial last page
        final byte[] reference = new byte[size];
        final RumSegment[] segment = new RumSegment[1];

        check("alloc", () ->
        {
            segment[0] = rum.alloc(size);
            expect(segment[0].size() == size, "size " + segment[0].size());
            expectBytes(reference, segment[0], 0);
        });
        check("alloc on each slave", () ->
        {
            for (final Member slave : rum.slaves())
            {
                final RumSegment s = rum.alloc(100, slave.nodeId());
                expect(s.slaveId() == slave.nodeId(), "placed on " + s.slaveId());
                rum.free(s);
            }
        });
        check("calloc", () ->
        {
            final RumSegment s = rum.calloc(1000, 40);
            expect(s.size() == 40_000, "size " + s.size());
            expectBytes(new byte[40_000], s, 0);
            rum.free(s);
        });
        final RumSegment seg = segment[0];
        if (null == seg)
        {
            return;
        }
        check("putByte/getByte", () ->
        {
            for (int i = 0; i < 2000; i++)
            {
                final int at = random.nextInt(size);
                reference[at] = (byte)random.nextInt();
                seg.putByte(at, reference[at]);
            }
            for (int at = 0; at < size; at += 97)
            {
                expect(seg.getByte(at) == reference[at], "byte at " + at);
            }
        });
        check("putInt/getInt", () ->
        {
            for (int i = 0; i < 2000; i++)
            {
                final int at = i % 10 == 0 ? (random.nextInt(64) + 1) * PAGE - 2 : random.nextInt(size - 4);
                final int value = random.nextInt();
                seg.putInt(at, value);
                for (int k = 0; k < 4; k++)
                {
                    reference[at + k] = (byte)(value >>> (8 * k));
                }
                expect(seg.getInt(at) == value, "int at " + at);
            }
        });
        check("putLong/getLong", () ->
        {
            for (int i = 0; i < 2000; i++)
            {
                final int at = i % 10 == 0 ? (random.nextInt(63) + 1) * PAGE - 5 : random.nextInt(size - 8);
                final long value = random.nextLong();
                seg.putLong(at, value);
                for (int k = 0; k < 8; k++)
                {
                    reference[at + k] = (byte)(value >>> (8 * k));
                }
            }
            expectBytes(reference, seg, 0);
        });
        check("copyFrom/copyTo byte[]", () ->
        {
            final byte[] data = new byte[3 * PAGE + 17];
            random.nextBytes(data);
            final int at = PAGE / 2;
            seg.copyFrom(at, data, 0, data.length);
            System.arraycopy(data, 0, reference, at, data.length);
            expectBytes(reference, seg, 0);
        });
        check("copyFrom/copyTo MemorySegment", () ->
        {
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment local = arena.allocate(2 * PAGE);
                for (int i = 0; i < local.byteSize(); i++)
                {
                    local.set(ValueLayout.JAVA_BYTE, i, (byte)(i * 13));
                }
                final long at = size - local.byteSize();
                seg.copyFrom(at, local, 0, local.byteSize());
                MemorySegment.copy(local, ValueLayout.JAVA_BYTE, 0, reference, (int)at, (int)local.byteSize());
                final MemorySegment back = arena.allocate(local.byteSize());
                seg.copyTo(at, back, 0, back.byteSize());
                expect(back.mismatch(local) < 0, "segment copy differs at " + back.mismatch(local));
            }
        });
        check("flush", () ->
        {
            rum.flush();
            expectBytes(reference, seg, 0);
        });
        check("realloc", () ->
        {
            final long handle = seg.handle();
            rum.realloc(seg, 2L * size);
            expect(seg.handle() == handle, "the handle changed");
            final byte[] grown = Arrays.copyOf(reference, 2 * size);
            expectBytes(grown, seg, 0);
            rum.realloc(seg, size / 2);
            expectBytes(Arrays.copyOf(reference, size / 2), seg, 0);
            rum.realloc(seg, size);
            Arrays.fill(reference, size / 2, size, (byte)0);
            expectBytes(reference, seg, 0);
        });
        final String name = "memtest-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        check("allocNamed", () ->
        {
            final RumSegment named = rum.allocNamed(name, 5 * PAGE);
            named.putLong(3 * PAGE, 0x5EED);
            expect(rum.allocNamed(name, 5 * PAGE) == named, "the same name gave another segment");
            rum.flush();
            try (Rum other = cluster.newClient())
            {
                final RumSegment there = other.allocNamed(name, 5 * PAGE);
                expect(there.handle() == named.handle(), "another client got another region");
                expect(there.getLong(3 * PAGE) == 0x5EED, "another client reads " + there.getLong(3 * PAGE));
                try
                {
                    other.allocNamed(name, 6 * PAGE);
                    throw new AssertionError("another size was accepted");
                }
                catch (final RumException ex)
                {
                    expect(ex.slaveStatus() == Status.NAME_SIZE_MISMATCH, ex.getMessage());
                }
            }
        });
        check("attachNamed", () ->
        {
            try (Rum other = cluster.newClient())
            {
                final RumSegment there = other.attachNamed(name);
                expect(there.size() == 5 * PAGE, "size " + there.size());
                expect(there.getLong(3 * PAGE) == 0x5EED, "reads " + there.getLong(3 * PAGE));
            }
        });
        check("free", () ->
        {
            final RumSegment s = rum.alloc(100);
            rum.free(s);
            try
            {
                s.getByte(0);
                throw new AssertionError("a freed segment was readable");
            }
            catch (final IllegalStateException expected)
            {
                // As documented.
            }
            rum.free(rum.attachNamed(name));
            try
            {
                rum.attachNamed(name);
                throw new AssertionError("a freed name was found");
            }
            catch (final RumException ex)
            {
                expect(ex.slaveStatus() == Status.NO_SUCH_NAME, ex.getMessage());
            }
        });
        check("errors", () ->
        {
            try
            {
                seg.getLong(size - 4);
                throw new AssertionError("read past the end");
            }
            catch (final IndexOutOfBoundsException expected)
            {
                expect(expected.getMessage().contains("outside segment"), expected.getMessage());
            }
            try
            {
                rum.alloc(1L << 40);
                throw new AssertionError("1 TiB was allocated");
            }
            catch (final RumException ex)
            {
                expect(ex.slaveStatus() == Status.OUT_OF_MEMORY, ex.getMessage());
            }
            expectBytes(reference, seg, 0);
        });
        check("stats", () ->
        {
            for (final Member slave : rum.slaves())
            {
                final String stats = rum.stats(slave.nodeId());
                expect(stats.contains("memory budget bytes:") && stats.contains("regions:"), stats);
            }
        });
        check("close", () ->
        {
            final String keep = name + "-kept";
            try (Rum other = cluster.newClient())
            {
                other.allocNamed(keep, 100).putLong(0, 99);
            }
            final RumSegment kept = rum.attachNamed(keep);
            expect(kept.getLong(0) == 99, "close did not write the named segment back");
            rum.free(kept);
            rum.close();
            try
            {
                rum.alloc(1);
                throw new AssertionError("alloc after close");
            }
            catch (final IllegalStateException expected)
            {
                // As documented.
            }
        });
    }
}
