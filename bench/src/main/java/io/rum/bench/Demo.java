package io.rum.bench;

import io.rum.jcache.RumCachingProvider;
import io.rum.jcache.configuration.ClusterSettings;
import io.rum.jcache.configuration.HotTierSettings;
import io.rum.jcache.management.JmxRegistration;
import io.rum.jcache.remote.SlaveEntryStore;
import io.rum.samples.HashTable;
import io.rum.samples.MemTest;
import org.HdrHistogram.Histogram;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.management.CacheStatisticsMXBean;
import javax.cache.processor.EntryProcessor;
import javax.cache.spi.CachingProvider;
import javax.management.JMX;

/**
 * {@code ./rum demo}, the README's first command: RUM as a user meets it, with nothing to configure. Starts the
 * provider's embedded slaves (the default URI), runs a JCache workload on them with the hot tier on and checks
 * every value it reads against what it wrote, measures the remote round trip on a cache without the hot tier,
 * runs the memtest and hashtable samples of the raw remote-memory API, and prints a summary. Exits 1 if any
 * check failed, so a broken build cannot pass for a working one just because the numbers look plausible.
 */
public final class Demo
{
    /** Entries the workload puts one by one; with the batch and the counter the cache ends with ENTRIES + 1,001. */
    private static final int ENTRIES = 20_000;
    /** The first HOT keys get 80% of the reads: a fifth of the keys, well inside the hot tier's 10,000 entries. */
    private static final int HOT = ENTRIES / 5;
    private static final int GETS = 200_000;
    /** One update per this many gets: 5% writes, which the hot tier must see to keep serving the right value. */
    private static final int GETS_PER_UPDATE = 20;
    /** One get in this many asks for an order that was never written, so the statistics show misses too. */
    private static final int GETS_PER_ABSENT = 50;
    private static final int BATCH = 1_000;
    private static final int INVOKES = 1_000;
    private static final int REPLACES = 500;
    private static final int RTT_ENTRIES = 1_000;
    private static final int RTT_WARMUP = 10_000;
    private static final int RTT_GETS = 20_000;
    private static final int HASHTABLE_ENTRIES = 100_000;
    private static final String ORDERS = "orders";
    /** Its hot tier is off (a manager property), so every get is a round trip to a slave: that is what we time. */
    private static final String RTT = "orders-rtt";
    private static final String COUNTER = "order-counter";
    private static final int MAX_FAILURES_SHOWN = 10;

    /** Adds one to a decimal counter, creating it at 1: runs on the client, written back on the version it read. */
    private static final EntryProcessor<String, String, Integer> INCREMENT = (entry, arguments) ->
    {
        final int next = (entry.exists() ? Integer.parseInt(entry.getValue()) : 0) + 1;
        entry.setValue(Integer.toString(next));
        return next;
    };

    private final PrintStream out = System.out;
    private final long startNs = System.nanoTime();
    /** "µs" where the terminal can show µ, "us" where it cannot (an ASCII locale such as POSIX). */
    private final String micros = System.out.charset().newEncoder().canEncode('µ') ? "µs" : "us";
    /** What each order key holds now, by index: the reference every read is checked against. */
    private final String[] expected = new String[ENTRIES + BATCH];
    private final int[] versions = new int[ENTRIES + BATCH];
    /** Keys read from "orders" by get and getAll: each should count once as a hot-tier hit or miss. */
    private long tierReads;
    private int failures;

    private Demo()
    {
    }

    public static void main(final String[] args)
    {
        if (args.length > 0)
        {
            System.err.println("usage: ./rum demo   (it takes no arguments: the demo needs nothing configured)");
            System.exit(2);
        }
        final Demo demo = new Demo();
        int code;
        try
        {
            code = demo.run();
        }
        catch (final RuntimeException ex)
        {
            // Anything unexpected (a CacheException, a slave that would not start) fails the demo, readably.
            System.out.println();
            System.out.println("FAIL demo stopped: " + ex);
            ex.printStackTrace(System.out);
            code = 1;
        }
        // The embedded slaves and caches are closed by now; exit explicitly so the code reaches the shell.
        System.exit(code);
    }

    private int run()
    {
        // Read as the provider will read them: its default, or -Drum.embedded.slaves=N.
        final int slaves = ClusterSettings.from(managerProperties()).embeddedSlaves();
        out.printf(Locale.ROOT, "RUM demo: a JCache whose entries live on %d embedded slaves (in this JVM, reached " +
            "over RUM's in-process transport), with a Caffeine hot tier; then the remote-memory samples.%n%n", slaves);

        final Summary summary = new Summary();
        // Named by class: the bench class path also holds the peers' providers (Caffeine, Ehcache, Hazelcast), so
        // Caching.getCachingProvider() without a name would refuse to choose.
        try (CachingProvider provider = Caching.getCachingProvider(RumCachingProvider.class.getName());
            CacheManager manager = provider.getCacheManager(provider.getDefaultURI(),
                provider.getDefaultClassLoader(), managerProperties()))
        {
            final Cache<String, String> orders = manager.createCache(ORDERS, configuration());
            final Cache<String, String> rtt = manager.createCache(RTT, configuration());
            check(orders.unwrap(SlaveEntryStore.class).hotTierText() != null, ORDERS + " has no hot tier");
            check(rtt.unwrap(SlaveEntryStore.class).hotTierText() == null, RTT + " has a hot tier");
            workload(orders, manager, summary);
            roundTrips(rtt, summary);
        }
        summary.memtest = sample("[3/4] memtest: every function of the remote-memory API (io.rum.allocator.Rum) " +
            "against a local reference", MemTest::run, new String[0]);
        summary.hashtable = sample("[4/4] hashtable: an open-addressing hash table in remote memory, every entry " +
            "verified", HashTable::run, new String[] {"--entries", Integer.toString(HASHTABLE_ENTRIES)});
        summary.print();
        return failures == 0 && summary.memtest.passed() && summary.hashtable.passed() ? 0 : 1;
    }

    private static Properties managerProperties()
    {
        final Properties properties = new Properties();
        // Blank, it wins over a -Drum.machines left in the environment: the demo is the embedded default, always.
        properties.setProperty(ClusterSettings.MACHINES, "");
        properties.setProperty(HotTierSettings.perCache(HotTierSettings.ENABLED, RTT), "false");
        return properties;
    }

    private static MutableConfiguration<String, String> configuration()
    {
        return new MutableConfiguration<String, String>().setTypes(String.class, String.class)
            .setStatisticsEnabled(true);
    }

    // ---- [1/4] the JCache workload --------------------------------------------------------------------------------

    private void workload(final Cache<String, String> orders, final CacheManager manager, final Summary summary)
    {
        out.printf(Locale.ROOT, "[1/4] JCache cache \"%s\" (statistics on, hot tier on); every value read is " +
            "checked against the last one written%n", ORDERS);
        out.printf(Locale.ROOT, "      %,d puts; %,d gets, 80%% of them on %,d keys and 1 in %d on an absent one, " +
            "with an update every %d gets;%n      a putAll/getAll batch, an entry processor, conditional replaces%n",
            ENTRIES, GETS, HOT, GETS_PER_ABSENT, GETS_PER_UPDATE);
        for (int i = 0; i < ENTRIES; i++)
        {
            write(i);
            orders.put(key(i), expected[i]);
            progress("put", i + 1, ENTRIES);
        }

        final SplittableRandom random = new SplittableRandom(2019);
        for (int i = 0; i < GETS; i++)
        {
            if (i % GETS_PER_ABSENT == GETS_PER_ABSENT - 1)
            {
                final String absent = key(ENTRIES + BATCH + random.nextInt(ENTRIES));
                expectValue("get", absent, null, read(orders, absent));
            }
            else
            {
                final int index = skewed(random);
                expectValue("get", key(index), expected[index], read(orders, key(index)));
            }
            if (i % GETS_PER_UPDATE == GETS_PER_UPDATE - 1)
            {
                final int index = skewed(random);
                write(index);
                orders.put(key(index), expected[index]);
            }
            progress("get", i + 1, GETS);
        }

        // The batch: a thousand new orders in one putAll, read back with old and never-written keys in one getAll.
        final Map<String, String> batch = new HashMap<>();
        for (int i = ENTRIES; i < ENTRIES + BATCH; i++)
        {
            write(i);
            batch.put(key(i), expected[i]);
        }
        orders.putAll(batch);
        final Set<String> wanted = new HashSet<>(batch.keySet());
        for (int i = 0; i < BATCH / 4; i++)
        {
            wanted.add(key(random.nextInt(ENTRIES)));
            wanted.add(key(ENTRIES + BATCH + i));
        }
        final Map<String, String> got = orders.getAll(wanted);
        tierReads += wanted.size();
        int present = 0;
        for (final String key : wanted)
        {
            final int index = index(key);
            expectValue("getAll", key, index < expected.length ? expected[index] : null, got.get(key));
            present += index < expected.length ? 1 : 0;
        }
        check(got.size() == present, "getAll returned " + got.size() + " entries, expected " + present);
        elapsed(String.format(Locale.ROOT, "putAll of %,d, getAll of %,d keys (%,d present)", BATCH, wanted.size(),
            got.size()));

        for (int i = 1; i <= INVOKES; i++)
        {
            final Integer value = orders.invoke(COUNTER, INCREMENT);
            check(value != null && value == i, "invoke number " + i + " returned " + value);
        }
        final String count = read(orders, COUNTER);
        expectValue("get", COUNTER, Integer.toString(INVOKES), count);
        elapsed(String.format(Locale.ROOT, "entry processor: %,d invokes counted %s to %s", INVOKES, COUNTER,
            count));

        // Each replace is tried first with a stale value, which must change nothing, then with the current one.
        int applied = 0;
        int refused = 0;
        for (int i = 0; i < REPLACES; i++)
        {
            final int index = random.nextInt(ENTRIES + BATCH);
            final String old = expected[index];
            final String stale = old + " (stale)";
            final int next = versions[index] + 1;
            refused += orders.replace(key(index), stale, value(index, next)) ? 0 : 1;
            write(index);
            applied += orders.replace(key(index), old, expected[index]) ? 1 : 0;
        }
        check(applied == REPLACES && refused == REPLACES, "replace: " + applied + " of " + REPLACES +
            " applied on the current value, " + refused + " refused on a stale one");
        elapsed(String.format(Locale.ROOT, "conditional replace: %,d applied on the current value, %,d refused on " +
            "a stale one", applied, refused));

        // Read before the scan: the spec counts every entry an iterator returns as a hit.
        final CacheStatisticsMXBean statistics = JMX.newMXBeanProxy(ManagementFactory.getPlatformMBeanServer(),
            JmxRegistration.objectName(JmxRegistration.Kind.STATISTICS, manager.getURI(), ORDERS),
            CacheStatisticsMXBean.class);
        summary.gets = statistics.getCacheGets();
        summary.hits = statistics.getCacheHits();
        summary.misses = statistics.getCacheMisses();
        summary.puts = statistics.getCachePuts();
        final SlaveEntryStore store = orders.unwrap(SlaveEntryStore.class);
        summary.hotHits = store.hotTierHits();
        summary.hotMisses = store.hotTierMisses();
        // Every plain read asks the tier exactly once; conditional operations and invoke go to the owner instead.
        final long tierCounted = summary.hotHits + summary.hotMisses;
        check(tierCounted == tierReads, String.format(Locale.ROOT, "the hot tier counted %,d reads (hits + misses), " +
            "the demo made %,d", tierCounted, tierReads));

        // The whole cache, scanned from the slaves: every entry is one we wrote, with the value we last wrote.
        int entries = 0;
        boolean counterSeen = false;
        for (final Cache.Entry<String, String> entry : orders)
        {
            entries++;
            if (entry.getKey().equals(COUNTER))
            {
                counterSeen = true;
                expectValue("scan", COUNTER, Integer.toString(INVOKES), entry.getValue());
            }
            else
            {
                final int index = index(entry.getKey());
                expectValue("scan", entry.getKey(), index < expected.length ? expected[index] : null,
                    entry.getValue());
            }
        }
        check(counterSeen, "the scan did not return " + COUNTER);
        check(entries == expected.length + 1, "the scan returned " + entries + " entries, expected " +
            (expected.length + 1));
        summary.entries = entries;
        elapsed(String.format(Locale.ROOT, "scanned all %,d entries back from the slaves: %s", entries,
            failures == 0 ? "every value as last written" : failures + " checks failed"));
        out.println();
    }

    private String read(final Cache<String, String> orders, final String key)
    {
        tierReads++;
        return orders.get(key);
    }

    /** @return an order index: 80% of the time one of the first HOT, otherwise one of the rest. */
    private static int skewed(final SplittableRandom random)
    {
        return random.nextInt(100) < 80 ? random.nextInt(HOT) : HOT + random.nextInt(ENTRIES - HOT);
    }

    private static String key(final int index)
    {
        return "order-" + index;
    }

    private static int index(final String key)
    {
        return Integer.parseInt(key.substring("order-".length()));
    }

    private static String value(final int index, final int version)
    {
        return "order " + index + " v" + version + ": customer c" + index % 977 + ", " + (1 + index % 9) + " items";
    }

    /** Moves an order to its next version in the reference; the caller writes it to the cache. */
    private void write(final int index)
    {
        versions[index]++;
        expected[index] = value(index, versions[index]);
    }

    // ---- [2/4] the remote round trip ------------------------------------------------------------------------------

    private void roundTrips(final Cache<String, String> rtt, final Summary summary)
    {
        out.printf(Locale.ROOT, "[2/4] remote round trip: %,d timed gets on cache \"%s\"%n      (hot tier off, so " +
            "each get is a call to the slave that owns the key)%n", RTT_GETS, RTT);
        for (int i = 0; i < RTT_ENTRIES; i++)
        {
            rtt.put(key(i), value(i, 1));
        }
        final SplittableRandom random = new SplittableRandom(7);
        // Untimed first, so the JIT has compiled the path before we measure it.
        for (int i = 0; i < RTT_WARMUP; i++)
        {
            final int index = random.nextInt(RTT_ENTRIES);
            expectValue("get", key(index), value(index, 1), rtt.get(key(index)));
        }
        final Histogram histogram = new Histogram(10_000_000_000L, 3);
        for (int i = 0; i < RTT_GETS; i++)
        {
            final int index = random.nextInt(RTT_ENTRIES);
            final String key = key(index);
            final long start = System.nanoTime();
            final String value = rtt.get(key);
            histogram.recordValue(System.nanoTime() - start);
            expectValue("get", key, value(index, 1), value);
        }
        check(rtt.unwrap(SlaveEntryStore.class).hotTierHits() == 0, RTT + " served reads without a round trip");
        summary.rttP50Us = histogram.getValueAtPercentile(50) / 1e3;
        summary.rttP99Us = histogram.getValueAtPercentile(99) / 1e3;
        elapsed(String.format(Locale.ROOT, "p50 %.1f %s, p99 %.1f %s, max %.1f %s", summary.rttP50Us, micros,
            summary.rttP99Us, micros, histogram.getMaxValue() / 1e3, micros));
        out.println("  (the slaves are in this JVM, so this is the round trip of RUM's in-process transport: a lower");
        out.println("  bound; over UDP or DPDK the network adds its own)");
        out.println();
    }

    // ---- [3/4] and [4/4] the samples ------------------------------------------------------------------------------

    /** How a sample ended: its exit code and its last line (its verdict). */
    private record SampleResult(int code, String verdict)
    {
        boolean passed()
        {
            return code == 0;
        }

        /** @return PASS or FAIL and the verdict without the words the sample starts it with. */
        String line(final String samplePrefix)
        {
            String text = verdict;
            for (final String prefix : new String[] {"PASS ", "FAIL ", samplePrefix})
            {
                text = text.startsWith(prefix) ? text.substring(prefix.length()) : text;
            }
            return (passed() ? "PASS: " : "FAIL: ") + text;
        }
    }

    private SampleResult sample(final String title, final BiFunction<String[], PrintStream, Integer> sample,
        final String[] args)
    {
        out.println(title);
        final long sampleStartNs = System.nanoTime();
        final IndentedLines lines = new IndentedLines(out);
        int code;
        try (PrintStream sampleOut = new PrintStream(lines, true, StandardCharsets.UTF_8))
        {
            code = sample.apply(args, sampleOut);
        }
        catch (final RuntimeException ex)
        {
            lines.println("FAIL " + ex);
            code = 1;
        }
        out.printf(Locale.ROOT, "  [%5.1f s] %s in %.1f s%n", seconds(startNs), code == 0 ? "passed" : "FAILED",
            (System.nanoTime() - sampleStartNs) / 1e9);
        out.println();
        return new SampleResult(code, lines.last);
    }

    /**
     * The samples print to a PrintStream of their own; this one shows each line as it comes (their progress),
     * indented under the demo's heading, and keeps the last for the summary.
     */
    private static final class IndentedLines extends OutputStream
    {
        private final PrintStream target;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private String last = "";

        IndentedLines(final PrintStream target)
        {
            this.target = target;
        }

        @Override
        public void write(final int b)
        {
            if (b == '\n')
            {
                println(line.toString(StandardCharsets.UTF_8));
                line.reset();
            }
            else
            {
                line.write(b);
            }
        }

        void println(final String text)
        {
            target.println("    " + text);
            if (!text.isBlank())
            {
                last = text.strip();
            }
        }

        @Override
        public void close()
        {
            if (line.size() > 0)
            {
                println(line.toString(StandardCharsets.UTF_8));
                line.reset();
            }
        }
    }

    // ---- checks, progress and the summary ------------------------------------------------------------------------

    private void expectValue(final String operation, final String key, final String want, final String actual)
    {
        if (!Objects.equals(want, actual))
        {
            fail(operation + "(" + key + ") read " + quote(actual) + ", expected " + quote(want));
        }
    }

    private static String quote(final String value)
    {
        return null == value ? "nothing" : "\"" + value + "\"";
    }

    private void check(final boolean condition, final String otherwise)
    {
        if (!condition)
        {
            fail(otherwise);
        }
    }

    private void fail(final String why)
    {
        failures++;
        if (failures <= MAX_FAILURES_SHOWN)
        {
            out.println("  FAIL " + why);
        }
        else if (failures == MAX_FAILURES_SHOWN + 1)
        {
            out.println("  FAIL ... (more failures counted, not shown)");
        }
    }

    /** Prints a line at 25%, 50%, 75% and 100% of a loop of {@code total}. */
    private void progress(final String what, final int done, final int total)
    {
        if (done % (total / 4) == 0)
        {
            elapsed(String.format(Locale.ROOT, "%s %,7d of %,d (%3d%%)", what, done, total, 100L * done / total));
        }
    }

    private void elapsed(final String text)
    {
        out.printf(Locale.ROOT, "  [%5.1f s] %s%n", seconds(startNs), text);
    }

    private static double seconds(final long sinceNs)
    {
        return (System.nanoTime() - sinceNs) / 1e9;
    }

    private final class Summary
    {
        long entries;
        long gets;
        long hits;
        long misses;
        long puts;
        long hotHits;
        long hotMisses;
        double rttP50Us;
        double rttP99Us;
        SampleResult memtest;
        SampleResult hashtable;

        void print()
        {
            final boolean passed = failures == 0 && memtest.passed() && hashtable.passed();
            out.println("Summary");
            row("entries", String.format(Locale.ROOT, "%,d in cache \"%s\", on the embedded slaves", entries,
                ORDERS));
            row("gets", String.format(Locale.ROOT, "%,d (JCache statistics; %,d puts)", gets, puts));
            row("hits / misses", String.format(Locale.ROOT, "%,d / %,d, hit ratio %s", hits, misses,
                percent(hits, hits + misses)));
            row("hot tier", String.format(Locale.ROOT, "%,d hits / %,d misses, ratio %s (reads served in this JVM, " +
                "no round trip)", hotHits, hotMisses, percent(hotHits, hotHits + hotMisses)));
            row("remote round trip", String.format(Locale.ROOT, "p50 %.1f %s, p99 %.1f %s (in-process transport, " +
                "embedded slaves)", rttP50Us, micros, rttP99Us, micros));
            row("cache checks", failures == 0 ? "every value read was the value written" :
                String.format(Locale.ROOT, "FAILED: %,d checks (the FAIL lines above)", failures));
            row("memtest", memtest.line("memtest: "));
            row("hashtable", hashtable.line("hashtable: "));
            row("total time", String.format(Locale.ROOT, "%.1f s", seconds(startNs)));
            out.println(passed ? "RUM demo: all checks passed." : "RUM demo: FAILED (see the FAIL lines above).");
        }

        private void row(final String name, final String value)
        {
            out.printf(Locale.ROOT, "  %-18s %s%n", name, value);
        }

        private static String percent(final long part, final long whole)
        {
            return whole == 0 ? "n/a" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
        }
    }
}
