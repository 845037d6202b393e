package io.rum.bench;

import org.HdrHistogram.Histogram;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.spi.CachingProvider;

/**
 * {@code ./rum bench peers}: RUM against the caches users would pick instead, side by side in one run.
 *
 * <ul>
 * <li>Hot-tier hit: {@code get} of a key in the cache, in this machine's memory: RUM (default URI), Caffeine's
 *     JCache adapter, Ehcache 3's JCache; all store by value, Integer keys, Integer / String / 1 KiB byte[]
 *     values, 1 and 2 threads, statistics off and on. JMH ({@link HotHitBenchmark}), one fork per parameter set.</li>
 * <li>Remote get/put with no near cache or hot tier: Hazelcast (member in a child JVM, client here, JCache) and
 *     RUM over UDP and over DPDK memif (one slave in a child JVM, client here, JCache): 64 B / 1 KiB / 16 KiB
 *     values; latency percentiles with one call outstanding, throughput with 16 callers.</li>
 * <li>Batches: getAll/putAll of 100 keys, 1 KiB values, on the same remote peers.</li>
 * <li>The raw C memif ping-pong of {@code ./rum bench transport} ({@link MemifPingPong}) as the floor of the
 *     DPDK row.</li>
 * </ul>
 *
 * <p>Every ratio is against a peer measured in the same run. A peer that cannot run here (RUM's remote mode before
 * its store exists, DPDK without its packages) is reported with the reason and the run goes on.
 */
final class PeersBench
{
    private static final int[] SIZES = {64, 1024, 16 * 1024};
    private static final int[] MEMIF_SIZES = {64, 1024};
    /** Keys of the remote rows: a power of two, so the next key is a mask away. */
    private static final int KEYS = 1024;
    private static final int CALLERS = 16;
    private static final int BATCH = 100;
    private static final int BATCH_VALUE = 1024;
    private static final int BATCH_SETS = 10;
    private static final String RAW_MEMIF = "raw C memif";
    private static final String SYNC = CALLERS + " callers";
    private static final String ASYNC = "async, " + CALLERS + " in flight";

    private final BenchOptions options;
    private final Integer[] keys = new Integer[KEYS];
    private final List<Hot> hot = new ArrayList<>();
    private final List<Latency> latencies = new ArrayList<>();
    private final List<Rate> rates = new ArrayList<>();
    private final Map<Integer, Double> rawMemifP50Us = new HashMap<>();
    private final List<String> configuration = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final Set<String> hazelcastNames = new LinkedHashSet<>();

    PeersBench(final BenchOptions options)
    {
        this.options = options;
        Arrays.setAll(keys, i -> i);
    }

    private record Hot(String provider, String value, boolean statistics, int threads, double opsPerSecond)
    {
        double nsPerOp()
        {
            return threads * 1e9 / opsPerSecond;
        }
    }

    private record Latency(String peer, String op, int size, double p50Us, double p99Us, double p999Us)
    {
    }

    private record Rate(String peer, String op, int size, String how, double perSecond)
    {
    }

    String run() throws RunnerException, InterruptedException
    {
        final long startNs = System.nanoTime();
        progress("machine: " + machine() + "; load average at start " + loadAverage());
        describeHotPeers();
        measureHot();
        measureRemote();
        measureRawMemif();
        progress(String.format(Locale.ROOT, "done in %.0f s", (System.nanoTime() - startNs) / 1e9));
        return render();
    }

    // ---- Hot-tier hit --------------------------------------------------------------------------------------

    /**
     * Opens each hot-hit peer here once, checks that it really stores by value (a change to an array after put, or
     * to the array get returned, must not reach the cache) and notes its configuration for the report.
     */
    private void describeHotPeers()
    {
        for (final String name : List.of("rum", "caffeine", "ehcache"))
        {
            final CachingProvider provider = JCachePeers.provider(JCachePeers.providerClass(name));
            final CacheManager manager = provider.getCacheManager();
            try
            {
                final MutableConfiguration<Integer, byte[]> asked = JCachePeers.configuration(byte[].class, false);
                final Cache<Integer, byte[]> cache = manager.createCache("peers-check", asked);
                final String problem = JCachePeers.storeByValueProblem(cache, HotHitBenchmark.HOT_KEY);
                if (null != problem)
                {
                    throw new IllegalStateException(JCachePeers.displayName(name) + " does not store by value: " +
                        problem);
                }
                @SuppressWarnings("unchecked") // getConfiguration(Class) is generic in the configuration type only
                final CompleteConfiguration<Integer, byte[]> effective =
                    cache.getConfiguration(CompleteConfiguration.class);
                configuration.add(JCachePeers.displayName(name) + " (hot hit): `" + provider.getClass().getName() +
                    "`, `getCacheManager()` = " + manager.getURI() + ", `createCache(name, MutableConfiguration)`: " +
                    JCachePeers.describe(effective) + "; store-by-value checked: changes to a put or a returned " +
                    "byte[] do not reach the cache" + hotNote(name));
                manager.destroyCache("peers-check");
            }
            finally
            {
                manager.close();
            }
        }
    }

    private static String hotNote(final String name)
    {
        return switch (name)
        {
            case "caffeine" -> "; its default copier (JavaSerializationCopier) passes immutable values (Integer, " +
                "String) through and clones arrays";
            case "ehcache" -> "; Ehcache copies store-by-value entries with its serializers";
            case "rum" -> "; the default URI keeps entries on slaves embedded in this JVM and serves repeated reads " +
                "from its Caffeine hot tier (on by default), values kept serialized and decoded on every get";
            default -> "";
        };
    }

    private void measureHot() throws RunnerException
    {
        final boolean quick = options.quick();
        final int warmups = quick ? 1 : 2;
        final int measurements = quick ? 1 : 3;
        final TimeValue warmupTime = quick ? TimeValue.milliseconds(300) : TimeValue.seconds(1);
        final TimeValue measurementTime = quick ? TimeValue.milliseconds(500) : TimeValue.seconds(1);
        final Options jmh = new OptionsBuilder()
            .include(HotHitBenchmark.class.getName() + "\\.")
            .forks(1)
            .warmupIterations(warmups)
            .warmupTime(warmupTime)
            .measurementIterations(measurements)
            .measurementTime(measurementTime)
            // JMH's own harness calls sun.misc.Unsafe, which JDK 24+ warns about in every fork.
            .jvmArgs("-Xms1g", "-Xmx1g", "-XX:+UseParallelGC", "--add-exports",
                "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow")
            // A provider that fails its fork loses its rows (shown as n/a and noted), not the whole run.
            .shouldFailOnError(false)
            .build();
        final int forks = 3 * 3 * 2 * 2;
        progress("hot hit: JMH, " + forks + " forks (3 providers × 3 value types × statistics off/on × 1 and 2 " +
            "threads), each " + warmups + " × " + warmupTime + " warm-up, " + measurements + " × " + measurementTime +
            " measured");
        notes.add("Hot hit: JMH 1.37, one fork per provider × value type × statistics × threads (" + forks +
            " forks; a fresh JVM per provider, so none runs with call sites another provider's classes made " +
            "megamorphic), " + warmups + " × " + warmupTime + " warm-up, " + measurements + " × " + measurementTime +
            " measurement, `-Xms1g -Xmx1g -XX:+UseParallelGC`; ops/s are all threads together, ns/op is per call " +
            "(threads / ops/s). Key: one Integer outside the box cache; values: Integer, a 32-character String, a " +
            "1 KiB byte[]. Nothing pinned: the JMH threads, JIT and GC share both CPUs as an application's would.");
        final Collection<RunResult> results = new Runner(jmh, new HotProgress(forks)).run();
        for (final RunResult result : results)
        {
            final BenchmarkParams params = result.getParams();
            hot.add(new Hot(params.getParam("provider"), params.getParam("value"),
                Boolean.parseBoolean(params.getParam("statistics")), params.getThreads(),
                result.getPrimaryResult().getScore()));
        }
        if (hot.size() < forks)
        {
            unavailable((forks - hot.size()) + " of the " + forks + " hot-hit forks failed (their error is in the " +
                "output above); their cells are n/a");
        }
    }

    /**
     * One progress line per fork instead of JMH's per-iteration report.
     */
    private static final class HotProgress implements OutputFormat
    {
        private final int forks;
        private int started;

        HotProgress(final int forks)
        {
            this.forks = forks;
        }

        @Override
        public void iteration(final BenchmarkParams benchParams, final IterationParams params, final int iteration)
        {
        }

        @Override
        public void iterationResult(final BenchmarkParams benchParams, final IterationParams params,
            final int iteration, final IterationResult data)
        {
        }

        @Override
        public void startBenchmark(final BenchmarkParams params)
        {
            started++;
        }

        @Override
        public void endBenchmark(final BenchmarkResult result)
        {
            if (null == result)
            {
                return;
            }
            final BenchmarkParams params = result.getParams();
            progress(String.format(Locale.ROOT, "hot hit %d/%d: %s, %s, statistics %s, %d thread(s): %,.0f ops/s",
                started, forks, JCachePeers.displayName(params.getParam("provider")), params.getParam("value"),
                params.getParam("statistics"), params.getThreads(), result.getPrimaryResult().getScore()));
        }

        @Override
        public void startRun()
        {
        }

        @Override
        public void endRun(final Collection<RunResult> result)
        {
        }

        @Override
        public void print(final String s)
        {
            System.out.print(s);
        }

        /**
         * JMH's own lines (run progress, fork numbers, blank separators) are dropped; anything else, such as a
         * fork's error output, is shown.
         */
        @Override
        public void println(final String s)
        {
            if (!s.isBlank() && !s.startsWith("# Run progress") && !s.startsWith("# Fork:") &&
                !s.startsWith("# Run complete"))
            {
                System.out.println(s);
            }
        }

        @Override
        public void flush()
        {
            System.out.flush();
        }

        @Override
        public void close()
        {
            System.out.flush();
        }

        @Override
        public void verbosePrintln(final String s)
        {
        }

        @Override
        public void write(final int b)
        {
            System.out.write(b);
        }

        @Override
        public void write(final byte[] b) throws IOException
        {
            System.out.write(b);
        }
    }

    // ---- Remote get/put and batches --------------------------------------------------------------------------

    private void measureRemote() throws InterruptedException
    {
        notes.add("Remote rows: one peer at a time, its server in a JVM of its own (a Hazelcast member, a RUM " +
            "slave) and this JVM the client; values are byte[] under Integer keys 0.." + (KEYS - 1) +
            ", stored before each size's rows; latency rows cycle through the keys with one call outstanding; " +
            "throughput rows run " + CALLERS + " caller threads in closed loops (JCache has no asynchronous " +
            "API), after an unmeasured run of a third of the time; Hazelcast also runs its asynchronous API with " +
            CALLERS + " calls in flight from one thread, as its docs advise for throughput, and RUM's ratio is " +
            "against the better of its two figures. Nothing is pinned: the servers' and the client's threads, JIT " +
            "and GC share both CPUs; RUM's pollers keep their default idle strategy (spin, then yield, then park), " +
            "which hands the CPU back, so they do not need a CPU of their own.");
        try (HazelcastPeer hazelcast = HazelcastPeer.start(PeersBench::progress))
        {
            hazelcastNames.add(hazelcast.name());
            measure(hazelcast);
        }
        catch (final RemotePeer.UnavailableException ex)
        {
            unavailable("Hazelcast rows unavailable: " + ex.getMessage());
        }
        for (final String transport : List.of("udp", "dpdk"))
        {
            try (RumRemotePeer rum = RumRemotePeer.start(transport, PeersBench::progress))
            {
                measure(rum);
            }
            catch (final RemotePeer.UnavailableException ex)
            {
                unavailable("RUM remote rows unavailable (" + transport + "): " + ex.getMessage());
            }
        }
    }

    private void unavailable(final String line)
    {
        progress(line);
        notes.add(line + ".");
    }

    private void measure(final RemotePeer peer) throws InterruptedException
    {
        configuration.add(peer.name() + ": " + String.join("; ", peer.configuration()));
        final Cache<Integer, byte[]> cache = peer.cache();
        for (final int size : SIZES)
        {
            final byte[] value = value(size);
            progress(peer.name() + ", " + size + " B: storing " + KEYS + " keys");
            preload(cache, value);
            latency(peer.name(), "get", size, () ->
            {
                final int[] next = {0};
                return () -> cache.get(keys[next[0]++ & (KEYS - 1)]);
            });
            latency(peer.name(), "put", size, () ->
            {
                final int[] next = {0};
                return () -> cache.put(keys[next[0]++ & (KEYS - 1)], value);
            });
            throughput(peer.name(), "get", size, key -> cache.get(key));
            throughput(peer.name(), "put", size, key -> cache.put(key, value));
            if (peer instanceof HazelcastPeer hazelcast)
            {
                for (final boolean put : new boolean[] {false, true})
                {
                    final String op = put ? "put" : "get";
                    progress(peer.name() + ", " + op + " " + size + " B: throughput, " + ASYNC + ", " +
                        options.seconds() + " s");
                    hazelcast.asyncThroughput(put, value, keys, CALLERS, Math.min(1.0, options.seconds() / 3));
                    final double rate = hazelcast.asyncThroughput(put, value, keys, CALLERS, options.seconds());
                    rates.add(new Rate(peer.name(), op, size, ASYNC, rate));
                    progress(String.format(Locale.ROOT, "  %,.0f calls/s", rate));
                }
            }
        }
        batches(peer);
    }

    private void batches(final RemotePeer peer)
    {
        final Cache<Integer, byte[]> cache = peer.cache();
        final byte[] value = value(BATCH_VALUE);
        preload(cache, value);
        final List<Set<Integer>> keySets = new ArrayList<>();
        final List<Map<Integer, byte[]>> entrySets = new ArrayList<>();
        for (int set = 0; set < BATCH_SETS; set++)
        {
            final Set<Integer> batchKeys = new LinkedHashSet<>();
            final Map<Integer, byte[]> entries = new HashMap<>();
            for (int i = 0; i < BATCH; i++)
            {
                final Integer key = keys[(set * BATCH + i) & (KEYS - 1)];
                batchKeys.add(key);
                entries.put(key, value);
            }
            keySets.add(Set.copyOf(batchKeys));
            entrySets.add(Map.copyOf(entries));
        }
        final int calls = Math.max(100, options.calls() / 20);
        final int warmup = Math.max(100, options.warmup() / 20);
        for (final boolean put : new boolean[] {false, true})
        {
            final String op = (put ? "putAll " : "getAll ") + BATCH;
            progress(peer.name() + ", " + op + " × " + BATCH_VALUE + " B: " + calls + " calls");
            final int[] next = {0};
            final Runnable call = put ?
                () -> cache.putAll(entrySets.get(next[0]++ % BATCH_SETS)) :
                () ->
                {
                    final Map<Integer, byte[]> got = cache.getAll(keySets.get(next[0]++ % BATCH_SETS));
                    if (got.size() != BATCH)
                    {
                        throw new IllegalStateException(peer.name() + " getAll returned " + got.size() + " of " +
                            BATCH + " entries");
                    }
                };
            final Histogram histogram = record(call, warmup, calls);
            final Latency latency = latency(peer.name(), op, BATCH_VALUE, histogram);
            rates.add(new Rate(peer.name(), op, BATCH_VALUE, "1 caller, keys/s", BATCH * 1e9 / histogram.getMean()));
            progress(String.format(Locale.ROOT, "  p50 %s us, p99 %s us, %,.0f keys/s", us(latency.p50Us()),
                us(latency.p99Us()), BATCH * 1e9 / histogram.getMean()));
        }
    }

    private void preload(final Cache<Integer, byte[]> cache, final byte[] value)
    {
        final Map<Integer, byte[]> chunk = new HashMap<>();
        for (final Integer key : keys)
        {
            chunk.put(key, value);
            if (chunk.size() == BATCH)
            {
                cache.putAll(chunk);
                chunk.clear();
            }
        }
        cache.putAll(chunk);
    }

    /** Makes a fresh call loop (its own key cursor) for each latency row. */
    private interface CallLoop
    {
        Runnable make();
    }

    private void latency(final String peer, final String op, final int size, final CallLoop loop)
    {
        progress(peer + ", " + op + " " + size + " B: " + options.warmup() + " warm-up, " + options.calls() +
            " timed calls, 1 outstanding");
        final Latency latency = latency(peer, op, size, record(loop.make(), options.warmup(), options.calls()));
        progress("  p50 " + us(latency.p50Us()) + " us, p99 " + us(latency.p99Us()) + " us, p99.9 " +
            us(latency.p999Us()) + " us");
    }

    private Latency latency(final String peer, final String op, final int size, final Histogram histogram)
    {
        final Latency latency = new Latency(peer, op, size, histogram.getValueAtPercentile(50) / 1e3,
            histogram.getValueAtPercentile(99) / 1e3, histogram.getValueAtPercentile(99.9) / 1e3);
        latencies.add(latency);
        return latency;
    }

    private static Histogram record(final Runnable call, final int warmup, final int calls)
    {
        for (int i = 0; i < warmup; i++)
        {
            call.run();
        }
        final Histogram histogram = new Histogram(10_000_000_000L, 3);
        for (int i = 0; i < calls; i++)
        {
            final long start = System.nanoTime();
            call.run();
            histogram.recordValue(System.nanoTime() - start);
        }
        return histogram;
    }

    /** One call on a key. */
    private interface KeyCall
    {
        void call(Integer key);
    }

    /**
     * {@value #CALLERS} threads each calling in a closed loop: JCache has no asynchronous API, so this is how an
     * application keeps that many calls outstanding. A short unmeasured run first, so thread and connection set-up
     * is not in the figure.
     */
    private void throughput(final String peer, final String op, final int size, final KeyCall call)
        throws InterruptedException
    {
        progress(peer + ", " + op + " " + size + " B: throughput, " + SYNC + ", " + options.seconds() + " s");
        closedLoop(peer, Math.min(1.0, options.seconds() / 3), call);
        final double rate = closedLoop(peer, options.seconds(), call);
        rates.add(new Rate(peer, op, size, SYNC, rate));
        progress(String.format(Locale.ROOT, "  %,.0f calls/s", rate));
    }

    private double closedLoop(final String peer, final double seconds, final KeyCall call) throws InterruptedException
    {
        final CountDownLatch go = new CountDownLatch(1);
        final long[] counts = new long[CALLERS];
        final long[] ends = new long[CALLERS];
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread[] callers = new Thread[CALLERS];
        final long begin = System.nanoTime();
        final long deadline = begin + (long)(seconds * 1e9);
        for (int i = 0; i < CALLERS; i++)
        {
            final int caller = i;
            callers[i] = Thread.ofPlatform().name("peers-caller-" + i).daemon().start(() ->
            {
                long done = 0;
                // Callers start on different keys, so they do not all queue on one partition.
                int next = caller * (KEYS / CALLERS);
                try
                {
                    go.await();
                    while (System.nanoTime() - deadline < 0 && null == failure.get())
                    {
                        call.call(keys[next++ & (KEYS - 1)]);
                        done++;
                    }
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                catch (final RuntimeException ex)
                {
                    failure.compareAndSet(null, ex);
                }
                counts[caller] = done;
                ends[caller] = System.nanoTime();
            });
        }
        go.countDown();
        final Duration patience = Duration.ofMillis((long)(seconds * 1e3) + 30_000);
        for (final Thread caller : callers)
        {
            if (!caller.join(patience))
            {
                failure.compareAndSet(null, new IllegalStateException(caller.getName() + " of " + peer +
                    " still in a call " + patience.toSeconds() + " s after the deadline"));
                for (final Thread other : callers)
                {
                    other.interrupt();
                }
                break;
            }
        }
        if (null != failure.get())
        {
            throw new IllegalStateException(peer + ": a caller failed: " + failure.get(), failure.get());
        }
        final long end = Arrays.stream(ends).max().orElse(deadline);
        return Arrays.stream(counts).sum() * 1e9 / (end - begin);
    }

    private static byte[] value(final int size)
    {
        final byte[] value = new byte[size];
        for (int i = 0; i < size; i++)
        {
            value[i] = (byte)(i * 31 + 7);
        }
        return value;
    }

    // ---- Raw C memif -----------------------------------------------------------------------------------------

    private void measureRawMemif()
    {
        final String missing = MemifPingPong.unavailable();
        if (null != missing)
        {
            unavailable("raw C memif baseline unavailable: " + missing);
            return;
        }
        try
        {
            progress(RAW_MEMIF + ": the memif_pingpong pair of ./rum bench transport, " + options.calls() +
                " round trips per size");
            final MemifPingPong.Result result = MemifPingPong.run(options.calls(), options.warmup(),
                Math.min(1.0, options.seconds()), CALLERS, MEMIF_SIZES, PeersBench::progress);
            for (final MemifPingPong.Latency latency : result.latencies())
            {
                rawMemifP50Us.put(latency.size(), latency.p50Ns() / 1e3);
            }
            notes.add("Raw C memif (the floor of the DPDK row): `memif_pingpong` from ./rum bench transport, one " +
                "frame each way carrying the value size, both ends busy-polling, pinned by EAL: " + result.placement() +
                "; its frames hold at most 8 KiB, so the 16 KiB row has no C figure.");
        }
        catch (final RuntimeException ex)
        {
            unavailable("raw C memif baseline failed: " + ex.getMessage());
        }
    }

    // ---- Report ----------------------------------------------------------------------------------------------

    private String render()
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("Machine: ").append(machine()).append(". Load average at the end: ").append(loadAverage())
            .append(".\n\n");
        renderHot(sb);
        renderRemote(sb);
        renderGoals(sb);
        sb.append("\nConfiguration of each peer:\n\n");
        for (final String line : configuration)
        {
            sb.append("* ").append(line).append('\n');
        }
        if (!notes.isEmpty())
        {
            sb.append("\nNotes:\n\n");
            for (final String note : notes)
            {
                sb.append("* ").append(note).append('\n');
            }
        }
        return sb.toString();
    }

    private void renderHot(final StringBuilder sb)
    {
        sb.append("### Hot-tier hit: `get` of a key in the cache, this JVM\n\n");
        if (hot.isEmpty())
        {
            sb.append("(not measured)\n\n");
            return;
        }
        sb.append("ops/s of all threads, ns per call; × = against Caffeine-JCache in the same row (goal for RUM: ≥ 1.0×).\n\n");
        sb.append("| value | statistics | threads | RUM ops/s | RUM ns | Caffeine-JCache ops/s | Caffeine ns | ")
            .append("Ehcache 3 ops/s | Ehcache ns | RUM × Caffeine | Ehcache × Caffeine |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (final String value : List.of("Integer", "String", "byte[1024]"))
        {
            for (final boolean statistics : new boolean[] {false, true})
            {
                for (final int threads : new int[] {1, 2})
                {
                    final Hot rum = hot("rum", value, statistics, threads);
                    final Hot caffeine = hot("caffeine", value, statistics, threads);
                    final Hot ehcache = hot("ehcache", value, statistics, threads);
                    sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                        value, statistics ? "on" : "off", threads, ops(rum), ns(rum), ops(caffeine), ns(caffeine),
                        ops(ehcache), ns(ehcache), ratio(rate(rum), rate(caffeine)), ratio(rate(ehcache),
                            rate(caffeine))));
                }
            }
        }
        sb.append('\n');
    }

    private Hot hot(final String provider, final String value, final boolean statistics, final int threads)
    {
        return hot.stream().filter(h -> h.provider().equals(provider) && h.value().equals(value) &&
            h.statistics() == statistics && h.threads() == threads).findFirst().orElse(null);
    }

    private static double rate(final Hot hot)
    {
        return null == hot ? Double.NaN : hot.opsPerSecond();
    }

    private static String ops(final Hot hot)
    {
        return null == hot ? "n/a" : String.format(Locale.ROOT, "%,.0f", hot.opsPerSecond());
    }

    private static String ns(final Hot hot)
    {
        return null == hot ? "n/a" : String.format(Locale.ROOT, "%.1f", hot.nsPerOp());
    }

    private void renderRemote(final StringBuilder sb)
    {
        sb.append("### Remote get/put, no near cache or hot tier: one call outstanding (µs)\n\n");
        sb.append("× Hazelcast = p50 / Hazelcast's p50 for the same call (goal for RUM get: ≤ 0.1×); × raw C memif = ")
            .append("p50 / the C memif round trip of the same size (goal for the DPDK get: ≤ 2.5×).\n\n");
        sb.append("| call | value | peer | p50 | p99 | p99.9 | × Hazelcast | × raw C memif |\n");
        sb.append("|---|---:|---|---:|---:|---:|---:|---:|\n");
        for (final Latency row : latencies)
        {
            final double hz = hazelcastP50(row.op(), row.size());
            final boolean memif = row.peer().contains("memif");
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |%n", row.op(), bytes(row.size()),
                row.peer(), us(row.p50Us()), us(row.p99Us()), us(row.p999Us()),
                isHazelcast(row.peer()) ? "1.00×" : ratio(row.p50Us(), hz),
                memif ? ratio(row.p50Us(), rawMemifP50Us.getOrDefault(row.size(), Double.NaN)) : ""));
        }
        if (latencies.isEmpty())
        {
            sb.append("| (no remote peer could run) | | | | | | | |\n");
        }
        if (!rawMemifP50Us.isEmpty())
        {
            sb.append('\n').append("Raw C memif round trip (p50, µs): ");
            final List<String> figures = new ArrayList<>();
            for (final int size : MEMIF_SIZES)
            {
                figures.add(bytes(size) + " " + us(rawMemifP50Us.getOrDefault(size, Double.NaN)));
            }
            sb.append(String.join(", ", figures)).append(".\n");
        }
        sb.append("\n### Remote throughput (calls/s; batches: keys/s)\n\n");
        sb.append("× Hazelcast = against Hazelcast's best figure for the same call (its ").append(SYNC).append(" or ")
            .append(ASYNC).append(" row; goal for RUM: ≥ 3×).\n\n");
        sb.append("| call | value | peer | how | per second | × Hazelcast |\n");
        sb.append("|---|---:|---|---|---:|---:|\n");
        for (final Rate row : rates)
        {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %,.0f | %s |%n", row.op(), bytes(row.size()),
                row.peer(), row.how(), row.perSecond(), ratio(row.perSecond(), hazelcastBestRate(row.op(), row.size()))));
        }
        sb.append('\n');
    }

    private void renderGoals(final StringBuilder sb)
    {
        sb.append("### Goals (ratios; not asserted)\n\n| goal | measured | met |\n|---|---|---|\n");
        final List<Double> hotRatios = new ArrayList<>();
        for (final Hot rum : hot.stream().filter(h -> h.provider().equals("rum")).toList())
        {
            hotRatios.add(rum.opsPerSecond() / rate(hot("caffeine", rum.value(), rum.statistics(), rum.threads())));
        }
        goal(sb, "hot hit ≥ 1.0× Caffeine-JCache (every row)", hotRatios, r -> r >= 1.0, false);
        for (final String peer : List.of(RumRemotePeer.UDP_NAME, RumRemotePeer.DPDK_NAME))
        {
            final boolean memifPeer = peer.equals(RumRemotePeer.DPDK_NAME);
            if (!rumPeers().contains(peer))
            {
                sb.append("| ").append(peer).append(" get p50 ≤ 0.1× Hazelcast, throughput ≥ 3× Hazelcast")
                    .append(memifPeer ? ", get p50 ≤ 2.5× raw C memif" : "")
                    .append(" | not measured: its rows were unavailable (see the notes) | n/a |\n");
                continue;
            }
            final List<Double> p50 = new ArrayList<>();
            final List<Double> memif = new ArrayList<>();
            for (final Latency row : latencies)
            {
                if (row.peer().equals(peer) && row.op().equals("get"))
                {
                    p50.add(row.p50Us() / hazelcastP50("get", row.size()));
                    if (rawMemifP50Us.containsKey(row.size()))
                    {
                        memif.add(row.p50Us() / rawMemifP50Us.get(row.size()));
                    }
                }
            }
            goal(sb, peer + " get p50 ≤ 0.1× Hazelcast (every size)", p50, r -> r <= 0.1, true);
            final List<Double> throughput = new ArrayList<>();
            for (final Rate row : rates)
            {
                if (row.peer().equals(peer) && (row.op().equals("get") || row.op().equals("put")))
                {
                    throughput.add(row.perSecond() / hazelcastBestRate(row.op(), row.size()));
                }
            }
            goal(sb, peer + " get/put throughput ≥ 3× Hazelcast (every size)", throughput, r -> r >= 3, false);
            if (memifPeer)
            {
                goal(sb, peer + " get p50 ≤ 2.5× raw C memif (64 B, 1 KiB)", memif, r -> r <= 2.5, true);
            }
        }
    }

    private static void goal(final StringBuilder sb, final String goal, final List<Double> ratios,
        final Predicate<Double> met, final boolean lowerIsBetter)
    {
        final List<Double> known = ratios.stream().filter(r -> !r.isNaN()).toList();
        if (known.isEmpty())
        {
            sb.append("| ").append(goal).append(" | n/a | n/a |\n");
            return;
        }
        final double worst = lowerIsBetter ? known.stream().mapToDouble(d -> d).max().orElseThrow() :
            known.stream().mapToDouble(d -> d).min().orElseThrow();
        final double best = lowerIsBetter ? known.stream().mapToDouble(d -> d).min().orElseThrow() :
            known.stream().mapToDouble(d -> d).max().orElseThrow();
        sb.append(String.format(Locale.ROOT, "| %s | worst %.2f×, best %.2f× | %s |%n", goal, worst, best,
            known.stream().allMatch(met) ? "yes" : "no"));
    }

    private List<String> rumPeers()
    {
        return latencies.stream().map(Latency::peer).filter(p -> p.startsWith("RUM")).distinct().toList();
    }

    private boolean isHazelcast(final String peer)
    {
        return hazelcastNames.contains(peer);
    }

    private double hazelcastP50(final String op, final int size)
    {
        return latencies.stream().filter(l -> isHazelcast(l.peer()) && l.op().equals(op) && l.size() == size)
            .mapToDouble(Latency::p50Us).findFirst().orElse(Double.NaN);
    }

    private double hazelcastBestRate(final String op, final int size)
    {
        return rates.stream().filter(r -> isHazelcast(r.peer()) && r.op().equals(op) && r.size() == size)
            .mapToDouble(Rate::perSecond).max().orElse(Double.NaN);
    }

    private static String bytes(final int size)
    {
        return size >= 1024 ? size / 1024 + " KiB" : size + " B";
    }

    /** Sub-10 µs figures need two decimals, the rest one. */
    private static String us(final double value)
    {
        return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, value < 10 ? "%.2f" : "%.1f", value);
    }

    private static String ratio(final double value, final double base)
    {
        return Double.isNaN(value) || Double.isNaN(base) || base <= 0 ? "n/a" :
            String.format(Locale.ROOT, "%.2f×", value / base);
    }

    // ---- Machine ---------------------------------------------------------------------------------------------

    /**
     * @return CPU model, CPUs this JVM may use, memory, OS and JDK.
     */
    static String machine()
    {
        String cpu = System.getProperty("os.arch");
        long memoryKb = -1;
        try
        {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse(cpu);
            memoryKb = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                .map(l -> l.replaceAll("[^0-9]", "")).mapToLong(Long::parseLong).findFirst().orElse(-1);
        }
        catch (final IOException | RuntimeException ex)
        {
            // Not Linux as we know it: the JVM's view is enough.
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " CPUs" +
            (memoryKb > 0 ? ", " + (memoryKb >> 20) + " GiB RAM" : "") + ", " + System.getProperty("os.name") + " " +
            System.getProperty("os.version") + ", JDK " + System.getProperty("java.vm.vendor") + " " +
            Runtime.version();
    }

    private static String loadAverage()
    {
        try
        {
            final String[] fields = Files.readString(Path.of("/proc/loadavg")).strip().split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        }
        catch (final IOException | RuntimeException ex)
        {
            return "unknown";
        }
    }

    private static void progress(final String line)
    {
        System.out.println("[bench] " + line);
    }
}
