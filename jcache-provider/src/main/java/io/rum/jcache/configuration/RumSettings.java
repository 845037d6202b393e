package io.rum.jcache.configuration;

import java.util.Properties;

/**
 * The provider's own settings of one CacheManager, read once from its properties, falling back
 * to JVM system properties of the same name, then to defaults.
 *
 * <ul>
 * <li>{@value #SERIALIZATION_ALLOW}: classes Java serialization may carry besides the defaults
 *     (see {@link io.rum.jcache.copy.ClassAllowList}): {@code com.acme.Order;com.acme.model.**}.</li>
 * <li>{@value #EVENT_LANES}: threads per cache for asynchronous listeners (default min(4, CPUs)).</li>
 * <li>{@value #EVENT_LANE_CAPACITY}: bound of each lane's queue (default 4096 events).</li>
 * <li>{@value #INVOKE_MAX_ATTEMPTS}: bound on an entry processor's optimistic retries (default 10000).</li>
 * <li>{@value #STORE_FACTORY}: class name of the {@link io.rum.jcache.store.StoreFactory} to use,
 *     instead of asking the ones {@link java.util.ServiceLoader} finds.</li>
 * </ul>
 */
public record RumSettings(String serializationAllow, int eventLanes, int eventLaneCapacity,
                          int invokeMaxAttempts, String storeFactory) {
    /** Property: serialization allow-list patterns. */
    public static final String SERIALIZATION_ALLOW = "rum.serialization.allow";
    /** Property: asynchronous listener threads per cache. */
    public static final String EVENT_LANES = "rum.events.lanes";
    /** Property: queue bound per lane. */
    public static final String EVENT_LANE_CAPACITY = "rum.events.laneCapacity";
    /** Property: entry processor retry bound. */
    public static final String INVOKE_MAX_ATTEMPTS = "rum.invoke.maxAttempts";
    /** Property: store factory class. */
    public static final String STORE_FACTORY = "rum.store.factory";

    /** Reads the settings; bad numbers fail here, once, with the property named. */
    public static RumSettings from(Properties properties) {
        return new RumSettings(
            text(properties, SERIALIZATION_ALLOW),
            positive(properties, EVENT_LANES, Math.min(4, Runtime.getRuntime().availableProcessors())),
            positive(properties, EVENT_LANE_CAPACITY, 4096),
            positive(properties, INVOKE_MAX_ATTEMPTS, 10_000),
            text(properties, STORE_FACTORY));
    }

    private static String text(Properties properties, String name) {
        final String v = properties == null ? null : properties.getProperty(name);
        return v != null ? v : System.getProperty(name);
    }

    private static int positive(Properties properties, String name, int dflt) {
        final String v = text(properties, name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            final int n = Integer.parseInt(v.strip());
            if (n <= 0) {
                throw new IllegalArgumentException(name + " must be positive: " + v);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " is not a number: " + v, e);
        }
    }
}
