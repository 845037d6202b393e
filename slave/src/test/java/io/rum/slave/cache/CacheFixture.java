package io.rum.slave.cache;

import io.rum.allocator.offheap.AllocatorConfiguration;
import io.rum.allocator.offheap.SizeClassAllocator;
import io.rum.allocator.placement.KeyHash;
import io.rum.allocator.protocol.Status;
import io.rum.allocator.protocol.cache.CacheOpcode;
import io.rum.allocator.protocol.cache.CacheRequest;
import io.rum.allocator.protocol.cache.CacheResponse;
import io.rum.allocator.protocol.cache.CacheTtl;
import io.rum.allocator.protocol.cache.Invalidation;
import io.rum.net.transport.ResponseWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A {@link CacheService} driven directly: requests built with {@link CacheRequest}, a response writer that behaves
 * like the transport's (grows keeping what was written, refuses more than the largest message), a real
 * {@link SizeClassAllocator}, a {@link CachedEpochClock} and a recording {@link InvalidationSink}.
 */
final class CacheFixture implements AutoCloseable
{
    static final int NODE = 7;
    static final int CLIENT = 3;
    static final long START_MS = 1_760_000_000_000L; // 2025-10-09
    static final long START_NS = 1_000_000_000L;
    static final long CACHE_A = 0x0A0A_1234_5678_9ABCL;
    static final long CACHE_B = 0x0B0B_8765_4321_0FEDL;

    final CachedEpochClock clock = new CachedEpochClock();
    final SizeClassAllocator allocator;
    final RecordingSink sink = new RecordingSink();
    final Writer response;
    final CacheService service;
    final int maxMessageLength;
    long nowNs = START_NS;
    private int requestNumber;

    CacheFixture()
    {
        this(64L << 20, 64 << 10);
    }

    CacheFixture(final long budgetBytes, final int maxMessageLength)
    {
        this(NODE, budgetBytes, maxMessageLength, START_MS);
    }

    CacheFixture(final int node, final long budgetBytes, final int maxMessageLength, final long startMs)
    {
        clock.update(startMs);
        this.maxMessageLength = maxMessageLength;
        allocator = new SizeClassAllocator(new AllocatorConfiguration(budgetBytes, 256 << 10, 4096));
        response = new Writer(maxMessageLength);
        service = new CacheService(node, allocator, clock, maxMessageLength, sink);
    }

    @Override
    public void close()
    {
        allocator.close();
    }

    // ------------------------------------------------------------------ requests

    /** One item of a request. */
    record Item(long version, long ttlA, long ttlB, byte[] key, byte[] value)
    {
        int length()
        {
            return CacheRequest.itemLength(key.length, null == value ? CacheRequest.NO_VALUE : value.length);
        }
    }

    static Item item(final String key)
    {
        return new Item(0, CacheTtl.UNCHANGED, CacheTtl.UNCHANGED, bytes(key), null);
    }

    static Item item(final byte[] key, final byte[] value, final long version, final long ttlA, final long ttlB)
    {
        return new Item(version, ttlA, ttlB, key, value);
    }

    static byte[] bytes(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] request(final int opcode, final int flags, final int argument, final long cacheId,
        final Item... items)
    {
        return request(opcode, flags, items.length, argument, cacheId, List.of(items));
    }

    static byte[] request(final int opcode, final int flags, final int count, final int argument, final long cacheId,
        final List<Item> items)
    {
        int length = CacheRequest.HEADER_LENGTH;
        for (final Item i : items)
        {
            length += i.length();
        }
        final UnsafeBuffer b = new UnsafeBuffer(new byte[length]);
        CacheRequest.writeHeader(b, opcode, flags, count, argument, cacheId);
        int index = CacheRequest.HEADER_LENGTH;
        for (final Item i : items)
        {
            index = CacheRequest.writeItemHeader(b, index, i.version(), i.ttlA(), i.ttlB(), i.key().length,
                null == i.value() ? CacheRequest.NO_VALUE : i.value().length);
            b.putBytes(index, i.key());
            index += i.key().length;
            if (null != i.value())
            {
                b.putBytes(index, i.value());
                index += i.value().length;
            }
        }
        return b.byteArray();
    }

    static byte[] header(final int opcode, final int argument, final long cacheId)
    {
        return request(opcode, 0, argument, cacheId);
    }

    static byte[] scan(final long cacheId, final long cursor, final long budget)
    {
        return request(CacheOpcode.SCAN, 0, 0, cacheId, new Item(cursor, budget, 0, new byte[0], null));
    }

    // ------------------------------------------------------------------ calls

    Answer call(final byte[] request)
    {
        return call(CLIENT, request);
    }

    /**
     * Applies a request placed at a varying offset of a buffer that is itself a slice of a larger array, with junk
     * around it: the service must read only {@code [offset, offset + length)}.
     */
    Answer call(final int src, final byte[] request)
    {
        final int n = requestNumber++;
        final int slice = n % 3;
        final int offset = (n / 3) % 5;
        final byte[] array = new byte[slice + offset + request.length + 7];
        Arrays.fill(array, (byte)(0xA5 ^ n));
        System.arraycopy(request, 0, array, slice + offset, request.length);
        final UnsafeBuffer buffer = new UnsafeBuffer(array, slice, array.length - slice);
        response.reset();
        service.apply(src, buffer, offset, request.length, response, nowNs);
        return Answer.parse(response.bytes(), maxMessageLength);
    }

    Answer ok(final byte[] request)
    {
        final Answer a = call(request);
        assertEquals(Status.OK, a.status(), () -> "status " + a.status() + ": " + a.reason());
        return a;
    }

    Result put(final long cacheId, final String key, final String value, final long ttlA, final long ttlB)
    {
        return ok(request(CacheOpcode.PUT, 0, 0, cacheId, item(bytes(key), bytes(value), 0, ttlA, ttlB))).item(0);
    }

    Result put(final long cacheId, final String key, final String value)
    {
        return put(cacheId, key, value, CacheTtl.ETERNAL, CacheTtl.UNCHANGED);
    }

    Result get(final long cacheId, final String key)
    {
        return get(cacheId, bytes(key));
    }

    Result get(final long cacheId, final byte[] key)
    {
        return ok(request(CacheOpcode.GET, 0, 0, cacheId, item(key, null, 0, CacheTtl.UNCHANGED,
            CacheTtl.UNCHANGED))).item(0);
    }

    Result remove(final long cacheId, final String key)
    {
        return ok(request(CacheOpcode.REMOVE, 0, 0, cacheId, item(key))).item(0);
    }

    long size(final long cacheId)
    {
        return ok(header(CacheOpcode.SIZE, 0, cacheId)).result();
    }

    long subscribe(final int src, final int stream, final long cacheId)
    {
        final Answer a = call(src, header(CacheOpcode.SUBSCRIBE, stream, cacheId));
        assertEquals(Status.OK, a.status(), a::reason);
        return a.result();
    }

    void unsubscribe(final int src, final int stream, final long cacheId)
    {
        final Answer a = call(src, header(CacheOpcode.UNSUBSCRIBE, stream, cacheId));
        assertEquals(Status.OK, a.status(), a::reason);
    }

    void advanceMs(final long ms)
    {
        clock.advance(ms);
    }

    void timer()
    {
        service.onTimer(nowNs);
    }

    long allocations()
    {
        return allocator.stats().allocations();
    }

    /** @return a named figure of {@link CacheService#statsText()}, e.g. "entries". */
    long stat(final String name)
    {
        final String text = service.statsTextNow();
        final Matcher m = Pattern.compile("(?:^|, )" + name + " (\\d+)").matcher(text);
        assertTrue(m.find(), () -> name + " in " + text);
        return Long.parseLong(m.group(1));
    }

    static int partitionOf(final byte[] key)
    {
        return EntryTable.partitionOf(KeyHash.hash(key));
    }

    /**
     * @return {@code count} distinct keys of {@code length} bytes whose partitions are below {@code partitions},
     * found by trying numbered keys in order (deterministic).
     */
    static List<byte[]> keysInPartitions(final String prefix, final int length, final int partitions,
        final int count)
    {
        final List<byte[]> keys = new ArrayList<>();
        final byte[] base = Arrays.copyOf(bytes(prefix), length);
        for (long n = 0; keys.size() < count; n++)
        {
            final byte[] key = base.clone();
            for (int i = 0; i < 8 && length - 1 - i >= 0; i++)
            {
                key[length - 1 - i] = (byte)(n >>> (8 * i));
            }
            if (partitionOf(key) < partitions)
            {
                keys.add(key);
            }
        }
        return keys;
    }

    // ------------------------------------------------------------------ answers

    /** One item result. */
    record Result(int itemStatus, boolean applied, int partition, long previousVersion, long version, long sequence,
        long life, byte[] value, byte[] expired)
    {
        String valueText()
        {
            return null == value ? null : new String(value, StandardCharsets.UTF_8);
        }

        String expiredText()
        {
            return null == expired ? null : new String(expired, StandardCharsets.UTF_8);
        }
    }

    /** A parsed response; {@link #parse} checks it is well formed. */
    record Answer(int status, int count, long nowMs, long result, String reason, List<Result> items, byte[] bytes)
    {
        Result item(final int i)
        {
            return items.get(i);
        }

        static Answer parse(final byte[] bytes, final int maxMessageLength)
        {
            assertTrue(bytes.length >= CacheResponse.HEADER_LENGTH, () -> "a response of " + bytes.length + " bytes");
            assertTrue(bytes.length <= maxMessageLength, () -> "a response of " + bytes.length + " bytes");
            final UnsafeBuffer b = new UnsafeBuffer(bytes);
            final int status = CacheResponse.status(b, 0);
            final int count = CacheResponse.count(b, 0);
            final List<Result> items = new ArrayList<>(count);
            if (status != Status.OK)
            {
                assertEquals(0, count, "a failed response carries no results");
                return new Answer(status, count, CacheResponse.nowMs(b, 0), CacheResponse.result(b, 0),
                    CacheResponse.reason(b, 0, bytes.length), items, bytes);
            }
            final CacheResponse.ItemReader reader = new CacheResponse.ItemReader().wrap(b, 0, bytes.length);
            int used = CacheResponse.HEADER_LENGTH;
            for (int i = 0; i < count; i++)
            {
                if (!reader.next())
                {
                    fail("result " + i + " of " + count + " is malformed: " + HexFormat.of().formatHex(bytes));
                }
                final Result r = new Result(reader.itemStatus(), reader.applied(), reader.partition(),
                    reader.previousVersion(), reader.version(), reader.sequence(), reader.remainingLife(),
                    reader.value(), reader.expired());
                used += CacheResponse.ITEM_HEADER_LENGTH + (null == r.value() ? 0 : r.value().length) +
                    (null == r.expired() ? 0 : r.expired().length);
                items.add(r);
            }
            assertEquals(bytes.length, used, "response length against its results");
            return new Answer(status, count, CacheResponse.nowMs(b, 0), CacheResponse.result(b, 0), "", items,
                bytes);
        }
    }

    /** Like the transport's server slot: grows keeping its bytes, and refuses more than the largest message. */
    static final class Writer implements ResponseWriter
    {
        private final int maxMessageLength;
        private UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        private int length;

        Writer(final int maxMessageLength)
        {
            this.maxMessageLength = maxMessageLength;
        }

        @Override
        public MutableDirectBuffer buffer(final int capacity)
        {
            if (capacity > maxMessageLength)
            {
                throw new IllegalArgumentException(
                    "response of " + capacity + " bytes exceeds the maximum message length " + maxMessageLength);
            }
            if (capacity > buffer.capacity())
            {
                final UnsafeBuffer bigger = new UnsafeBuffer(new byte[Math.max(capacity,
                    Math.min(2 * buffer.capacity(), maxMessageLength))]);
                bigger.putBytes(0, buffer, 0, buffer.capacity());
                buffer = bigger;
            }
            return buffer;
        }

        @Override
        public void length(final int length)
        {
            if (length < 0 || length > buffer.capacity())
            {
                throw new IllegalArgumentException("response length " + length + " outside the response buffer");
            }
            this.length = length;
        }

        void reset()
        {
            length = 0;
            // Stale bytes from the last response must never leak into the next one.
            buffer.setMemory(0, buffer.capacity(), (byte)0x5A);
        }

        byte[] bytes()
        {
            final byte[] b = new byte[length];
            buffer.getBytes(0, b);
            return b;
        }
    }

    /** Records what the service does with streams; offers are accepted unless told otherwise. */
    static final class RecordingSink implements InvalidationSink
    {
        /** An open, offer (accepted or not) or release. */
        record Event(String kind, int node, int stream, boolean accepted, Message message)
        {
        }

        /** An invalidation message as sent. */
        record Message(int type, int partition, long cacheId, long sequence, byte[] key)
        {
            String keyText()
            {
                return new String(key, StandardCharsets.UTF_8);
            }
        }

        final List<Event> events = new ArrayList<>();
        final ArrayDeque<Long> offerResults = new ArrayDeque<>();
        boolean openResult = true;
        double rejectProbability;
        java.util.Random random;
        private long position;

        /** The next {@code n} offers find the window full (BACK_PRESSURED). */
        void backPressureNext(final int n)
        {
            for (int i = 0; i < n; i++)
            {
                offerResults.add(-1L);
            }
        }

        /** The next {@code n} offers are refused. */
        void rejectNext(final int n)
        {
            for (int i = 0; i < n; i++)
            {
                offerResults.add(-2L);
            }
        }

        @Override
        public boolean open(final int node, final int streamId)
        {
            events.add(new Event("open", node, streamId, openResult, null));
            return openResult;
        }

        @Override
        public long offer(final int node, final int streamId, final DirectBuffer buffer, final int offset,
            final int length)
        {
            assertTrue(length >= Invalidation.HEADER_LENGTH, "message of " + length + " bytes");
            // A message holds one record, or several (a batch of ones held back while the window was full).
            final List<Message> records = new ArrayList<>();
            int at = offset;
            while (at < offset + length)
            {
                final int keyLength = Invalidation.keyLength(buffer, at);
                assertTrue(at + Invalidation.HEADER_LENGTH + keyLength <= offset + length,
                    "record at " + (at - offset) + " overruns the message of " + length + " bytes");
                final byte[] key = new byte[keyLength];
                buffer.getBytes(at + Invalidation.HEADER_LENGTH, key);
                records.add(new Message(Invalidation.type(buffer, at), Invalidation.partition(buffer, at),
                    Invalidation.cacheId(buffer, at), Invalidation.sequence(buffer, at), key));
                at += Invalidation.HEADER_LENGTH + keyLength;
            }
            long result = offerResults.isEmpty() ? position + length : offerResults.poll();
            if (null != random && random.nextDouble() < rejectProbability)
            {
                result = -1;
            }
            if (result >= 0)
            {
                position += length;
            }
            for (final Message m : records)
            {
                events.add(new Event("offer", node, streamId, result >= 0, m));
            }
            return result;
        }

        @Override
        public void release(final int node, final int streamId)
        {
            events.add(new Event("release", node, streamId, true, null));
        }

        /** @return the messages a stream accepted, in order. */
        List<Message> delivered(final int node, final int stream)
        {
            final List<Message> out = new ArrayList<>();
            for (final Event e : events)
            {
                if (e.kind().equals("offer") && e.accepted() && e.node() == node && e.stream() == stream)
                {
                    out.add(e.message());
                }
            }
            return out;
        }

        long count(final String kind, final int node, final int stream)
        {
            return events.stream().filter(e -> e.kind().equals(kind) && e.node() == node && e.stream() == stream)
                .count();
        }

        long count(final String kind)
        {
            return events.stream().filter(e -> e.kind().equals(kind)).count();
        }

        void clear()
        {
            events.clear();
        }
    }
}
