package io.rum.bench;

import io.rum.net.dpdk.Eal;
import io.rum.net.medium.InProcessNetwork;
import io.rum.net.medium.UdpMedium;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./rum bench transport}: round-trip latency percentiles with one call outstanding, throughput with eight,
 * and heap allocated per call (all threads, the way JMH's {@code -prof gc} counts it), for RUM's in-process and
 * UDP transports and, in the same run, a bare UDP echo as the baseline.
 *
 * <p>With DPDK installed, the same run adds memif between two processes: a raw C ping-pong as the memif baseline
 * ({@link MemifPingPong}, each end busy-polling on a CPU of its own) and RUM over {@code DpdkMedium} between this
 * JVM and a child JVM ({@link DpdkRoundTripper}), once as a node runs by default (the idle strategy asked for,
 * backoff, nothing pinned) and once under the C baseline's conditions (the echo node's poller busy-spinning on the
 * C server's CPU, the caller pinned to the C client's). Those rows get a second ratio, against the C baseline.
 * Without DPDK the output says why those rows are missing.
 */
final class TransportBench
{
    private static final int[] SIZES = {64, 1024, 4096};
    private static final int IN_FLIGHT = 8;
    private static final long WARMUP_NS = 2_000_000_000L;

    private final BenchOptions options;
    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    TransportBench(final BenchOptions options)
    {
        this.options = options;
    }

    private static final String RAW_UDP = "raw UDP loopback (baseline)";
    private static final String RUM_UDP = "RUM UDP loopback";
    private static final String RAW_MEMIF = "raw C memif (baseline)";

    /**
     * @param memif whether this is a DPDK memif row (it also gets a ratio against the C memif baseline).
     */
    private record Row(String transport, String idle, boolean memif, int size, double p50Us, double p99Us,
        double p999Us, double bytesPerCall)
    {
    }

    private record Rate(String transport, String idle, boolean memif, int size, double callsPerSecond)
    {
    }

    String run()
    {
        final long startNs = System.nanoTime();
        final List<Row> rows = new ArrayList<>();
        final List<Rate> rates = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        measure(new RawUdpRoundTripper(), "backoff (echo side)", false, rows, rates);
        measure(inProcess(), options.idle(), false, rows, rates);
        measure(udp(), options.idle(), false, rows, rates);
        measureMemif(rows, rates, notes);
        progress(String.format(Locale.ROOT, "done in %.0f s", (System.nanoTime() - startNs) / 1e9));
        return render(rows, rates, notes);
    }

    /**
     * The DPDK memif rows: the raw C baseline, then RUM between two JVMs with each idle strategy. EAL can start
     * once per JVM, so a reference to it is held from the first RUM row to the end.
     */
    private void measureMemif(final List<Row> rows, final List<Rate> rates, final List<String> notes)
    {
        final String cMissing = MemifPingPong.unavailable();
        final String javaMissing = DpdkRoundTripper.unavailable();
        if (null != cMissing || null != javaMissing)
        {
            final String why = null != cMissing ? cMissing : javaMissing;
            progress("the DPDK memif rows cannot run: " + why);
            notes.add("The DPDK memif rows could not run on this machine: " + why + ".");
            return;
        }
        try
        {
            progress(RAW_MEMIF + ": two processes, " + options.calls() + " round trips per size");
            final MemifPingPong.Result c = MemifPingPong.run(options.calls(), options.warmup(), options.seconds(),
                IN_FLIGHT, SIZES, TransportBench::progress);
            for (final MemifPingPong.Latency latency : c.latencies())
            {
                rows.add(new Row(RAW_MEMIF, "busy poll", true, latency.size(), latency.p50Ns() / 1e3,
                    latency.p99Ns() / 1e3, latency.p999Ns() / 1e3, Double.NaN));
            }
            rates.add(new Rate(RAW_MEMIF, "busy poll", true, 64, c.rate()));
            final long lost = c.latencies().stream().mapToLong(MemifPingPong.Latency::lost).sum() + c.lostInThroughput();
            notes.add("Raw C memif: server and client pinned by EAL, " + c.placement() + "; frames lost by memif " +
                "(not counted as round trips): " + lost + ".");
        }
        catch (final RuntimeException ex)
        {
            progress("raw C memif failed: " + ex.getMessage());
            notes.add("The raw C memif baseline failed: " + ex.getMessage() + ".");
        }
        // Two RUM rows. The first as a node runs by default: the idle strategy asked for (backoff), nothing pinned.
        // The second under the C baseline's conditions: the echo node's poller busy-spins pinned to the C server's
        // CPU and the calling thread here is pinned to the C client's, so the ratio compares protocol with protocol.
        final int[] cpus = MemifPingPong.twoCpus();
        final String pinned = "spin, pinned";
        Eal eal = null;
        try
        {
            progress("RUM DPDK memif, idle " + options.idle() + ": starting the echo node JVM");
            final DpdkRoundTripper free = DpdkRoundTripper.start(options.idle(), -1, options.idle(),
                TransportBench::progress);
            eal = Eal.running().retain();
            measure(free, options.idle(), true, rows, rates);
            if (cpus[0] != cpus[1])
            {
                progress("RUM DPDK memif, " + pinned + ": echo node poller on CPU " + cpus[0] + ", caller on CPU " +
                    cpus[1]);
                measureOnCpu(DpdkRoundTripper.start("spin", cpus[0], "backoff", TransportBench::progress), pinned,
                    cpus[1], rows, rates);
                notes.add("RUM DPDK memif, " + pinned + ": the echo node's poller busy-spins pinned to CPU " + cpus[0] +
                    " and the calling thread here is pinned to CPU " + cpus[1] + ", as the C baseline's server and " +
                    "client are; this JVM's poller (backoff) parks while the caller runs the duty cycle.");
            }
            else
            {
                notes.add("RUM DPDK memif pinned: not run, this process may use one CPU only.");
            }
            notes.add("RUM DPDK memif: this JVM is the client (memif client), a child JVM running " +
                "io.rum.bench.DpdkEchoNode the server (memif server). Unpinned rows: EAL maps its lcore to every " +
                "allowed CPU and the scheduler places the threads. A caller waiting for its call runs the duty " +
                "cycle itself while this JVM's poller parks. heap B/call counts this JVM only.");
        }
        catch (final RuntimeException ex)
        {
            progress("RUM DPDK memif failed: " + ex.getMessage());
            notes.add("RUM over DPDK memif failed: " + ex.getMessage() + ".");
        }
        finally
        {
            if (null != eal)
            {
                eal.close();
            }
        }
    }

    /**
     * {@link #measure} on a thread of its own pinned to {@code cpu}, so the bench's main thread stays unpinned.
     */
    private void measureOnCpu(final RoundTripper tripper, final String idle, final int cpu, final List<Row> rows,
        final List<Rate> rates)
    {
        final RuntimeException[] failure = new RuntimeException[1];
        final Thread caller = Thread.ofPlatform().name("rum-bench-caller-cpu" + cpu).start(() ->
        {
            try
            {
                io.rum.net.os.CpuAffinity.pinCurrentThread(cpu);
                measure(tripper, idle, true, rows, rates);
            }
            catch (final RuntimeException ex)
            {
                failure[0] = ex;
                tripper.close();
            }
        });
        try
        {
            caller.join();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring on CPU " + cpu, ex);
        }
        if (null != failure[0])
        {
            throw failure[0];
        }
    }

    private RoundTripper inProcess()
    {
        final InProcessNetwork network = new InProcessNetwork();
        final ReliableTransport server = ReliableTransport.create(TransportConfig.defaults(2), network.attach(2)).start(options.idleStrategy());
        final ReliableTransport client = ReliableTransport.create(TransportConfig.defaults(1), network.attach(1))
            .start(options.idleStrategy());
        return new RumRoundTripper("RUM in-process", client, server);
    }

    private RoundTripper udp()
    {
        final InetAddress loopback = InetAddress.getLoopbackAddress();
        final UdpMedium serverMedium = new UdpMedium(new InetSocketAddress(loopback, 0), Map.of(),
            UdpMedium.DEFAULT_MAX_FRAME_LENGTH, UdpMedium.DEFAULT_MAX_PEERS);
        final UdpMedium clientMedium = new UdpMedium(new InetSocketAddress(loopback, 0),
            Map.of(2, serverMedium.localAddress()), UdpMedium.DEFAULT_MAX_FRAME_LENGTH, UdpMedium.DEFAULT_MAX_PEERS);
        final ReliableTransport server = ReliableTransport.create(TransportConfig.defaults(2), serverMedium)
            .start(options.idleStrategy());
        final ReliableTransport client = ReliableTransport.create(TransportConfig.defaults(1), clientMedium)
            .start(options.idleStrategy());
        return new RumRoundTripper(RUM_UDP, client, server);
    }

    private void measure(final RoundTripper tripper, final String idle, final boolean memif, final List<Row> rows,
        final List<Rate> rates)
    {
        try (tripper)
        {
            for (final int size : SIZES)
            {
                final UnsafeBuffer request = new UnsafeBuffer(new byte[size]);
                progress(tripper.name() + ", idle " + idle + ", " + size + " B: warming up");
                // By count and by time: a count-only warm-up left the first size of the unpinned rows at 6-8 µs in
                // three runs where a 300,000-call run gave 0.6-1 µs (the JIT short of CPU beside two busy threads,
                // or the scheduler still settling them on one CPU: docs/BENCHMARKS.md); both need time, not calls.
                final long warmUntilNs = System.nanoTime() + (options.quick() ? 0 : WARMUP_NS);
                for (int i = 0; i < options.warmup() || System.nanoTime() - warmUntilNs < 0; i++)
                {
                    tripper.roundTrip(request, size);
                }
                progress(tripper.name() + ", " + size + " B: " + options.calls() + " round trips");
                final Histogram histogram = new Histogram(10_000_000_000L, 3);
                final long allocatedBefore = threads.getTotalThreadAllocatedBytes();
                for (int i = 0; i < options.calls(); i++)
                {
                    final long start = System.nanoTime();
                    tripper.roundTrip(request, size);
                    histogram.recordValue(System.nanoTime() - start);
                }
                final long allocated = threads.getTotalThreadAllocatedBytes() - allocatedBefore;
                rows.add(new Row(tripper.name(), idle, memif, size, histogram.getValueAtPercentile(50) / 1e3,
                    histogram.getValueAtPercentile(99) / 1e3, histogram.getValueAtPercentile(99.9) / 1e3,
                    (double)allocated / options.calls()));
                progress(String.format(Locale.ROOT, "  p50 %.1f us, p99 %.1f us, %.1f B/call",
                    histogram.getValueAtPercentile(50) / 1e3, histogram.getValueAtPercentile(99) / 1e3,
                    (double)allocated / options.calls()));
            }
            final int size = 64;
            progress(tripper.name() + ", idle " + idle + ": throughput, " + IN_FLIGHT + " in flight, " +
                options.seconds() + " s");
            final double rate = tripper.throughput(IN_FLIGHT, options.seconds(), size);
            rates.add(new Rate(tripper.name(), idle, memif, size, rate));
            progress(String.format(Locale.ROOT, "  %,.0f calls/s", rate));
        }
    }

    private static void progress(final String line)
    {
        System.out.println("[bench] " + line);
    }

    private static String render(final List<Row> rows, final List<Rate> rates, final List<String> notes)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("Round trips with one call outstanding (µs). Ratio = p50 / p50 of the raw UDP baseline at the same size.\n\n");
        sb.append("| transport | idle | size | p50 | p99 | p99.9 | p50 ratio | heap B/call |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (final Row row : rows)
        {
            final double base = p50(rows, RAW_UDP, null, row.size());
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d B | %s | %s | %s | %s | %s |%n",
                row.transport(), row.idle(), row.size(), us(row.p50Us()), us(row.p99Us()), us(row.p999Us()),
                ratio(row.p50Us(), base), Double.isNaN(row.bytesPerCall()) ? "n/a" :
                    String.format(Locale.ROOT, "%.1f", row.bytesPerCall())));
        }
        if (rows.stream().anyMatch(r -> r.memif() && !r.transport().equals(RAW_MEMIF)))
        {
            sb.append("\nDPDK memif p50 against the baselines (goal: ≤ 2× raw C memif and ≤ 0.2× UDP loopback).\n\n");
            sb.append("| transport | idle | size | p50 | × raw C memif | × raw UDP | × RUM UDP |\n");
            sb.append("|---|---|---:|---:|---:|---:|---:|\n");
            for (final Row row : rows)
            {
                if (!row.memif() || row.transport().equals(RAW_MEMIF))
                {
                    continue;
                }
                sb.append(String.format(Locale.ROOT, "| %s | %s | %d B | %s | %s | %s | %s |%n", row.transport(),
                    row.idle(), row.size(), us(row.p50Us()), ratio(row.p50Us(), p50(rows, RAW_MEMIF, null, row.size())),
                    ratio(row.p50Us(), p50(rows, RAW_UDP, null, row.size())),
                    ratio(row.p50Us(), p50(rows, RUM_UDP, null, row.size()))));
            }
        }
        sb.append("\nThroughput with ").append(IN_FLIGHT).append(" calls outstanding, 64 B (calls/s). ");
        sb.append("Ratio against the raw UDP baseline, and for memif rows against the raw C memif baseline ");
        sb.append("(").append(IN_FLIGHT).append(" frames outstanding).\n\n");
        sb.append("| transport | idle | calls/s | ratio | × raw C memif |\n|---|---|---:|---:|---:|\n");
        final double base = rate(rates, RAW_UDP);
        final double memifBase = rate(rates, RAW_MEMIF);
        for (final Rate rate : rates)
        {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %s | %s |%n", rate.transport(), rate.idle(),
                rate.callsPerSecond(), ratio(rate.callsPerSecond(), base),
                rate.memif() ? ratio(rate.callsPerSecond(), memifBase) : ""));
        }
        if (!notes.isEmpty())
        {
            sb.append('\n');
            for (final String note : notes)
            {
                sb.append("* ").append(note).append('\n');
            }
        }
        return sb.toString();
    }

    private static double p50(final List<Row> rows, final String transport, final String idle, final int size)
    {
        return rows.stream()
            .filter(r -> r.transport().equals(transport) && r.size() == size && (null == idle || r.idle().equals(idle)))
            .mapToDouble(Row::p50Us).findFirst().orElse(Double.NaN);
    }

    private static double rate(final List<Rate> rates, final String transport)
    {
        return rates.stream().filter(r -> r.transport().equals(transport))
            .mapToDouble(Rate::callsPerSecond).findFirst().orElse(Double.NaN);
    }

    /** Sub-microsecond figures need two decimals, the rest one. */
    private static String us(final double value)
    {
        return String.format(Locale.ROOT, value < 10 ? "%.2f" : "%.1f", value);
    }

    private static String ratio(final double value, final double base)
    {
        return Double.isNaN(base) || base <= 0 ? "n/a" : String.format(Locale.ROOT, "%.2f×", value / base);
    }
}
