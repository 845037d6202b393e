package io.rum.bench;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Entry point of {@code ./rum bench <what>}. Each benchmark measures its baseline in the same run and reports
 * ratios; with a docs/BENCHMARKS.md in the working directory, its section there is replaced by the new results.
 */
public final class BenchMain
{
    private BenchMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help"))
        {
            usage();
            return;
        }
        switch (args[0])
        {
            case "transport" ->
            {
                final BenchOptions options = BenchOptions.parse(Arrays.copyOfRange(args, 1, args.length));
                final String markdown = new TransportBench(options).run();
                BenchReport.update(Path.of("docs", "BENCHMARKS.md"), "transport",
                    "./rum bench transport" + options.commandLineSuffix(), markdown, options.write());
            }
            case "memory" ->
            {
                final BenchOptions options = BenchOptions.parse(Arrays.copyOfRange(args, 1, args.length));
                final String markdown = new MemoryBench(options).run();
                BenchReport.update(Path.of("docs", "BENCHMARKS.md"), "memory",
                    "./rum bench memory" + options.commandLineSuffix(), markdown, options.write());
            }
            case "peers" ->
            {
                final BenchOptions options = BenchOptions.parse(Arrays.copyOfRange(args, 1, args.length));
                final String markdown = new PeersBench(options).run();
                BenchReport.update(Path.of("docs", "BENCHMARKS.md"), "peers",
                    "./rum bench peers" + options.commandLineSuffix(), markdown, options.write());
            }
            case "jmh" ->
            {
                final String[] rest = Arrays.copyOfRange(args, 1, args.length);
                final String markdown = JmhBench.run(rest);
                BenchReport.update(Path.of("docs", "BENCHMARKS.md"), "jmh",
                    "./rum bench jmh" + (rest.length > 0 ? " " + rest[0] : ""), markdown, rest.length == 0);
            }
            default ->
            {
                System.err.println("unknown benchmark: " + args[0]);
                usage();
                System.exit(2);
            }
        }
    }

    private static void usage()
    {
        System.out.println("""
            Usage: ./rum bench <what> [options]

              transport   RPC round-trip latency (p50/p99/p999), throughput and allocation per call over the
                          in-process and UDP loopback transports, against a raw UDP ping-pong baseline; with
                          DPDK installed also over memif between two processes: a raw C memif ping-pong
                          (memif_pingpong, built from bench/src/main/c, ends pinned to two CPUs) as the memif
                          baseline, and RUM between this JVM and a child JVM (io.rum.bench.DpdkEchoNode) over
                          DPDK's memif PMD and over RUM's own memif driver, each with the --idle strategy and
                          pinned with the echo node busy-polling as C does; memif rows get a ratio against the
                          C figure. Without DPDK the output says why those rows are missing. About 6 minutes.

              memory      RumSegment sequential and random page reads and writes against bare READ/WRITE RPCs
                          (the raw transport bandwidth) in the same run, and the alloc/free rate.

              peers       RUM against the caches users would pick instead, in one run: hot-tier get against
                          Caffeine's JCache adapter and Ehcache 3 (JMH, one fork per provider, value type,
                          statistics off/on, 1 and 2 threads); remote get/put latency (p50/p99/p999, 1 outstanding)
                          and throughput (16 callers) of 64 B / 1 KiB / 16 KiB values and getAll/putAll of 100 keys
                          against Hazelcast (member in a child JVM, client here, JCache, BINARY, no backups), for RUM
                          over UDP and DPDK memif (one slave in a child JVM, hot tier off; the raw C memif ping-pong
                          as the DPDK floor). Peers or RUM modes that cannot run here are reported with the reason.
                          Prints each peer's configuration. About 8-12 minutes; --quick about 1.5-3.

              jmh [regex]  the JMH benchmarks (frame codec against a plain copy; in-process round trip) with
                          -prof gc, so allocation per operation is reported (gc.alloc.rate.norm, B/op).

            Options of transport, memory and peers:
              --quick           fewer iterations (a smoke run; figures are noisy)
              --calls N         measured calls per latency row (default 50000)
              --seconds S       seconds per throughput row (default 3)
              --no-write        print only; do not update docs/BENCHMARKS.md
              --idle backoff|yield|spin   transport only: the pollers' idle strategy (default: a node's
                          default, backoff); the memif rows run with it and with busy polling
            """);
    }
}
