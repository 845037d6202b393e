package io.rum.bench;

import io.rum.allocator.Rum;
import io.rum.allocator.RumOptions;
import io.rum.allocator.RumSegment;
import io.rum.allocator.protocol.Opcode;
import io.rum.allocator.protocol.RequestFlyweight;
import io.rum.allocator.protocol.ResponseFlyweight;
import io.rum.allocator.protocol.Status;
import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcClient;
import io.rum.net.transport.RpcStatus;
import io.rum.net.transport.Transport;
import io.rum.slave.EmbeddedCluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./rum bench memory}: what the paged remote-memory API costs against the transport it runs on, in one
 * run on one embedded slave. The baseline moves the same bytes with bare READ and WRITE RPCs, page by page with
 * four calls in flight (what {@code RumSegment} can use at best); then {@code RumSegment} reads and writes the
 * same data sequentially and at random pages through a local page budget eight times smaller than the data,
 * so it faults, prefetches, evicts and writes back; last, the rate of small alloc/free pairs.
 */
final class MemoryBench
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    private static final int IN_FLIGHT = 4;

    private final BenchOptions options;

    MemoryBench(final BenchOptions options)
    {
        this.options = options;
    }

    private record Row(String what, double value, String unit, String ratio)
    {
    }

    String run()
    {
        final long dataBytes = options.quick() ? 16L << 20 : 128L << 20;
        final int pageSize = RumOptions.DEFAULT_PAGE_SIZE_BYTES;
        final RumOptions rumOptions = RumOptions.defaults().withLocalBudgetBytes(dataBytes / 8).withPartitionCount(1024);
        final List<Row> rows = new ArrayList<>();
        try (EmbeddedCluster cluster = EmbeddedCluster.start(1, dataBytes * 2 + (64L << 20));
            Rum rum = cluster.newClient(rumOptions))
        {
            final RumSegment segment = rum.alloc(dataBytes);
            final byte[] page = new byte[pageSize];
            for (int i = 0; i < pageSize; i++)
            {
                page[i] = (byte)i;
            }
            // Fill once so every page exists on the slave before anything is timed.
            for (long offset = 0; offset < dataBytes; offset += pageSize)
            {
                segment.copyFrom(offset, page, 0, pageSize);
            }
            segment.flush();

            try (Transport transport = cluster.newClientTransport())
            {
                final RpcClient rpc = transport.rpcClient(segment.slaveId());
                progress("raw transport: READ and WRITE of " + pageSize / 1024 + " KiB pages, " + IN_FLIGHT + " in flight");
                rawPass(rpc, segment, dataBytes, pageSize, Opcode.READ);
                final double rawRead = rawPass(rpc, segment, dataBytes, pageSize, Opcode.READ);
                final double rawWrite = rawPass(rpc, segment, dataBytes, pageSize, Opcode.WRITE);
                rows.add(new Row("raw READ RPCs (baseline)", rawRead, "MiB/s", "1.00×"));
                rows.add(new Row("raw WRITE RPCs (baseline)", rawWrite, "MiB/s", "1.00×"));

                progress("RumSegment: sequential read");
                final double seqRead = sequentialRead(segment, dataBytes, page);
                rows.add(new Row("RumSegment sequential read", seqRead, "MiB/s", ratio(seqRead, rawRead)));
                progress("RumSegment: sequential write + flush");
                final double seqWrite = sequentialWrite(segment, dataBytes, page);
                rows.add(new Row("RumSegment sequential write + flush", seqWrite, "MiB/s", ratio(seqWrite, rawWrite)));
                progress("RumSegment: random page reads and writes");
                final double randomRead = randomAccess(segment, dataBytes, pageSize, false);
                final double randomWrite = randomAccess(segment, dataBytes, pageSize, true);
                rows.add(new Row("RumSegment random 8-byte read, one per page", randomRead, "ops/s", "-"));
                rows.add(new Row("RumSegment random 8-byte write, one per page", randomWrite, "ops/s", "-"));
            }
            rum.free(segment);
            progress("alloc/free of 64 bytes");
            rows.add(new Row("alloc(64) + free pairs", allocFree(rum), "pairs/s", "-"));
        }
        return render(rows, dataBytes, pageSize);
    }

    private static String ratio(final double value, final double base)
    {
        return String.format(Locale.ROOT, "%.2f×", value / base);
    }

    /**
     * @return MiB/s moving every page of the segment with bare RPCs.
     */
    private static double rawPass(
        final RpcClient rpc, final RumSegment segment, final long dataBytes, final int pageSize, final int opcode)
    {
        final PendingCall[] calls = new PendingCall[IN_FLIGHT];
        final RequestFlyweight request = new RequestFlyweight();
        final ResponseFlyweight response = new ResponseFlyweight();
        final long pages = dataBytes / pageSize;
        final long start = System.nanoTime();
        for (long p = 0; p < pages + IN_FLIGHT; p++)
        {
            final int slot = (int)(p % IN_FLIGHT);
            if (null != calls[slot])
            {
                final PendingCall call = calls[slot];
                if (call.await() != RpcStatus.OK)
                {
                    throw new IllegalStateException(RpcStatus.describe(call.status()));
                }
                response.wrap(call.response(), 0, call.responseLength());
                if (response.status() != Status.OK)
                {
                    throw new IllegalStateException(Status.describe(response.status()) + ": " + response.payloadText());
                }
                call.release();
                calls[slot] = null;
            }
            if (p < pages)
            {
                final PendingCall call = rpc.begin(TIMEOUT_NS);
                final int length = RequestFlyweight.HEADER_LENGTH + (opcode == Opcode.WRITE ? pageSize : 0);
                request.wrap(call.request(length), 0, length)
                    .write(opcode, segment.handle(), p * pageSize, pageSize);
                call.send(length, TIMEOUT_NS);
                calls[slot] = call;
            }
        }
        return mibPerSecond(dataBytes, System.nanoTime() - start);
    }

    private static double sequentialRead(final RumSegment segment, final long dataBytes, final byte[] page)
    {
        segment.flush();
        // Cold: the fill left only the last pages (one budget's worth) local, so reading from 0 faults every page.
        final long start = System.nanoTime();
        for (long offset = 0; offset < dataBytes; offset += page.length)
        {
            segment.copyTo(offset, page, 0, page.length);
        }
        return mibPerSecond(dataBytes, System.nanoTime() - start);
    }

    private static double sequentialWrite(final RumSegment segment, final long dataBytes, final byte[] page)
    {
        final long start = System.nanoTime();
        for (long offset = 0; offset < dataBytes; offset += page.length)
        {
            segment.copyFrom(offset, page, 0, page.length);
        }
        segment.flush();
        return mibPerSecond(dataBytes, System.nanoTime() - start);
    }

    private double randomAccess(final RumSegment segment, final long dataBytes, final int pageSize, final boolean write)
    {
        final SplittableRandom random = new SplittableRandom(7);
        final long pages = dataBytes / pageSize;
        final int operations = options.quick() ? 2_000 : 20_000;
        long sink = 0;
        final long start = System.nanoTime();
        for (int i = 0; i < operations; i++)
        {
            final long offset = random.nextLong(pages) * pageSize + random.nextInt(pageSize / 8) * 8L;
            if (write)
            {
                segment.putLong(offset, i);
            }
            else
            {
                sink += segment.getLong(offset);
            }
        }
        if (write)
        {
            segment.flush();
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        if (sink == 42)
        {
            System.out.print("");
        }
        return operations / seconds;
    }

    private double allocFree(final Rum rum)
    {
        final long endNs = System.nanoTime() + (long)(options.seconds() * 1e9);
        long pairs = 0;
        final long start = System.nanoTime();
        while (System.nanoTime() - endNs < 0)
        {
            rum.free(rum.alloc(64));
            pairs++;
        }
        return pairs / ((System.nanoTime() - start) / 1e9);
    }

    private static double mibPerSecond(final long bytes, final long nanos)
    {
        return bytes / (1024.0 * 1024.0) / (nanos / 1e9);
    }

    private static void progress(final String line)
    {
        System.out.println("[bench] " + line);
    }

    private static String render(final List<Row> rows, final long dataBytes, final int pageSize)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "One embedded slave (in-process transport), %d MiB of data, %d KiB pages, " +
            "local page budget %d MiB (one eighth of the data). Ratio = against the bare RPC baseline moving the same " +
            "bytes in the same run (goal for sequential: ≥ 0.5×).%n%n", dataBytes >> 20, pageSize / 1024,
            (dataBytes / 8) >> 20));
        sb.append("| what | value | unit | ratio |\n|---|---:|---|---:|\n");
        for (final Row row : rows)
        {
            sb.append(String.format(Locale.ROOT, "| %s | %,.0f | %s | %s |%n", row.what(), row.value(), row.unit(),
                row.ratio()));
        }
        return sb.toString();
    }
}
