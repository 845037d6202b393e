package io.rum.bench;

import com.hazelcast.cache.HazelcastCachingProvider;
import com.hazelcast.cache.ICache;
import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.client.config.RoutingMode;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.BuildInfoProvider;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.spi.CachingProvider;

/**
 * Hazelcast as a peer of {@code ./rum bench peers}: a member in a child JVM ({@link HazelcastMember}) and a client
 * in this JVM, reached through Hazelcast's JCache ({@value JCachePeers#HAZELCAST_CLIENT}), so the calls have the
 * same semantics as RUM's. Smart routing (ALL_MEMBERS), no near cache, client metrics off.
 */
final class HazelcastPeer implements RemotePeer
{
    static final String CACHE_NAME = "peers-bench";
    private static final long START_TIMEOUT_MS = 120_000;
    private static final long ASYNC_DRAIN_TIMEOUT_S = 30;
    /** Held so the level set on it stays: java.util.logging keeps loggers only weakly. */
    private static final Logger HAZELCAST_LOG = Logger.getLogger("com.hazelcast");

    private final String name;
    private final ChildJvm member;
    private final HazelcastInstance client;
    private final CachingProvider provider;
    private final CacheManager manager;
    private final ICache<Integer, byte[]> cache;
    private final List<String> configuration;

    private HazelcastPeer(final String name, final ChildJvm member, final HazelcastInstance client,
        final CachingProvider provider, final CacheManager manager, final ICache<Integer, byte[]> cache,
        final List<String> configuration)
    {
        this.name = name;
        this.member = member;
        this.client = client;
        this.provider = provider;
        this.manager = manager;
        this.cache = cache;
        this.configuration = configuration;
    }

    static HazelcastPeer start(final Consumer<String> progress) throws UnavailableException
    {
        final String version = BuildInfoProvider.getBuildInfo().getVersion();
        final String name = "Hazelcast " + version;
        final String cluster = "rum-bench-" + ProcessHandle.current().pid();
        ChildJvm member = null;
        HazelcastInstance client = null;
        try
        {
            final int port = freeTcpPort();
            final List<String> jvm = new ArrayList<>(List.of("-Xms1g", "-Xmx1g"));
            jvm.addAll(HazelcastMember.JAVA_OPTIONS);
            progress.accept(name + ": starting the member JVM on 127.0.0.1:" + port);
            member = ChildJvm.start("hazelcast-member", ChildJvm.command(jvm, HazelcastMember.class.getName(),
                List.of("--port=" + port, "--cluster=" + cluster)), "READY ", START_TIMEOUT_MS);
            progress.accept(name + ": member " + member.readyLine().substring("READY ".length()) + " (pid " +
                member.pid() + "); connecting the client");

            HAZELCAST_LOG.setLevel(Level.WARNING);
            final ClientConfig clientConfig = clientConfig(cluster, port);
            client = HazelcastClient.newHazelcastClient(clientConfig);
            final CachingProvider provider = JCachePeers.provider(JCachePeers.HAZELCAST_CLIENT);
            final CacheManager manager = provider.getCacheManager(provider.getDefaultURI(),
                HazelcastPeer.class.getClassLoader(), HazelcastCachingProvider.propertiesByInstanceItself(client));
            // The member's configuration names the cache (pattern "peers*"): getCache finds it there.
            final Cache<Integer, byte[]> jcache = manager.getCache(CACHE_NAME, Integer.class, byte[].class);
            if (null == jcache)
            {
                throw new UnavailableException("the member has no configuration for cache " + CACHE_NAME);
            }
            @SuppressWarnings("unchecked") // unwrap(Class) is generic in the class only; the types were checked above
            final ICache<Integer, byte[]> cache = jcache.unwrap(ICache.class);
            final String notByValue = JCachePeers.storeByValueProblem(cache, -1);
            if (null != notByValue)
            {
                throw new UnavailableException("the Hazelcast cache does not store by value: " + notByValue);
            }
            @SuppressWarnings("unchecked") // getConfiguration(Class) is generic in the configuration type only
            final CompleteConfiguration<Integer, byte[]> effective = cache.getConfiguration(CompleteConfiguration.class);
            final List<String> configuration = List.of(
                "member: `" + HazelcastMember.class.getName() + "` in a child JVM (-Xms1g -Xmx1g, G1 (JVM default), " +
                    "the --add-modules/--add-exports/--add-opens Hazelcast's docs list for Java 17+), " +
                    "Config in code: 127.0.0.1:" + port + " only (interfaces, no port auto-increment), multicast, " +
                    "TCP/IP join and auto-detection off, phone-home off, metrics off, Jet off",
                "member cache `" + HazelcastMember.CACHE_PATTERN + "`: " + HazelcastMember.describe(),
                "client (this JVM): `HazelcastClient`, routing mode " +
                    clientConfig.getNetworkConfig().getClusterRoutingConfig().getRoutingMode() +
                    " (smart), address 127.0.0.1:" + port + ", no near cache, client metrics off; JCache through `" +
                    JCachePeers.HAZELCAST_CLIENT + "` with `propertiesByInstanceItself(client)`, `getCache(\"" +
                    CACHE_NAME + "\")`",
                "effective cache configuration as the client sees it: " + JCachePeers.describe(effective));
            return new HazelcastPeer(name, member, client, provider, manager, cache, configuration);
        }
        catch (final RuntimeException | UnavailableException ex)
        {
            if (null != client)
            {
                client.shutdown();
            }
            if (null != member)
            {
                member.close();
            }
            if (ex instanceof UnavailableException unavailable)
            {
                throw unavailable;
            }
            throw new UnavailableException(ex.toString(), ex);
        }
    }

    private static ClientConfig clientConfig(final String cluster, final int port)
    {
        final ClientConfig config = new ClientConfig();
        config.setClusterName(cluster);
        config.setInstanceName("rum-bench-client");
        config.getNetworkConfig().addAddress("127.0.0.1:" + port);
        config.getNetworkConfig().getClusterRoutingConfig().setRoutingMode(RoutingMode.ALL_MEMBERS);
        config.getMetricsConfig().setEnabled(false);
        config.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(30_000);
        return config;
    }

    private static int freeTcpPort()
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public Cache<Integer, byte[]> cache()
    {
        return cache;
    }

    @Override
    public List<String> configuration()
    {
        return configuration;
    }

    /**
     * Throughput through Hazelcast's asynchronous API, as its docs advise for throughput: one thread keeps
     * {@code inFlight} calls outstanding.
     *
     * @return calls per second.
     */
    double asyncThroughput(final boolean put, final byte[] value, final Integer[] keys, final int inFlight,
        final double seconds) throws InterruptedException
    {
        final Semaphore permits = new Semaphore(inFlight);
        final AtomicLong done = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final long start = System.nanoTime();
        final long deadline = start + (long)(seconds * 1e9);
        int next = 0;
        while (System.nanoTime() - deadline < 0 && null == failure.get())
        {
            if (!permits.tryAcquire(ASYNC_DRAIN_TIMEOUT_S, TimeUnit.SECONDS))
            {
                throw new IllegalStateException("no async call of " + name + " completed in " +
                    ASYNC_DRAIN_TIMEOUT_S + " s");
            }
            // keys.length is a power of two.
            final Integer key = keys[next++ & (keys.length - 1)];
            final CompletionStage<?> call = put ? cache.putAsync(key, value) : cache.getAsync(key);
            call.whenComplete((result, error) ->
            {
                if (null != error)
                {
                    failure.compareAndSet(null, error);
                }
                done.incrementAndGet();
                permits.release();
            });
        }
        if (!permits.tryAcquire(inFlight, ASYNC_DRAIN_TIMEOUT_S, TimeUnit.SECONDS))
        {
            throw new IllegalStateException("async calls of " + name + " still outstanding after " +
                ASYNC_DRAIN_TIMEOUT_S + " s");
        }
        final long elapsed = System.nanoTime() - start;
        if (null != failure.get())
        {
            throw new IllegalStateException(name + " async call failed: " + failure.get(), failure.get());
        }
        return done.get() * 1e9 / elapsed;
    }

    @Override
    public void close()
    {
        try
        {
            manager.close();
            provider.close();
            client.shutdown();
        }
        finally
        {
            member.drain(line -> System.out.println("  [member] " + line));
            member.close();
        }
    }
}
