package io.rum.bench;

import com.hazelcast.config.CacheSimpleConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;

import java.util.List;

/**
 * The Hazelcast member of {@code ./rum bench peers}, in a JVM of its own ({@link HazelcastPeer} starts it with the
 * bench's class path): one member on 127.0.0.1, configured in code by {@link #config}. Prints
 * {@code READY <address>} once it serves, then runs until its standard input ends and shuts down.
 *
 * <pre>
 * java ... io.rum.bench.HazelcastMember --port=5701 --cluster=rum-bench-1234
 * </pre>
 */
public final class HazelcastMember
{
    /** Caches whose name starts with this get the configuration below. */
    static final String CACHE_PATTERN = "peers*";

    /**
     * What Hazelcast's docs prescribe for running on Java 17+: without them it warns and falls back to slower
     * paths (its own metrics, direct buffers).
     */
    static final List<String> JAVA_OPTIONS = List.of("--add-modules", "java.se",
        "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens", "java.management/sun.management=ALL-UNNAMED",
        "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

    private HazelcastMember()
    {
    }

    public static void main(final String[] args)
    {
        int port = 5701;
        String cluster = "rum-bench";
        for (final String arg : args)
        {
            if (arg.startsWith("--port="))
            {
                port = Integer.parseInt(arg.substring("--port=".length()));
            }
            else if (arg.startsWith("--cluster="))
            {
                cluster = arg.substring("--cluster=".length());
            }
            else
            {
                throw new IllegalArgumentException("expected --port=N or --cluster=NAME, got " + arg);
            }
        }
        final HazelcastInstance member = Hazelcast.newHazelcastInstance(config(cluster, port));
        System.out.println("READY " + member.getCluster().getLocalMember().getAddress());
        System.out.flush();
        ChildJvm.awaitEndOfInput(System.in);
        member.shutdown();
    }

    /**
     * One member alone on loopback: no multicast, no discovery, no phone-home, metrics off; the peers' cache in
     * BINARY form (values kept serialized, as RUM keeps bytes on its slaves) with no backups (one member: RUM has
     * no replicas either), statistics off, and an entry-count bound far above what the bench stores, so nothing
     * is evicted.
     */
    static Config config(final String cluster, final int port)
    {
        final Config config = new Config();
        config.setClusterName(cluster);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.local.localAddress", "127.0.0.1");
        config.getMetricsConfig().setEnabled(false);
        config.getJetConfig().setEnabled(false);
        final NetworkConfig network = config.getNetworkConfig();
        network.setPort(port).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        final JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(false);
        config.addCacheConfig(cacheConfig());
        return config;
    }

    static CacheSimpleConfig cacheConfig()
    {
        return new CacheSimpleConfig()
            .setName(CACHE_PATTERN)
            .setKeyType(Integer.class.getName())
            .setValueType(byte[].class.getName())
            .setInMemoryFormat(InMemoryFormat.BINARY)
            .setBackupCount(0)
            .setAsyncBackupCount(0)
            .setStatisticsEnabled(false)
            .setManagementEnabled(false)
            // Invalidation events feed near caches; there is none here, and Hazelcast's docs advise turning them
            // off then.
            .setDisablePerEntryInvalidationEvents(true)
            .setEvictionConfig(new EvictionConfig()
                .setEvictionPolicy(EvictionPolicy.LRU)
                .setMaxSizePolicy(MaxSizePolicy.ENTRY_COUNT)
                .setSize(Integer.MAX_VALUE));
    }

    /**
     * @return the cache configuration as printed with the results.
     */
    static String describe()
    {
        final CacheSimpleConfig cache = cacheConfig();
        return "in-memory format " + cache.getInMemoryFormat() + ", backup-count " + cache.getBackupCount() +
            ", async-backup-count " + cache.getAsyncBackupCount() + ", statistics " + cache.isStatisticsEnabled() +
            ", management " + cache.isManagementEnabled() + ", per-entry invalidation events " +
            (cache.isDisablePerEntryInvalidationEvents() ? "off" : "on") + ", eviction " +
            cache.getEvictionConfig().getEvictionPolicy() + " at " + cache.getEvictionConfig().getSize() + " " +
            cache.getEvictionConfig().getMaxSizePolicy() + " (never reached), key " + cache.getKeyType() +
            ", value " + cache.getValueType();
    }
}
