package io.rum.jcache.store;

import java.util.concurrent.TimeUnit;
import javax.cache.expiry.Duration;

/**
 * Turns JSR-107 durations into absolute expiry times on a store's clock. {@link #ETERNAL} is a
 * sentinel, never compared by subtraction; finite deadlines are, so they survive clock wrap.
 */
public final class ExpiryTimes {
    /** The expiry time of an entry that never expires. */
    public static final long ETERNAL = Long.MAX_VALUE;

    private ExpiryTimes() {
    }

    /** The absolute expiry of a duration starting at nowMs; eternal for null (creation default). */
    public static long expiresAtMs(long nowMs, Duration ttl) {
        if (ttl == null || ttl.isEternal()) {
            return ETERNAL;
        }
        if (ttl.isZero()) {
            return nowMs;
        }
        final TimeUnit unit = ttl.getTimeUnit();
        final long ms = unit.toMillis(ttl.getDurationAmount());
        final long sum = nowMs + ms;
        // Saturate: a huge finite duration is as good as eternal, and must not wrap into the past.
        return (ms >= 0 && sum < nowMs) || sum == ETERNAL ? ETERNAL - 1 : sum;
    }

    /** Whether an entry with this expiry is expired at nowMs (expiry at or before now). */
    public static boolean isExpired(long expiresAtMs, long nowMs) {
        return expiresAtMs != ETERNAL && expiresAtMs - nowMs <= 0;
    }

    /** Whether a creation with this duration stores nothing (zero: created expired). */
    public static boolean isZero(Duration ttl) {
        return ttl != null && ttl.isZero();
    }
}
