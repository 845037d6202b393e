package io.rum.jcache.store;

import java.util.List;
import javax.cache.expiry.Duration;

/**
 * The storage SPI under one JCache cache: serialized keys and values, each entry with a 64-bit
 * version and an absolute expiry time.
 *
 * <h2>Who decides what</h2>
 * The JCache semantic layer ({@code RumCache}) owns everything that runs user code: serializers,
 * expiry policies, loaders, writers, listeners and entry processors. The store owns the bytes, the
 * versions and the clock. A store never calls back into user code, so a remote implementation
 * runs every operation of this interface <em>on the slave that owns the key</em>, atomically per
 * key, with no code shipped to it.
 *
 * <h2>Time</h2>
 * Requests carry expiry <em>durations</em>, never instants: the store turns them into absolute
 * times with its own clock ({@link #nowMillis()}), so a remote store's expiry is decided by the
 * owning slave's clock and client clock skew cannot matter. The {@link Duration} semantics are
 * JSR-107's: {@link Duration#ZERO} (any zero amount) expires now; {@link Duration#ETERNAL} never
 * expires; {@code null} leaves an existing entry's expiry unchanged (for a newly created entry
 * {@code null} means eternal). An entry whose expiry time is at or before the store's now is
 * expired: the first operation that meets it removes it and reports its bytes in
 * {@link StoreEntry#expiredValue()} / {@link StoreWrite#expiredValue()}, so exactly one caller
 * fires the expired event. A newly created entry whose creation duration is zero is not stored.
 *
 * <h2>Versions</h2>
 * Every write (create, update, remove) gives the key a new version, unique for the store's life
 * (never reused, so a remove followed by a re-create is no ABA). {@link #NO_VERSION} means
 * "absent": compare-and-set with it means "only if absent". Touching an entry's expiry does not
 * change its version. The entry processor's cross-JVM atomicity rests on this: read with
 * version, compute locally, {@link #compareAndSet} with the version read, retry on conflict.
 *
 * <h2>Batches</h2>
 * Batch operations ({@link #getAll}, {@link #putAll}, {@link #removeAll}) take and return lists in
 * the same order. They are atomic per key only. A remote implementation groups a batch by owning
 * slave, sends one request per slave, and merges the answers back into request order.
 *
 * <h2>Byte arrays</h2>
 * Arrays passed in are owned by the store after the call (callers never mutate them); arrays
 * returned must not be mutated by callers. The in-JVM store shares them without copying.
 */
public interface EntryStore extends AutoCloseable {
    /** The version of an absent entry. Real versions are positive. */
    long NO_VERSION = 0L;

    /** The store clock's current time in epoch milliseconds: the clock that decides expiry. */
    long nowMillis();

    /**
     * Reads one entry.
     *
     * @param key       the serialized key.
     * @param accessTtl if non-null and the entry is present, its expiry is reset to now + accessTtl
     *                  (the JSR-107 access expiry); {@code null} leaves it unchanged.
     * @return the entry, or {@link StoreEntry#isPresent()} false.
     */
    StoreEntry get(byte[] key, Duration accessTtl);

    /**
     * Reads one entry for a conditional operation (replace, putIfAbsent, invoke, remove with an old value): the
     * owner's current state, never a locally cached copy, since a stale version only costs a failed
     * compare-and-set and a retry. Stores without a local tier read as {@link #get} does.
     */
    default StoreEntry getForUpdate(byte[] key) {
        return get(key, null);
    }

    /** {@link #get} for many keys; the result list is in the order of {@code keys}. */
    List<StoreEntry> getAll(List<byte[]> keys, Duration accessTtl);

    /**
     * Sets the expiry of the entry to now + ttl if its version is still {@code expectedVersion}.
     * Used when the access duration can only be decided after the read (user expiry policies).
     *
     * @return true if the entry had that version and was touched.
     */
    boolean touch(byte[] key, long expectedVersion, Duration ttl);

    /**
     * Stores a value whatever the entry's state.
     *
     * @param createTtl      the expiry duration if the entry is absent (or expired).
     * @param updateTtl      the expiry duration if the entry is present; {@code null} = unchanged.
     * @param returnPrevious whether {@link StoreWrite#previousValue()} is wanted; a remote store
     *                       may omit it (to save bandwidth) when false.
     * @return applied is always true; {@link StoreWrite#version()} is {@link #NO_VERSION} when the
     *         entry was absent and createTtl is zero (nothing stored).
     */
    StoreWrite put(byte[] key, byte[] value, Duration createTtl, Duration updateTtl, boolean returnPrevious);

    /** {@link #put} for many entries, grouped by the caller for one round trip per slave. */
    List<StoreWrite> putAll(List<PutRequest> requests, boolean returnPrevious);

    /**
     * Stores the value only if the key is absent (or expired).
     *
     * @return applied true if the key was absent (stored, unless createTtl is zero: then the
     *         version is {@link #NO_VERSION}); if present, applied false with the current version
     *         and value.
     */
    StoreWrite putIfAbsent(byte[] key, byte[] value, Duration createTtl);

    /**
     * The versioned conditional write behind replace, remove-with-old-value and invoke.
     *
     * @param expectedVersion the version the caller read, or {@link #NO_VERSION} for "absent".
     * @param value           the new value, or {@code null} to remove the entry.
     * @param ttl             expiry duration: for a create (expected absent) null means eternal
     *                        and zero means not stored; for an update null means unchanged;
     *                        ignored for a remove.
     * @return applied true if the entry had the expected version; if not, applied false and
     *         {@link StoreWrite#previousVersion()}/{@link StoreWrite#previousValue()} carry the
     *         current state so the caller can retry without another read.
     */
    StoreWrite compareAndSet(byte[] key, long expectedVersion, byte[] value, Duration ttl);

    /**
     * Removes the entry whatever its value.
     *
     * @return applied true if a live entry was removed.
     */
    StoreWrite remove(byte[] key, boolean returnPrevious);

    /** {@link #remove} for many keys, in order. */
    List<StoreWrite> removeAll(List<byte[]> keys, boolean returnPrevious);

    /** Removes every entry, without reporting them (JCache {@code clear()}). */
    void clear();

    /** The number of live (unexpired) entries; weakly consistent, for diagnostics. */
    long size();

    /**
     * Starts a weakly consistent scan of the keys: each key present for the whole scan is
     * returned exactly once; keys added or removed meanwhile may or may not be. A remote store
     * walks the partitions slave by slave, one batch per round trip.
     */
    KeyScan scanKeys(int batchSize);

    /** Releases the store's resources. Entries of an in-JVM store are dropped. */
    @Override
    void close();
}
