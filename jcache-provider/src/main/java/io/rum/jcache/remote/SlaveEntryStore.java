package io.rum.jcache.remote;

import io.rum.allocator.placement.KeyHash;
import io.rum.allocator.placement.Member;
import io.rum.allocator.placement.PartitionTable;
import io.rum.allocator.protocol.Status;
import io.rum.allocator.protocol.cache.CacheOpcode;
import io.rum.allocator.protocol.cache.CacheRequest;
import io.rum.allocator.protocol.cache.CacheResponse;
import io.rum.allocator.protocol.cache.CacheTtl;
import io.rum.jcache.configuration.HotTierSettings;
import io.rum.jcache.store.EntryStore;
import io.rum.jcache.store.HotObjects;
import io.rum.jcache.store.KeyScan;
import io.rum.jcache.store.PutRequest;
import io.rum.jcache.store.StoreEntry;
import io.rum.jcache.store.StoreWrite;
import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import javax.cache.CacheException;
import javax.cache.expiry.Duration;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The {@link EntryStore} of one cache whose entries live on slaves: each operation is sent to the slave that
 * owns the key's partition and executed there, atomically per key, on the slave's clock; batches go as one
 * request per slave, all in flight at once. With a {@link HotTier}, plain reads are served from this JVM while
 * the owner has not announced a change.
 *
 * <h2>Failures</h2>
 * Each operation has a deadline ({@code rum.timeout}). A slave silent for the attempt timeout is taken as down
 * and the operation retried on the key's next owner; a slave that restarted is retried at once; a batch whose
 * answer would exceed the largest message is split. When the deadline passes, or no slave can be reached, the
 * operation fails with a {@link CacheException} naming the slaves and why; it never hangs. A slave out of memory
 * fails the write with a {@link CacheException} saying so, and keeps serving.
 */
public final class SlaveEntryStore implements EntryStore, HotObjects {
    private final SlaveCluster cluster;
    private final String cacheName;
    private final long cacheId;
    private final HotTier tier;

    SlaveEntryStore(SlaveCluster cluster, String cacheName, HotTierSettings hotTier) {
        this.cluster = cluster;
        this.cacheName = cacheName;
        this.cacheId = cacheIdOf(cacheName);
        this.tier = hotTier.enabled() ? new HotTier(cacheId, hotTier, cluster.clock()::nanoTime) : null;
        if (tier != null) {
            cluster.register(tier);
        }
    }

    /** @return the wire id of a cache: a 64-bit hash of its name. */
    public static long cacheIdOf(String cacheName) {
        return KeyHash.hash(("cache:" + cacheName).getBytes(StandardCharsets.UTF_8));
    }

    /** @return reads served by the hot tier (0 without one). Reach it with {@code cache.unwrap(SlaveEntryStore.class)}. */
    public long hotTierHits() {
        return tier == null ? 0 : tier.hits();
    }

    /** @return plain reads the hot tier could not serve, which went to a slave (0 without a tier). */
    public long hotTierMisses() {
        return tier == null ? 0 : tier.misses();
    }

    /** @return entries in the hot tier now (estimate; 0 without one). */
    public long hotTierSize() {
        return tier == null ? 0 : tier.size();
    }

    /** @return the hot tier's description, or null without one. */
    public String hotTierText() {
        return tier == null ? null : tier.toString();
    }

    // ------------------------------------------------------------------ EntryStore

    @Override
    public long nowMillis() {
        final PartitionTable table = table("read the slave clock");
        final Reply reply = callNode(table.primary(0), CacheOpcode.CLOCK, 0, null, "read the slave clock");
        return reply.nowMs;
    }

    @Override
    public StoreEntry get(byte[] key, Duration accessTtl) {
        if (tier != null && accessTtl == null) {
            // The hot path: one lookup, no lists, no clock read (the tier's Caffeine expires entries itself).
            final HotTier.HotEntry hit = tier.get(new HotTier.ByteKey(Objects.requireNonNull(key, "key")));
            if (hit != null) {
                return new StoreEntry(hit.version(), hit.value(), null);
            }
            // The tier said no (and counted the miss): asking it again would count the miss twice.
            return fetch(List.of(key), accessTtl, false).get(0);
        }
        return fetch(List.of(key), accessTtl, true).get(0);
    }

    @Override
    public Object hotValue(Object key) {
        return tier == null ? null : tier.decodedValue(key);
    }

    @Override
    public void rememberDecoded(Object key, byte[] keyBytes, Object value) {
        if (tier != null) {
            tier.rememberDecoded(key, new HotTier.ByteKey(keyBytes), value);
        }
    }

    @Override
    public StoreEntry getForUpdate(byte[] key) {
        final Item item = new Item(key, null, 0, CacheTtl.UNCHANGED, CacheTtl.UNCHANGED);
        final Result r = execute("get", CacheOpcode.GET, 0, List.of(item)).get(0);
        keep(item, r, r.value);
        return entryOf(r);
    }

    @Override
    public List<StoreEntry> getAll(List<byte[]> keys, Duration accessTtl) {
        return fetch(keys, accessTtl, true);
    }

    /** @param askTier whether to look in the hot tier first (false: the caller just did, for the only key). */
    private List<StoreEntry> fetch(List<byte[]> keys, Duration accessTtl, boolean askTier) {
        final StoreEntry[] out = new StoreEntry[keys.size()];
        final List<Item> misses = new ArrayList<>(keys.size());
        final List<Integer> missIndex = new ArrayList<>(keys.size());
        final long ttl = ttlCode(accessTtl);
        for (int i = 0; i < keys.size(); i++) {
            final Item item = new Item(keys.get(i), null, 0, ttl, CacheTtl.UNCHANGED);
            if (askTier && tier != null && accessTtl == null) {
                final HotTier.HotEntry hit = tier.get(item.key);
                if (hit != null) {
                    out[i] = new StoreEntry(hit.version(), hit.value(), null);
                    continue;
                }
            }
            misses.add(item);
            missIndex.add(i);
        }
        if (!misses.isEmpty()) {
            final List<Result> results = execute("get", CacheOpcode.GET, 0, misses);
            for (int j = 0; j < results.size(); j++) {
                final Result r = results.get(j);
                if (accessTtl == null) {
                    keep(misses.get(j), r, r.value);
                }
                out[missIndex.get(j)] = entryOf(r);
            }
        }
        return Arrays.asList(out);
    }

    @Override
    public boolean touch(byte[] key, long expectedVersion, Duration ttl) {
        final Item item = new Item(key, null, expectedVersion, ttlCode(ttl), CacheTtl.UNCHANGED);
        final Result r = execute("touch", CacheOpcode.TOUCH, 0, List.of(item)).get(0);
        if (r.applied && tier != null) {
            tier.invalidate(item.key);
        }
        return r.applied;
    }

    @Override
    public StoreWrite put(byte[] key, byte[] value, Duration createTtl, Duration updateTtl, boolean returnPrevious) {
        return putAll(List.of(new PutRequest(key, value, createTtl, updateTtl)), returnPrevious).get(0);
    }

    @Override
    public List<StoreWrite> putAll(List<PutRequest> requests, boolean returnPrevious) {
        final List<Item> items = new ArrayList<>(requests.size());
        for (final PutRequest p : requests) {
            items.add(new Item(p.key(), Objects.requireNonNull(p.value(), "value"), 0, ttlCode(p.createTtl()),
                ttlCode(p.updateTtl())));
        }
        return writeAll("put", CacheOpcode.PUT, returnPrevious, items);
    }

    /** Sends writes (batched per slave) and turns their answers into the SPI's, keeping the hot tier in step. */
    private List<StoreWrite> writeAll(String what, int opcode, boolean returnPrevious, List<Item> items) {
        final List<Result> results = execute(what, opcode, returnPrevious ? CacheRequest.FLAG_RETURN_PREVIOUS : 0,
            items);
        final List<StoreWrite> out = new ArrayList<>(results.size());
        for (int i = 0; i < results.size(); i++) {
            out.add(written(items.get(i), results.get(i)));
        }
        return out;
    }

    @Override
    public StoreWrite putIfAbsent(byte[] key, byte[] value, Duration createTtl) {
        final Item item = new Item(key, Objects.requireNonNull(value, "value"), 0, ttlCode(createTtl),
            CacheTtl.UNCHANGED);
        return written(item, execute("putIfAbsent", CacheOpcode.PUT_IF_ABSENT, 0, List.of(item)).get(0));
    }

    @Override
    public StoreWrite compareAndSet(byte[] key, long expectedVersion, byte[] value, Duration ttl) {
        final Item item = new Item(key, value, expectedVersion, ttlCode(ttl), CacheTtl.UNCHANGED);
        return written(item, execute("compareAndSet", CacheOpcode.COMPARE_AND_SET,
            CacheRequest.FLAG_RETURN_PREVIOUS, List.of(item)).get(0));
    }

    @Override
    public StoreWrite remove(byte[] key, boolean returnPrevious) {
        return removeAll(List.of(key), returnPrevious).get(0);
    }

    @Override
    public List<StoreWrite> removeAll(List<byte[]> keys, boolean returnPrevious) {
        final List<Item> items = new ArrayList<>(keys.size());
        for (final byte[] k : keys) {
            items.add(new Item(k, null, 0, CacheTtl.UNCHANGED, CacheTtl.UNCHANGED));
        }
        return writeAll("remove", CacheOpcode.REMOVE, returnPrevious, items);
    }

    @Override
    public void clear() {
        forEachSlave(CacheOpcode.CLEAR, "clear");
        if (tier != null) {
            tier.clear();
        }
    }

    /** Drops the cache on every slave that is up (CacheManager.destroyCache). */
    void destroy() {
        forEachSlave(CacheOpcode.DESTROY, "destroy");
        if (tier != null) {
            tier.clear();
        }
    }

    @Override
    public long size() {
        return forEachSlave(CacheOpcode.SIZE, "size");
    }

    @Override
    public KeyScan scanKeys(int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be positive: " + batchSize);
        }
        return new SlaveScan(batchSize);
    }

    @Override
    public void close() {
        if (tier != null) {
            cluster.unregister(tier);
        }
    }

    // ------------------------------------------------------------------ results into the SPI, and the hot tier

    private static StoreEntry entryOf(Result r) {
        if (r.applied) {
            return new StoreEntry(r.version, r.value, r.expired);
        }
        return r.expired == null ? StoreEntry.absent() : new StoreEntry(NO_VERSION, null, r.expired);
    }

    private StoreWrite written(Item item, Result r) {
        if (tier != null && r.applied) {
            if (item.value != null && r.version != NO_VERSION) {
                keep(item, r, item.value); // read-your-writes: this client's own write is served from here
            } else {
                tier.invalidate(item.key, r.partition, r.sequence);
            }
        }
        return new StoreWrite(r.applied, r.previousVersion, r.value, r.version, r.expired);
    }

    private void keep(Item item, Result r, byte[] value) {
        if (tier != null && r.version != NO_VERSION && value != null) {
            tier.offer(item.key, item.stamp, value, r.version, r.partition, r.owner, r.sequence, r.life);
        }
    }

    private static long ttlCode(Duration d) {
        if (d == null) {
            return CacheTtl.UNCHANGED;
        }
        if (d.isEternal()) {
            return CacheTtl.ETERNAL;
        }
        if (d.isZero()) {
            return CacheTtl.ZERO;
        }
        return CacheTtl.ofMillis(d.getTimeUnit().toMillis(d.getDurationAmount()));
    }

    // ------------------------------------------------------------------ execution: grouping, failover, splitting

    /** One key's part of a request. The stamp is taken when the item is made: before the read it guards. */
    private final class Item {
        final HotTier.ByteKey key;
        final byte[] value;
        final long version;
        final long ttlA;
        final long ttlB;
        final long stamp;

        Item(byte[] key, byte[] value, long version, long ttlA, long ttlB) {
            this.key = new HotTier.ByteKey(Objects.requireNonNull(key, "key"));
            this.value = value;
            this.version = version;
            this.ttlA = ttlA;
            this.ttlB = ttlB;
            this.stamp = tier == null ? 0 : tier.stamp();
        }

        int length() {
            return CacheRequest.itemLength(key.bytes.length, value == null ? CacheRequest.NO_VALUE : value.length);
        }
    }

    /** One key's answer. */
    private static final class Result {
        boolean applied;
        int partition;
        long previousVersion;
        long version;
        long sequence;
        long life;
        byte[] value;
        byte[] expired;
        int owner;
    }

    /** One request in flight: some items, to one slave. */
    private static final class Chunk {
        final int node;
        final int[] items;
        PendingCall call;
        int rpcStatus = RpcStatus.BUSY;

        Chunk(int node, int[] items) {
            this.node = node;
            this.items = items;
        }
    }

    private List<Result> execute(String what, int opcode, int flags, List<Item> items) {
        final Result[] results = new Result[items.size()];
        final long timeoutNs = cluster.settings().timeoutNs();
        final long deadline = System.nanoTime() + timeoutNs;
        final int maxMessage = cluster.transport().maxMessageLength();
        int maxItems = CacheRequest.MAX_ITEMS;
        int[] pending = new int[items.size()];
        for (int i = 0; i < pending.length; i++) {
            pending[i] = i;
            if (CacheRequest.HEADER_LENGTH + items.get(i).length() > maxMessage) {
                throw new CacheException(what + " on cache " + cacheName + ": an entry of " + items.get(i).length() +
                    " bytes is larger than the largest message (" + maxMessage + " bytes)");
            }
        }
        String lastFailure = "";
        int outOfMemory = 0;
        String outOfMemoryReason = null;
        while (pending.length > 0) {
            final long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new CacheException(what + " on cache " + cacheName + " timed out after " + timeoutNs / 1_000_000 +
                    " ms" + lastFailure);
            }
            final PartitionTable table = table(what);
            final List<Chunk> chunks = chunk(table, items, pending, maxItems, maxMessage);
            final long attempt = Math.min(remaining, cluster.settings().attemptTimeoutNs());
            for (final Chunk c : chunks) {
                send(c, opcode, flags, items, attempt);
            }
            final List<Integer> retry = new ArrayList<>();
            for (final Chunk c : chunks) {
                try {
                    if (c.call != null) {
                        c.rpcStatus = c.call.await();
                    }
                    switch (c.rpcStatus) {
                        case RpcStatus.OK -> {
                            final DirectBuffer rb = c.call.response();
                            final int length = c.call.responseLength();
                            final int status = length >= CacheResponse.HEADER_LENGTH ? CacheResponse.status(rb, 0)
                                : Status.BAD_REQUEST;
                            if (status == io.rum.slave.cache.CacheService.TOO_LARGE && c.items.length > 1) {
                                maxItems = Math.max(1, c.items.length / 2);
                                addAll(retry, c.items);
                            } else if (status != Status.OK) {
                                throw new CacheException(what + " on cache " + cacheName + ": slave " + c.node +
                                    " answered " + Status.describe(status) + ": " +
                                    CacheResponse.reason(rb, 0, length));
                            } else {
                                final int oom = decode(c, rb, length, results, what);
                                if (oom > 0) {
                                    outOfMemory += oom;
                                    outOfMemoryReason = "slave " + c.node + " is out of memory";
                                }
                            }
                        }
                        case RpcStatus.TIMEOUT, RpcStatus.NO_ROUTE -> {
                            lastFailure = "; slave " + c.node + ": " + RpcStatus.describe(c.rpcStatus);
                            cluster.markDown(c.node, RpcStatus.describe(c.rpcStatus) + " (" + what + ")");
                            addAll(retry, c.items);
                        }
                        case RpcStatus.PEER_RESTARTED -> {
                            lastFailure = "; slave " + c.node + " restarted";
                            cluster.onRestart(c.node);
                            addAll(retry, c.items);
                        }
                        case RpcStatus.BUSY -> {
                            lastFailure = "; slave " + c.node + ": " + RpcStatus.describe(c.rpcStatus);
                            addAll(retry, c.items);
                        }
                        case RpcStatus.CLOSED -> throw new IllegalStateException("the cache manager of " + cacheName +
                            " is closed");
                        default -> throw new CacheException(what + " on cache " + cacheName + ": slave " + c.node +
                            ": " + RpcStatus.describe(c.rpcStatus));
                    }
                } finally {
                    if (c.call != null) {
                        c.call.release();
                        c.call = null;
                    }
                }
            }
            pending = retry.stream().mapToInt(Integer::intValue).toArray();
        }
        if (outOfMemory > 0) {
            throw new CacheException(what + " on cache " + cacheName + ": " + outOfMemoryReason + ": " + outOfMemory +
                " of " + items.size() + " entries were not stored (the others were)");
        }
        return Arrays.asList(results);
    }

    private List<Chunk> chunk(PartitionTable table, List<Item> items, int[] pending, int maxItems, int maxMessage) {
        final TreeMap<Integer, List<Integer>> byNode = new TreeMap<>();
        for (final int i : pending) {
            final int node = table.primary(table.partitionOf(items.get(i).key.hash64));
            byNode.computeIfAbsent(node, n -> new ArrayList<>()).add(i);
        }
        final List<Chunk> chunks = new ArrayList<>();
        byNode.forEach((node, list) -> {
            int start = 0;
            while (start < list.size()) {
                int end = start;
                long bytes = CacheRequest.HEADER_LENGTH;
                while (end < list.size() && end - start < maxItems
                    && bytes + items.get(list.get(end)).length() <= maxMessage) {
                    bytes += items.get(list.get(end)).length();
                    end++;
                }
                chunks.add(new Chunk(node, list.subList(start, end).stream().mapToInt(Integer::intValue).toArray()));
                start = end;
            }
        });
        return chunks;
    }

    private void send(Chunk c, int opcode, int flags, List<Item> items, long timeoutNs) {
        final PendingCall call = cluster.transport().rpcClient(c.node).begin(timeoutNs);
        if (call == null) {
            c.rpcStatus = RpcStatus.BUSY;
            return;
        }
        int length = CacheRequest.HEADER_LENGTH;
        for (final int i : c.items) {
            length += items.get(i).length();
        }
        final MutableDirectBuffer b = call.request(length);
        CacheRequest.writeHeader(b, opcode, flags, c.items.length, 0, cacheId);
        int index = CacheRequest.HEADER_LENGTH;
        for (final int i : c.items) {
            final Item item = items.get(i);
            final int valueLength = item.value == null ? CacheRequest.NO_VALUE : item.value.length;
            index = CacheRequest.writeItemHeader(b, index, item.version, item.ttlA, item.ttlB, item.key.bytes.length,
                valueLength);
            b.putBytes(index, item.key.bytes);
            index += item.key.bytes.length;
            if (item.value != null) {
                b.putBytes(index, item.value);
                index += item.value.length;
            }
        }
        call.send(length, timeoutNs);
        c.call = call;
    }

    /** @return how many items the slave could not store for lack of memory. */
    private int decode(Chunk c, DirectBuffer rb, int length, Result[] results, String what) {
        if (CacheResponse.count(rb, 0) != c.items.length) {
            throw new CacheException(what + " on cache " + cacheName + ": slave " + c.node + " answered " +
                CacheResponse.count(rb, 0) + " results for " + c.items.length + " items");
        }
        final CacheResponse.ItemReader reader = new CacheResponse.ItemReader().wrap(rb, 0, length);
        int outOfMemory = 0;
        for (final int i : c.items) {
            if (!reader.next()) {
                throw new CacheException(what + " on cache " + cacheName + ": slave " + c.node +
                    " sent a malformed answer");
            }
            final Result r = new Result();
            r.applied = reader.applied();
            r.partition = reader.partition();
            r.previousVersion = reader.previousVersion();
            r.version = reader.version();
            r.sequence = reader.sequence();
            r.life = reader.remainingLife();
            r.value = reader.value();
            r.expired = reader.expired();
            r.owner = c.node;
            if (reader.itemStatus() == Status.OUT_OF_MEMORY) {
                outOfMemory++;
            }
            results[i] = r;
        }
        return outOfMemory;
    }

    private static void addAll(List<Integer> to, int[] items) {
        for (final int i : items) {
            to.add(i);
        }
    }

    private PartitionTable table(String what) {
        final PartitionTable table = cluster.view().table();
        if (table == null) {
            throw cluster.allDown(what + " on cache " + cacheName);
        }
        return table;
    }

    // ------------------------------------------------------------------ whole-cache operations

    /** A non-item request's answer. */
    private record Reply(long nowMs, long result, DirectBuffer buffer, int length) {
    }

    /** Sends a header-only request to every slave that is up; @return the sum of their results. */
    private long forEachSlave(int opcode, String what) {
        long sum = 0;
        for (final Member m : cluster.members()) {
            if (cluster.view().table() == null) {
                throw cluster.allDown(what + " on cache " + cacheName);
            }
            if (!cluster.down().containsKey(m.nodeId())) {
                final Reply r = callNode(m.nodeId(), opcode, 0, null, what);
                if (r != null) {
                    sum += r.result;
                }
            }
        }
        return sum;
    }

    /**
     * One request to one slave. @return its reply (buffers copied), or null if the slave was taken as down meanwhile.
     *
     * @param scan cursor and key budget of a SCAN, else null.
     */
    private Reply callNode(int node, int opcode, int argument, long[] scan, String what) {
        final long timeoutNs = cluster.settings().attemptTimeoutNs();
        for (int attempt = 0; attempt < 2; attempt++) {
            final PendingCall call = cluster.transport().rpcClient(node).begin(timeoutNs);
            if (call == null) {
                throw new CacheException(what + " on cache " + cacheName + ": slave " + node + ": " +
                    RpcStatus.describe(RpcStatus.BUSY));
            }
            try {
                final int length = CacheRequest.HEADER_LENGTH + (scan == null ? 0 : CacheRequest.ITEM_HEADER_LENGTH);
                final MutableDirectBuffer b = call.request(length);
                CacheRequest.writeHeader(b, opcode, 0, scan == null ? 0 : 1, argument, cacheId);
                if (scan != null) {
                    CacheRequest.writeItemHeader(b, CacheRequest.HEADER_LENGTH, scan[0], scan[1], 0, 0,
                        CacheRequest.NO_VALUE);
                }
                call.send(length, timeoutNs);
                final int status = call.await();
                switch (status) {
                    case RpcStatus.OK -> {
                        final DirectBuffer rb = call.response();
                        final int rl = call.responseLength();
                        final int s = rl >= CacheResponse.HEADER_LENGTH ? CacheResponse.status(rb, 0) : Status.BAD_REQUEST;
                        if (s != Status.OK) {
                            throw new CacheException(what + " on cache " + cacheName + ": slave " + node + " answered " +
                                Status.describe(s) + ": " + CacheResponse.reason(rb, 0, rl));
                        }
                        final byte[] copy = new byte[rl];
                        rb.getBytes(0, copy);
                        return new Reply(CacheResponse.nowMs(rb, 0), CacheResponse.result(rb, 0),
                            new org.agrona.concurrent.UnsafeBuffer(copy), rl);
                    }
                    case RpcStatus.PEER_RESTARTED -> cluster.onRestart(node);
                    case RpcStatus.TIMEOUT, RpcStatus.NO_ROUTE -> {
                        cluster.markDown(node, RpcStatus.describe(status) + " (" + what + ")");
                        return null;
                    }
                    case RpcStatus.CLOSED -> throw new IllegalStateException("the cache manager of " + cacheName +
                        " is closed");
                    default -> throw new CacheException(what + " on cache " + cacheName + ": slave " + node + ": " +
                        RpcStatus.describe(status));
                }
            } finally {
                call.release();
            }
        }
        throw new CacheException(what + " on cache " + cacheName + ": slave " + node + " restarted twice meanwhile");
    }

    /** Walks the slaves up at its start, each partition by partition; keeps keys the slave owns. */
    private final class SlaveScan implements KeyScan {
        private final int batchSize;
        private final List<Integer> nodes = new ArrayList<>();
        private final ArrayDeque<byte[]> buffered = new ArrayDeque<>();
        private int nodeIndex;
        private long cursor;

        SlaveScan(int batchSize) {
            this.batchSize = batchSize;
            for (final Member m : cluster.members()) {
                if (!cluster.down().containsKey(m.nodeId())) {
                    nodes.add(m.nodeId());
                }
            }
        }

        @Override
        public List<byte[]> nextBatch() {
            while (buffered.size() < batchSize && nodeIndex < nodes.size()) {
                final int node = nodes.get(nodeIndex);
                final Reply r = callNode(node, CacheOpcode.SCAN, 0, new long[] {cursor, Math.max(batchSize, 64)},
                    "iterate");
                if (r == null) {
                    nodeIndex++;
                    cursor = 0;
                    continue;
                }
                final PartitionTable table = cluster.view().table();
                final CacheResponse.ItemReader reader = new CacheResponse.ItemReader().wrap(r.buffer, 0, r.length);
                final int count = CacheResponse.count(r.buffer, 0);
                for (int i = 0; i < count && reader.next(); i++) {
                    if (table != null && table.primary(reader.partition()) == node) {
                        buffered.add(reader.value());
                    }
                }
                if (r.result == CacheResponse.SCAN_DONE) {
                    nodeIndex++;
                    cursor = 0;
                } else {
                    cursor = r.result;
                }
            }
            final List<byte[]> batch = new ArrayList<>(Math.min(batchSize, buffered.size()));
            while (batch.size() < batchSize && !buffered.isEmpty()) {
                batch.add(buffered.poll());
            }
            return batch;
        }

        @Override
        public void close() {
            buffered.clear();
        }
    }
}
