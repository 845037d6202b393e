package io.rum.jcache.configuration;

import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The Caffeine hot tier of one cache: entries read or written by this JVM, kept here so a repeated read costs no
 * round trip, and dropped when the owning slave says they changed.
 *
 * <p>Read from the CacheManager's properties: {@value #ENABLED} (default true), {@value #MAX_ENTRIES} (default
 * 10000), {@value #MAX_BYTES} (a weight bound on key and value bytes instead of a count; unset = count), and
 * {@value #TTL} (default 60 s: the longest any entry is served from here without a change message). Each can be
 * set for one cache by inserting its name: {@code rum.cache.orders.hotTier.enabled=false}.
 */
public record HotTierSettings(boolean enabled, long maxEntries, long maxBytes, long ttlNs) {
    public static final String ENABLED = "rum.hotTier.enabled";
    public static final String MAX_ENTRIES = "rum.hotTier.maxEntries";
    public static final String MAX_BYTES = "rum.hotTier.maxBytes";
    public static final String TTL = "rum.hotTier.ttl";

    /** Reads the settings of one cache: the per-cache property wins over the manager-wide one. */
    public static HotTierSettings of(Properties properties, String cacheName) {
        return new HotTierSettings(
            ClusterSettings.Settings.bool(properties, perCache(ENABLED, cacheName),
                ClusterSettings.Settings.bool(properties, ENABLED, true)),
            ClusterSettings.Settings.positiveLong(properties, perCache(MAX_ENTRIES, cacheName),
                ClusterSettings.Settings.positiveLong(properties, MAX_ENTRIES, 10_000, Integer.MAX_VALUE),
                Integer.MAX_VALUE),
            ClusterSettings.Settings.sizeBytes(properties, perCache(MAX_BYTES, cacheName),
                ClusterSettings.Settings.sizeBytes(properties, MAX_BYTES, 0)),
            ClusterSettings.Settings.durationNs(properties, perCache(TTL, cacheName),
                ClusterSettings.Settings.durationNs(properties, TTL, TimeUnit.SECONDS.toNanos(60))));
    }

    /** @return the per-cache name of a setting: {@code rum.hotTier.x} becomes {@code rum.cache.<name>.hotTier.x}. */
    public static String perCache(String setting, String cacheName) {
        return "rum.cache." + cacheName + "." + setting.substring("rum.".length());
    }
}
