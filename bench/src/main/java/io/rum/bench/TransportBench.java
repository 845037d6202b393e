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
 * C server's CPU, the caller pinned to the C client's); then the same two rows over RUM's own memif driver
 * ({@code MemifMedium}, both JVMs). Those rows get a second ratio, against the C baseline. Without DPDK the output
 * says why those rows are missing.
 *
 * <p>The C baseline runs before, between and after the four RUM row sets, and each RUM row is compared with the
 * mean of the C runs on either side of it: this host runs the same C ping-pong at two speeds, minutes apart (its
 * two vCPUs are sometimes close on the host, sometimes far: 0.2-0.3 µs against 1.3-1.4 µs at 64 B), so a ratio
 * against a C figure taken at another time can be off by 4×. A row whose two C runs differ by more than
 * {@value #PHASE_TOLERANCE_PERCENT}% is flagged: the host changed speed while it ran.
 */
final class TransportBench
{
    private static final int[] SIZES = {64, 1024, 4096};
    private static final int IN_FLIGHT = 8;
    private static final long WARMUP_NS = 2_000_000_000L;
    private static final int PHASE_TOLERANCE_PERCENT = 25;

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
     * @param memif   whether this is a DPDK memif row (it also gets a ratio against the C memif baseline).
     * @param cBefore for a RUM memif row, the C run just before it (its idle label), else null.
     * @param cAfter  the C run just after it, else null.
     */
    private record Row(String transport, String idle, boolean memif, int size, double p50Us, double p99Us,
        double p999Us, double bytesPerCall, String cBefore, String cAfter)
    {
        Row(final String transport, final String idle, final boolean memif, final int size, final double p50Us,
            final double p99Us, final double p999Us, final double bytesPerCall)
        {
            this(transport, idle, memif, size, p50Us, p99Us, p999Us, bytesPerCall, null, null);
        }

        Row between(final String before, final String after)
        {
            return new Row(transport, idle, memif, size, p50Us, p99Us, p999Us, bytesPerCall, before, after);
        }
    }

    private record Rate(String transport, String idle, boolean memif, int size, double callsPerSecond, String cBefore,
        String cAfter)
    {
        Rate(final String transport, final String idle, final boolean memif, final int size,
            final double callsPerSecond)
        {
            this(transport, idle, memif, size, callsPerSecond, null, null);
        }

        Rate between(final String before, final String after)
        {
            return new Rate(transport, idle, memif, size, callsPerSecond, before, after);
        }
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
     * The memif rows: the raw C baseline, then RUM between two JVMs over DPDK's memif PMD and over RUM's own memif
     * driver, each as a node runs by default and pinned like C, with C runs between. EAL can start once per JVM, so a
     * reference to it is held from the first DPDK row to the end.
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
        final long[] lost = new long[1];
        final String[] placement = new String[1];
        final String first = measureC(C_RUNS[0], rows, rates, notes, lost, placement);
        // Two RUM rows. The first as a node runs by default: the idle strategy asked for (backoff), nothing pinned.
        // The second under the C baseline's conditions: the echo node's poller busy-spins pinned to the C server's
        // CPU and the calling thread here is pinned to the C client's, so the ratio compares protocol with protocol.
        // EAL starts once per JVM: held from the first DPDK row to the end.
        final Eal[] eal = new Eal[1];
        try
        {
            String before = first;
            for (final boolean javaDriver : new boolean[] {false, true})
            {
                before = measureDriver(javaDriver, before, rows, rates, notes, lost, placement, eal);
            }
            notes.add("RUM DPDK memif: this JVM is the client (memif client), a child JVM running " +
                "io.rum.bench.DpdkEchoNode the server (memif server). Unpinned rows: EAL maps its lcore to every " +
                "allowed CPU and the scheduler places the threads. A caller waiting for its call runs the duty " +
                "cycle itself while this JVM's poller parks. heap B/call counts this JVM only.");
            notes.add("RUM memif: the same two JVMs and echo node (--driver=java), both ends on RUM's own memif " +
                "driver (io.rum.net.memif.MemifMedium: memif's rings read and written from Java, no DPDK).");
        }
        catch (final RuntimeException ex)
        {
            progress("RUM memif failed: " + ex.getMessage());
            notes.add("RUM over memif failed: " + ex.getMessage() + ".");
        }
        finally
        {
            if (null != eal[0])
            {
                eal[0].close();
            }
        }
        if (null != placement[0])
        {
            notes.add("Raw C memif: server and client pinned by EAL, " + placement[0] + "; run before, between and " +
                "after the RUM rows, each RUM row compared with the mean of the C runs on either side (rows marked † " +
                "had C runs more than " + PHASE_TOLERANCE_PERCENT + "% apart: the host changed speed meanwhile); " +
                "frames lost by memif (not counted as round trips): " + lost[0] + ".");
        }
    }

    /**
     * Two RUM rows over one memif driver, each between two C runs. The first as a node runs by default: the idle
     * strategy asked for (backoff), nothing pinned. The second under the C baseline's conditions: the echo node's
     * poller busy-spins pinned to the C server's CPU and the calling thread here is pinned to the C client's, so the
     * ratio compares protocol with protocol.
     *
     * @param eal   where to hold EAL once the first DPDK row started it.
     * @return the label of the last C run.
     */
    private String measureDriver(
        final boolean javaDriver, final String first, final List<Row> rows, final List<Rate> rates,
        final List<String> notes, final long[] lost, final String[] placement, final Eal[] eal)
    {
        final String kind = javaDriver ? "RUM memif" : "RUM DPDK memif";
        final int run = javaDriver ? 3 : 1;
        final int[] cpus = MemifPingPong.twoCpus();
        final String pinned = "spin, pinned";
        progress(kind + ", idle " + options.idle() + ": starting the echo node JVM");
        final DpdkRoundTripper free = DpdkRoundTripper.start(javaDriver, options.idle(), -1, options.idle(),
            TransportBench::progress);
        if (!javaDriver && null == eal[0])
        {
            eal[0] = Eal.running().retain();
        }
        final int freeRows = rows.size();
        final int freeRates = rates.size();
        measure(free, options.idle(), true, rows, rates);
        final String second = measureC(C_RUNS[run], rows, rates, notes, lost, placement);
        between(rows, freeRows, rates, freeRates, first, second);
        if (cpus[0] == cpus[1])
        {
            notes.add(kind + " pinned: not run, this process may use one CPU only.");
            return second;
        }
        progress(kind + ", " + pinned + ": echo node poller on CPU " + cpus[0] + ", caller on CPU " + cpus[1]);
        final int pinnedRows = rows.size();
        final int pinnedRates = rates.size();
        measureOnCpu(DpdkRoundTripper.start(javaDriver, "spin", cpus[0], "backoff", TransportBench::progress),
            pinned, cpus[1], rows, rates);
        final String third = measureC(C_RUNS[run + 1], rows, rates, notes, lost, placement);
        between(rows, pinnedRows, rates, pinnedRates, second, third);
        notes.add(kind + ", " + pinned + ": the echo node's poller busy-spins pinned to CPU " + cpus[0] +
            " and the calling thread here is pinned to CPU " + cpus[1] + ", as the C baseline's server and " +
            "client are; this JVM's poller (backoff) parks while the caller runs the duty cycle.");
        return third;
    }

    /** The C baseline runs, in order: before the RUM memif rows, between each two sets, after them. */
    private static final String[] C_RUNS = {
        "busy poll, run 1", "busy poll, run 2", "busy poll, run 3", "busy poll, run 4", "busy poll, run 5"};

    /**
     * One run of the C baseline, its rows labelled {@code label}.
     *
     * @return the label, or null if it failed (said in the notes).
     */
    private String measureC(
        final String label, final List<Row> rows, final List<Rate> rates, final List<String> notes, final long[] lost,
        final String[] placement)
    {
        try
        {
            progress(RAW_MEMIF + ", " + label + ": two processes, " + options.calls() + " round trips per size");
            final MemifPingPong.Result c = MemifPingPong.run(options.calls(), options.warmup(), options.seconds(),
                IN_FLIGHT, SIZES, TransportBench::progress);
            for (final MemifPingPong.Latency latency : c.latencies())
            {
                rows.add(new Row(RAW_MEMIF, label, true, latency.size(), latency.p50Ns() / 1e3,
                    latency.p99Ns() / 1e3, latency.p999Ns() / 1e3, Double.NaN));
            }
            rates.add(new Rate(RAW_MEMIF, label, true, 64, c.rate()));
            lost[0] += c.latencies().stream().mapToLong(MemifPingPong.Latency::lost).sum() + c.lostInThroughput();
            placement[0] = c.placement();
            return label;
        }
        catch (final RuntimeException ex)
        {
            progress("raw C memif failed: " + ex.getMessage());
            notes.add("The raw C memif baseline, " + label + ", failed: " + ex.getMessage() + ".");
            return null;
        }
    }

    /** Marks the RUM rows and rates from the given indices on with the C runs around them. */
    private static void between(
        final List<Row> rows, final int fromRow, final List<Rate> rates, final int fromRate, final String before,
        final String after)
    {
        for (int i = fromRow; i < rows.size(); i++)
        {
            if (!rows.get(i).transport().equals(RAW_MEMIF))
            {
                rows.set(i, rows.get(i).between(before, after));
            }
        }
        for (int i = fromRate; i < rates.size(); i++)
        {
            if (!rates.get(i).transport().equals(RAW_MEMIF))
            {
                rates.set(i, rates.get(i).between(before, after));
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
            sb.append("\nmemif p50 against the baselines (goal: ≤ 2× raw C memif and ≤ 0.2× UDP loopback). ");
            sb.append("The C figure is the mean of the C runs just before and after the row.\n\n");
            sb.append("| transport | idle | size | p50 | C p50 before / after | × raw C memif | × raw UDP | × RUM UDP |\n");
            sb.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
            for (final Row row : rows)
            {
                if (!row.memif() || row.transport().equals(RAW_MEMIF))
                {
                    continue;
                }
                final double before = cRunP50(rows, row.cBefore(), row.size());
                final double after = cRunP50(rows, row.cAfter(), row.size());
                sb.append(String.format(Locale.ROOT, "| %s | %s | %d B | %s | %s / %s | %s%s | %s | %s |%n",
                    row.transport(), row.idle(), row.size(), us(row.p50Us()), us(before), us(after),
                    ratio(row.p50Us(), baseline(before, after)), phaseChanged(before, after) ? " †" : "",
                    ratio(row.p50Us(), p50(rows, RAW_UDP, null, row.size())),
                    ratio(row.p50Us(), p50(rows, RUM_UDP, null, row.size()))));
            }
        }
        sb.append("\nThroughput with ").append(IN_FLIGHT).append(" calls outstanding, 64 B (calls/s). ");
        sb.append("Ratio against the raw UDP baseline, and for memif rows against the raw C memif baseline ");
        sb.append("(").append(IN_FLIGHT).append(" frames outstanding).\n\n");
        sb.append("| transport | idle | calls/s | ratio | × raw C memif |\n|---|---|---:|---:|---:|\n");
        final double base = rate(rates, RAW_UDP, null);
        for (final Rate rate : rates)
        {
            final String memifRatio;
            if (!rate.memif())
            {
                memifRatio = "";
            }
            else if (rate.transport().equals(RAW_MEMIF))
            {
                memifRatio = "1.00×";
            }
            else
            {
                final double before = cRunRate(rates, rate.cBefore());
                final double after = cRunRate(rates, rate.cAfter());
                memifRatio = ratio(rate.callsPerSecond(), baseline(before, after)) +
                    (phaseChanged(before, after) ? " †" : "");
            }
            sb.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %s | %s |%n", rate.transport(), rate.idle(),
                rate.callsPerSecond(), ratio(rate.callsPerSecond(), base), memifRatio));
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

    private static double rate(final List<Rate> rates, final String transport, final String idle)
    {
        return rates.stream().filter(r -> r.transport().equals(transport) && (null == idle || r.idle().equals(idle)))
            .mapToDouble(Rate::callsPerSecond).findFirst().orElse(Double.NaN);
    }

    /** A C run's p50 at a size, or NaN if that run failed (its label is then null). */
    private static double cRunP50(final List<Row> rows, final String label, final int size)
    {
        return null == label ? Double.NaN : p50(rows, RAW_MEMIF, label, size);
    }

    /** A C run's throughput, or NaN if that run failed. */
    private static double cRunRate(final List<Rate> rates, final String label)
    {
        return null == label ? Double.NaN : rate(rates, RAW_MEMIF, label);
    }

    /** The C figure a RUM row is compared with: the mean of the runs around it, or the one that ran. */
    private static double baseline(final double before, final double after)
    {
        if (Double.isNaN(before))
        {
            return after;
        }
        return Double.isNaN(after) ? before : (before + after) / 2;
    }

    /** Whether the C runs around a row differ by more than the tolerance: the host changed speed in between. */
    static boolean phaseChanged(final double before, final double after)
    {
        return !Double.isNaN(before) && !Double.isNaN(after) &&
            Math.max(before, after) > Math.min(before, after) * (1 + PHASE_TOLERANCE_PERCENT / 100.0);
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
