package io.rum.slave.cache;

import io.rum.allocator.offheap.SizeClassAllocator;
import io.rum.allocator.protocol.Status;
import io.rum.allocator.protocol.cache.CacheOpcode;
import io.rum.allocator.protocol.cache.CacheRequest;
import io.rum.allocator.protocol.cache.CacheResponse;
import io.rum.allocator.protocol.cache.CacheTtl;
import io.rum.allocator.protocol.cache.Invalidation;
import io.rum.net.transport.ResponseWriter;
import io.rum.net.transport.StreamPublication;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A slave's cache service: the entries of every cache whose keys this slave owns, by value, in its off-heap
 * memory, and the one place they change. Requests are {@link CacheRequest}s, answered with {@link CacheResponse}s.
 *
 * <h2>Semantics</h2>
 * Each operation is atomic per key (the service runs one request at a time, in the transport's duty cycle) and
 * follows {@code io.rum.jcache.store.EntryStore}'s contract, which its contract test checks against this
 * service: expiry deadlines are computed here, on this slave's clock, from the durations clients send; an
 * expired entry is removed by the first operation that meets it, which reports its bytes (for the expired
 * event), or by the background sweep once it has been expired for {@link #SWEEP_GRACE_MS}; every write gives the
 * key a new version.
 *
 * <h2>Versions</h2>
 * {@code counter << 16 | node}: unique across slaves (the low 16 bits are the slave's id), and across restarts of
 * one slave because the counter starts from the wall clock ({@code ms since 2025 << 7}) at start-up. So a
 * version read from a slave that failed can never match a version the new owner of the key issues: a
 * compare-and-set across a failover fails instead of applying to a different entry. The counter keeps ahead of
 * the clock as long as a slave averages under 128 writes per millisecond over its life.
 *
 * <h2>Invalidations</h2>
 * Every change bumps its partition's sequence number and is published on each subscriber's stream
 * ({@link Invalidation}); a message that cannot be sent (the subscriber's window is full) is dropped and that
 * subscriber is sent a RESET before anything else, so a client never misses a change silently. Subscriptions
 * are renewed by clients and dropped after {@link #SUBSCRIPTION_EXPIRY_NS} without renewal.
 *
 * <h2>Bad input</h2>
 * Every length is checked against the request's end before use; a malformed request changes nothing and is
 * answered {@link Status#BAD_REQUEST} with the reason. A response that would exceed the transport's largest
 * message is refused up front ({@link #TOO_LARGE}), so the client splits the batch. A slave that runs out of
 * memory answers {@link Status#OUT_OF_MEMORY} for the items that did not fit and keeps serving.
 *
 * <p>Not thread-safe: the slave's duty cycle owns it.
 */
public final class CacheService
{
    /** Status: the response would be larger than the transport's largest message: split the batch. */
    public static final int TOO_LARGE = 10;
    /** A subscription not renewed for this long is dropped. */
    public static final long SUBSCRIPTION_EXPIRY_NS = TimeUnit.SECONDS.toNanos(5);
    /** The most bytes of invalidations held back for one subscriber of one cache before it is told to reset. */
    public static final int MAX_HELD_BYTES = 32 * 1024;
    /** The most caches one slave holds. */
    public static final int MAX_CACHES = 4096;
    /** How long an entry stays expired before the sweep may take it: the time operations have to report it. */
    static final long SWEEP_GRACE_MS = 1_000;
    /** The most index slots the background sweep looks at per timer tick (one cache per tick, in turn). */
    public static final int SWEEP_SLOTS_PER_TICK = 4096;
    private static final long VERSION_EPOCH_MS = 1_735_689_600_000L; // 2025-01-01T00:00:00Z

    private final int nodeId;
    private final SizeClassAllocator allocator;
    private final EpochClock clock;
    private final int maxMessageLength;
    private final InvalidationSink sink;
    private final Long2ObjectHashMap<EntryTable> tables = new Long2ObjectHashMap<>();
    private final Long2ObjectHashMap<Subscribers> subscribers = new Long2ObjectHashMap<>();
    private final CacheRequest.ItemReader items = new CacheRequest.ItemReader();
    private final UnsafeBuffer message = new UnsafeBuffer(new byte[256]);
    private final UnsafeBuffer resetMessage = new UnsafeBuffer(new byte[Invalidation.HEADER_LENGTH]);
    /** The key of an entry the sweep removes, copied out before the record is freed. */
    private final UnsafeBuffer sweptKey = new UnsafeBuffer(new byte[256]);
    private final List<EntryTable> sweepOrder = new ArrayList<>();
    /** Per key hash, the largest value an earlier item of the batch being checked writes (see onItems). */
    private final Long2LongHashMap batchValues = new Long2LongHashMap(0);
    /** Subscriptions per client stream (one stream carries all caches' messages): released at zero. */
    private final Long2LongHashMap streamUsers = new Long2LongHashMap(0);
    private long versionCounter;
    private int sweepNext;

    private long requests;
    private long badRequests;
    private long outOfMemory;
    private long tooLarge;
    private long expiredBySweep;
    private long invalidationsSent;
    private long invalidationsDropped;
    private long invalidationBatches;

    /**
     * @param nodeId           this slave's id (0..65535): the low bits of every version it issues.
     * @param allocator        where entries live; owned by the caller.
     * @param clock            decides expiry (epoch milliseconds).
     * @param maxMessageLength the largest response the transport carries.
     * @param sink             where invalidations go.
     */
    public CacheService(final int nodeId, final SizeClassAllocator allocator, final EpochClock clock,
        final int maxMessageLength, final InvalidationSink sink)
    {
        if (nodeId < 0 || nodeId > 0xFFFF)
        {
            throw new IllegalArgumentException("a cache slave's id must be 0..65535: " + nodeId);
        }
        this.nodeId = nodeId;
        this.allocator = allocator;
        this.clock = clock;
        this.maxMessageLength = maxMessageLength;
        this.sink = sink;
        this.versionCounter = Math.max(1, (clock.time() - VERSION_EPOCH_MS) << 7);
    }

    /**
     * Applies one request and writes the response. Never throws for a bad request: it is answered.
     *
     * @param nowNs the duty cycle's monotonic time (subscriptions).
     */
    public void apply(final int src, final DirectBuffer request, final int offset, final int length,
        final ResponseWriter response, final long nowNs)
    {
        requests++;
        final long nowMs = clock.time();
        if (length < CacheRequest.HEADER_LENGTH)
        {
            fail(response, Status.BAD_REQUEST, nowMs, "cache request of " + length + " bytes is shorter than its " +
                CacheRequest.HEADER_LENGTH + "-byte header");
            return;
        }
        final int opcode = CacheRequest.opcode(request, offset);
        final long cacheId = CacheRequest.cacheId(request, offset);
        final int count = CacheRequest.count(request, offset);
        if (!CacheOpcode.hasItems(opcode) && length != CacheRequest.HEADER_LENGTH)
        {
            fail(response, Status.BAD_REQUEST, nowMs, CacheOpcode.name(opcode) + " takes no items, but the request has "
                + (length - CacheRequest.HEADER_LENGTH) + " bytes after its header");
            return;
        }
        switch (opcode)
        {
            case CacheOpcode.GET, CacheOpcode.TOUCH, CacheOpcode.PUT, CacheOpcode.PUT_IF_ABSENT,
                CacheOpcode.COMPARE_AND_SET, CacheOpcode.REMOVE ->
                onItems(opcode, CacheRequest.flags(request, offset), count, cacheId, request, offset, length, response,
                    nowMs);
            case CacheOpcode.SCAN -> onScan(cacheId, count, request, offset, length, response, nowMs);
            case CacheOpcode.CLEAR ->
            {
                final EntryTable table = tables.get(cacheId);
                if (null != table)
                {
                    table.clear();
                }
                reset(cacheId);
                ok(response, nowMs, 0);
            }
            case CacheOpcode.DESTROY ->
            {
                final EntryTable table = tables.remove(cacheId);
                if (null != table)
                {
                    table.clear();
                    sweepOrder.remove(table);
                }
                reset(cacheId);
                final Subscribers gone = subscribers.remove(cacheId);
                if (null != gone)
                {
                    gone.clear(this::onSubscriptionEnded);
                }
                ok(response, nowMs, 0);
            }
            case CacheOpcode.SIZE -> ok(response, nowMs, liveEntries(tables.get(cacheId), nowMs));
            case CacheOpcode.SUBSCRIBE ->
            {
                Subscribers s = subscribers.get(cacheId);
                final int stream = CacheRequest.argument(request, offset);
                final boolean existed = null != s && s.contains(src, stream);
                if (!existed)
                {
                    // Every refusal is decided before the stream is opened: a stream opened for a refused
                    // subscription would never be released (no subscription ends on it). An empty Subscribers is
                    // only added once the subscription is sure, so it cannot hold a cache slot for nothing.
                    if (null == s && subscribers.size() >= MAX_CACHES)
                    {
                        fail(response, Status.NOT_ALLOWED, nowMs, "slave " + nodeId + " has subscribers for " +
                            MAX_CACHES + " caches already");
                        return;
                    }
                    if (null != s && s.size() >= Subscribers.MAX)
                    {
                        fail(response, Status.NOT_ALLOWED, nowMs, "cache " + Long.toHexString(cacheId) + " has " +
                            Subscribers.MAX + " subscribers already on slave " + nodeId);
                        return;
                    }
                    final long key = streamKey(src, stream);
                    if (streamUsers.get(key) == 0 && !sink.open(src, stream))
                    {
                        fail(response, Status.NOT_ALLOWED, nowMs, "slave " + nodeId + " cannot open another stream " +
                            "for client " + src + ": it serves as many as its transport holds");
                        return;
                    }
                    if (null == s)
                    {
                        s = new Subscribers();
                        subscribers.put(cacheId, s);
                    }
                    streamUsers.put(key, streamUsers.get(key) + 1);
                }
                ok(response, nowMs, s.renew(src, stream, nowNs));
            }
            case CacheOpcode.CLOCK -> ok(response, nowMs, 0);
            case CacheOpcode.UNSUBSCRIBE ->
            {
                final Subscribers s = subscribers.get(cacheId);
                if (null != s)
                {
                    s.remove(src, CacheRequest.argument(request, offset), this::onSubscriptionEnded);
                    if (s.size() == 0)
                    {
                        // Without subscribers it is nothing but a taken slot of MAX_CACHES: kept, 4096 caches
                        // subscribed once over a slave's life would refuse every later SUBSCRIBE.
                        subscribers.remove(cacheId);
                    }
                }
                ok(response, nowMs, 0);
            }
            default -> fail(response, Status.BAD_REQUEST, nowMs, "unknown cache opcode " + opcode);
        }
    }

    /** The duty cycle's timer: sweeps expired entries and drops silent subscriptions. */
    public void onTimer(final long nowNs)
    {
        snapshotTotals();
        for (final Iterator<Subscribers> i = subscribers.values().iterator(); i.hasNext(); )
        {
            final Subscribers s = i.next();
            for (int k = 0; k < s.size(); k++)
            {
                flush(s, k);
            }
            s.expire(nowNs, SUBSCRIPTION_EXPIRY_NS, this::onSubscriptionEnded);
            if (s.size() == 0)
            {
                i.remove(); // as in UNSUBSCRIBE: an empty Subscribers must not hold a slot of MAX_CACHES
            }
        }
        if (sweepOrder.isEmpty())
        {
            return;
        }
        final long nowMs = clock.time();
        // Wrap explicitly: "sweepNext++ % size" turns negative once the int overflows (2^31 ticks, 248 days of a
        // 10 ms timer) and every later tick then throws IndexOutOfBoundsException, so nothing is swept any more.
        if (sweepNext >= sweepOrder.size())
        {
            sweepNext = 0;
        }
        final EntryTable table = sweepOrder.get(sweepNext++);
        // A table's whole index in about 64 of its turns: each record looked at a few times a second, not hundreds
        // (a profile of a small cache under load showed the sweep taking a third of the slave's CPU).
        // Only entries dead for SWEEP_GRACE_MS: until then the first operation that meets one removes it and reports
        // its value (a write's "expired" answer, the expired event). Sweeping them at once raced those operations:
        // a put right after the deadline found nothing to report (the contract test saw it once in CI).
        table.sweep(Math.min(SWEEP_SLOTS_PER_TICK, Math.max(256, table.indexCapacity() / 64)), nowMs - SWEEP_GRACE_MS,
            (t, record) ->
        {
            expiredBySweep++;
            final int partition = t.partition(record);
            final int keyLength = t.keyLength(record);
            if (sweptKey.capacity() < keyLength)
            {
                sweptKey.wrap(new byte[Math.max(keyLength, 2 * sweptKey.capacity())]);
            }
            t.copyKey(record, sweptKey, 0); // before the record is freed
            publish(t, partition, t.bump(partition), sweptKey, 0, keyLength);
        });
    }

    /** {@link #statsText} with the totals taken now: for the duty-cycle thread (and single-threaded tests). */
    String statsTextNow()
    {
        snapshotTotals();
        return statsText();
    }

    /** Caches, entries and entry bytes, as of the last timer tick: what {@link #statsText} reports. */
    private volatile long[] totals = new long[3];

    private void snapshotTotals()
    {
        long entries = 0;
        long bytes = 0;
        for (final EntryTable t : tables.values())
        {
            entries += t.size();
            bytes += t.bytes();
        }
        totals = new long[] {tables.size(), entries, bytes};
    }

    private static long streamKey(final int node, final int stream)
    {
        return ((long)node << 32) | (stream & 0xFFFF_FFFFL);
    }

    private void onSubscriptionEnded(final int node, final int stream)
    {
        final long key = streamKey(node, stream);
        final long users = streamUsers.get(key) - 1;
        if (users > 0)
        {
            streamUsers.put(key, users);
        }
        else
        {
            streamUsers.remove(key);
            sink.release(node, stream);
        }
    }

    private void onItems(final int opcode, final int flags, final int count, final long cacheId,
        final DirectBuffer request, final int offset, final int length, final ResponseWriter response, final long nowMs)
    {
        final boolean isWrite = opcode != CacheOpcode.GET && opcode != CacheOpcode.TOUCH;
        EntryTable table = tables.get(cacheId);
        // Pass 1: validate every item and bound the response, before changing anything.
        long bound = CacheResponse.HEADER_LENGTH;
        final boolean writesValues = opcode == CacheOpcode.PUT || opcode == CacheOpcode.PUT_IF_ABSENT ||
            opcode == CacheOpcode.COMPARE_AND_SET;
        batchValues.clear();
        items.wrap(request, offset, length);
        for (int i = 0; i < count; i++)
        {
            if (!items.next())
            {
                fail(response, Status.BAD_REQUEST, nowMs, CacheOpcode.name(opcode) + ": " + items.error());
                return;
            }
            if ((opcode == CacheOpcode.PUT || opcode == CacheOpcode.PUT_IF_ABSENT) &&
                items.valueLength() == CacheRequest.NO_VALUE)
            {
                fail(response, Status.BAD_REQUEST, nowMs, CacheOpcode.name(opcode) + ": item " + i + " has no value");
                return;
            }
            bound += CacheResponse.ITEM_HEADER_LENGTH;
            final long hash = EntryTable.hash(request, items.keyOffset(), items.keyLength());
            long valueBound = 0;
            if (null != table)
            {
                final long record = table.find(hash, request, items.keyOffset(), items.keyLength());
                valueBound = record == EntryTable.NONE ? 0 : table.valueLength(record);
            }
            if (writesValues)
            {
                // An item answers at most one value: the key's value when it runs. If an earlier item of this
                // batch wrote the key, that is the earlier item's value, not the one stored now (a put answering
                // the previous value, a failed put-if-absent or compare-and-set answering the current one, or an
                // expired write). Bounding by the stored value alone let such a batch pass this check, then fail
                // in pass 2 (the response writer refuses more than the largest message) with items applied.
                // Keyed by hash: a collision only makes the bound larger.
                final long written = batchValues.get(hash);
                valueBound = Math.max(valueBound, written);
                if (items.valueLength() > written)
                {
                    batchValues.put(hash, items.valueLength());
                }
            }
            bound += valueBound;
        }
        if (items.hasTrailingBytes())
        {
            fail(response, Status.BAD_REQUEST, nowMs, CacheOpcode.name(opcode) + ": bytes left after " + count +
                " items");
            return;
        }
        if (bound > maxMessageLength)
        {
            tooLarge++;
            fail(response, TOO_LARGE, nowMs, "the answer to " + count + " items would take " + bound +
                " bytes, more than the largest message (" + maxMessageLength + "): split the batch");
            return;
        }
        if (null == table && isWrite && opcode != CacheOpcode.REMOVE)
        {
            if (tables.size() >= MAX_CACHES)
            {
                fail(response, Status.NOT_ALLOWED, nowMs, "slave " + nodeId + " holds " + MAX_CACHES +
                    " caches already");
                return;
            }
            table = new EntryTable(cacheId, allocator);
            tables.put(cacheId, table);
            sweepOrder.add(table);
        }
        // Pass 2: apply, into a buffer reserved once for the bound pass 1 computed (every answer fits in it).
        final boolean returnPrevious = (flags & CacheRequest.FLAG_RETURN_PREVIOUS) != 0;
        final MutableDirectBuffer out = response.buffer((int)bound);
        int index = CacheResponse.HEADER_LENGTH;
        items.wrap(request, offset, length);
        for (int i = 0; i < count; i++)
        {
            items.next();
            index = null == table ? absent(out, index, request) : applyItem(opcode, returnPrevious, table, out, index,
                request, nowMs);
        }
        CacheResponse.writeHeader(out, Status.OK, count, nowMs, 0);
        response.length(index);
    }

    private int absent(final MutableDirectBuffer out, final int index, final DirectBuffer request)
    {
        final int partition = EntryTable.partitionOf(EntryTable.hash(request, items.keyOffset(), items.keyLength()));
        // No table: nothing of this cache here. A remove or compare-and-set against "absent" is applied.
        return CacheResponse.writeItemHeader(out, index, Status.OK, partition, 0, 0, 0, CacheResponse.LIFE_ABSENT,
            -1, -1);
    }

    private int applyItem(final int opcode, final boolean returnPrevious, final EntryTable table,
        final MutableDirectBuffer out, final int index, final DirectBuffer request, final long nowMs)
    {
        final int keyOffset = items.keyOffset();
        final int keyLength = items.keyLength();
        final long hash = EntryTable.hash(request, keyOffset, keyLength);
        final int partition = EntryTable.partitionOf(hash);
        final int data = index + CacheResponse.ITEM_HEADER_LENGTH;
        long record = table.find(hash, request, keyOffset, keyLength);
        boolean changed = false;
        // An expired entry is removed by the first operation that meets it (TOUCH leaves it for the next one), and
        // its bytes are answered for the expired event. A key has one record, so an answer carries either the
        // expired bytes or a value, never both: both go at the same place.
        int expiredLength = -1;
        if (record != EntryTable.NONE && opcode != CacheOpcode.TOUCH &&
            CacheTtl.isExpired(table.deadline(record), nowMs))
        {
            expiredLength = copyValue(table, record, out, data);
            table.remove(record);
            record = EntryTable.NONE;
            changed = true;
        }
        final long liveVersion = record == EntryTable.NONE ? 0 : table.version(record);
        long deadline = record == EntryTable.NONE ? 0 : table.deadline(record);
        boolean applied = false;
        int itemStatus = Status.OK;
        int valueLength = -1;
        switch (opcode)
        {
            case CacheOpcode.GET ->
            {
                if (record != EntryTable.NONE)
                {
                    applied = true;
                    valueLength = copyValue(table, record, out, data);
                    if (items.ttlA() != CacheTtl.UNCHANGED)
                    {
                        deadline = CacheTtl.deadline(nowMs, items.ttlA());
                        table.deadline(record, deadline);
                    }
                }
            }
            case CacheOpcode.TOUCH ->
            {
                if (record != EntryTable.NONE && !CacheTtl.isExpired(deadline, nowMs) && liveVersion == items.version())
                {
                    applied = true;
                    if (items.ttlA() != CacheTtl.UNCHANGED)
                    {
                        deadline = CacheTtl.deadline(nowMs, items.ttlA());
                        table.deadline(record, deadline);
                    }
                }
            }
            case CacheOpcode.PUT, CacheOpcode.PUT_IF_ABSENT, CacheOpcode.COMPARE_AND_SET ->
            {
                final long expected = opcode == CacheOpcode.PUT ? liveVersion :
                    opcode == CacheOpcode.PUT_IF_ABSENT ? 0 : items.version();
                if (expected != liveVersion)
                {
                    if (record != EntryTable.NONE)
                    {
                        valueLength = copyValue(table, record, out, data); // the current state, to decide again
                    }
                }
                else if (items.valueLength() == CacheRequest.NO_VALUE)
                {
                    applied = true;
                    if (record != EntryTable.NONE)
                    {
                        valueLength = returnPrevious ? copyValue(table, record, out, data) : -1;
                        table.remove(record);
                        record = EntryTable.NONE;
                        changed = true;
                    }
                }
                else
                {
                    final boolean creating = record == EntryTable.NONE;
                    final long ttl = creating ? items.ttlA() : opcode == CacheOpcode.PUT ? items.ttlB() : items.ttlA();
                    if (creating && ttl == CacheTtl.ZERO)
                    {
                        applied = true; // created expired: nothing is stored
                    }
                    else
                    {
                        final long newDeadline = !creating && ttl == CacheTtl.UNCHANGED ? deadline :
                            CacheTtl.deadline(nowMs, ttl);
                        if (!creating && returnPrevious)
                        {
                            valueLength = copyValue(table, record, out, data);
                        }
                        final long stored = table.store(record, hash, request, keyOffset, keyLength, request,
                            items.valueOffset(), items.valueLength(), nextVersion(), newDeadline);
                        if (stored == SizeClassAllocator.OUT_OF_MEMORY)
                        {
                            outOfMemory++;
                            itemStatus = Status.OUT_OF_MEMORY;
                            valueLength = -1;
                        }
                        else
                        {
                            applied = true;
                            record = stored;
                            deadline = newDeadline;
                            changed = true;
                        }
                    }
                }
            }
            case CacheOpcode.REMOVE ->
            {
                if (record != EntryTable.NONE)
                {
                    applied = true;
                    valueLength = returnPrevious ? copyValue(table, record, out, data) : -1;
                    table.remove(record);
                    record = EntryTable.NONE;
                    changed = true;
                }
            }
            default -> throw new IllegalStateException("not an item opcode: " + opcode);
        }
        final long sequence = changed ? table.bump(partition) : table.sequence(partition);
        if (changed)
        {
            publish(table, partition, sequence, request, keyOffset, keyLength);
        }
        final long version = record == EntryTable.NONE ? 0 : table.version(record);
        final long life = record == EntryTable.NONE ? CacheResponse.LIFE_ABSENT :
            deadline == CacheTtl.NEVER ? CacheResponse.LIFE_NEVER : Math.max(0, deadline - nowMs);
        CacheResponse.writeItemHeader(out, index, itemStatus | (applied ? CacheResponse.APPLIED : 0), partition,
            liveVersion, version, sequence, life, valueLength, expiredLength);
        return data + Math.max(valueLength, 0) + Math.max(expiredLength, 0);
    }

    private static int copyValue(final EntryTable table, final long record, final MutableDirectBuffer out,
        final int index)
    {
        table.copyValue(record, out, index);
        return table.valueLength(record);
    }

    private long nextVersion()
    {
        return (++versionCounter << 16) | nodeId;
    }

    private void onScan(final long cacheId, final int count, final DirectBuffer request, final int offset,
        final int length, final ResponseWriter response, final long nowMs)
    {
        items.wrap(request, offset, length);
        if (count != 1 || !items.next() || items.hasTrailingBytes())
        {
            fail(response, Status.BAD_REQUEST, nowMs, "SCAN takes exactly one item: cursor and key budget" +
                (null == items.error() ? "" : " (" + items.error() + ")"));
            return;
        }
        final long cursor = items.version();
        final long budget = items.ttlA();
        if (cursor < 0 || cursor > Integer.MAX_VALUE || budget < 1)
        {
            fail(response, Status.BAD_REQUEST, nowMs, "SCAN cursor " + cursor + " or key budget " + budget +
                " out of range");
            return;
        }
        final EntryTable table = tables.get(cacheId);
        MutableDirectBuffer out = response.buffer(CacheResponse.HEADER_LENGTH);
        int index = CacheResponse.HEADER_LENGTH;
        int keys = 0;
        long next = CacheResponse.SCAN_DONE;
        final int byteBudget = maxMessageLength / 2;
        int partition = null == table ? -1 : table.nextPartition((int)cursor);
        while (partition >= 0)
        {
            // Whole partitions only: measure this one first.
            int partitionKeys = 0;
            long partitionBytes = 0;
            for (long r = table.head(partition); r != EntryTable.NONE; r = table.next(r))
            {
                if (!CacheTtl.isExpired(table.deadline(r), nowMs))
                {
                    partitionKeys++;
                    partitionBytes += CacheResponse.ITEM_HEADER_LENGTH + table.keyLength(r);
                }
            }
            if (keys > 0 && (keys + partitionKeys > budget || index + partitionBytes > byteBudget ||
                keys + partitionKeys > CacheRequest.MAX_ITEMS))
            {
                next = partition;
                break;
            }
            if (index + partitionBytes > maxMessageLength || partitionKeys > CacheRequest.MAX_ITEMS)
            {
                fail(response, TOO_LARGE, nowMs, "partition " + partition + " holds " + partitionKeys + " keys (" +
                    partitionBytes + " bytes): too many for one scan answer");
                return;
            }
            out = response.buffer((int)(index + partitionBytes));
            for (long r = table.head(partition); r != EntryTable.NONE; r = table.next(r))
            {
                if (!CacheTtl.isExpired(table.deadline(r), nowMs))
                {
                    final int keyLength = table.keyLength(r);
                    CacheResponse.writeItemHeader(out, index, Status.OK, partition, 0, table.version(r), 0, 0,
                        keyLength, -1);
                    table.copyKey(r, out, index + CacheResponse.ITEM_HEADER_LENGTH);
                    index += CacheResponse.ITEM_HEADER_LENGTH + keyLength;
                }
            }
            keys += partitionKeys;
            partition = table.nextPartition(partition + 1);
        }
        CacheResponse.writeHeader(out, Status.OK, keys, nowMs, next);
        response.length(index);
    }

    private static long liveEntries(final EntryTable table, final long nowMs)
    {
        if (null == table)
        {
            return 0;
        }
        long live = 0;
        for (int p = table.nextPartition(0); p >= 0; p = table.nextPartition(p + 1))
        {
            for (long r = table.head(p); r != EntryTable.NONE; r = table.next(r))
            {
                if (!CacheTtl.isExpired(table.deadline(r), nowMs))
                {
                    live++;
                }
            }
        }
        return live;
    }

    private void publish(final EntryTable table, final int partition, final long sequence, final DirectBuffer key,
        final int keyOffset, final int keyLength)
    {
        final Subscribers s = subscribers.get(table.cacheId());
        if (null == s || s.size() == 0)
        {
            return;
        }
        ensureMessage(Invalidation.HEADER_LENGTH + keyLength);
        Invalidation.write(message, Invalidation.KEY_CHANGED, partition, table.cacheId(), sequence, keyLength);
        message.putBytes(Invalidation.HEADER_LENGTH, key, keyOffset, keyLength);
        send(s, Invalidation.HEADER_LENGTH + keyLength, table.cacheId());
    }

    private void send(final Subscribers s, final int length, final long cacheId)
    {
        for (int i = 0; i < s.size(); i++)
        {
            if (s.mustReset(i) && !sendReset(s, i, cacheId))
            {
                invalidationsDropped++;
                continue;
            }
            if (s.pendingLength(i) > 0)
            {
                // Messages are held back already: this one goes after them, in order.
                hold(s, i, length);
                flush(s, i);
                continue;
            }
            final long result = sink.offer(s.node(i), s.stream(i), message, 0, length);
            if (result >= 0)
            {
                invalidationsSent++;
            }
            else if (result == StreamPublication.BACK_PRESSURED)
            {
                // The subscriber's window is full (a burst of writes): hold the message and send what piles up as
                // one batch when the window opens, rather than make the client forget its whole tier.
                hold(s, i, length);
            }
            else
            {
                invalidationsDropped++;
                s.mustReset(i, true);
            }
        }
    }

    private void hold(final Subscribers s, final int i, final int length)
    {
        if (!s.hold(i, message, length, MAX_HELD_BYTES))
        {
            // Too much held back: the client must forget the cache instead.
            invalidationsDropped++;
            s.clearPending(i);
            s.mustReset(i, true);
        }
    }

    /** Sends what is held back for subscriber i as one message, if its window has room now. */
    private void flush(final Subscribers s, final int i)
    {
        final int length = s.pendingLength(i);
        if (length == 0)
        {
            return;
        }
        final long result = sink.offer(s.node(i), s.stream(i), s.pending(i), 0, length);
        if (result >= 0)
        {
            invalidationsSent++;
            invalidationBatches++;
            s.clearPending(i);
        }
        else if (result != StreamPublication.BACK_PRESSURED)
        {
            invalidationsDropped++;
            s.clearPending(i);
            s.mustReset(i, true);
        }
    }

    private boolean sendReset(final Subscribers s, final int i, final long cacheId)
    {
        Invalidation.write(resetMessage, Invalidation.RESET, 0, cacheId, 0, 0);
        final boolean sent = sink.offer(s.node(i), s.stream(i), resetMessage, 0, Invalidation.HEADER_LENGTH) >= 0;
        s.mustReset(i, !sent);
        return sent;
    }

    private void reset(final long cacheId)
    {
        final Subscribers s = subscribers.get(cacheId);
        if (null != s)
        {
            for (int i = 0; i < s.size(); i++)
            {
                sendReset(s, i, cacheId);
            }
        }
    }

    private void ensureMessage(final int length)
    {
        if (message.capacity() < length)
        {
            message.wrap(new byte[Math.max(length, message.capacity() * 2)]);
        }
    }

    private void ok(final ResponseWriter response, final long nowMs, final long result)
    {
        CacheResponse.writeHeader(response.buffer(CacheResponse.HEADER_LENGTH), Status.OK, 0, nowMs, result);
        response.length(CacheResponse.HEADER_LENGTH);
    }

    private void fail(final ResponseWriter response, final int status, final long nowMs, final String reason)
    {
        if (status == Status.BAD_REQUEST)
        {
            badRequests++;
        }
        final byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        final int length = Math.min(CacheResponse.HEADER_LENGTH + text.length, maxMessageLength);
        final MutableDirectBuffer out = response.buffer(length);
        CacheResponse.writeHeader(out, status, 0, nowMs, 0);
        out.putBytes(CacheResponse.HEADER_LENGTH, text, 0, length - CacheResponse.HEADER_LENGTH);
        response.length(length);
    }

    /** @return one line of statistics (for the slave's stats text and logs). */
    public String statsText()
    {
        // Any thread may ask (logs, tests): the table totals come from the snapshot the duty cycle's timer takes,
        // never from walking maps another thread changes; the counters may be a moment old.
        final long[] totals = this.totals;
        final long caches = totals[0];
        final long entries = totals[1];
        final long bytes = totals[2];
        return "caches " + caches + ", entries " + entries + ", entry bytes " + bytes + ", requests " + requests +
            ", bad " + badRequests + ", out of memory " + outOfMemory + ", too large " + tooLarge +
            ", swept " + expiredBySweep + ", invalidations sent " + invalidationsSent + " (" + invalidationBatches + " batches), dropped " +
            invalidationsDropped;
    }

    public long badRequests()
    {
        return badRequests;
    }
}
