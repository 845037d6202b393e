package io.rum.bench;

import java.util.Arrays;
import java.util.Locale;
import javax.cache.Cache;
import javax.cache.Caching;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.spi.CachingProvider;

/**
 * The JCache providers that {@code ./rum bench peers} compares, and the one cache configuration they all get.
 *
 * <p>Four providers share the bench's class path (RUM, Caffeine's adapter, Ehcache 3, Hazelcast), so
 * {@code Caching.getCachingProvider()} without a name would refuse to choose: every provider here is picked by
 * its class name. The modules users depend on never see the peers' jars.
 */
final class JCachePeers
{
    static final String RUM = "io.rum.jcache.RumCachingProvider";
    static final String CAFFEINE = "com.github.benmanes.caffeine.jcache.spi.CaffeineCachingProvider";
    static final String EHCACHE = "org.ehcache.jsr107.EhcacheCachingProvider";
    static final String HAZELCAST_CLIENT = "com.hazelcast.client.cache.HazelcastClientCachingProvider";

    private JCachePeers()
    {
    }

    /**
     * @param name rum, caffeine or ehcache: the peers of the hot-hit rows.
     */
    static String providerClass(final String name)
    {
        return switch (name)
        {
            case "rum" -> RUM;
            case "caffeine" -> CAFFEINE;
            case "ehcache" -> EHCACHE;
            default -> throw new IllegalArgumentException("provider rum, caffeine or ehcache, not " + name);
        };
    }

    static String displayName(final String name)
    {
        return switch (name)
        {
            case "rum" -> "RUM";
            case "caffeine" -> "Caffeine-JCache";
            case "ehcache" -> "Ehcache 3";
            default -> name;
        };
    }

    static CachingProvider provider(final String className)
    {
        return Caching.getCachingProvider(className, JCachePeers.class.getClassLoader());
    }

    /**
     * The configuration every peer gets: the JSR-107 defaults (store by value, no expiry, no loader or writer, no
     * listeners), typed, statistics as asked, management off. No provider-specific tuning: these are the
     * semantics a user asking for "a JCache" gets, which is what each provider's own docs start from.
     */
    static <V> MutableConfiguration<Integer, V> configuration(final Class<V> valueType, final boolean statistics)
    {
        return new MutableConfiguration<Integer, V>()
            .setTypes(Integer.class, valueType)
            .setStoreByValue(true)
            .setStatisticsEnabled(statistics)
            .setManagementEnabled(false);
    }

    /**
     * Checks store-by-value from the outside: a caller's later change to the array it put, or to an array it got,
     * must not reach the cached value.
     *
     * @return null if the cache copies both ways, else what it did not copy.
     */
    static String storeByValueProblem(final Cache<Integer, byte[]> cache, final Integer key)
    {
        final byte[] put = new byte[64];
        Arrays.fill(put, (byte)1);
        cache.put(key, put);
        put[0] = 9;
        final byte[] first = cache.get(key);
        if (null == first || first[0] != 1)
        {
            return "a change to the array put after put() showed in the cache";
        }
        first[1] = 9;
        final byte[] second = cache.get(key);
        if (null == second || second[1] != 1)
        {
            return "a change to an array returned by get() showed in the cache";
        }
        @SuppressWarnings("unchecked") // getConfiguration(Class) is generic in the configuration type only
        final CompleteConfiguration<Integer, byte[]> configuration =
            cache.getConfiguration(CompleteConfiguration.class);
        if (!configuration.isStoreByValue())
        {
            return "its configuration reports store-by-reference";
        }
        cache.remove(key);
        return null;
    }

    /**
     * @return the configuration as printed with the results.
     */
    static String describe(final CompleteConfiguration<?, ?> configuration)
    {
        return String.format(Locale.ROOT, "%s -> %s, storeByValue=%s, statistics=%s, management=%s, " +
                "expiry=%s, readThrough=%s, writeThrough=%s",
            configuration.getKeyType().getSimpleName(), configuration.getValueType().getSimpleName(),
            configuration.isStoreByValue(), configuration.isStatisticsEnabled(), configuration.isManagementEnabled(),
            configuration.getExpiryPolicyFactory().create().getClass().getSimpleName(), configuration.isReadThrough(),
            configuration.isWriteThrough());
    }
}
