package io.rum.jcache.remote;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.rum.jcache.configuration.HotTierSettings;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.collections.Long2LongHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The Caffeine hot tier of one cache in one client JVM: serialized entries this client read or wrote, served
 * without a round trip until the owning slave says they changed.
 *
 * <h2>Staying correct</h2>
 * <ul>
 * <li><b>Invalidation.</b> Every change on a slave carries its partition's sequence number and is sent to every
 *     subscribed client ({@link #onChange}). An entry remembers the sequence at which it was read or written and
 *     is dropped by any change with a higher one; a change the writer itself made (same sequence) leaves the
 *     writer's entry alone, which gives read-your-writes without a round trip.</li>
 * <li><b>Gaps.</b> Sequences of a partition arrive in order on a reliable stream, so a skip means a message was
 *     lost: every entry of that partition is dropped (repair). A slave that restarts or drops a message sends
 *     RESET or restarts its stream: the tier forgets everything ({@link #clear}). A slave whose subscription is
 *     not confirmed (not yet, or lost after silence) gives the tier nothing to keep.</li>
 * <li><b>Read/invalidate race.</b> A read's answer may arrive after a newer change's message. Every message
 *     raises its partition's announced sequence before it removes the key; after inserting, the reader checks
 *     that nothing newer than its answer was announced for the partition (and that the tier was not cleared
 *     since it started: the generation), and withdraws its entry otherwise. Either the message's removal runs
 *     after the insert, or the reader sees the announcement. A client's own write (the message carries the
 *     sequence of its answer) is not newer, so the writer keeps what it wrote.</li>
 * <li><b>Expiry.</b> An entry is kept no longer than the slave said it would live (or the tier's TTL), measured
 *     on this JVM's monotonic clock from the answer, so it never outlives the slave's deadline by more than one
 *     one-way delay. Caches whose reads change the expiry (access expiry) bypass the tier for reads.</li>
 * </ul>
 * Conditional operations (putIfAbsent, replace, invoke, remove with an old value) always go to the owner.
 */
final class HotTier {
    private final long cacheId;
    private final Cache<ByteKey, HotEntry> entries;
    /** Bumped whenever the tier forgets wholesale: a read that started before must not insert after. */
    private final AtomicLong generation = new AtomicLong();
    /** Per partition, the highest change sequence this client has seen announced (or made itself). */
    private final ConcurrentHashMap<Integer, AtomicLong> announced = new ConcurrentHashMap<>();
    /** Per partition, the last sequence the stream delivered: for gap detection only. */
    private final Long2LongHashMap delivered = new Long2LongHashMap(0);
    private final Set<Integer> subscribedSlaves = ConcurrentHashMap.newKeySet();
    private final long ttlNs;
    private final Ticker ticker;
    private final LongAdder gaps = new LongAdder();
    private final LongAdder invalidations = new LongAdder();
    private final LongAdder resets = new LongAdder();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    HotTier(long cacheId, HotTierSettings settings, Ticker ticker) {
        this.cacheId = cacheId;
        this.ticker = ticker;
        this.ttlNs = settings.ttlNs();
        // Each entry lives as long as its slave said, at most the tier's TTL: Caffeine checks it on every read
        // with the one clock read it makes anyway.
        final Caffeine<Object, Object> builder = Caffeine.newBuilder().ticker(ticker).executor(Runnable::run)
            .expireAfter(new Expiry<Object, Object>() {
                @Override
                public long expireAfterCreate(Object key, Object value, long currentTime) {
                    return ((HotEntry) value).lifeNs;
                }

                @Override
                public long expireAfterUpdate(Object key, Object value, long currentTime, long currentDuration) {
                    return ((HotEntry) value).lifeNs;
                }

                @Override
                public long expireAfterRead(Object key, Object value, long currentTime, long currentDuration) {
                    return currentDuration;
                }
            });
        // Evictions (size, expiry) mark the entry synchronously, inside the eviction: a change message that comes
        // after an eviction finds nothing in the map, so the object index must already know. Removals this class
        // makes itself are marked where they are made (see gone()).
        builder.evictionListener((Object k, Object v, RemovalCause cause) -> ((HotEntry) v).gone = true);
        this.entries = settings.maxBytes() > 0
            ? builder.maximumWeight(settings.maxBytes())
                .<ByteKey, HotEntry>weigher((k, e) -> k.bytes.length + e.value.length + 64).build()
            : builder.maximumSize(settings.maxEntries()).build();
        this.objects = Caffeine.newBuilder().executor(Runnable::run)
            .maximumSize(settings.maxBytes() > 0 ? 100_000 : settings.maxEntries()).build();
    }

    long cacheId() {
        return cacheId;
    }

    /**
     * A cached entry: value bytes, version, where it came from, and how long it may be served. Once it leaves the
     * tier for any reason it is marked {@link #gone}, so the object index below never serves it again.
     */
    static final class HotEntry {
        final byte[] value;
        final long version;
        final int partition;
        final int owner;
        final long sequence;
        final long lifeNs;
        volatile boolean gone;
        /** The decoded value, when it is immutable (String, boxed primitives): served as is, like Caffeine-JCache. */
        volatile Object decoded;

        /** When the slave's deadline passes, on the tier's ticker; MAX_VALUE if the slave set none. */
        final long expiresAtNs;

        HotEntry(byte[] value, long version, int partition, int owner, long sequence, long lifeNs, long expiresAtNs) {
            this.value = value;
            this.version = version;
            this.partition = partition;
            this.owner = owner;
            this.sequence = sequence;
            this.lifeNs = lifeNs;
            this.expiresAtNs = expiresAtNs;
        }

        byte[] value() {
            return value;
        }

        long version() {
            return version;
        }
    }

    /**
     * Key objects (immutable ones only) to entries whose decoded value is known: a read of an immutable key needs no
     * serialization, hashing of bytes or decoding. Valid only while the entry is not {@link HotEntry#gone}.
     */
    private final Cache<Object, HotEntry> objects;

    /**
     * Marks an entry as out of the tier, before (or as) it is removed, so the object index stops serving it at
     * once; Caffeine's removal listener may run later than the removal, so correctness never waits for it.
     *
     * @return null, for use as a remapping function's "remove".
     */
    private static HotEntry gone(HotEntry e) {
        if (e != null) {
            e.gone = true;
        }
        return null;
    }

    private static HotEntry replaced(HotEntry old, HotEntry neu) {
        old.gone = true;
        return neu;
    }

    /** @return the decoded value of a live entry for this key object, or null. */
    Object decodedValue(Object key) {
        final HotEntry e = objects.getIfPresent(key);
        if (e == null) {
            return null;
        }
        // The clock is read only for entries the slave gave a deadline (an eternal one is bounded by the tier's
        // TTL, which Caffeine enforces on the entries map, marking it gone).
        if (e.gone || (e.expiresAtNs != Long.MAX_VALUE && ticker.read() - e.expiresAtNs >= 0)) {
            objects.asMap().remove(key, e);
            return null;
        }
        hits.increment();
        return e.decoded;
    }

    /** Remembers, for the entry of {@code keyBytes}, the immutable key object and decoded value just read from it. */
    void rememberDecoded(Object key, ByteKey keyBytes, Object value) {
        final HotEntry e = entries.getIfPresent(keyBytes);
        if (e != null && !e.gone) {
            e.decoded = value;
            objects.put(key, e);
            if (e.gone) {
                objects.asMap().remove(key, e); // removed meanwhile: do not leave it findable
            }
        }
    }

    /** @return the live entry for a key, or null. */
    HotEntry get(ByteKey key) {
        final HotEntry e = entries.getIfPresent(key);
        if (e == null) {
            misses.increment();
            return null;
        }
        hits.increment();
        return e;
    }

    /** @return the stamp to take before a remote read (of any key). */
    long stamp() {
        return generation.get();
    }

    private long announced(int partition) {
        final AtomicLong a = announced.get(partition);
        return a == null ? 0 : a.get();
    }

    /** Raises the partition's announced sequence to at least {@code sequence}; @return the value before. */
    private long announce(int partition, long sequence) {
        return announced.computeIfAbsent(partition, p -> new AtomicLong()).getAndAccumulate(sequence, Math::max);
    }

    /**
     * Keeps what a read or a write of this client learned, if the owner's subscription is confirmed, the answer
     * is not older than what the tier holds, and no change message overtook it (the stamp).
     *
     * @param lifeMs ms the slave said the entry lives; negative = never.
     */
    void offer(ByteKey key, long stamp, byte[] value, long version, int partition, int owner, long sequence,
               long lifeMs) {
        final long lifeNs = lifeMs < 0 ? ttlNs : Math.min(ttlNs, TimeUnit.MILLISECONDS.toNanos(lifeMs));
        if (!subscribedSlaves.contains(owner) || value == null || lifeNs <= 0) {
            // Nothing to keep, but what the tier holds is not newer than this answer: it must go.
            entries.asMap().computeIfPresent(key, (k, e) -> e.sequence <= sequence ? gone(e) : e);
            return;
        }
        if (announced(partition) > sequence) {
            return; // a newer change of this partition is known: the answer may be stale
        }
        final HotEntry fresh = new HotEntry(value, version, partition, owner, sequence, lifeNs,
            lifeMs < 0 ? Long.MAX_VALUE : ticker.read() + lifeNs);
        final HotEntry kept = entries.asMap().merge(key, fresh,
            (old, neu) -> old.sequence > neu.sequence ? old : replaced(old, neu));
        // The check after the insert closes the race with a change message handled meanwhile: either its removal
        // ran after the insert, or this check sees its sequence (or the tier was cleared: the generation moved).
        if (kept == fresh && (generation.get() != stamp || announced(partition) > sequence)) {
            if (entries.asMap().remove(key, fresh)) {
                fresh.gone = true;
            }
        }
    }

    /**
     * Forgets one key this client changed in a way the tier cannot mirror (a removal, a write that expired at once):
     * the change's sequence is announced first, so a read of the old value still in flight cannot insert it.
     */
    void invalidate(ByteKey key, int partition, long sequence) {
        announce(partition, sequence);
        gone(entries.asMap().remove(key));
    }

    /** Forgets one key whose expiry this client changed (no new sequence: the slave announces none). */
    void invalidate(ByteKey key) {
        gone(entries.asMap().remove(key));
    }

    /** A change message from the owning slave. Runs in the transport's duty cycle: never blocks. */
    void onChange(int partition, long sequence, byte[] keyBytes) {
        invalidations.increment();
        final ByteKey key = new ByteKey(keyBytes);
        announce(partition, sequence);
        // Messages of a partition arrive in order on the stream; a skip means one was lost.
        final boolean gap;
        synchronized (delivered) {
            final long last = delivered.get(partition);
            gap = last != 0 && sequence > last + 1;
            if (sequence > last) {
                delivered.put(partition, sequence);
            }
        }
        entries.asMap().computeIfPresent(key, (k, e) -> e.sequence < sequence ? gone(e) : e);
        if (gap) {
            gaps.increment();
            entries.asMap().values().removeIf(e -> e.partition == partition && gone(e) == null);
        }
    }

    /** The owner confirmed (or renewed) the subscription; {@code fresh}: it had none, so changes may be lost. */
    void subscribed(int node, boolean fresh) {
        if (fresh || !subscribedSlaves.contains(node)) {
            forgetSlave(node);
        }
        subscribedSlaves.add(node);
    }

    /** Drops what came from a slave and stops keeping its entries until it is subscribed again. */
    void forgetSlave(int node) {
        subscribedSlaves.remove(node);
        resets.increment();
        generation.incrementAndGet();
        entries.asMap().values().removeIf(e -> e.owner == node && gone(e) == null);
        announced.clear();
        synchronized (delivered) {
            delivered.clear();
        }
    }

    /** Forgets everything (placement changed, the cache was cleared, or a slave asked for a reset). */
    void clear() {
        resets.increment();
        generation.incrementAndGet();
        entries.asMap().values().forEach(HotTier::gone);
        entries.invalidateAll();
        objects.invalidateAll();
        announced.clear();
        synchronized (delivered) {
            delivered.clear();
        }
    }


    long size() {
        return entries.estimatedSize();
    }

    long hits() {
        return hits.sum();
    }

    long misses() {
        return misses.sum();
    }

    @Override
    public String toString() {
        return "hot tier: " + entries.estimatedSize() + " entries, " + invalidations.sum() + " invalidations, " +
            gaps.sum() + " gaps repaired, " + resets.sum() + " resets";
    }

    /** Key bytes with content equality and a cached hash. */
    static final class ByteKey {
        final byte[] bytes;
        final long hash64;
        private final int hash;

        ByteKey(byte[] bytes) {
            this(bytes, io.rum.allocator.placement.KeyHash.hash(bytes));
        }

        ByteKey(byte[] bytes, long hash64) {
            this.bytes = bytes;
            this.hash64 = hash64;
            this.hash = (int) (hash64 ^ (hash64 >>> 32));
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ByteKey other && hash64 == other.hash64 && Arrays.equals(bytes, other.bytes);
        }
    }
}
