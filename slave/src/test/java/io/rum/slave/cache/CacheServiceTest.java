package io.rum.slave.cache;

import io.rum.allocator.protocol.Status;
import io.rum.allocator.protocol.cache.CacheOpcode;
import io.rum.allocator.protocol.cache.CacheRequest;
import io.rum.allocator.protocol.cache.CacheResponse;
import io.rum.allocator.protocol.cache.CacheTtl;
import io.rum.allocator.protocol.cache.Invalidation;
import io.rum.slave.cache.CacheFixture.Answer;
import io.rum.slave.cache.CacheFixture.Item;
import io.rum.slave.cache.CacheFixture.RecordingSink.Event;
import io.rum.slave.cache.CacheFixture.RecordingSink.Message;
import io.rum.slave.cache.CacheFixture.Result;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.rum.slave.cache.CacheFixture.CACHE_A;
import static io.rum.slave.cache.CacheFixture.CACHE_B;
import static io.rum.slave.cache.CacheFixture.CLIENT;
import static io.rum.slave.cache.CacheFixture.NODE;
import static io.rum.slave.cache.CacheFixture.START_MS;
import static io.rum.slave.cache.CacheFixture.bytes;
import static io.rum.slave.cache.CacheFixture.header;
import static io.rum.slave.cache.CacheFixture.item;
import static io.rum.slave.cache.CacheFixture.request;
import static io.rum.slave.cache.CacheFixture.scan;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CacheService} driven directly, request bytes in and response bytes out: every opcode, expiry on the
 * slave's clock, versions, running out of memory, answers too large for a message, malformed and random input,
 * scans, the background sweep, subscriptions and their invalidation streams, and determinism.
 */
class CacheServiceTest
{
    private static final long ETERNAL = CacheTtl.ETERNAL;
    private static final long UNCHANGED = CacheTtl.UNCHANGED;

    private static long ms(final long millis)
    {
        return CacheTtl.ofMillis(millis);
    }

    // ------------------------------------------------------------------ every opcode

    @Test
    void everyOpcodeOnItsHappyPath()
    {
        try (CacheFixture f = new CacheFixture())
        {
            final Answer clock = f.ok(header(CacheOpcode.CLOCK, 0, CACHE_A));
            assertEquals(START_MS, clock.nowMs());
            assertEquals(0, clock.count());
            assertEquals(CacheResponse.HEADER_LENGTH, clock.bytes().length);

            // Nothing of the cache here: reads answer absent and create nothing.
            assertEquals(0, f.size(CACHE_A));
            final Result none = f.get(CACHE_A, "k1");
            assertFalse(none.applied());
            assertEquals(CacheResponse.LIFE_ABSENT, none.life());
            assertEquals(0, none.version());
            assertNull(none.value());
            assertNull(none.expired());
            assertEquals(CacheFixture.partitionOf(bytes("k1")), none.partition());
            assertFalse(f.remove(CACHE_A, "k1").applied());
            assertEquals(0, f.allocations());
            assertEquals(0, f.stat("caches"));

            // PUT creates.
            final Result p1 = f.put(CACHE_A, "k1", "v1");
            assertTrue(p1.applied());
            assertEquals(Status.OK, p1.itemStatus());
            assertEquals(0, p1.previousVersion());
            assertTrue(p1.version() > 0);
            assertEquals(CacheResponse.LIFE_NEVER, p1.life());
            assertNull(p1.value());
            assertNull(p1.expired());
            assertEquals(1, p1.sequence());
            assertEquals(CacheFixture.partitionOf(bytes("k1")), p1.partition());

            // GET reads it.
            final Result g1 = f.get(CACHE_A, "k1");
            assertTrue(g1.applied());
            assertEquals("v1", g1.valueText());
            assertEquals(p1.version(), g1.version());
            assertEquals(p1.version(), g1.previousVersion());
            assertEquals(1, g1.sequence());
            assertEquals(CacheResponse.LIFE_NEVER, g1.life());

            // PUT replaces, answering the previous value when asked; the update duration applies.
            final Result p2 = f.ok(request(CacheOpcode.PUT, CacheRequest.FLAG_RETURN_PREVIOUS, 0, CACHE_A,
                item(bytes("k1"), bytes("v1b"), 0, ETERNAL, ms(1000)))).item(0);
            assertTrue(p2.applied());
            assertEquals(p1.version(), p2.previousVersion());
            assertTrue(p2.version() > p1.version());
            assertEquals("v1", p2.valueText());
            assertEquals(1000, p2.life());
            assertEquals(2, p2.sequence());

            // An unchanged update duration keeps the deadline.
            f.advanceMs(100);
            final Result p3 = f.put(CACHE_A, "k1", "v1c", ETERNAL, UNCHANGED);
            assertEquals(900, p3.life());
            assertNull(p3.value(), "no previous value unless asked");
            assertEquals(3, p3.sequence());

            // PUT_IF_ABSENT: not over a live entry (answers it), but where absent.
            final Result pia1 = f.ok(request(CacheOpcode.PUT_IF_ABSENT, 0, 0, CACHE_A,
                item(bytes("k1"), bytes("nope"), 0, ETERNAL, UNCHANGED))).item(0);
            assertFalse(pia1.applied());
            assertEquals("v1c", pia1.valueText());
            assertEquals(p3.version(), pia1.version());
            assertEquals(p3.version(), pia1.previousVersion());
            assertEquals(3, pia1.sequence(), "nothing changed");
            final Result pia2 = f.ok(request(CacheOpcode.PUT_IF_ABSENT, 0, 0, CACHE_A,
                item(bytes("k2"), bytes("v2"), 0, ms(500), UNCHANGED))).item(0);
            assertTrue(pia2.applied());
            assertEquals(0, pia2.previousVersion());
            assertEquals(500, pia2.life());
            assertTrue(pia2.version() > p3.version());

            // COMPARE_AND_SET: a stale version answers the current entry; the live one applies.
            final Result cas1 = f.ok(request(CacheOpcode.COMPARE_AND_SET, 0, 0, CACHE_A,
                item(bytes("k1"), bytes("cas"), p1.version(), UNCHANGED, UNCHANGED))).item(0);
            assertFalse(cas1.applied());
            assertEquals("v1c", cas1.valueText());
            assertEquals(p3.version(), cas1.version());
            final Result cas2 = f.ok(request(CacheOpcode.COMPARE_AND_SET, CacheRequest.FLAG_RETURN_PREVIOUS, 0,
                CACHE_A, item(bytes("k1"), bytes("cas"), p3.version(), UNCHANGED, UNCHANGED))).item(0);
            assertTrue(cas2.applied());
            assertEquals("v1c", cas2.valueText());
            assertEquals(p3.version(), cas2.previousVersion());
            assertTrue(cas2.version() > pia2.version());
            assertEquals(900, cas2.life(), "an unchanged duration keeps the deadline");
            // ... with no value: a conditional remove.
            final Result cas3 = f.ok(request(CacheOpcode.COMPARE_AND_SET, CacheRequest.FLAG_RETURN_PREVIOUS, 0,
                CACHE_A, item(bytes("k1"), null, cas2.version(), UNCHANGED, UNCHANGED))).item(0);
            assertTrue(cas3.applied());
            assertEquals("cas", cas3.valueText());
            assertEquals(0, cas3.version());
            assertEquals(CacheResponse.LIFE_ABSENT, cas3.life());
            assertFalse(f.get(CACHE_A, "k1").applied());
            // ... expecting absence (version 0): creates; a remove of an absent key is applied and changes nothing.
            final Result cas4 = f.ok(request(CacheOpcode.COMPARE_AND_SET, 0, 0, CACHE_A,
                item(bytes("k3"), bytes("v3"), 0, UNCHANGED, UNCHANGED))).item(0);
            assertTrue(cas4.applied());
            assertEquals(CacheResponse.LIFE_NEVER, cas4.life(), "a new entry with no duration never expires");
            final Result cas5 = f.ok(request(CacheOpcode.COMPARE_AND_SET, 0, 0, CACHE_A,
                item(bytes("k4"), null, 0, UNCHANGED, UNCHANGED))).item(0);
            assertTrue(cas5.applied());
            assertEquals(0, cas5.version());
            assertEquals(0, cas5.sequence(), "nothing changed in k4's partition");

            // TOUCH: applied to the live version only; keeps the version.
            final Result t1 = f.ok(request(CacheOpcode.TOUCH, 0, 0, CACHE_A,
                item(bytes("k2"), null, pia2.version(), ms(5000), UNCHANGED))).item(0);
            assertTrue(t1.applied());
            assertEquals(pia2.version(), t1.version());
            assertEquals(5000, t1.life());
            final Result t2 = f.ok(request(CacheOpcode.TOUCH, 0, 0, CACHE_A,
                item(bytes("k2"), null, pia2.version() + 1, ms(1), UNCHANGED))).item(0);
            assertFalse(t2.applied());
            assertEquals(5000, t2.life());
            final Result t3 = f.ok(request(CacheOpcode.TOUCH, 0, 0, CACHE_A,
                item(bytes("absent"), null, 0, ms(1), UNCHANGED))).item(0);
            assertFalse(t3.applied());
            assertEquals(CacheResponse.LIFE_ABSENT, t3.life());

            // GET with an access duration sets it.
            final Result g2 = f.ok(request(CacheOpcode.GET, 0, 0, CACHE_A,
                item(bytes("k2"), null, 0, ms(10), UNCHANGED))).item(0);
            assertEquals("v2", g2.valueText());
            assertEquals(10, g2.life());

            // REMOVE, answering the previous value when asked.
            final Result r1 = f.ok(request(CacheOpcode.REMOVE, CacheRequest.FLAG_RETURN_PREVIOUS, 0, CACHE_A,
                item("k3"))).item(0);
            assertTrue(r1.applied());
            assertEquals("v3", r1.valueText());
            assertEquals(cas4.version(), r1.previousVersion());
            assertEquals(0, r1.version());
            assertEquals(CacheResponse.LIFE_ABSENT, r1.life());
            assertFalse(f.remove(CACHE_A, "k3").applied());

            // An empty key and an empty value are entries like any other.
            assertTrue(f.put(CACHE_A, "", "").applied());
            final Result empty = f.get(CACHE_A, "");
            assertTrue(empty.applied());
            assertArrayEquals(new byte[0], empty.value());

            // A batch answers each item, in order.
            final Answer batch = f.ok(request(CacheOpcode.PUT, 0, 0, CACHE_A,
                item(bytes("b1"), bytes("x1"), 0, ETERNAL, UNCHANGED),
                item(bytes("b2"), bytes("x2"), 0, ETERNAL, UNCHANGED),
                item(bytes("b3"), bytes("x3"), 0, ETERNAL, UNCHANGED)));
            assertEquals(3, batch.count());
            final Answer reads = f.ok(request(CacheOpcode.GET, 0, 0, CACHE_A, item("b3"), item("nope"),
                item("b1"), item("b2")));
            assertEquals(List.of("x3", "-", "x1", "x2"), reads.items().stream()
                .map(r -> null == r.value() ? "-" : r.valueText()).toList());
            for (int i = 0; i < 3; i++)
            {
                assertEquals(batch.item(i).version(), reads.item(new int[] {2, 3, 0}[i]).version());
            }

            // SIZE and SCAN: k2, "", b1..b3.
            assertEquals(5, f.size(CACHE_A));
            assertEquals(Set.of("k2", "", "b1", "b2", "b3"), scanAll(f, CACHE_A, 100).keySet());
            assertEquals(5, f.allocations());

            // SUBSCRIBE: new, then renewed; UNSUBSCRIBE.
            assertEquals(1, f.subscribe(CLIENT, 9, CACHE_A));
            assertEquals(0, f.subscribe(CLIENT, 9, CACHE_A));
            f.unsubscribe(CLIENT, 9, CACHE_A);

            // CLEAR forgets every entry and frees its memory; the cache stays usable.
            assertEquals(0, f.ok(header(CacheOpcode.CLEAR, 0, CACHE_A)).result());
            assertEquals(0, f.size(CACHE_A));
            assertEquals(0, f.allocations());
            assertFalse(f.get(CACHE_A, "k2").applied());
            assertTrue(f.put(CACHE_A, "k5", "v5").applied());

            // DESTROY drops the cache.
            f.put(CACHE_B, "other", "cache");
            f.ok(header(CacheOpcode.DESTROY, 0, CACHE_A));
            assertEquals(0, f.size(CACHE_A));
            assertEquals(1, f.allocations(), "only CACHE_B's entry is left");
            assertEquals(1, f.size(CACHE_B));
            assertEquals(1, f.stat("caches"));
            assertTrue(f.put(CACHE_A, "k6", "v6").applied(), "a destroyed cache can be made again");
            assertEquals(0, f.service.badRequests());
        }
    }

    @Test
    void durationCodesFollowCacheTtl()
    {
        try (CacheFixture f = new CacheFixture())
        {
            // ZERO on creation: applied, nothing stored.
            final Result zero = f.put(CACHE_A, "z", "v", CacheTtl.ZERO, UNCHANGED);
            assertTrue(zero.applied());
            assertEquals(0, zero.version());
            assertEquals(CacheResponse.LIFE_ABSENT, zero.life());
            assertEquals(0, f.allocations());
            assertEquals(0, zero.sequence());
            // A positive duration under 1 ms: stored with a deadline of now, so expired at once.
            final Result instant = f.put(CACHE_A, "i", "v", ms(0), UNCHANGED);
            assertTrue(instant.applied());
            assertTrue(instant.version() > 0);
            assertEquals(0, instant.life());
            assertEquals(0, f.size(CACHE_A), "expired entries are not counted");
            final Result gone = f.get(CACHE_A, "i");
            assertFalse(gone.applied());
            assertEquals("v", gone.expiredText());
            // A huge finite duration saturates below "never".
            final Result huge = f.put(CACHE_A, "h", "v", ms(Long.MAX_VALUE - 1), UNCHANGED);
            assertTrue(huge.life() > 0);
            assertNotEquals(CacheResponse.LIFE_NEVER, huge.life());
            // ZERO on update: the entry is replaced and expired at once.
            f.put(CACHE_A, "u", "v1");
            final Result update = f.put(CACHE_A, "u", "v2", ETERNAL, CacheTtl.ZERO);
            assertTrue(update.applied());
            assertEquals(0, update.life());
            assertEquals("v2", f.get(CACHE_A, "u").expiredText());
        }
    }

    // ------------------------------------------------------------------ expiry on the slave clock

    @Test
    void anEntryExpiresAtItsDeadlineOnTheSlaveClockAndTheNextOperationReportsItOnce()
    {
        try (CacheFixture f = new CacheFixture())
        {
            f.subscribe(CLIENT, 1, CACHE_A);
            final Result put = f.put(CACHE_A, "k", "value", ms(50), UNCHANGED);
            assertEquals(50, put.life());
            f.advanceMs(49);
            final Result live = f.get(CACHE_A, "k");
            assertTrue(live.applied());
            assertEquals(1, live.life());
            assertEquals(1, f.size(CACHE_A));

            f.advanceMs(1);
            assertEquals(0, f.size(CACHE_A), "expired at its deadline");
            // TOUCH neither applies to an expired entry nor removes it.
            final Result touch = f.ok(request(CacheOpcode.TOUCH, 0, 0, CACHE_A,
                item(bytes("k"), null, put.version(), ms(1000), UNCHANGED))).item(0);
            assertFalse(touch.applied());
            assertNull(touch.expired());
            assertEquals(1, f.allocations());

            final Result first = f.get(CACHE_A, "k");
            assertFalse(first.applied());
            assertNull(first.value());
            assertEquals("value", first.expiredText());
            assertEquals(CacheResponse.LIFE_ABSENT, first.life());
            assertEquals(put.sequence() + 1, first.sequence(), "the expiry is a change of the partition");
            assertEquals(0, f.allocations());
            final Result second = f.get(CACHE_A, "k");
            assertNull(second.expired(), "reported once");
            assertFalse(second.applied());

            // The removal on access was published.
            final List<Message> messages = f.sink.delivered(CLIENT, 1);
            assertEquals(2, messages.size());
            assertEquals(Invalidation.KEY_CHANGED, messages.get(1).type());
            assertEquals("k", messages.get(1).keyText());
            assertEquals(first.sequence(), messages.get(1).sequence());

            // A write meeting an expired entry reports it too, and creates afresh.
            f.put(CACHE_A, "w", "old", ms(10), UNCHANGED);
            f.advanceMs(10);
            final Result write = f.ok(request(CacheOpcode.PUT, CacheRequest.FLAG_RETURN_PREVIOUS, 0, CACHE_A,
                item(bytes("w"), bytes("new"), 0, ms(10), ms(99)))).item(0);
            assertTrue(write.applied());
            assertEquals(0, write.previousVersion());
            assertNull(write.value(), "no previous value: it had expired");
            assertEquals("old", write.expiredText());
            assertEquals(10, write.life(), "created afresh: the creation duration");
            // ... and so does a remove, which then has nothing to remove.
            f.advanceMs(10);
            final Result remove = f.ok(request(CacheOpcode.REMOVE, CacheRequest.FLAG_RETURN_PREVIOUS, 0, CACHE_A,
                item("w"))).item(0);
            assertFalse(remove.applied());
            assertEquals("new", remove.expiredText());
            assertNull(remove.value());
            assertEquals(0, f.allocations());
        }
    }

    @Test
    void expiryFollowsTheSlaveClockNotTheDurationsSender()
    {
        try (CacheFixture f = new CacheFixture())
        {
            f.put(CACHE_A, "k", "v", ms(1000), UNCHANGED);
            f.nowNs += 10_000_000_000L; // the monotonic clock does not decide expiry
            assertTrue(f.get(CACHE_A, "k").applied());
            f.advanceMs(999);
            assertTrue(f.get(CACHE_A, "k").applied());
            f.advanceMs(1);
            assertEquals("v", f.get(CACHE_A, "k").expiredText());
        }
    }

    // ------------------------------------------------------------------ versions

    @Test
    void versionsArePositiveUniqueNeverReusedAndCarryTheNodeId()
    {
        try (CacheFixture f = new CacheFixture())
        {
            final Random random = new Random(0x7E25L);
            final Set<Long> seen = new HashSet<>();
            final Map<String, Long> live = new HashMap<>();
            long last = 0;
            for (int i = 0; i < 3000; i++)
            {
                final String key = "k" + random.nextInt(40);
                final Long current = live.get(key);
                final Result r;
                switch (random.nextInt(5))
                {
                    case 0 -> r = f.put(CACHE_A, key, "v" + i);
                    case 1 -> r = f.ok(request(CacheOpcode.PUT_IF_ABSENT, 0, 0, CACHE_A,
                        item(bytes(key), bytes("p" + i), 0, ETERNAL, UNCHANGED))).item(0);
                    case 2 -> r = f.ok(request(CacheOpcode.COMPARE_AND_SET, 0, 0, CACHE_A,
                        item(bytes(key), bytes("c" + i), null == current ? 0 : current, UNCHANGED, UNCHANGED)))
                        .item(0);
                    case 3 -> r = f.remove(CACHE_A, key);
                    default -> r = f.get(CACHE_A, key);
                }
                if (r.version() == 0)
                {
                    live.remove(key);
                    continue;
                }
                if (null != current && r.version() == current)
                {
                    continue; // a read, or a write that was not applied
                }
                final long v = r.version();
                final String where = "op " + i + " on " + key + ": version " + Long.toHexString(v);
                assertTrue(r.applied(), where);
                assertTrue(v > 0, where);
                assertEquals(NODE, v & 0xFFFF, where + ": the low 16 bits name the slave");
                assertTrue(seen.add(v), where + " was issued before");
                assertTrue(v > last, where + ": versions increase");
                last = v;
                live.put(key, v);
            }
            assertTrue(seen.size() > 1000, "writes seen: " + seen.size());
        }
    }

    @Test
    void aRestartedSlaveIssuesVersionsAboveItsPredecessorsAndTheNodeIdIsChecked()
    {
        long highest = 0;
        try (CacheFixture f = new CacheFixture())
        {
            for (int i = 0; i < 100; i++)
            {
                highest = Math.max(highest, f.put(CACHE_A, "k" + i, "v").version());
            }
        }
        try (CacheFixture g = new CacheFixture(NODE, 64L << 20, 64 << 10, START_MS + 1))
        {
            final long first = g.put(CACHE_A, "k0", "v").version();
            assertTrue(first > highest, "restarted 1 ms later: " + Long.toHexString(first) + " after " +
                Long.toHexString(highest));
        }
        try (CacheFixture g = new CacheFixture(0xFFFF, 64L << 20, 64 << 10, START_MS))
        {
            assertEquals(0xFFFF, g.put(CACHE_A, "k", "v").version() & 0xFFFF);
        }
        try (CacheFixture g = new CacheFixture(0, 64L << 20, 64 << 10, START_MS))
        {
            final long v = g.put(CACHE_A, "k", "v").version();
            assertEquals(0, v & 0xFFFF);
            assertTrue(v > 0);
        }
        try (CacheFixture g = new CacheFixture())
        {
            assertThrows(IllegalArgumentException.class, () -> new CacheService(-1, g.allocator, g.clock, 1024,
                g.sink));
            assertThrows(IllegalArgumentException.class, () -> new CacheService(0x10000, g.allocator, g.clock, 1024,
                g.sink));
        }
    }

    // ------------------------------------------------------------------ out of memory

    @Test
    void outOfMemoryIsAnsweredPerItemAndTheSlaveKeepsServingAndRecovers()
    {
        try (CacheFixture f = new CacheFixture(1 << 20, 256 << 10))
        {
            final byte[] value = new byte[4000];
            Arrays.fill(value, (byte)7);
            final List<String> stored = new ArrayList<>();
            int batches = 0;
            boolean sawOutOfMemory = false;
            while (!sawOutOfMemory)
            {
                assertTrue(++batches < 100, "a 1 MiB budget never ran out");
                final List<Item> items = new ArrayList<>();
                for (int i = 0; i < 16; i++)
                {
                    items.add(item(bytes("key" + (stored.size() + i)), value, 0, ETERNAL, UNCHANGED));
                }
                final Answer a = f.ok(request(CacheOpcode.PUT, 0, items.size(), 0, CACHE_A, items));
                assertEquals(16, a.count());
                final int before = stored.size();
                for (int i = 0; i < 16; i++)
                {
                    final Result r = a.item(i);
                    if (r.itemStatus() == Status.OUT_OF_MEMORY)
                    {
                        sawOutOfMemory = true;
                        assertFalse(r.applied());
                        assertEquals(0, r.version());
                        assertEquals(CacheResponse.LIFE_ABSENT, r.life());
                        assertNull(r.value());
                    }
                    else
                    {
                        assertEquals(Status.OK, r.itemStatus());
                        assertTrue(r.applied());
                        stored.add("key" + (before + i));
                    }
                }
            }
            assertTrue(stored.size() > 100, "stored " + stored.size());
            assertEquals(stored.size(), f.size(CACHE_A));
            assertEquals(stored.size(), f.allocations(), "a failed item leaves no allocation behind");
            assertTrue(f.stat("out of memory") > 0);

            // Still serving: reads, and a replace that needs more memory fails and keeps the old value.
            final Result old = f.get(CACHE_A, stored.get(0));
            assertArrayEquals(value, old.value());
            final Result bigger = f.ok(request(CacheOpcode.PUT, CacheRequest.FLAG_RETURN_PREVIOUS, 0, CACHE_A,
                item(bytes(stored.get(0)), new byte[200_000], 0, ETERNAL, UNCHANGED))).item(0);
            assertEquals(Status.OUT_OF_MEMORY, bigger.itemStatus());
            assertFalse(bigger.applied());
            assertNull(bigger.value(), "no previous value for a write that did not happen");
            assertEquals(old.version(), bigger.version());
            final Result after = f.get(CACHE_A, stored.get(0));
            assertArrayEquals(value, after.value());
            assertEquals(old.version(), after.version());
            assertEquals(old.sequence(), after.sequence());

            // Recovers after removes.
            final List<Item> removes = new ArrayList<>();
            for (int i = 0; i < 8; i++)
            {
                removes.add(item(stored.remove(stored.size() - 1)));
            }
            assertTrue(f.ok(request(CacheOpcode.REMOVE, 0, removes.size(), 0, CACHE_A, removes)).items().stream()
                .allMatch(Result::applied));
            assertTrue(f.put(CACHE_A, "after-removes", new String(value, StandardCharsets.ISO_8859_1)).applied());
            assertEquals(stored.size() + 1, f.allocations());

            // And everything comes back after CLEAR.
            f.ok(header(CacheOpcode.CLEAR, 0, CACHE_A));
            assertEquals(0, f.allocations());
            assertEquals(0, f.allocator.stats().allocatedBytes());
            for (int i = 0; i < 100; i++)
            {
                assertTrue(f.put(CACHE_A, "again" + i, new String(value, StandardCharsets.ISO_8859_1)).applied());
            }
        }
    }

    // ------------------------------------------------------------------ too large

    @Test
    void aBatchWhoseAnswerWouldNotFitIsRefusedBeforeChangingAnything()
    {
        try (CacheFixture f = new CacheFixture(64L << 20, 16 << 10))
        {
            f.subscribe(CLIENT, 1, CACHE_A);
            final byte[] big = new byte[6000];
            final List<Result> puts = new ArrayList<>();
            for (int i = 0; i < 3; i++)
            {
                puts.add(f.ok(request(CacheOpcode.PUT, 0, 0, CACHE_A,
                    item(bytes("k" + i), big, 0, ETERNAL, UNCHANGED))).item(0));
            }
            final int events = f.sink.events.size();
            final byte[] state = snapshot(f, CACHE_A, "k0", "k1", "k2");

            // Reads with an access duration of zero: applied, they would expire all three.
            final Answer reads = f.call(request(CacheOpcode.GET, 0, 0, CACHE_A,
                item(bytes("k0"), null, 0, CacheTtl.ZERO, UNCHANGED),
                item(bytes("k1"), null, 0, CacheTtl.ZERO, UNCHANGED),
                item(bytes("k2"), null, 0, CacheTtl.ZERO, UNCHANGED)));
            assertEquals(CacheService.TOO_LARGE, reads.status());
            assertTrue(reads.reason().contains("split the batch"), reads.reason());
            assertEquals(START_MS, reads.nowMs());

            // Writes answering the previous values.
            final Answer writes = f.call(request(CacheOpcode.PUT, CacheRequest.FLAG_RETURN_PREVIOUS, 0, CACHE_A,
                item(bytes("k0"), bytes("a"), 0, ETERNAL, UNCHANGED),
                item(bytes("k1"), bytes("b"), 0, ETERNAL, UNCHANGED),
                item(bytes("k2"), bytes("c"), 0, ETERNAL, UNCHANGED)));
            assertEquals(CacheService.TOO_LARGE, writes.status());
            assertEquals(2, f.stat("too large"));

            assertArrayEquals(state, snapshot(f, CACHE_A, "k0", "k1", "k2"), "nothing changed");
            assertEquals(events, f.sink.events.size(), "nothing published");
            for (int i = 0; i < 3; i++)
            {
                assertEquals(puts.get(i).version(), f.get(CACHE_A, "k" + i).version());
            }

            // Half the batch fits.
            final Answer two = f.ok(request(CacheOpcode.GET, 0, 0, CACHE_A, item("k0"), item("k1")));
            assertEquals(2, two.count());
            assertEquals(6000, two.item(1).value().length);
        }
    }

    /**
     * A batch may name one key several times. Each item then answers the value the previous items left, not the
     * one stored before the batch, and the bound taken up front must allow for it: here the request fits in a
     * message, but the answer (every item after the first answers the previous item's value) does not.
     */
    @Test
    void aBatchThatNamesOneKeyRepeatedlyIsBoundedByTheValuesItWritesItself()
    {
        final int max = 14_000;
        final byte[] value = new byte[100];
        Arrays.fill(value, (byte)'v');
        for (final int opcode : new int[] {CacheOpcode.PUT, CacheOpcode.PUT_IF_ABSENT, CacheOpcode.COMPARE_AND_SET})
        {
            try (CacheFixture f = new CacheFixture(64L << 20, max))
            {
                final List<Item> items = new ArrayList<>();
                for (int i = 0; i < 100; i++)
                {
                    // COMPARE_AND_SET expecting absence: the first creates, the others fail and answer the value.
                    items.add(item(bytes("k"), value, 0, ETERNAL, UNCHANGED));
                }
                final byte[] request = request(opcode, CacheRequest.FLAG_RETURN_PREVIOUS, items.size(), 0, CACHE_A,
                    items);
                assertTrue(request.length <= max, "the request fits in a message: " + request.length);
                final Answer a;
                try
                {
                    a = f.call(request);
                }
                catch (final RuntimeException ex)
                {
                    throw new AssertionError(CacheOpcode.name(opcode) + " of one key 100 times threw, after " +
                        "storing " + f.size(CACHE_A) + " entries", ex);
                }
                assertEquals(CacheService.TOO_LARGE, a.status(), CacheOpcode.name(opcode) + ": " + a.reason());
                assertEquals(0, f.size(CACHE_A), CacheOpcode.name(opcode) + ": nothing applied");
                assertEquals(0, f.allocations());

                // A batch small enough goes through and answers each item from the one before.
                final Answer ok = f.ok(request(opcode, CacheRequest.FLAG_RETURN_PREVIOUS, 10, 0, CACHE_A,
                    items.subList(0, 10)));
                assertTrue(ok.item(0).applied());
                assertNull(ok.item(0).value());
                for (int i = 1; i < 10; i++)
                {
                    assertArrayEquals(value, ok.item(i).value(), CacheOpcode.name(opcode) + " item " + i);
                }
            }
        }
    }

    // ------------------------------------------------------------------ malformed input

    private record Bad(String name, byte[] request, String reason)
    {
    }

    @Test
    void malformedRequestsAreAnsweredBadRequestWithAReasonAndChangeNothing()
    {
        try (CacheFixture f = new CacheFixture())
        {
            final String[] keys = {"k0", "k1", "k2", "new"};
            for (int i = 0; i < 3; i++)
            {
                f.put(CACHE_A, keys[i], "v" + i, ms(1_000_000), UNCHANGED);
            }
            f.subscribe(CLIENT, 1, CACHE_A);
            final List<Bad> cases = malformed();
            long bad = f.service.badRequests();
            for (final Bad c : cases)
            {
                final byte[] before = snapshot(f, CACHE_A, keys);
                final long allocations = f.allocations();
                final int events = f.sink.events.size();
                final Answer a = f.call(c.request());
                assertEquals(Status.BAD_REQUEST, a.status(), c.name() + ": " + a.reason());
                assertEquals(0, a.count(), c.name());
                assertEquals(START_MS, a.nowMs(), c.name());
                assertTrue(a.reason().contains(c.reason()), c.name() + ": the reason '" + a.reason() +
                    "' should say '" + c.reason() + "'");
                assertEquals(++bad, f.service.badRequests(), c.name());
                assertArrayEquals(before, snapshot(f, CACHE_A, keys), c.name() + " changed the cache");
                assertEquals(allocations, f.allocations(), c.name());
                assertEquals(events, f.sink.events.size(), c.name() + " published");
            }
            assertTrue(cases.size() >= 30);
            // Still serving.
            assertTrue(f.put(CACHE_A, "new", "fine").applied());
        }
    }

    private static List<Bad> malformed()
    {
        final List<Bad> cases = new ArrayList<>();
        final byte[] put = request(CacheOpcode.PUT, 0, 0, CACHE_A, item(bytes("new"), bytes("value"), 0, ETERNAL,
            UNCHANGED));
        final Item valid = item(bytes("new"), bytes("value"), 0, ETERNAL, UNCHANGED);
        cases.add(new Bad("empty", new byte[0], "shorter than its 16-byte header"));
        cases.add(new Bad("one byte", new byte[] {(byte)CacheOpcode.GET}, "shorter than its 16-byte header"));
        cases.add(new Bad("15 bytes", Arrays.copyOf(put, 15), "shorter than its 16-byte header"));
        cases.add(new Bad("cut in the item header", Arrays.copyOf(put, 16 + 20), "cut short"));
        cases.add(new Bad("cut in the key", Arrays.copyOf(put, 16 + 32 + 2), "claims a key of 3"));
        cases.add(new Bad("cut in the value", Arrays.copyOf(put, put.length - 1), "claims a key of 3"));
        cases.add(new Bad("count beyond the items", request(CacheOpcode.PUT, 0, 2, 0, CACHE_A, List.of(valid)),
            "item 1 is cut short"));
        cases.add(new Bad("count short of the items", request(CacheOpcode.PUT, 0, 0, 0, CACHE_A, List.of(valid)),
            "bytes left after 0 items"));
        cases.add(new Bad("negative key length", withInt(put, 16 + 24, -1), "claims a key of -1"));
        cases.add(new Bad("oversized key length", withInt(put, 16 + 24, 1000), "claims a key of 1000"));
        cases.add(new Bad("huge key length", withInt(put, 16 + 24, Integer.MAX_VALUE), "claims a key of"));
        cases.add(new Bad("value length -2", withInt(put, 16 + 28, -2), "a value of -2"));
        cases.add(new Bad("value length MIN", withInt(put, 16 + 28, Integer.MIN_VALUE), "a value of"));
        cases.add(new Bad("oversized value length", withInt(put, 16 + 28, 6), "a value of 6"));
        cases.add(new Bad("huge key and value lengths",
            withInt(withInt(put, 16 + 24, Integer.MAX_VALUE), 16 + 28, Integer.MAX_VALUE), "claims a key of"));
        cases.add(new Bad("ttl A -3", request(CacheOpcode.PUT, 0, 0, CACHE_A, item(bytes("new"), bytes("v"), 0, -3,
            UNCHANGED)), "invalid duration code -3"));
        cases.add(new Bad("ttl B MIN", request(CacheOpcode.PUT, 0, 0, CACHE_A, item(bytes("new"), bytes("v"), 0,
            ETERNAL, Long.MIN_VALUE)), "invalid duration code " + Long.MIN_VALUE));
        cases.add(new Bad("GET with bad ttl", request(CacheOpcode.GET, 0, 0, CACHE_A, item(bytes("k0"), null, 0,
            -5, UNCHANGED)), "invalid duration code -5"));
        final byte[] trailing = Arrays.copyOf(put, put.length + 3);
        cases.add(new Bad("trailing bytes", trailing, "bytes left after 1 items"));
        cases.add(new Bad("GET trailing bytes", Arrays.copyOf(request(CacheOpcode.GET, 0, 0, CACHE_A, item("k0")),
            16 + 32 + 2 + 1), "bytes left after 1 items"));
        for (final int op : new int[] {CacheOpcode.CLEAR, CacheOpcode.DESTROY, CacheOpcode.SIZE,
            CacheOpcode.SUBSCRIBE, CacheOpcode.UNSUBSCRIBE, CacheOpcode.CLOCK})
        {
            cases.add(new Bad(CacheOpcode.name(op) + " with a byte after its header",
                Arrays.copyOf(header(op, 1, CACHE_A), 17), CacheOpcode.name(op) + " takes no items"));
        }
        for (final int op : new int[] {0, 1, 79, 93, 127, 255})
        {
            cases.add(new Bad("unknown opcode " + op, header(op, 0, CACHE_A), "opcode " + op));
        }
        cases.add(new Bad("unknown opcode with items", request(79, 0, 0, CACHE_A, valid), "unknown cache opcode 79"));
        // A bad item after a good one: the good one must not be applied either.
        cases.add(new Bad("PUT without value, after a good item", request(CacheOpcode.PUT, 0, 0, CACHE_A, valid,
            item(bytes("k1"), null, 0, ETERNAL, UNCHANGED)), "PUT: item 1 has no value"));
        cases.add(new Bad("PUT_IF_ABSENT without value", request(CacheOpcode.PUT_IF_ABSENT, 0, 0, CACHE_A, valid,
            item(bytes("k9"), null, 0, ETERNAL, UNCHANGED)), "PUT_IF_ABSENT: item 1 has no value"));
        cases.add(new Bad("GET with zero access ttl, then a bad item", request(CacheOpcode.GET, 0, 0, CACHE_A,
            item(bytes("k0"), null, 0, CacheTtl.ZERO, UNCHANGED), item(bytes("k1"), null, 0, -9, UNCHANGED)),
            "invalid duration code -9"));
        cases.add(new Bad("REMOVE, then a cut item", Arrays.copyOf(request(CacheOpcode.REMOVE, 0, 0, CACHE_A,
            item("k0"), item("k1")), 16 + 34 + 10), "item 1 is cut short"));
        // SCAN.
        cases.add(new Bad("SCAN without item", request(CacheOpcode.SCAN, 0, 0, CACHE_A),
            "SCAN takes exactly one item"));
        final Item cursor = new Item(0, 10, 0, new byte[0], null);
        cases.add(new Bad("SCAN with two items", request(CacheOpcode.SCAN, 0, 0, CACHE_A, cursor, cursor),
            "SCAN takes exactly one item"));
        cases.add(new Bad("SCAN with trailing bytes", Arrays.copyOf(scan(CACHE_A, 0, 10), 16 + 32 + 1),
            "SCAN takes exactly one item"));
        cases.add(new Bad("SCAN cut short", Arrays.copyOf(scan(CACHE_A, 0, 10), 16 + 31), "cut short"));
        cases.add(new Bad("SCAN negative cursor", scan(CACHE_A, -1, 10), "SCAN cursor -1"));
        cases.add(new Bad("SCAN cursor beyond int", scan(CACHE_A, 1L << 31, 10), "SCAN cursor " + (1L << 31)));
        cases.add(new Bad("SCAN budget 0", scan(CACHE_A, 0, 0), "key budget 0"));
        cases.add(new Bad("SCAN budget -1", scan(CACHE_A, 0, -1), "key budget -1"));
        cases.add(new Bad("SCAN budget -2", scan(CACHE_A, 0, -2), "key budget -2"));
        cases.add(new Bad("SCAN budget invalid", scan(CACHE_A, 0, -3), "invalid duration code -3"));
        return cases;
    }

    private static byte[] withInt(final byte[] request, final int index, final int value)
    {
        final byte[] copy = request.clone();
        new UnsafeBuffer(copy).putInt(index, value, CacheRequest.ORDER);
        return copy;
    }

    /** @return the bytes of SIZE, a GET of each key and a full SCAN: equal iff the cache did not change. */
    private static byte[] snapshot(final CacheFixture f, final long cacheId, final String... keys)
    {
        final java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        all.writeBytes(f.ok(header(CacheOpcode.SIZE, 0, cacheId)).bytes());
        for (final String k : keys)
        {
            all.writeBytes(f.ok(request(CacheOpcode.GET, 0, 0, cacheId, item(k))).bytes());
        }
        all.writeBytes(f.ok(scan(cacheId, 0, 100_000)).bytes());
        return all.toByteArray();
    }

    // ------------------------------------------------------------------ fuzz

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {0xF022_2025L, 1L, 0xBADL})
    void randomAndMutatedRequestsNeverThrowAndLeaveTheServiceWorking(final long seed)
    {
        final Random random = new Random(seed);
        final long[] caches = {CACHE_A, CACHE_B, 77L};
        try (CacheFixture f = new CacheFixture(1 << 20, 4096))
        {
            f.sink.random = new Random(seed + 1);
            f.sink.rejectProbability = 0.1;
            final int[] statuses = new int[16];
            for (int n = 0; n < 6000; n++)
            {
                final byte[] request = switch (random.nextInt(4))
                {
                    case 0 -> randomBytes(random);
                    case 1 -> validRequest(random, caches);
                    case 2 -> mutate(random, validRequest(random, caches));
                    default -> header(80 + random.nextInt(13), random.nextInt(3), caches[random.nextInt(3)]);
                };
                final int src = 1 + random.nextInt(3);
                final Answer a;
                try
                {
                    a = f.call(src, request);
                }
                catch (final RuntimeException | AssertionError ex)
                {
                    throw new AssertionError("seed " + seed + ", request " + n + " from " + src + ": " +
                        HexFormat.of().formatHex(request), ex);
                }
                statuses[Math.min(a.status(), 15)]++;
                assertTrue(a.status() == Status.OK || a.status() == Status.BAD_REQUEST ||
                    a.status() == Status.NOT_ALLOWED || a.status() == CacheService.TOO_LARGE,
                    "seed " + seed + ", request " + n + ": status " + a.status());
                if (a.status() != Status.OK)
                {
                    assertFalse(a.reason().isEmpty(), "seed " + seed + ", request " + n + ": no reason");
                }
                else if (request.length >= 16 && CacheOpcode.hasItems(request[0] & 0xFF) &&
                    (request[0] & 0xFF) != CacheOpcode.SCAN)
                {
                    assertEquals(CacheRequest.count(new UnsafeBuffer(request), 0), a.count(),
                        "seed " + seed + ", request " + n + ": one result per item");
                }
                f.advanceMs(random.nextInt(4));
                f.nowNs += random.nextInt(50_000_000);
                if (random.nextInt(10) == 0)
                {
                    try
                    {
                        f.timer();
                    }
                    catch (final RuntimeException ex)
                    {
                        throw new AssertionError("seed " + seed + ", timer after request " + n, ex);
                    }
                }
            }
            assertTrue(statuses[Status.OK] > 1000, "OK answers: " + statuses[Status.OK]);
            assertTrue(statuses[Status.BAD_REQUEST] > 1000, "BAD_REQUEST answers: " + statuses[Status.BAD_REQUEST]);

            // Still answering valid requests, consistently.
            f.sink.rejectProbability = 0;
            assertTrue(f.put(CACHE_A, "after-fuzz", "ok").applied());
            assertEquals("ok", f.get(CACHE_A, "after-fuzz").valueText());
            for (final long cache : caches)
            {
                assertEquals(f.size(cache), scanAll(f, cache, 1000).size(), "seed " + seed + ": SIZE against SCAN");
            }
            assertEquals(f.stat("entries"), f.allocations(), "seed " + seed + ": one allocation per entry");
            // Once every cache is gone and every subscription has lapsed, every stream opened has been released.
            for (final long cache : caches)
            {
                f.ok(header(CacheOpcode.DESTROY, 0, cache));
            }
            f.nowNs += CacheService.SUBSCRIPTION_EXPIRY_NS + 1;
            f.timer();
            assertEquals(f.stat("entries"), f.allocations());
            final Map<String, Long> open = new TreeMap<>();
            for (final Event e : f.sink.events)
            {
                if (e.kind().equals("open") && e.accepted())
                {
                    open.merge(e.node() + "/" + e.stream(), 1L, Long::sum);
                }
                else if (e.kind().equals("release"))
                {
                    open.merge(e.node() + "/" + e.stream(), -1L, Long::sum);
                }
            }
            open.values().removeIf(v -> v == 0);
            assertEquals(Map.of(), open, "seed " + seed + ": streams opened and never released (or released " +
                "too often)");
        }
    }

    private static byte[] randomBytes(final Random random)
    {
        final byte[] b = new byte[random.nextInt(130)];
        random.nextBytes(b);
        if (b.length > 0 && random.nextBoolean())
        {
            b[0] = (byte)(78 + random.nextInt(17));
        }
        return b;
    }

    private static final long[] TTLS = {CacheTtl.UNCHANGED, CacheTtl.ETERNAL, CacheTtl.ZERO, 1, 5, 20, 1000};

    private static byte[] validRequest(final Random random, final long[] caches)
    {
        final int opcode = new int[] {CacheOpcode.GET, CacheOpcode.TOUCH, CacheOpcode.PUT, CacheOpcode.PUT,
            CacheOpcode.PUT_IF_ABSENT, CacheOpcode.COMPARE_AND_SET, CacheOpcode.REMOVE, CacheOpcode.SCAN}
            [random.nextInt(8)];
        final long cache = caches[random.nextInt(caches.length)];
        if (opcode == CacheOpcode.SCAN)
        {
            return scan(cache, random.nextInt(3) == 0 ? 0 : random.nextInt(1 << 18), 1 + random.nextInt(50));
        }
        final int count = 1 + random.nextInt(random.nextInt(8) == 0 ? 40 : 4);
        final List<Item> items = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final boolean value = opcode == CacheOpcode.PUT || opcode == CacheOpcode.PUT_IF_ABSENT ||
                opcode == CacheOpcode.COMPARE_AND_SET && random.nextInt(4) != 0;
            final byte[] v = value ? new byte[random.nextInt(random.nextInt(6) == 0 ? 2000 : 100)] : null;
            if (null != v)
            {
                random.nextBytes(v);
            }
            final long version = random.nextInt(3) == 0 ? 0 : random.nextLong();
            items.add(item(bytes("key" + random.nextInt(30)), v, version, TTLS[random.nextInt(TTLS.length)],
                TTLS[random.nextInt(TTLS.length)]));
        }
        return request(opcode, random.nextInt(4) == 0 ? CacheRequest.FLAG_RETURN_PREVIOUS : 0, count, 0, cache,
            items);
    }

    private static byte[] mutate(final Random random, final byte[] valid)
    {
        byte[] b = valid.clone();
        switch (random.nextInt(5))
        {
            case 0 ->
            {
                for (int i = 1 + random.nextInt(4); i > 0; i--)
                {
                    b[random.nextInt(b.length)] ^= (byte)(1 << random.nextInt(8));
                }
            }
            case 1 -> b = Arrays.copyOf(b, random.nextInt(b.length));
            case 2 ->
            {
                b = Arrays.copyOf(b, b.length + 1 + random.nextInt(40));
                for (int i = valid.length; i < b.length; i++)
                {
                    b[i] = (byte)random.nextInt();
                }
            }
            case 3 ->
            {
                if (b.length >= 16 + 32)
                {
                    final int[] fields = {16 + 24, 16 + 28, 16 + 8, 16 + 16, 2};
                    final int at = fields[random.nextInt(fields.length)];
                    final UnsafeBuffer u = new UnsafeBuffer(b);
                    switch (random.nextInt(3))
                    {
                        case 0 -> u.putInt(at, random.nextInt(), CacheRequest.ORDER);
                        case 1 -> u.putInt(at, -1 - random.nextInt(3), CacheRequest.ORDER);
                        default -> u.putInt(at, random.nextInt(5000), CacheRequest.ORDER);
                    }
                }
            }
            default -> new UnsafeBuffer(b).putShort(2, (short)random.nextInt(), CacheRequest.ORDER);
        }
        return b;
    }

    // ------------------------------------------------------------------ scan

    /**
     * @return key (as ISO-8859-1 text) to version of every key a full scan returns; checks each key comes once,
     * each answer holds whole partitions in order and respects the key budget.
     */
    private static Map<String, Long> scanAll(final CacheFixture f, final long cacheId, final long budget)
    {
        final Map<String, Long> keys = new LinkedHashMap<>();
        long cursor = 0;
        int lastPartition = -1;
        for (int calls = 0; ; calls++)
        {
            assertTrue(calls <= (1 << 18) + 1, "scan never ends");
            final Answer a = f.ok(scan(cacheId, cursor, budget));
            final Set<Integer> partitions = new TreeSet<>();
            for (final Result r : a.items())
            {
                assertTrue(r.partition() >= lastPartition, "partitions in order");
                assertTrue(r.partition() >= cursor, "a partition before the cursor");
                assertEquals(r.partition(), CacheFixture.partitionOf(r.value()), "a key's partition");
                assertTrue(r.version() > 0);
                lastPartition = r.partition();
                partitions.add(r.partition());
                assertNull(keys.put(new String(r.value(), StandardCharsets.ISO_8859_1), r.version()),
                    "a key came twice");
            }
            assertTrue(a.count() <= budget || partitions.size() == 1, "over the key budget with several " +
                "partitions: " + a.count() + " > " + budget);
            if (a.result() == CacheResponse.SCAN_DONE)
            {
                return keys;
            }
            assertTrue(a.count() > 0, "an empty answer that is not the end");
            assertTrue(a.result() > lastPartition, "the next cursor is past the partitions answered");
            cursor = a.result();
        }
    }

    @Test
    void scanReturnsEveryLiveKeyOnceInWholePartitionsWithinTheBudget()
    {
        try (CacheFixture f = new CacheFixture())
        {
            // Keys crowded into 8 partitions (about 20 each), plus keys spread everywhere, plus expired keys.
            final Map<String, Long> model = new HashMap<>();
            final Map<Integer, Set<String>> byPartition = new HashMap<>();
            final List<byte[]> crowded = CacheFixture.keysInPartitions("crowd", 12, 8, 160);
            final Random random = new Random(0x5CA1L);
            final List<byte[]> all = new ArrayList<>(crowded);
            for (int i = 0; i < 600; i++)
            {
                final byte[] k = new byte[1 + random.nextInt(40)];
                random.nextBytes(k);
                all.add(k);
            }
            for (final byte[] k : all)
            {
                final Result r = f.ok(request(CacheOpcode.PUT, 0, 0, CACHE_A, item(k, new byte[3], 0, ETERNAL,
                    UNCHANGED))).item(0);
                final String key = new String(k, StandardCharsets.ISO_8859_1);
                model.put(key, r.version());
                byPartition.computeIfAbsent(r.partition(), p -> new HashSet<>()).add(key);
            }
            for (final byte[] k : CacheFixture.keysInPartitions("gone", 12, 8, 20))
            {
                f.ok(request(CacheOpcode.PUT, 0, 0, CACHE_A, item(k, new byte[3], 0, ms(5), UNCHANGED)));
            }
            f.advanceMs(5);
            assertEquals(model.size(), f.size(CACHE_A));
            assertTrue(byPartition.values().stream().anyMatch(s -> s.size() >= 15), "crowded partitions");

            for (final long budget : new long[] {1, 7, 64, 100_000})
            {
                final Map<String, Long> scanned = new HashMap<>();
                long cursor = 0;
                while (true)
                {
                    final Answer a = f.ok(scan(CACHE_A, cursor, budget));
                    final Map<Integer, Set<String>> answered = new HashMap<>();
                    for (final Result r : a.items())
                    {
                        answered.computeIfAbsent(r.partition(), p -> new HashSet<>())
                            .add(new String(r.value(), StandardCharsets.ISO_8859_1));
                    }
                    for (final Map.Entry<Integer, Set<String>> e : answered.entrySet())
                    {
                        assertEquals(byPartition.get(e.getKey()), e.getValue(), "budget " + budget +
                            ": partition " + e.getKey() + " answered whole");
                    }
                    // No partition between the cursor and the next one is skipped.
                    final long next = a.result() == CacheResponse.SCAN_DONE ? 1L << 18 : a.result();
                    for (final Map.Entry<Integer, Set<String>> e : byPartition.entrySet())
                    {
                        if (e.getKey() >= cursor && e.getKey() < next)
                        {
                            assertTrue(answered.containsKey(e.getKey()), "budget " + budget + ": partition " +
                                e.getKey() + " skipped");
                        }
                    }
                    if (answered.size() > 1)
                    {
                        assertTrue(a.count() <= budget, "budget " + budget + ": " + a.count() + " keys");
                    }
                    for (final Result r : a.items())
                    {
                        assertNull(scanned.put(new String(r.value(), StandardCharsets.ISO_8859_1), r.version()));
                    }
                    if (a.result() == CacheResponse.SCAN_DONE)
                    {
                        break;
                    }
                    cursor = a.result();
                }
                assertEquals(model, scanned, "budget " + budget + ": every live key once, with its version");
                assertEquals(scanned, scanAll(f, CACHE_A, budget));
            }
            // A scan of an unknown cache, or from past the last partition, ends at once.
            final Answer unknown = f.ok(scan(CACHE_B, 0, 10));
            assertEquals(0, unknown.count());
            assertEquals(CacheResponse.SCAN_DONE, unknown.result());
            final Answer past = f.ok(scan(CACHE_A, Integer.MAX_VALUE, 10));
            assertEquals(0, past.count());
            assertEquals(CacheResponse.SCAN_DONE, past.result());
        }
    }

    @Test
    void scanAnswersStayWithinHalfAMessageAndAPartitionTooLargeForOneIsRefused()
    {
        try (CacheFixture f = new CacheFixture(64L << 20, 2048))
        {
            // 48-byte keys crowded into partitions 0..15: 96 bytes per key in an answer, about 240 per partition.
            final List<byte[]> keys = CacheFixture.keysInPartitions("bytes-budget", 48, 16, 40);
            for (final byte[] k : keys)
            {
                f.ok(request(CacheOpcode.PUT, 0, 0, CACHE_A, item(k, new byte[1], 0, ETERNAL, UNCHANGED)));
            }
            final Map<Integer, Integer> perPartition = new TreeMap<>();
            for (final byte[] k : keys)
            {
                perPartition.merge(CacheFixture.partitionOf(k), 1, Integer::sum);
            }
            final int largest = perPartition.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
            final boolean anyTooLarge = CacheResponse.HEADER_LENGTH + largest * 96L > 2048;
            long cursor = 0;
            final Set<String> seen = new HashSet<>();
            int severalPartitions = 0;
            int cutByBytes = 0;
            while (cursor != CacheResponse.SCAN_DONE)
            {
                final Answer a = f.call(scan(CACHE_A, cursor, 1000));
                if (a.status() == CacheService.TOO_LARGE)
                {
                    assertTrue(anyTooLarge);
                    assertTrue(a.reason().contains("partition " + cursor) ||
                        a.reason().contains("too many for one scan answer"), a.reason());
                    // Skip it, as a client cannot: what follows must still be answered.
                    cursor++;
                    continue;
                }
                assertEquals(Status.OK, a.status(), a.reason());
                final Set<Integer> partitions = new HashSet<>();
                a.items().forEach(r -> partitions.add(r.partition()));
                if (partitions.size() > 1)
                {
                    severalPartitions++;
                    assertTrue(a.bytes().length <= 1024, "several partitions in " + a.bytes().length +
                        " bytes: more than half a message");
                }
                if (a.result() != CacheResponse.SCAN_DONE)
                {
                    cutByBytes++; // the key budget (1000) is never what ends an answer here
                }
                a.items().forEach(r -> assertTrue(seen.add(new String(r.value(), StandardCharsets.ISO_8859_1))));
                cursor = a.result();
            }
            int expected = 0;
            for (final int n : perPartition.values())
            {
                expected += CacheResponse.HEADER_LENGTH + n * 96L > 2048 ? 0 : n;
            }
            assertEquals(expected, seen.size());
            assertTrue(severalPartitions > 0, "no answer held several partitions");
            assertTrue(cutByBytes > 1, "no answer was ended by the byte budget");

            // A partition of its own too large: 24 keys of 48 bytes in partition 0 need 2328 bytes.
            final List<byte[]> zero = CacheFixture.keysInPartitions("too-large", 48, 1, 24);
            for (final byte[] k : zero)
            {
                f.ok(request(CacheOpcode.PUT, 0, 0, CACHE_B, item(k, new byte[1], 0, ETERNAL, UNCHANGED)));
            }
            final Answer tooLarge = f.call(scan(CACHE_B, 0, 1000));
            assertEquals(CacheService.TOO_LARGE, tooLarge.status());
            assertTrue(tooLarge.reason().contains("partition 0 holds 24 keys"), tooLarge.reason());
            assertEquals(CacheResponse.SCAN_DONE, f.ok(scan(CACHE_B, 1, 1000)).result());
        }
    }

    @Test
    void keysPresentForAWholeScanComeExactlyOnceWhileOthersComeAndGo()
    {
        try (CacheFixture f = new CacheFixture())
        {
            final Random random = new Random(0xC0FFEEL);
            final Set<String> stable = new HashSet<>();
            for (final byte[] k : CacheFixture.keysInPartitions("stable", 10, 16, 60))
            {
                f.ok(request(CacheOpcode.PUT, 0, 0, CACHE_A, item(k, new byte[1], 0, ETERNAL, UNCHANGED)));
                stable.add(new String(k, StandardCharsets.ISO_8859_1));
            }
            final List<byte[]> churn = CacheFixture.keysInPartitions("churn", 10, 16, 60);
            final Set<String> seen = new HashSet<>();
            long cursor = 0;
            while (true)
            {
                final Answer a = f.ok(scan(CACHE_A, cursor, 3));
                for (final Result r : a.items())
                {
                    assertTrue(seen.add(new String(r.value(), StandardCharsets.ISO_8859_1)), "a key came twice");
                }
                if (a.result() == CacheResponse.SCAN_DONE)
                {
                    break;
                }
                cursor = a.result();
                // Between calls, other keys are added, replaced and removed, and stable keys are rewritten.
                for (int i = 0; i < 5; i++)
                {
                    final byte[] k = churn.get(random.nextInt(churn.size()));
                    if (random.nextBoolean())
                    {
                        f.ok(request(CacheOpcode.PUT, 0, 0, CACHE_A, item(k, new byte[2], 0, ETERNAL, UNCHANGED)));
                    }
                    else
                    {
                        f.ok(request(CacheOpcode.REMOVE, 0, 0, CACHE_A, item(k, null, 0, UNCHANGED, UNCHANGED)));
                    }
                }
                final String s = stable.iterator().next();
                f.put(CACHE_A, s, "rewritten");
            }
            assertTrue(seen.containsAll(stable), "every stable key came");
        }
    }

    // ------------------------------------------------------------------ background sweep

    @Test
    void theSweepRemovesExpiredEntriesAndPublishesEach()
    {
        try (CacheFixture f = new CacheFixture())
        {
            final int stream = 4;
            f.subscribe(CLIENT, stream, CACHE_A);
            f.subscribe(CLIENT, stream, CACHE_B);
            final Random random = new Random(0x5EE9L);
            final Set<String> expiring = new HashSet<>();
            final Set<String> eternal = new HashSet<>();
            final Map<String, Long> lastSequence = new HashMap<>(); // cache/partition -> sequence seen
            for (int i = 0; i < 4500; i++)
            {
                final long cache = i % 3 == 0 ? CACHE_B : CACHE_A;
                final String key = "key-" + i;
                final boolean expires = random.nextInt(4) != 0;
                final Result r = f.put(cache, key, "v", expires ? ms(100 + random.nextInt(50)) : ETERNAL,
                    UNCHANGED);
                (expires ? expiring : eternal).add(cache + "/" + key);
                lastSequence.merge(cache + "/" + r.partition(), r.sequence(), Math::max);
            }
            f.sink.clear();
            // Nothing has expired yet: ticks remove nothing.
            for (int i = 0; i < 10; i++)
            {
                f.timer();
            }
            assertEquals(0, f.stat("swept"));
            assertEquals(4500, f.allocations());

            f.advanceMs(150);
            // Expired, but within the grace: the sweep leaves them to the operations that would report them.
            for (int i = 0; i < 10; i++)
            {
                f.timer();
            }
            assertEquals(0, f.stat("swept"));
            f.advanceMs(CacheService.SWEEP_GRACE_MS);
            int ticks = 0;
            while (f.stat("entries") > eternal.size())
            {
                assertTrue(++ticks < 100, "the sweep does not finish: " + f.service.statsText());
                f.timer();
            }
            assertEquals(expiring.size(), f.stat("swept"));
            assertEquals(eternal.size(), f.allocations());
            final Set<String> published = new HashSet<>();
            for (final Message m : f.sink.delivered(CLIENT, stream))
            {
                assertEquals(Invalidation.KEY_CHANGED, m.type());
                assertTrue(published.add(m.cacheId() + "/" + m.keyText()), "published twice: " + m.keyText());
                assertEquals(CacheFixture.partitionOf(m.key()), m.partition());
                final String k = m.cacheId() + "/" + m.partition();
                assertEquals(lastSequence.getOrDefault(k, 0L) + 1, m.sequence(), "sequences of a partition");
                lastSequence.put(k, m.sequence());
            }
            assertEquals(expiring, published);
            for (final String e : eternal)
            {
                final String[] parts = e.split("/");
                final Result r = f.get(Long.parseLong(parts[0]), parts[1]);
                assertTrue(r.applied(), e);
                assertNull(r.expired());
            }
            for (final String e : expiring)
            {
                final String[] parts = e.split("/");
                final Result r = f.get(Long.parseLong(parts[0]), parts[1]);
                assertFalse(r.applied(), e);
                assertNull(r.expired(), "swept entries are not reported again");
            }
        }
    }

    @Test
    void aWriteJustAfterTheDeadlineReportsTheExpiredValueWhateverTheSweepDid()
    {
        try (CacheFixture f = new CacheFixture())
        {
            f.put(CACHE_A, "k", "old", ms(10), UNCHANGED);
            f.advanceMs(10);
            for (int i = 0; i < 200; i++)
            {
                f.timer();
            }
            final Result r = f.put(CACHE_A, "k", "new", ETERNAL, UNCHANGED);
            assertEquals("old", r.expiredText(), "the write reports what expired under it");
        }
    }

    @Test
    void theSweepKeepsTurningAfterItsTickCounterWraps() throws ReflectiveOperationException
    {
        try (CacheFixture f = new CacheFixture())
        {
            f.put(CACHE_A, "a", "v", ms(1), UNCHANGED);
            f.put(CACHE_B, "b", "v", ms(1), UNCHANGED);
            f.put(77L, "c", "v", ms(1), UNCHANGED);
            // A 10 ms timer reaches 2^31 ticks after 248 days.
            final var field = CacheService.class.getDeclaredField("sweepNext");
            field.setAccessible(true);
            field.setInt(f.service, Integer.MAX_VALUE - 1);
            f.advanceMs(1 + CacheService.SWEEP_GRACE_MS);
            for (int i = 0; i < 6; i++)
            {
                f.timer();
            }
            assertEquals(0, f.allocations(), "every table was swept");
            // Destroying caches shrinks the round.
            f.put(CACHE_A, "a", "v", ms(1), UNCHANGED);
            f.ok(header(CacheOpcode.DESTROY, 0, CACHE_B));
            f.ok(header(CacheOpcode.DESTROY, 0, 77L));
            f.advanceMs(1 + CacheService.SWEEP_GRACE_MS);
            f.timer();
            f.timer();
            assertEquals(0, f.allocations());
        }
    }

    // ------------------------------------------------------------------ subscriptions

    @Test
    void invalidationsCarryIncreasingSequencesPerPartition()
    {
        try (CacheFixture f = new CacheFixture())
        {
            assertEquals(1, f.subscribe(CLIENT, 5, CACHE_A));
            assertEquals(1, f.sink.count("open", CLIENT, 5));
            final List<byte[]> same = CacheFixture.keysInPartitions("seq", 8, 1, 2);
            final Map<Integer, Long> expected = new HashMap<>();
            final List<Result> writes = new ArrayList<>();
            for (int round = 0; round < 3; round++)
            {
                for (final byte[] k : same)
                {
                    writes.add(f.ok(request(CacheOpcode.PUT, 0, 0, CACHE_A, item(k, new byte[1], 0, ETERNAL,
                        UNCHANGED))).item(0));
                }
                writes.add(f.put(CACHE_A, "elsewhere", "v"));
            }
            writes.add(f.remove(CACHE_A, "elsewhere"));
            final List<Message> messages = f.sink.delivered(CLIENT, 5);
            assertEquals(writes.size(), messages.size());
            for (int i = 0; i < writes.size(); i++)
            {
                final Message m = messages.get(i);
                final Result w = writes.get(i);
                assertEquals(Invalidation.KEY_CHANGED, m.type());
                assertEquals(CACHE_A, m.cacheId());
                assertEquals(w.partition(), m.partition());
                assertEquals(w.sequence(), m.sequence(), "the answer and the message agree");
                final long next = expected.merge(m.partition(), 1L, Long::sum);
                assertEquals(next, m.sequence(), "partition " + m.partition());
            }
            assertEquals(6, expected.get(0));
            // Reads and failed writes change nothing and send nothing.
            f.get(CACHE_A, "elsewhere");
            f.remove(CACHE_A, "elsewhere");
            f.ok(request(CacheOpcode.PUT_IF_ABSENT, 0, 0, CACHE_A, item(same.get(0), new byte[1], 0, ETERNAL,
                UNCHANGED)));
            assertEquals(writes.size(), f.sink.delivered(CLIENT, 5).size());
            // Another client's stream gets the same messages; another cache's changes go to its own subscribers.
            assertEquals(1, f.subscribe(CLIENT + 1, 5, CACHE_A));
            f.put(CACHE_B, "x", "y");
            final Result w = f.put(CACHE_A, "z", "y");
            assertEquals(List.of(w.sequence()), f.sink.delivered(CLIENT + 1, 5).stream().map(Message::sequence)
                .toList());
            assertEquals("z", f.sink.delivered(CLIENT, 5).getLast().keyText());
        }
    }

    @Test
    void aRejectedOfferIsFollowedByAResetBeforeTheNextMessage()
    {
        try (CacheFixture f = new CacheFixture())
        {
            f.subscribe(CLIENT, 2, CACHE_A);
            f.put(CACHE_A, "a", "1");
            f.sink.rejectNext(1);
            final Result lost = f.put(CACHE_A, "b", "1");
            assertEquals(1, f.stat("dropped"));
            final Result next = f.put(CACHE_A, "c", "1");
            final List<Message> m = f.sink.delivered(CLIENT, 2);
            assertEquals(3, m.size());
            assertEquals("a", m.get(0).keyText());
            assertEquals(Invalidation.RESET, m.get(1).type());
            assertEquals(CACHE_A, m.get(1).cacheId());
            assertEquals(0, m.get(1).key().length);
            assertEquals("c", m.get(2).keyText());
            assertEquals(next.sequence(), m.get(2).sequence());
            assertTrue(f.sink.delivered(CLIENT, 2).stream().noneMatch(x -> x.keyText().equals("b")));
            assertTrue(lost.applied(), "the write itself was applied");
            // The RESET got through: the renewal has nothing to report.
            assertEquals(0, f.subscribe(CLIENT, 2, CACHE_A));

            // The RESET itself refused: the message is dropped too, and both are tried again next time.
            f.sink.rejectNext(1);
            f.put(CACHE_A, "d", "1");
            f.sink.rejectNext(1);
            f.put(CACHE_A, "e", "1");
            f.put(CACHE_A, "f", "1");
            final List<Message> later = f.sink.delivered(CLIENT, 2).subList(3, f.sink.delivered(CLIENT, 2).size());
            assertEquals(List.of(Invalidation.RESET, Invalidation.KEY_CHANGED), later.stream().map(Message::type)
                .toList());
            assertEquals("f", later.get(1).keyText());
        }
    }

    @Test
    void messagesHeldBackByAFullWindowArriveLaterInOrderAsOneBatchWithoutAReset()
    {
        try (CacheFixture f = new CacheFixture())
        {
            f.subscribe(CLIENT, 2, CACHE_A);
            f.put(CACHE_A, "a", "1");
            f.sink.backPressureNext(2); // "b" finds the window full, and so does the first try of the batch "b", "c"
            f.put(CACHE_A, "b", "1");
            f.put(CACHE_A, "c", "1");
            assertEquals(List.of("a"), f.sink.delivered(CLIENT, 2).stream().map(m -> m.keyText()).toList());
            f.put(CACHE_A, "d", "1"); // the window has room again: everything held goes, in order, in one message
            assertEquals(List.of("a", "b", "c", "d"),
                f.sink.delivered(CLIENT, 2).stream().map(m -> m.keyText()).toList());
            assertTrue(f.sink.delivered(CLIENT, 2).stream().noneMatch(m -> m.type() == Invalidation.RESET));
            assertEquals(0, f.subscribe(CLIENT, 2, CACHE_A), "nothing was lost: the renewal has nothing to say");
            f.sink.backPressureNext(1);
            f.put(CACHE_A, "e", "1");
            f.timer(); // held messages also go on the timer, without a further write
            assertEquals("e", f.sink.delivered(CLIENT, 2).getLast().keyText());
            assertEquals(0, f.stat("dropped"));
        }
    }

    @Test
    void aRejectedOfferMakesTheNextRenewalAnswerNew()
    {
        try (CacheFixture f = new CacheFixture())
        {
            assertEquals(1, f.subscribe(CLIENT, 2, CACHE_A));
            assertEquals(0, f.subscribe(CLIENT, 2, CACHE_A));
            f.sink.rejectNext(1);
            f.put(CACHE_A, "a", "1");
            assertEquals(1, f.subscribe(CLIENT, 2, CACHE_A), "a message was lost: the renewal says so");
            assertEquals(0, f.subscribe(CLIENT, 2, CACHE_A));
            f.put(CACHE_A, "b", "1");
            final List<Message> m = f.sink.delivered(CLIENT, 2);
            assertEquals(1, m.size(), "the renewal told it: no RESET needed");
            assertEquals("b", m.get(0).keyText());
            assertEquals(1, f.sink.count("open", CLIENT, 2), "one stream");
            assertEquals(0, f.sink.count("release", CLIENT, 2));
        }
    }

    @Test
    void unsubscribeReleasesTheStreamWhenItsLastCacheGoes()
    {
        try (CacheFixture f = new CacheFixture())
        {
            assertEquals(1, f.subscribe(CLIENT, 8, CACHE_A));
            assertEquals(1, f.subscribe(CLIENT, 8, CACHE_B), "new for this cache");
            assertEquals(1, f.sink.count("open", CLIENT, 8), "one stream carries both caches");
            f.put(CACHE_A, "a", "1");
            f.put(CACHE_B, "b", "1");
            assertEquals(List.of(CACHE_A, CACHE_B), f.sink.delivered(CLIENT, 8).stream().map(Message::cacheId)
                .toList());

            f.unsubscribe(CLIENT, 8, CACHE_A);
            assertEquals(0, f.sink.count("release", CLIENT, 8));
            f.put(CACHE_A, "a", "2");
            assertEquals(2, f.sink.delivered(CLIENT, 8).size(), "no more messages of CACHE_A");
            f.unsubscribe(CLIENT, 8, CACHE_A);
            assertEquals(0, f.sink.count("release", CLIENT, 8), "unsubscribing twice releases nothing");
            f.unsubscribe(CLIENT, 8, CACHE_B);
            assertEquals(1, f.sink.count("release", CLIENT, 8));
            f.unsubscribe(CLIENT, 8, CACHE_B);
            f.unsubscribe(CLIENT, 9, CACHE_B);
            f.unsubscribe(CLIENT + 1, 8, 12345L);
            assertEquals(1, f.sink.count("release"));

            // Subscribing again opens it again.
            assertEquals(1, f.subscribe(CLIENT, 8, CACHE_B));
            assertEquals(2, f.sink.count("open", CLIENT, 8));
        }
    }

    @Test
    void aSubscriptionNotRenewedExpiresAndTheStreamGoesWithTheLastOne()
    {
        try (CacheFixture f = new CacheFixture())
        {
            final long t0 = f.nowNs;
            final long expiry = CacheService.SUBSCRIPTION_EXPIRY_NS;
            f.subscribe(CLIENT, 3, CACHE_A);
            f.nowNs = t0 + 2_000_000_000L;
            f.subscribe(CLIENT, 3, CACHE_B);
            f.nowNs = t0 + expiry;
            f.timer();
            assertEquals(0, f.sink.count("release"), "not after exactly the expiry time");
            f.nowNs = t0 + expiry + 1;
            f.timer();
            assertEquals(0, f.sink.count("release"), "CACHE_A lapsed but CACHE_B still uses the stream");
            f.put(CACHE_A, "a", "1");
            assertEquals(0, f.sink.delivered(CLIENT, 3).size(), "CACHE_A's subscription is gone");
            // Renewing CACHE_B keeps it.
            f.nowNs = t0 + 6_000_000_000L;
            assertEquals(0, f.subscribe(CLIENT, 3, CACHE_B));
            f.nowNs = t0 + 2_000_000_000L + expiry + 1;
            f.timer();
            assertEquals(0, f.sink.count("release"));
            f.nowNs = t0 + 6_000_000_000L + expiry + 1;
            f.timer();
            assertEquals(1, f.sink.count("release", CLIENT, 3));
            f.timer();
            assertEquals(1, f.sink.count("release"));
            // A lapsed subscription renews as new.
            assertEquals(1, f.subscribe(CLIENT, 3, CACHE_A));
            assertEquals(2, f.sink.count("open", CLIENT, 3));
        }
    }

    @Test
    void destroyResetsAndReleasesOnlyWhenItEndsTheLastSubscriptionOfTheStream()
    {
        try (CacheFixture f = new CacheFixture())
        {
            f.subscribe(CLIENT, 6, CACHE_A);
            f.subscribe(CLIENT, 6, CACHE_B);
            f.subscribe(CLIENT + 1, 6, CACHE_A);
            f.put(CACHE_A, "a", "1");
            assertEquals(1, f.sink.count("open", CLIENT, 6));
            assertEquals(1, f.sink.count("open", CLIENT + 1, 6));
            final int mark = f.sink.events.size();
            f.ok(header(CacheOpcode.DESTROY, 0, CACHE_A));
            assertEquals(List.of(Invalidation.KEY_CHANGED, Invalidation.RESET), f.sink.delivered(CLIENT, 6).stream()
                .map(Message::type).toList());
            assertEquals(CACHE_A, f.sink.delivered(CLIENT, 6).get(1).cacheId());
            assertEquals(Invalidation.RESET, f.sink.delivered(CLIENT + 1, 6).get(1).type());
            assertEquals(0, f.sink.count("release", CLIENT, 6), "CACHE_B still uses the stream");
            assertEquals(1, f.sink.count("release", CLIENT + 1, 6), "its only subscription ended");
            // The RESET went before the release.
            final List<String> order = f.sink.events.subList(mark, f.sink.events.size()).stream()
                .filter(e -> e.node() == CLIENT + 1).map(Event::kind).toList();
            assertEquals(List.of("offer", "release"), order);
            // The destroyed cache publishes nothing; CACHE_B still does.
            f.put(CACHE_A, "a", "2");
            f.put(CACHE_B, "b", "2");
            assertEquals(3, f.sink.delivered(CLIENT, 6).size());
            assertEquals("b", f.sink.delivered(CLIENT, 6).get(2).keyText());
            assertEquals(1, f.subscribe(CLIENT, 6, CACHE_A), "gone with the cache: new again");
            assertEquals(1, f.sink.count("open", CLIENT, 6), "the stream was never released");
            f.ok(header(CacheOpcode.DESTROY, 0, CACHE_A));
            f.ok(header(CacheOpcode.DESTROY, 0, CACHE_B));
            assertEquals(1, f.sink.count("release", CLIENT, 6));
        }
    }

    @Test
    void clearSendsAResetAndKeepsTheSubscription()
    {
        try (CacheFixture f = new CacheFixture())
        {
            f.subscribe(CLIENT, 2, CACHE_A);
            f.put(CACHE_A, "a", "1");
            f.ok(header(CacheOpcode.CLEAR, 0, CACHE_A));
            f.put(CACHE_A, "b", "1");
            final List<Message> m = f.sink.delivered(CLIENT, 2);
            assertEquals(List.of(Invalidation.KEY_CHANGED, Invalidation.RESET, Invalidation.KEY_CHANGED),
                m.stream().map(Message::type).toList());
            assertEquals(CACHE_A, m.get(1).cacheId());
            assertEquals(0, f.sink.count("release"));
            assertEquals(0, f.subscribe(CLIENT, 2, CACHE_A));
            // A refused RESET is owed: sent before the next message, or told by the next renewal.
            f.sink.rejectNext(1);
            f.ok(header(CacheOpcode.CLEAR, 0, CACHE_A));
            assertEquals(1, f.subscribe(CLIENT, 2, CACHE_A));
        }
    }

    @Test
    void aSubscriptionTheSinkCannotOpenIsRefused()
    {
        try (CacheFixture f = new CacheFixture())
        {
            f.sink.openResult = false;
            final Answer a = f.call(header(CacheOpcode.SUBSCRIBE, 4, CACHE_A));
            assertEquals(Status.NOT_ALLOWED, a.status());
            assertTrue(a.reason().contains("cannot open another stream"), a.reason());
            f.put(CACHE_A, "a", "1");
            assertEquals(0, f.sink.count("offer"));
            f.sink.openResult = true;
            assertEquals(1, f.subscribe(CLIENT, 4, CACHE_A));
            f.unsubscribe(CLIENT, 4, CACHE_A);
            assertEquals(1, f.sink.count("release"));
        }
    }

    @Test
    void aFullCacheRefusesASubscriberWithoutLeavingItsStreamOpen()
    {
        try (CacheFixture f = new CacheFixture())
        {
            for (int node = 0; node < Subscribers.MAX; node++)
            {
                assertEquals(1, f.subscribe(1000 + node, 1, CACHE_A));
            }
            final Answer full = f.call(5, header(CacheOpcode.SUBSCRIBE, 1, CACHE_A));
            assertEquals(Status.NOT_ALLOWED, full.status());
            assertTrue(full.reason().contains(Subscribers.MAX + " subscribers already"), full.reason());
            assertEquals(f.sink.count("open", 5, 1), f.sink.count("release", 5, 1),
                "a stream opened for a refused subscription must be released");
            // The refused node can still subscribe elsewhere, and its stream is released once.
            assertEquals(1, f.subscribe(5, 1, CACHE_B));
            f.unsubscribe(5, 1, CACHE_B);
            assertEquals(f.sink.count("open", 5, 1), f.sink.count("release", 5, 1));
        }
    }

    @Test
    void subscriptionsThatEndFreeTheirCacheSlot()
    {
        try (CacheFixture f = new CacheFixture())
        {
            for (int c = 0; c < CacheService.MAX_CACHES; c++)
            {
                assertEquals(1, f.subscribe(CLIENT, 1, 1000L + c));
                f.unsubscribe(CLIENT, 1, 1000L + c);
            }
            final Answer after = f.call(header(CacheOpcode.SUBSCRIBE, 1, 1L));
            assertEquals(Status.OK, after.status(), "every earlier subscription ended, yet: " + after.reason());
            f.unsubscribe(CLIENT, 1, 1L);
            // Lapsed ones too.
            for (int c = 0; c < CacheService.MAX_CACHES; c++)
            {
                f.subscribe(CLIENT, 1, 100_000L + c);
            }
            f.nowNs += CacheService.SUBSCRIPTION_EXPIRY_NS + 1;
            f.timer();
            assertEquals(f.sink.count("open"), f.sink.count("release"));
            // Every lapsed cache gave its slot back: as many new caches as ever fit.
            for (int c = 0; c < CacheService.MAX_CACHES; c++)
            {
                assertEquals(1, f.subscribe(CLIENT, 1, 200_000L + c), "cache " + c);
            }
            assertEquals(f.sink.count("open"), f.sink.count("release") + 1);
        }
    }

    // ------------------------------------------------------------------ determinism

    @Test
    void theSameRequestsGiveByteIdenticalAnswersOnTwoFreshServices()
    {
        final long seed = 0xDE7E_4A11L;
        final List<byte[]> requests = new ArrayList<>();
        final List<Integer> clockSteps = new ArrayList<>();
        final Random random = new Random(seed);
        final long[] caches = {CACHE_A, CACHE_B};
        for (int i = 0; i < 2000; i++)
        {
            final int kind = random.nextInt(10);
            if (kind < 7)
            {
                requests.add(validRequest(random, caches));
            }
            else if (kind < 9)
            {
                requests.add(header(new int[] {CacheOpcode.SIZE, CacheOpcode.SUBSCRIBE, CacheOpcode.UNSUBSCRIBE,
                    CacheOpcode.CLOCK, CacheOpcode.SUBSCRIBE}[random.nextInt(5)], random.nextInt(2),
                    caches[random.nextInt(2)]));
            }
            else
            {
                requests.add(header(random.nextInt(4) == 0 ? CacheOpcode.DESTROY : CacheOpcode.CLEAR, 0,
                    caches[random.nextInt(2)]));
            }
            clockSteps.add(random.nextInt(5));
        }
        try (CacheFixture one = new CacheFixture(2 << 20, 8192); CacheFixture two = new CacheFixture(2 << 20, 8192))
        {
            for (int i = 0; i < requests.size(); i++)
            {
                final byte[] a = one.call(requests.get(i)).bytes();
                final byte[] b = two.call(requests.get(i)).bytes();
                assertArrayEquals(a, b, "seed " + seed + ", request " + i);
                for (final CacheFixture f : List.of(one, two))
                {
                    f.advanceMs(clockSteps.get(i));
                    f.nowNs += clockSteps.get(i) * 700_000_000L;
                    if (i % 7 == 0)
                    {
                        f.timer();
                    }
                }
            }
            assertEquals(one.sink.events.size(), two.sink.events.size());
            for (int i = 0; i < one.sink.events.size(); i++)
            {
                final Event x = one.sink.events.get(i);
                final Event y = two.sink.events.get(i);
                assertEquals(describe(x), describe(y), "seed " + seed + ", sink event " + i);
            }
            assertEquals(one.service.statsText(), two.service.statsText());
            assertTrue(one.sink.count("offer") > 100, "offers: " + one.sink.count("offer"));
        }
    }

    private static String describe(final Event e)
    {
        final Message m = e.message();
        return e.kind() + " " + e.node() + "/" + e.stream() + " " + e.accepted() + (null == m ? "" : " " + m.type() +
            " " + m.partition() + " " + m.cacheId() + " " + m.sequence() + " " + HexFormat.of().formatHex(m.key()));
    }

    @Test
    void statsAreOneLine()
    {
        try (CacheFixture f = new CacheFixture())
        {
            f.put(CACHE_A, "k", "value");
            f.call(new byte[3]);
            final String stats = f.service.statsText();
            assertFalse(stats.contains("\n"));
            assertEquals(1, f.stat("caches"));
            assertEquals(1, f.stat("entries"));
            assertEquals(6, f.stat("entry bytes"));
            assertEquals(2, f.stat("requests"));
            assertEquals(1, f.stat("bad"));
        }
    }
}
