package io.rum.jcache.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.cache.expiry.Duration;
import org.agrona.concurrent.EpochClock;

/**
 * The in-JVM {@link EntryStore}: a {@link ConcurrentHashMap} from key bytes to immutable slots.
 *
 * <p>Every operation on a key is one {@code compute} on the map, so it is atomic per key exactly
 * as a slave executes it on its partition; the function only compares bytes and versions (never
 * user code), so holding the bin lock is short and cannot deadlock. Expired slots are removed
 * lazily by the first operation that meets them, which reports their bytes. Time comes from the
 * injected {@link EpochClock}: tests drive it, the provider uses the system clock.
 */
public final class LocalEntryStore implements EntryStore {
    private final ConcurrentHashMap<Key, Slot> map = new ConcurrentHashMap<>();
    private final EpochClock clock;
    private final AtomicLong versions = new AtomicLong();

    /** @param clock the clock that decides expiry (epoch milliseconds). */
    public LocalEntryStore(EpochClock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public long nowMillis() {
        return clock.time();
    }

    @Override
    public StoreEntry get(byte[] key, Duration accessTtl) {
        final long nowMs = clock.time();
        final Key k = new Key(key);
        final Slot slot = map.get(k);
        if (slot == null) {
            return StoreEntry.absent();
        }
        if (!slot.isExpired(nowMs) && accessTtl == null) {
            return new StoreEntry(slot.version, slot.value, null);
        }
        final Outcome out = new Outcome();
        map.computeIfPresent(k, (kk, s) -> {
            if (s.isExpired(nowMs)) {
                out.expired = s.value;
                return null;
            }
            out.previous = s;
            return accessTtl == null ? s : s.withExpiry(ExpiryTimes.expiresAtMs(nowMs, accessTtl));
        });
        return out.previous == null
            ? new StoreEntry(NO_VERSION, null, out.expired)
            : new StoreEntry(out.previous.version, out.previous.value, out.expired);
    }

    @Override
    public List<StoreEntry> getAll(List<byte[]> keys, Duration accessTtl) {
        final List<StoreEntry> result = new ArrayList<>(keys.size());
        for (final byte[] key : keys) {
            result.add(get(key, accessTtl));
        }
        return result;
    }

    @Override
    public boolean touch(byte[] key, long expectedVersion, Duration ttl) {
        final long nowMs = clock.time();
        final boolean[] touched = new boolean[1];
        map.computeIfPresent(new Key(key), (kk, s) -> {
            if (s.version != expectedVersion || s.isExpired(nowMs)) {
                return s;
            }
            touched[0] = true;
            return ttl == null ? s : s.withExpiry(ExpiryTimes.expiresAtMs(nowMs, ttl));
        });
        return touched[0];
    }

    @Override
    public StoreWrite put(byte[] key, byte[] value, Duration createTtl, Duration updateTtl, boolean returnPrevious) {
        Objects.requireNonNull(value, "value");
        final long nowMs = clock.time();
        final Outcome out = new Outcome();
        final Slot after = map.compute(new Key(key), (kk, s) -> {
            final Slot live = out.live(s, nowMs);
            if (live == null) {
                return ExpiryTimes.isZero(createTtl) ? null
                    : new Slot(value, nextVersion(), ExpiryTimes.expiresAtMs(nowMs, createTtl));
            }
            final long expiresAtMs = updateTtl == null ? live.expiresAtMs : ExpiryTimes.expiresAtMs(nowMs, updateTtl);
            return new Slot(value, nextVersion(), expiresAtMs);
        });
        return out.result(true, after);
    }

    @Override
    public List<StoreWrite> putAll(List<PutRequest> requests, boolean returnPrevious) {
        final List<StoreWrite> result = new ArrayList<>(requests.size());
        for (final PutRequest r : requests) {
            result.add(put(r.key(), r.value(), r.createTtl(), r.updateTtl(), returnPrevious));
        }
        return result;
    }

    @Override
    public StoreWrite putIfAbsent(byte[] key, byte[] value, Duration createTtl) {
        return compareAndSet(key, NO_VERSION, Objects.requireNonNull(value, "value"), createTtl);
    }

    @Override
    public StoreWrite compareAndSet(byte[] key, long expectedVersion, byte[] value, Duration ttl) {
        final long nowMs = clock.time();
        final Outcome out = new Outcome();
        final Slot after = map.compute(new Key(key), (kk, s) -> {
            final Slot live = out.live(s, nowMs);
            final long currentVersion = live == null ? NO_VERSION : live.version;
            if (currentVersion != expectedVersion) {
                return live;
            }
            out.applied = true;
            if (value == null) {
                return null;
            }
            if (live == null) {
                return ExpiryTimes.isZero(ttl) ? null : new Slot(value, nextVersion(), ExpiryTimes.expiresAtMs(nowMs, ttl));
            }
            final long expiresAtMs = ttl == null ? live.expiresAtMs : ExpiryTimes.expiresAtMs(nowMs, ttl);
            return new Slot(value, nextVersion(), expiresAtMs);
        });
        return out.result(out.applied, after);
    }

    @Override
    public StoreWrite remove(byte[] key, boolean returnPrevious) {
        final long nowMs = clock.time();
        final Outcome out = new Outcome();
        map.computeIfPresent(new Key(key), (kk, s) -> {
            out.live(s, nowMs);
            return null;
        });
        return out.result(out.previous != null, null);
    }

    @Override
    public List<StoreWrite> removeAll(List<byte[]> keys, boolean returnPrevious) {
        final List<StoreWrite> result = new ArrayList<>(keys.size());
        for (final byte[] key : keys) {
            result.add(remove(key, returnPrevious));
        }
        return result;
    }

    @Override
    public void clear() {
        map.clear();
    }

    @Override
    public long size() {
        final long nowMs = clock.time();
        long live = 0;
        for (final Slot s : map.values()) {
            if (!s.isExpired(nowMs)) {
                live++;
            }
        }
        return live;
    }

    @Override
    public KeyScan scanKeys(int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be positive: " + batchSize);
        }
        final Iterator<Map.Entry<Key, Slot>> it = map.entrySet().iterator();
        return new KeyScan() {
            @Override
            public List<byte[]> nextBatch() {
                final long nowMs = clock.time();
                final List<byte[]> batch = new ArrayList<>(Math.min(batchSize, 64));
                while (batch.size() < batchSize && it.hasNext()) {
                    final Map.Entry<Key, Slot> e = it.next();
                    if (!e.getValue().isExpired(nowMs)) {
                        batch.add(e.getKey().bytes);
                    }
                }
                return batch;
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void close() {
        map.clear();
    }

    private long nextVersion() {
        return versions.incrementAndGet();
    }

    /** What one compute saw: filled inside the (single-threaded per key) remapping function. */
    private static final class Outcome {
        Slot previous;
        byte[] expired;
        boolean applied;

        /** Records the slot's state at now: the live slot, or null (reaping an expired one). */
        Slot live(Slot s, long nowMs) {
            if (s == null) {
                return null;
            }
            if (s.isExpired(nowMs)) {
                expired = s.value;
                return null;
            }
            previous = s;
            return s;
        }

        StoreWrite result(boolean applied, Slot after) {
            return new StoreWrite(applied,
                previous == null ? NO_VERSION : previous.version,
                previous == null ? null : previous.value,
                after == null ? NO_VERSION : after.version,
                expired);
        }
    }

    /** An immutable stored entry: replaced, never mutated, so readers need no lock. */
    private record Slot(byte[] value, long version, long expiresAtMs) {
        boolean isExpired(long nowMs) {
            return ExpiryTimes.isExpired(expiresAtMs, nowMs);
        }

        Slot withExpiry(long newExpiresAtMs) {
            return new Slot(value, version, newExpiresAtMs);
        }
    }

    /** Key bytes with content equality; the hash is computed once. */
    private static final class Key {
        final byte[] bytes;
        final int hash;

        Key(byte[] bytes) {
            this.bytes = Objects.requireNonNull(bytes, "key");
            this.hash = Arrays.hashCode(bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key other && hash == other.hash && Arrays.equals(bytes, other.bytes);
        }
    }
}
