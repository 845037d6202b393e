package io.rum.jcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rum.jcache.copy.SerializationFailedException;
import io.rum.jcache.store.EntryStore;
import io.rum.jcache.store.LocalEntryStore;
import io.rum.jcache.store.StoreFactory;
import java.io.Serial;
import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.spi.CachingProvider;
import javax.management.ObjectName;
import org.agrona.concurrent.SystemEpochClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two CacheManagers (standing in for two client JVMs) over one shared store: what the remote
 * store will give across JVMs, checked here on the in-JVM store.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SharedStoreTest {
    /** Hands every cache the one shared store, as slaves would. */
    public static final class SharedStoreFactory implements StoreFactory {
        static final LocalEntryStore SHARED = new LocalEntryStore(SystemEpochClock.INSTANCE);

        @Override
        public boolean accepts(URI uri, Properties properties) {
            return false;
        }

        @Override
        public StoreFactory open(URI uri, Properties properties) {
            return this;
        }

        @Override
        public EntryStore createStore(String cacheName) {
            return new NonClosingStore(SHARED);
        }

        @Override
        public void destroyStore(String cacheName) {
            SHARED.clear();
        }

        @Override
        public void close() {
        }
    }

    /** A client's handle on the shared store: closing the client leaves the entries. */
    record NonClosingStore(LocalEntryStore delegate) implements EntryStore {
        @Override public long nowMillis() { return delegate.nowMillis(); }
        @Override public io.rum.jcache.store.StoreEntry get(byte[] k, javax.cache.expiry.Duration a) { return delegate.get(k, a); }
        @Override public List<io.rum.jcache.store.StoreEntry> getAll(List<byte[]> k, javax.cache.expiry.Duration a) { return delegate.getAll(k, a); }
        @Override public boolean touch(byte[] k, long v, javax.cache.expiry.Duration t) { return delegate.touch(k, v, t); }
        @Override public io.rum.jcache.store.StoreWrite put(byte[] k, byte[] v, javax.cache.expiry.Duration c, javax.cache.expiry.Duration u, boolean r) { return delegate.put(k, v, c, u, r); }
        @Override public List<io.rum.jcache.store.StoreWrite> putAll(List<io.rum.jcache.store.PutRequest> r, boolean p) { return delegate.putAll(r, p); }
        @Override public io.rum.jcache.store.StoreWrite putIfAbsent(byte[] k, byte[] v, javax.cache.expiry.Duration c) { return delegate.putIfAbsent(k, v, c); }
        @Override public io.rum.jcache.store.StoreWrite compareAndSet(byte[] k, long e, byte[] v, javax.cache.expiry.Duration t) { return delegate.compareAndSet(k, e, v, t); }
        @Override public io.rum.jcache.store.StoreWrite remove(byte[] k, boolean r) { return delegate.remove(k, r); }
        @Override public List<io.rum.jcache.store.StoreWrite> removeAll(List<byte[]> k, boolean r) { return delegate.removeAll(k, r); }
        @Override public void clear() { delegate.clear(); }
        @Override public long size() { return delegate.size(); }
        @Override public io.rum.jcache.store.KeyScan scanKeys(int b) { return delegate.scanKeys(b); }
        @Override public void close() { }
    }

    /** Not in the allow-list. */
    record Secret(String text) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
    }

    private final CachingProvider provider = Caching.getCachingProvider(RumCachingProvider.class.getName());
    private final List<CacheManager> managers = new ArrayList<>();

    private Cache<String, Integer> client(String uri) {
        final Properties p = new Properties();
        p.setProperty("rum.store.factory", SharedStoreFactory.class.getName());
        final CacheManager m = provider.getCacheManager(URI.create(uri), getClass().getClassLoader(), p);
        managers.add(m);
        return m.createCache("counters", new MutableConfiguration<String, Integer>().setTypes(String.class, Integer.class));
    }

    @AfterEach
    void close() {
        managers.forEach(CacheManager::close);
        SharedStoreFactory.SHARED.clear();
    }

    @Test
    void concurrentInvokesFromTwoClientsLoseNoIncrement() throws InterruptedException {
        final Cache<String, Integer> a = client("rum:test-client-a");
        final Cache<String, Integer> b = client("rum:test-client-b");
        final int keys = 10;
        final int perThread = 500;
        final List<Thread> threads = new ArrayList<>();
        for (final Cache<String, Integer> c : List.of(a, b, a, b)) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perThread; i++) {
                    c.invoke("k" + (i % keys), (entry, args) -> {
                        entry.setValue(entry.exists() ? entry.getValue() + 1 : 1);
                        return null;
                    });
                }
            }));
        }
        for (final Thread t : threads) {
            t.join();
        }
        int total = 0;
        for (int i = 0; i < keys; i++) {
            total += b.get("k" + i);
        }
        assertEquals(4 * perThread, total);
    }

    @Test
    void aPutByOneClientIsSeenAtOnceByTheOther() {
        final Cache<String, Integer> a = client("rum:test-client-a");
        final Cache<String, Integer> b = client("rum:test-client-b");
        a.put("x", 7);
        assertEquals(7, b.get("x"));
        assertTrue(b.replace("x", 7, 8));
        assertEquals(8, a.get("x"));
    }

    @Test
    void aValueClassOutsideTheAllowListIsRefusedAndNothingIsStored() {
        final CacheManager m = provider.getCacheManager(URI.create("rum:test-allow"), getClass().getClassLoader());
        managers.add(m);
        final Cache<String, Object> c = m.createCache("objects", new MutableConfiguration<String, Object>());
        assertThrows(SerializationFailedException.class, () -> c.put("s", new Secret("x")));
        assertFalse(c.containsKey("s"));
    }

    @Test
    void statisticsAreRegisteredUnderTheStandardName() throws Exception {
        final CacheManager m = provider.getCacheManager(URI.create("rum:test-jmx"), getClass().getClassLoader());
        managers.add(m);
        final Cache<String, Integer> c = m.createCache("stats", new MutableConfiguration<String, Integer>().setStatisticsEnabled(true));
        c.put("a", 1);
        c.get("a");
        c.get("b");
        final ObjectName name = new ObjectName("javax.cache:type=CacheStatistics,CacheManager=rum.test-jmx,Cache=stats");
        assertEquals(1L, ManagementFactory.getPlatformMBeanServer().getAttribute(name, "CacheHits"));
        assertEquals(1L, ManagementFactory.getPlatformMBeanServer().getAttribute(name, "CacheMisses"));
        assertEquals(1L, ManagementFactory.getPlatformMBeanServer().getAttribute(name, "CachePuts"));
        assertNotNull(c.unwrap(RumCache.class));
        c.close();
        assertFalse(ManagementFactory.getPlatformMBeanServer().isRegistered(name));
    }
}
