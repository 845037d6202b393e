package io.rum.jcache.expiry;

import java.io.Closeable;
import java.io.IOException;
import javax.cache.expiry.AccessedExpiryPolicy;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.expiry.EternalExpiryPolicy;
import javax.cache.expiry.ExpiryPolicy;
import javax.cache.expiry.ModifiedExpiryPolicy;
import javax.cache.expiry.TouchedExpiryPolicy;

/**
 * A cache's {@link ExpiryPolicy}, called the way JSR-107 says: a policy that throws leaves the
 * default (eternal for a creation, unchanged for an update or access); a creation duration of
 * null counts as eternal.
 *
 * <p>JSR-107 says which of the three methods an operation calls, and that depends on whether the
 * entry exists, which only the store knows. For the policies of {@code javax.cache.expiry} (pure
 * functions returning a fixed duration, no side effects) the cache may ask all the durations up
 * front and let the store pick: one round trip. For any other policy ({@link #isPure()} false) the
 * cache reads the entry first and calls exactly the method the spec names, then writes
 * conditionally on the version read.
 */
public final class ExpiryCalls implements Closeable {
    private final ExpiryPolicy policy;
    private final boolean pure;

    /** @param policy the cache's policy (never null: the configuration defaults to eternal). */
    public ExpiryCalls(ExpiryPolicy policy) {
        this.policy = policy;
        final Class<?> c = policy.getClass();
        this.pure = c == EternalExpiryPolicy.class || c == CreatedExpiryPolicy.class
            || c == AccessedExpiryPolicy.class || c == ModifiedExpiryPolicy.class
            || c == TouchedExpiryPolicy.class;
    }

    /** Whether calling the policy has no observable effect, so durations may be asked up front. */
    public boolean isPure() {
        return pure;
    }

    /** The duration of a created entry: never null. */
    public Duration creation() {
        try {
            final Duration d = policy.getExpiryForCreation();
            return d == null ? Duration.ETERNAL : d;
        } catch (RuntimeException e) {
            return Duration.ETERNAL;
        }
    }

    /** The duration after an update, or null for unchanged. */
    public Duration update() {
        try {
            return policy.getExpiryForUpdate();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The duration after an access, or null for unchanged. */
    public Duration access() {
        try {
            return policy.getExpiryForAccess();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The policy itself. */
    public ExpiryPolicy policy() {
        return policy;
    }

    @Override
    public void close() throws IOException {
        if (policy instanceof Closeable c) {
            c.close();
        }
    }
}
