package io.rum.bench;

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
 */
final class TransportBench
{
    private static final int[] SIZES = {64, 1024, 4096};
    private static final int IN_FLIGHT = 8;

    private final BenchOptions options;
    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    TransportBench(final BenchOptions options)
    {
        this.options = options;
    }

    private record Row(String transport, int size, double p50Us, double p99Us, double p999Us, double bytesPerCall)
    {
    }

    private record Rate(String transport, int size, double callsPerSecond)
    {
    }

    String run()
    {
        final List<Row> rows = new ArrayList<>();
        final List<Rate> rates = new ArrayList<>();
        measure(new RawUdpRoundTripper(), rows, rates);
        measure(inProcess(), rows, rates);
        measure(udp(), rows, rates);
        return render(rows, rates);
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
        return new RumRoundTripper("RUM UDP loopback", client, server);
    }

    private void measure(final RoundTripper tripper, final List<Row> rows, final List<Rate> rates)
    {
        try (tripper)
        {
            for (final int size : SIZES)
            {
                final UnsafeBuffer request = new UnsafeBuffer(new byte[size]);
                progress(tripper.name() + ", " + size + " B: warming up");
                for (int i = 0; i < options.warmup(); i++)
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
                rows.add(new Row(tripper.name(), size, histogram.getValueAtPercentile(50) / 1e3,
                    histogram.getValueAtPercentile(99) / 1e3, histogram.getValueAtPercentile(99.9) / 1e3,
                    (double)allocated / options.calls()));
                progress(String.format(Locale.ROOT, "  p50 %.1f us, p99 %.1f us, %.1f B/call",
                    histogram.getValueAtPercentile(50) / 1e3, histogram.getValueAtPercentile(99) / 1e3,
                    (double)allocated / options.calls()));
            }
            final int size = 64;
            progress(tripper.name() + ": throughput, " + IN_FLIGHT + " in flight, " + options.seconds() + " s");
            final double rate = tripper.throughput(IN_FLIGHT, options.seconds(), size);
            rates.add(new Rate(tripper.name(), size, rate));
            progress(String.format(Locale.ROOT, "  %,.0f calls/s", rate));
        }
    }

    private static void progress(final String line)
    {
        System.out.println("[bench] " + line);
    }

    private static String render(final List<Row> rows, final List<Rate> rates)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("Round trips with one call outstanding (µs). Ratio = p50 / p50 of the raw UDP baseline at the same size.\n\n");
        sb.append("| transport | size | p50 | p99 | p99.9 | p50 ratio | heap B/call |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (final Row row : rows)
        {
            final double base = rows.stream().filter(r -> r.size() == row.size()).findFirst().orElseThrow().p50Us();
            sb.append(String.format(Locale.ROOT, "| %s | %d B | %.1f | %.1f | %.1f | %.2f× | %.1f |%n",
                row.transport(), row.size(), row.p50Us(), row.p99Us(), row.p999Us(), row.p50Us() / base,
                row.bytesPerCall()));
        }
        sb.append("\nThroughput with ").append(IN_FLIGHT).append(" calls outstanding, 64 B (calls/s). ");
        sb.append("Ratio against the raw UDP baseline.\n\n");
        sb.append("| transport | calls/s | ratio |\n|---|---:|---:|\n");
        final double base = rates.getFirst().callsPerSecond();
        for (final Rate rate : rates)
        {
            sb.append(String.format(Locale.ROOT, "| %s | %,.0f | %.2f× |%n", rate.transport(), rate.callsPerSecond(),
                rate.callsPerSecond() / base));
        }
        return sb.toString();
    }
}
