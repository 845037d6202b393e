package io.rum.jcache.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.cache.expiry.Duration;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract every {@link EntryStore} keeps, run against each implementation by a subclass
 * (the in-JVM store here; the remote store on slaves next). Time is a {@link CachedEpochClock}
 * the test moves: a subclass must make its store (or the slave behind it) use exactly this clock.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
public abstract class EntryStoreContractTest {
    private static final long START_MS = 1_700_000_000_000L;
    private static final Duration TEN_MS = new Duration(TimeUnit.MILLISECONDS, 10);

    /** The clock the store decides expiry with. */
    protected CachedEpochClock clock;
    /** The store under test. */
    protected EntryStore store;

    /** Creates an empty store whose expiry decisions use {@code clock}. */
    protected abstract EntryStore createStore(CachedEpochClock clock);

    @BeforeEach
    void openStore() {
        clock = new CachedEpochClock();
        clock.update(START_MS);
        store = createStore(clock);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    void nowFollowsTheStoreClock() {
        assertEquals(START_MS, store.nowMillis());
        clock.advance(5);
        assertEquals(START_MS + 5, store.nowMillis());
    }

    @Test
    void absentKeyReadsAsAbsent() {
        final StoreEntry e = store.get(b("k"), null);
        assertFalse(e.isPresent());
        assertEquals(EntryStore.NO_VERSION, e.version());
        assertNull(e.value());
        assertNull(e.expiredValue());
    }

    @Test
    void putThenGetReturnsTheBytesAndAPositiveVersion() {
        final StoreWrite w = store.put(b("k"), b("v"), Duration.ETERNAL, null, true);
        assertTrue(w.applied());
        assertFalse(w.hadPrevious());
        assertTrue(w.version() > 0);
        final StoreEntry e = store.get(b("k"), null);
        assertArrayEquals(b("v"), e.value());
        assertEquals(w.version(), e.version());
    }

    @Test
    void keysCompareByContentNotIdentity() {
        store.put(b("k"), b("v"), Duration.ETERNAL, null, false);
        assertArrayEquals(b("v"), store.get("k".getBytes(UTF_8), null).value());
    }

    @Test
    void putOverAnEntryReturnsThePreviousAndANewVersion() {
        final long v1 = store.put(b("k"), b("a"), Duration.ETERNAL, null, true).version();
        final StoreWrite w = store.put(b("k"), b("b"), Duration.ETERNAL, null, true);
        assertTrue(w.hadPrevious());
        assertEquals(v1, w.previousVersion());
        assertArrayEquals(b("a"), w.previousValue());
        assertNotEquals(v1, w.version());
        assertArrayEquals(b("b"), store.get(b("k"), null).value());
    }

    @Test
    void versionsAreNeverReusedAfterARemove() {
        final long v1 = store.put(b("k"), b("a"), Duration.ETERNAL, null, false).version();
        store.remove(b("k"), false);
        final long v2 = store.put(b("k"), b("a"), Duration.ETERNAL, null, false).version();
        assertNotEquals(v1, v2);
        assertFalse(store.compareAndSet(b("k"), v1, b("x"), null).applied());
    }

    @Test
    void putIfAbsentStoresOnlyWhenAbsent() {
        final StoreWrite first = store.putIfAbsent(b("k"), b("a"), Duration.ETERNAL);
        assertTrue(first.applied());
        final StoreWrite second = store.putIfAbsent(b("k"), b("b"), Duration.ETERNAL);
        assertFalse(second.applied());
        assertEquals(first.version(), second.previousVersion());
        assertArrayEquals(b("a"), second.previousValue());
        assertArrayEquals(b("a"), store.get(b("k"), null).value());
    }

    @Test
    void compareAndSetAppliesOnlyOnTheExpectedVersion() {
        final long v1 = store.put(b("k"), b("a"), Duration.ETERNAL, null, false).version();
        final StoreWrite ok = store.compareAndSet(b("k"), v1, b("b"), null);
        assertTrue(ok.applied());
        assertEquals(v1, ok.previousVersion());
        assertArrayEquals(b("a"), ok.previousValue(), "an applied compare-and-set answers the value it replaced");
        final StoreWrite stale = store.compareAndSet(b("k"), v1, b("c"), null);
        assertFalse(stale.applied());
        assertEquals(ok.version(), stale.previousVersion());
        assertArrayEquals(b("b"), stale.previousValue());
        assertArrayEquals(b("b"), store.get(b("k"), null).value());
    }

    @Test
    void compareAndSetWithNoVersionMeansAbsent() {
        assertTrue(store.compareAndSet(b("k"), EntryStore.NO_VERSION, b("a"), Duration.ETERNAL).applied());
        assertFalse(store.compareAndSet(b("k"), EntryStore.NO_VERSION, b("b"), Duration.ETERNAL).applied());
    }

    @Test
    void compareAndSetWithNullValueRemoves() {
        final long v1 = store.put(b("k"), b("a"), Duration.ETERNAL, null, false).version();
        final StoreWrite w = store.compareAndSet(b("k"), v1, null, null);
        assertTrue(w.applied());
        assertArrayEquals(b("a"), w.previousValue(), "a compare-and-set removal answers the value it removed");
        assertEquals(EntryStore.NO_VERSION, w.version());
        assertFalse(store.get(b("k"), null).isPresent());
    }

    @Test
    void removeReportsWhetherAnEntryWasThere() {
        assertFalse(store.remove(b("k"), true).applied());
        store.put(b("k"), b("a"), Duration.ETERNAL, null, false);
        final StoreWrite w = store.remove(b("k"), true);
        assertTrue(w.applied());
        assertArrayEquals(b("a"), w.previousValue());
        assertFalse(store.get(b("k"), null).isPresent());
    }

    @Test
    void aZeroCreationDurationStoresNothing() {
        assertEquals(EntryStore.NO_VERSION, store.put(b("a"), b("v"), Duration.ZERO, null, false).version());
        final StoreWrite pia = store.putIfAbsent(b("b"), b("v"), Duration.ZERO);
        assertTrue(pia.applied());
        assertEquals(EntryStore.NO_VERSION, pia.version());
        assertEquals(EntryStore.NO_VERSION, store.compareAndSet(b("c"), EntryStore.NO_VERSION, b("v"), Duration.ZERO).version());
        assertEquals(0, store.size());
    }

    @Test
    void anEntryExpiresAtItsDeadlineOnTheStoreClockAndIsReportedOnce() {
        store.put(b("k"), b("v"), TEN_MS, null, false);
        clock.advance(9);
        assertTrue(store.get(b("k"), null).isPresent());
        clock.advance(1);
        final StoreEntry e = store.get(b("k"), null);
        assertFalse(e.isPresent());
        assertArrayEquals(b("v"), e.expiredValue());
        assertNull(store.get(b("k"), null).expiredValue());
    }

    @Test
    void writesReportTheExpiredEntryTheyReplace() {
        store.put(b("k"), b("old"), TEN_MS, null, false);
        clock.advance(10);
        final StoreWrite w = store.put(b("k"), b("new"), Duration.ETERNAL, null, true);
        assertFalse(w.hadPrevious());
        assertArrayEquals(b("old"), w.expiredValue());
    }

    @Test
    void anExpiredEntryCountsAsAbsentForCompareAndSet() {
        final long v1 = store.put(b("k"), b("old"), TEN_MS, null, false).version();
        clock.advance(10);
        assertFalse(store.compareAndSet(b("k"), v1, b("x"), null).applied());
        store.put(b("j"), b("old"), TEN_MS, null, false);
        clock.advance(10);
        final StoreWrite w = store.compareAndSet(b("j"), EntryStore.NO_VERSION, b("new"), Duration.ETERNAL);
        assertTrue(w.applied());
        assertArrayEquals(b("old"), w.expiredValue());
    }

    @Test
    void aNullUpdateDurationKeepsTheExpiry() {
        store.put(b("k"), b("a"), TEN_MS, null, false);
        clock.advance(5);
        store.put(b("k"), b("b"), Duration.ETERNAL, null, false);
        clock.advance(5);
        assertFalse(store.get(b("k"), null).isPresent());
    }

    @Test
    void aZeroUpdateDurationExpiresTheEntryNow() {
        store.put(b("k"), b("a"), Duration.ETERNAL, null, false);
        store.put(b("k"), b("b"), Duration.ETERNAL, Duration.ZERO, false);
        final StoreEntry e = store.get(b("k"), null);
        assertFalse(e.isPresent());
        assertArrayEquals(b("b"), e.expiredValue());
    }

    @Test
    void anAccessDurationResetsTheExpiryButNotTheVersion() {
        final long v = store.put(b("k"), b("a"), TEN_MS, null, false).version();
        clock.advance(8);
        assertEquals(v, store.get(b("k"), TEN_MS).version());
        clock.advance(8);
        assertTrue(store.get(b("k"), null).isPresent());
        clock.advance(2);
        assertFalse(store.get(b("k"), null).isPresent());
    }

    @Test
    void touchAppliesOnlyOnTheExpectedVersion() {
        final long v = store.put(b("k"), b("a"), TEN_MS, null, false).version();
        assertFalse(store.touch(b("k"), v + 1000, Duration.ETERNAL));
        assertTrue(store.touch(b("k"), v, Duration.ETERNAL));
        clock.advance(1_000_000);
        assertEquals(v, store.get(b("k"), null).version());
    }

    @Test
    void eternalEntriesNeverExpire() {
        store.put(b("k"), b("a"), Duration.ETERNAL, null, false);
        clock.advance(TimeUnit.DAYS.toMillis(365 * 100));
        assertTrue(store.get(b("k"), null).isPresent());
    }

    @Test
    void batchesAnswerInRequestOrder() {
        final List<PutRequest> puts = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            puts.add(new PutRequest(b("k" + i), b("v" + i), Duration.ETERNAL, null));
        }
        final List<StoreWrite> written = store.putAll(puts, false);
        assertEquals(50, written.size());
        final List<byte[]> keys = new ArrayList<>();
        for (int i = 49; i >= 0; i--) {
            keys.add(b("k" + i));
        }
        keys.add(b("missing"));
        final List<StoreEntry> read = store.getAll(keys, null);
        for (int i = 0; i < 50; i++) {
            assertArrayEquals(b("v" + (49 - i)), read.get(i).value());
        }
        assertFalse(read.get(50).isPresent());
        final List<StoreWrite> removed = store.removeAll(keys, true);
        for (int i = 0; i < 50; i++) {
            assertTrue(removed.get(i).applied());
            assertArrayEquals(b("v" + (49 - i)), removed.get(i).previousValue());
        }
        assertFalse(removed.get(50).applied());
        assertEquals(0, store.size());
    }

    @Test
    void aScanReturnsEveryLiveKeyOnceInBoundedBatches() {
        for (int i = 0; i < 1000; i++) {
            store.put(b("k" + i), b("v"), Duration.ETERNAL, null, false);
        }
        store.put(b("short"), b("v"), TEN_MS, null, false);
        clock.advance(10);
        final Set<String> seen = new HashSet<>();
        try (KeyScan scan = store.scanKeys(64)) {
            for (List<byte[]> batch = scan.nextBatch(); !batch.isEmpty(); batch = scan.nextBatch()) {
                assertTrue(batch.size() <= 64);
                for (final byte[] k : batch) {
                    assertTrue(seen.add(new String(k, UTF_8)));
                }
            }
        }
        assertEquals(1000, seen.size());
        assertFalse(seen.contains("short"));
    }

    @Test
    void sizeCountsLiveEntriesAndClearDropsAll() {
        store.put(b("a"), b("v"), Duration.ETERNAL, null, false);
        store.put(b("b"), b("v"), TEN_MS, null, false);
        assertEquals(2, store.size());
        clock.advance(10);
        assertEquals(1, store.size());
        store.clear();
        assertEquals(0, store.size());
        assertFalse(store.get(b("a"), null).isPresent());
    }

    /** The entry processor protocol: read with version, compute, CAS, retry. No update is lost. */
    @Test
    void versionedCompareAndSetLosesNoConcurrentIncrement() throws InterruptedException {
        final int threads = 4;
        final int increments = 500;
        final byte[] key = b("counter");
        store.put(key, ByteBuffer.allocate(4).putInt(0).array(), Duration.ETERNAL, null, false);
        final AtomicInteger conflicts = new AtomicInteger();
        final List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < increments; i++) {
                    StoreEntry e = store.get(key, null);
                    while (true) {
                        final int n = ByteBuffer.wrap(e.value()).getInt();
                        final StoreWrite w = store.compareAndSet(key, e.version(),
                            ByteBuffer.allocate(4).putInt(n + 1).array(), null);
                        if (w.applied()) {
                            break;
                        }
                        conflicts.incrementAndGet();
                        e = new StoreEntry(w.previousVersion(), w.previousValue(), null);
                    }
                }
            }));
        }
        for (final Thread w : workers) {
            w.join();
        }
        assertEquals(threads * increments, ByteBuffer.wrap(store.get(key, null).value()).getInt());
    }
}
