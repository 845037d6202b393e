package io.rum.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.spi.CachingProvider;

/**
 * The hot-hit rows of {@code ./rum bench peers}: {@code get} of one key that is in the cache, on one and on two
 * threads, for RUM (default URI, so its hot tier), Caffeine's JCache adapter and Ehcache 3's JCache, each
 * configured by {@link JCachePeers#configuration}: store by value, Integer keys, statistics off and on.
 *
 * <p>Run by {@link PeersBench} through JMH, one fork per parameter set: a fresh JVM per provider, so no provider
 * runs with call sites the JIT has already profiled for another (with three {@code Cache} implementations in one
 * JVM, whichever ran last would pay for megamorphic calls the others did not). It is not in
 * {@code io.rum.bench.jmh}, so {@code ./rum bench jmh} does not run it; {@code ./rum bench jmh HotHit} does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HotHitBenchmark
{
    /** Key of the hot entry: outside Integer's cache of boxes, so it is an ordinary object like a user's key. */
    static final int HOT_KEY = 1_000_003;

    @Param({"rum", "caffeine", "ehcache"})
    public String provider;

    @Param({"Integer", "String", "byte[1024]"})
    public String value;

    @Param({"false", "true"})
    public boolean statistics;

    private CachingProvider cachingProvider;
    private CacheManager manager;
    private Cache<Integer, ?> cache;
    private Integer key;

    @Setup(Level.Trial)
    public void setUp()
    {
        cachingProvider = JCachePeers.provider(JCachePeers.providerClass(provider));
        // RUM: the default URI, the in-process mode with its hot tier; the others: their defaults too.
        manager = cachingProvider.getCacheManager();
        key = HOT_KEY;
        cache = switch (value)
        {
            case "Integer" -> filled(Integer.class, 42_424_242);
            case "String" -> filled(String.class, "hot-value-0123456789abcdefghijkl");
            case "byte[1024]" ->
            {
                final byte[] bytes = new byte[1024];
                Arrays.fill(bytes, (byte)0x5a);
                yield filled(byte[].class, bytes);
            }
            default -> throw new IllegalArgumentException("value Integer, String or byte[1024], not " + value);
        };
    }

    private <V> Cache<Integer, V> filled(final Class<V> type, final V hot)
    {
        final Cache<Integer, V> created = manager.createCache("hot-" + type.getSimpleName() + "-" + statistics,
            JCachePeers.configuration(type, statistics));
        created.put(key, hot);
        final V got = created.get(key);
        if (!(got instanceof byte[] bytes ? Arrays.equals(bytes, (byte[])hot) : Objects.equals(got, hot)))
        {
            throw new IllegalStateException(provider + ": get after put returned " + got);
        }
        return created;
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        manager.close();
        cachingProvider.close();
    }

    @Benchmark
    @Threads(1)
    public Object get1Thread()
    {
        return cache.get(key);
    }

    @Benchmark
    @Threads(2)
    public Object get2Threads()
    {
        return cache.get(key);
    }
}
