package io.rum.jcache;

import io.rum.jcache.configuration.RumSettings;
import io.rum.jcache.copy.Serializer;
import io.rum.jcache.event.EventDispatcher;
import io.rum.jcache.event.RumCacheEntryEvent;
import io.rum.jcache.expiry.ExpiryCalls;
import io.rum.jcache.integration.Integrations;
import io.rum.jcache.management.JmxRegistration;
import io.rum.jcache.management.RumCacheMXBean;
import io.rum.jcache.management.RumCacheStatistics;
import io.rum.jcache.processor.RumEntryProcessorResult;
import io.rum.jcache.processor.RumMutableEntry;
import io.rum.jcache.store.EntryStore;
import io.rum.jcache.store.HotObjects;
import io.rum.jcache.store.KeyScan;
import io.rum.jcache.store.PutRequest;
import io.rum.jcache.store.StoreEntry;
import io.rum.jcache.store.StoreWrite;
import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.configuration.CacheEntryListenerConfiguration;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.configuration.Configuration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.event.EventType;
import javax.cache.expiry.Duration;
import javax.cache.integration.CacheLoader;
import javax.cache.integration.CacheWriter;
import javax.cache.integration.CacheWriterException;
import javax.cache.integration.CompletionListener;
import javax.cache.processor.EntryProcessor;
import javax.cache.processor.EntryProcessorException;
import javax.cache.processor.EntryProcessorResult;
import javax.management.ObjectName;

/**
 * A JCache {@link Cache} over an {@link EntryStore}: the JSR-107 semantics, run in the caller's
 * JVM.
 *
 * <h2>How an operation runs</h2>
 * Keys and values are serialized here (store-by-value) and the store sees only bytes. User code
 * (expiry policy, loader, writer, listeners, entry processors) runs here too, never in the store.
 * An operation whose JSR-107 semantics depend on the entry's current state (replace, conditional
 * remove, invoke, and put under a user-supplied expiry policy, which must be asked exactly the
 * question the spec names) reads the entry with its version, decides locally, then writes with
 * {@link EntryStore#compareAndSet} on that version, and on a conflict decides again from the
 * state the store returned. This is what makes them atomic across client JVMs sharing a remote
 * store, with no code shipped to the slaves. Unconditional operations under the built-in expiry
 * policies are a single store call.
 *
 * <h2>Write-through and events</h2>
 * The writer runs before the store is changed (a writer failure leaves the cache unchanged and
 * reaches the caller as a {@link CacheWriterException}). Events are published after the store
 * has applied the change, from the result the store returned (so an expired entry met by any
 * operation yields exactly one expired event).
 */
public final class RumCache<K, V> implements Cache<K, V> {
    private static final Logger LOG = System.getLogger(RumCache.class.getName());
    private static final int SCAN_BATCH = 256;

    private final RumCacheManager manager;
    private final String name;
    private final MutableConfiguration<K, V> configuration;
    private final EntryStore store;
    /** The store's object-level hot reads, when it has them (see {@link HotObjects}); else null. */
    private final HotObjects hot;
    private final Serializer serializer;
    private final ClassLoader classLoader;
    private final ExpiryCalls expiry;
    private final CacheLoader<K, V> loader;
    private final CacheWriter<K, V> writer;
    private final EventDispatcher<K, V> events;
    private final RumCacheStatistics statistics = new RumCacheStatistics();
    private final RumCacheMXBean mxBean;
    private final ObjectName statisticsName;
    private final ObjectName configurationName;
    private final Executor loadExecutor;
    private final int invokeMaxAttempts;
    private volatile boolean closed;

    RumCache(RumCacheManager manager, String name, CompleteConfiguration<K, V> configuration, EntryStore store,
             Serializer serializer, RumSettings settings, Executor loadExecutor) {
        this.manager = manager;
        this.name = name;
        this.configuration = new MutableConfiguration<>(configuration);
        this.store = store;
        this.hot = store instanceof HotObjects h ? h : null;
        this.serializer = serializer;
        this.classLoader = manager.getClassLoader();
        this.loadExecutor = loadExecutor;
        this.invokeMaxAttempts = settings.invokeMaxAttempts();
        this.expiry = new ExpiryCalls(this.configuration.getExpiryPolicyFactory().create());
        this.loader = this.configuration.getCacheLoaderFactory() == null ? null
            : this.configuration.getCacheLoaderFactory().create();
        this.writer = this.configuration.getCacheWriterFactory() == null ? null
            : narrow(this.configuration.getCacheWriterFactory().create());
        this.events = new EventDispatcher<>(name, settings.eventLanes(), settings.eventLaneCapacity());
        for (final CacheEntryListenerConfiguration<K, V> l : this.configuration.getCacheEntryListenerConfigurations()) {
            events.register(l);
        }
        this.mxBean = new RumCacheMXBean(this::currentConfiguration);
        this.statisticsName = JmxRegistration.objectName(JmxRegistration.Kind.STATISTICS, manager.getURI(), name);
        this.configurationName = JmxRegistration.objectName(JmxRegistration.Kind.CONFIGURATION, manager.getURI(), name);
        setStatisticsEnabled(this.configuration.isStatisticsEnabled());
        setManagementEnabled(this.configuration.isManagementEnabled());
    }

    @SuppressWarnings("unchecked") // a writer of <? super K, ? super V> accepts every K and V it is given
    private static <K, V> CacheWriter<K, V> narrow(CacheWriter<? super K, ? super V> writer) {
        return (CacheWriter<K, V>) writer;
    }

    // ------------------------------------------------------------------ reads

    @Override
    public V get(K key) {
        requireOpen();
        final long startNs = statistics.startNs(); // the hot path reads no clock with statistics off
        final boolean hotObjects = hot != null && expiry.isPure() && expiry.access() == null
            && HotObjects.isImmutable(key);
        if (hotObjects) {
            final Object kept = hot.hotValue(key);
            if (kept != null) {
                statistics.recordHits(1);
                statistics.recordGetSince(startNs);
                return valueOf(kept);
            }
        }
        final byte[] kb = keyBytes(key);
        final StoreEntry e = readWithAccess(kb);
        expired(key, e.expiredValue());
        V value;
        if (e.isPresent()) {
            statistics.recordHits(1);
            value = decode(e.value());
            if (hotObjects && HotObjects.isImmutable(value)) {
                hot.rememberDecoded(key, kb, value);
            }
        } else {
            statistics.recordMisses(1);
            value = isReadThrough() ? loadAndStore(key, kb) : null;
        }
        statistics.recordGetSince(startNs);
        return value;
    }

    @Override
    public Map<K, V> getAll(Set<? extends K> keys) {
        requireOpen();
        final long startNs = System.nanoTime();
        final List<K> keyList = new ArrayList<>(keys.size());
        final List<byte[]> keyBytes = new ArrayList<>(keys.size());
        for (final K key : keys) {
            keyList.add(Objects.requireNonNull(key, "null key in getAll"));
        }
        for (final K key : keyList) {
            keyBytes.add(keyBytes(key));
        }
        final List<StoreEntry> entries = readAllWithAccess(keyBytes);
        final Map<K, V> result = new HashMap<>();
        final List<K> missing = new ArrayList<>();
        final List<byte[]> missingBytes = new ArrayList<>();
        for (int i = 0; i < keyList.size(); i++) {
            final StoreEntry e = entries.get(i);
            final K key = keyList.get(i);
            expired(key, e.expiredValue());
            if (e.isPresent()) {
                result.put(key, decode(e.value()));
            } else {
                missing.add(key);
                missingBytes.add(keyBytes.get(i));
            }
        }
        statistics.recordHits(result.size());
        statistics.recordMisses(missing.size());
        if (!missing.isEmpty() && isReadThrough()) {
            final Map<K, V> loaded = Integrations.loadAll(loader, missing);
            for (int i = 0; i < missing.size(); i++) {
                final K key = missing.get(i);
                final V value = loaded.get(key);
                if (value != null) {
                    storeLoaded(key, missingBytes.get(i), value);
                    result.put(key, value);
                }
            }
        }
        statistics.recordGetTimeNs(System.nanoTime() - startNs);
        return result;
    }

    @Override
    public boolean containsKey(K key) {
        requireOpen();
        final StoreEntry e = store.get(keyBytes(key), null);
        expired(key, e.expiredValue());
        return e.isPresent();
    }

    @Override
    public void loadAll(Set<? extends K> keys, boolean replaceExistingValues, CompletionListener completionListener) {
        requireOpen();
        Objects.requireNonNull(keys, "keys");
        for (final K key : keys) {
            Objects.requireNonNull(key, "null key in loadAll");
        }
        if (loader == null) {
            if (completionListener != null) {
                completionListener.onCompletion();
            }
            return;
        }
        final List<K> requested = new ArrayList<>(keys);
        final Runnable task = () -> {
            try {
                if (isClosed()) {
                    throw new IllegalStateException("cache " + name + " closed before loadAll ran");
                }
                final List<K> toLoad = new ArrayList<>();
                for (final K key : requested) {
                    if (replaceExistingValues || !containsKey(key)) {
                        toLoad.add(key);
                    }
                }
                if (!toLoad.isEmpty()) {
                    final Map<K, V> loaded = Integrations.loadAll(loader, toLoad);
                    final Map<K, V> values = new LinkedHashMap<>();
                    for (final K key : toLoad) {
                        final V value = loaded.get(key);
                        if (value != null) {
                            values.put(key, value);
                        }
                    }
                    putAllInternal(values, replaceExistingValues, false);
                }
                if (completionListener != null) {
                    completionListener.onCompletion();
                }
            } catch (Exception e) {
                if (completionListener != null) {
                    completionListener.onException(e);
                }
            } finally {
                loadEnded();
            }
        };
        synchronized (loads) {
            loads[0]++;
        }
        try {
            loadExecutor.execute(task);
        } catch (RejectedExecutionException e) {
            loadEnded();
            throw new IllegalStateException("the CacheManager of cache " + name + " is closed", e);
        }
    }

    // ------------------------------------------------------------------ writes

    @Override
    public void put(K key, V value) {
        requireOpen();
        final long startNs = System.nanoTime();
        final byte[] kb = keyBytes(key);
        final byte[] vb = valueBytes(value);
        if (isWriteThrough()) {
            Integrations.write(writer, new RumEntry<>(key, value));
        }
        final StoreWrite w = putBytes(kb, vb, events.hasListener(EventType.UPDATED));
        publishPut(key, value, w);
        if (w.version() != EntryStore.NO_VERSION) {
            statistics.recordPuts(1);
        }
        statistics.recordPutTimeNs(System.nanoTime() - startNs);
    }

    @Override
    public V getAndPut(K key, V value) {
        requireOpen();
        final long startNs = System.nanoTime();
        final byte[] kb = keyBytes(key);
        final byte[] vb = valueBytes(value);
        if (isWriteThrough()) {
            Integrations.write(writer, new RumEntry<>(key, value));
        }
        final StoreWrite w = putBytes(kb, vb, true);
        final V previous = w.hadPrevious() ? decode(w.previousValue()) : null;
        publishPut(key, value, w, previous);
        if (previous != null) {
            statistics.recordHits(1);
        } else {
            statistics.recordMisses(1);
        }
        if (w.version() != EntryStore.NO_VERSION) {
            statistics.recordPuts(1);
        }
        final long ns = System.nanoTime() - startNs;
        statistics.recordGetTimeNs(ns);
        statistics.recordPutTimeNs(ns);
        return previous;
    }

    @Override
    public void putAll(Map<? extends K, ? extends V> map) {
        requireOpen();
        final long startNs = System.nanoTime();
        putAllInternal(map, true, true);
        statistics.recordPutTimeNs(System.nanoTime() - startNs);
    }

    @Override
    public boolean putIfAbsent(K key, V value) {
        requireOpen();
        final long startNs = System.nanoTime();
        final byte[] kb = keyBytes(key);
        final byte[] vb = valueBytes(value);
        final StoreWrite w;
        if (expiry.isPure() && !isWriteThrough()) {
            w = store.putIfAbsent(kb, vb, expiry.creation());
        } else {
            final StoreEntry current = store.getForUpdate(kb);
            expired(key, current.expiredValue());
            if (current.isPresent()) {
                w = new StoreWrite(false, current.version(), current.value(), current.version(), null);
            } else {
                final Duration ttl = expiry.creation();
                if (isWriteThrough()) {
                    Integrations.write(writer, new RumEntry<>(key, value));
                }
                w = store.compareAndSet(kb, EntryStore.NO_VERSION, vb, ttl);
            }
        }
        if (w.applied()) {
            expired(key, w.expiredValue());
            if (w.version() != EntryStore.NO_VERSION) {
                created(key, value);
                statistics.recordPuts(1);
            }
            statistics.recordMisses(1);
        } else {
            statistics.recordHits(1);
        }
        statistics.recordPutTimeNs(System.nanoTime() - startNs);
        return w.applied();
    }

    @Override
    public boolean remove(K key) {
        requireOpen();
        final long startNs = System.nanoTime();
        final byte[] kb = keyBytes(key);
        if (isWriteThrough()) {
            Integrations.delete(writer, key);
        }
        final StoreWrite w = store.remove(kb, events.hasListener(EventType.REMOVED));
        expired(key, w.expiredValue());
        if (w.applied()) {
            removed(key, w.previousValue());
            statistics.recordRemovals(1);
        }
        statistics.recordRemoveTimeNs(System.nanoTime() - startNs);
        return w.applied();
    }

    @Override
    public boolean remove(K key, V oldValue) {
        requireOpen();
        final long startNs = System.nanoTime();
        final byte[] kb = keyBytes(key);
        Objects.requireNonNull(oldValue, "oldValue");
        StoreEntry current = store.getForUpdate(kb);
        boolean written = false;
        for (int attempt = 0; ; attempt++) {
            checkAttempts(attempt);
            expired(key, current.expiredValue());
            if (!current.isPresent()) {
                statistics.recordMisses(1);
                statistics.recordRemoveTimeNs(System.nanoTime() - startNs);
                return false;
            }
            final V value = decode(current.value());
            if (!value.equals(oldValue)) {
                touchForAccess(kb, current.version());
                statistics.recordHits(1);
                statistics.recordRemoveTimeNs(System.nanoTime() - startNs);
                return false;
            }
            if (isWriteThrough() && !written) {
                Integrations.delete(writer, key);
                written = true;
            }
            final StoreWrite w = store.compareAndSet(kb, current.version(), null, null);
            if (w.applied()) {
                removedValue(key, value);
                statistics.recordHits(1);
                statistics.recordRemovals(1);
                statistics.recordRemoveTimeNs(System.nanoTime() - startNs);
                return true;
            }
            current = stateOf(w);
        }
    }

    @Override
    public V getAndRemove(K key) {
        requireOpen();
        final long startNs = System.nanoTime();
        final byte[] kb = keyBytes(key);
        if (isWriteThrough()) {
            Integrations.delete(writer, key);
        }
        final StoreWrite w = store.remove(kb, true);
        expired(key, w.expiredValue());
        V previous = null;
        if (w.applied()) {
            previous = decode(w.previousValue());
            removedValue(key, previous);
            statistics.recordHits(1);
            statistics.recordRemovals(1);
        } else {
            statistics.recordMisses(1);
        }
        final long ns = System.nanoTime() - startNs;
        statistics.recordGetTimeNs(ns);
        statistics.recordRemoveTimeNs(ns);
        return previous;
    }

    @Override
    public boolean replace(K key, V oldValue, V newValue) {
        requireOpen();
        Objects.requireNonNull(oldValue, "oldValue");
        return replaceInternal(key, oldValue, newValue) != null;
    }

    @Override
    public boolean replace(K key, V value) {
        requireOpen();
        return replaceInternal(key, null, value) != null;
    }

    @Override
    public V getAndReplace(K key, V value) {
        requireOpen();
        return replaceInternal(key, null, value);
    }

    /** Replaces if present (and equal to expected, if given); returns the replaced value or null. */
    private V replaceInternal(K key, V expected, V newValue) {
        final long startNs = System.nanoTime();
        final byte[] kb = keyBytes(key);
        final byte[] vb = valueBytes(newValue);
        StoreEntry current = store.getForUpdate(kb);
        boolean written = false;
        for (int attempt = 0; ; attempt++) {
            checkAttempts(attempt);
            expired(key, current.expiredValue());
            if (!current.isPresent()) {
                statistics.recordMisses(1);
                statistics.recordGetTimeNs(System.nanoTime() - startNs);
                return null;
            }
            final V value = decode(current.value());
            if (expected != null && !value.equals(expected)) {
                touchForAccess(kb, current.version());
                statistics.recordHits(1);
                statistics.recordGetTimeNs(System.nanoTime() - startNs);
                return null;
            }
            if (isWriteThrough() && !written) {
                Integrations.write(writer, new RumEntry<>(key, newValue));
                written = true;
            }
            final StoreWrite w = store.compareAndSet(kb, current.version(), vb, expiry.update());
            if (w.applied()) {
                updated(key, newValue, value);
                statistics.recordHits(1);
                statistics.recordPuts(1);
                final long ns = System.nanoTime() - startNs;
                statistics.recordGetTimeNs(ns);
                statistics.recordPutTimeNs(ns);
                return value;
            }
            current = stateOf(w);
        }
    }

    @Override
    public void removeAll(Set<? extends K> keys) {
        requireOpen();
        final List<K> keyList = new ArrayList<>(keys.size());
        for (final K key : keys) {
            keyList.add(Objects.requireNonNull(key, "null key in removeAll"));
        }
        removeAllInternal(keyList);
    }

    @Override
    public void removeAll() {
        requireOpen();
        final List<K> keyList = new ArrayList<>();
        try (KeyScan scan = store.scanKeys(SCAN_BATCH)) {
            for (List<byte[]> batch = scan.nextBatch(); !batch.isEmpty(); batch = scan.nextBatch()) {
                for (final byte[] kb : batch) {
                    keyList.add(decodeKey(kb));
                }
            }
        }
        removeAllInternal(keyList);
    }

    private void removeAllInternal(List<K> keyList) {
        final long startNs = System.nanoTime();
        List<K> toRemove = keyList;
        CacheWriterException failure = null;
        if (isWriteThrough() && !keyList.isEmpty()) {
            final List<Object> remaining = new ArrayList<>(keyList);
            try {
                Integrations.deleteAll(writer, remaining);
            } catch (CacheWriterException e) {
                failure = e;
                // Keys the writer did not delete stay in the cache, so the two stay consistent.
                final Set<Object> notDeleted = new HashSet<>(remaining);
                toRemove = new ArrayList<>();
                for (final K key : keyList) {
                    if (!notDeleted.contains(key)) {
                        toRemove.add(key);
                    }
                }
            }
        }
        final List<byte[]> keyBytes = new ArrayList<>(toRemove.size());
        for (final K key : toRemove) {
            keyBytes.add(keyBytes(key));
        }
        final List<StoreWrite> results = store.removeAll(keyBytes, events.hasListener(EventType.REMOVED));
        long removedCount = 0;
        for (int i = 0; i < results.size(); i++) {
            final StoreWrite w = results.get(i);
            final K key = toRemove.get(i);
            expired(key, w.expiredValue());
            if (w.applied()) {
                removedCount++;
                removed(key, w.previousValue());
            }
        }
        statistics.recordRemovals(removedCount);
        statistics.recordRemoveTimeNs(System.nanoTime() - startNs);
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void clear() {
        requireOpen();
        store.clear();
    }

    // ------------------------------------------------------------------ entry processors

    @Override
    public <T> T invoke(K key, EntryProcessor<K, V, T> entryProcessor, Object... arguments) {
        requireOpen();
        Objects.requireNonNull(entryProcessor, "entryProcessor");
        final byte[] kb = keyBytes(key);
        StoreEntry current = store.getForUpdate(kb);
        for (int attempt = 0; ; attempt++) {
            checkAttempts(attempt);
            expired(key, current.expiredValue());
            final V value = current.isPresent() ? decode(current.value()) : null;
            final RumMutableEntry<K, V> entry = new RumMutableEntry<>(key, value,
                isReadThrough() ? k -> Integrations.load(loader, k) : null);
            final T result;
            try {
                result = entryProcessor.process(entry, arguments);
            } catch (EntryProcessorException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new EntryProcessorException(e);
            }
            final StoreWrite w = applyProcessed(key, kb, current, entry);
            if (w == null || w.applied()) {
                return result;
            }
            current = stateOf(w);
        }
    }

    /**
     * Applies what a processor did as one conditional write on the version it read. Returns null
     * when nothing had to be written, or the store's answer (not applied: run the processor again).
     */
    private StoreWrite applyProcessed(K key, byte[] kb, StoreEntry read, RumMutableEntry<K, V> entry) {
        final long startNs = System.nanoTime();
        final StoreWrite w = switch (entry.operation()) {
            case NONE -> null;
            case ACCESS -> {
                touchForAccess(kb, read.version());
                yield null;
            }
            case LOAD -> {
                final StoreWrite lw = store.compareAndSet(kb, read.version(), valueBytes(entry.value()), expiry.creation());
                if (lw.applied()) {
                    expired(key, lw.expiredValue());
                    if (lw.version() != EntryStore.NO_VERSION) {
                        created(key, entry.value());
                        statistics.recordPuts(1);
                    }
                }
                yield lw;
            }
            case CREATE, UPDATE -> {
                final boolean create = entry.operation() == RumMutableEntry.Operation.CREATE;
                final byte[] vb = valueBytes(entry.value());
                if (isWriteThrough()) {
                    writeThroughFromProcessor(new RumEntry<>(key, entry.value()));
                }
                final Duration ttl = create ? expiry.creation() : expiry.update();
                final StoreWrite uw = store.compareAndSet(kb, read.version(), vb, ttl);
                if (uw.applied()) {
                    expired(key, uw.expiredValue());
                    if (!create) {
                        updated(key, entry.value(), decode(read.value()));
                    } else if (uw.version() != EntryStore.NO_VERSION) {
                        created(key, entry.value());
                    }
                    statistics.recordPuts(1);
                    statistics.recordPutTimeNs(System.nanoTime() - startNs);
                }
                yield uw;
            }
            case REMOVE -> {
                if (isWriteThrough()) {
                    try {
                        Integrations.delete(writer, key);
                    } catch (CacheWriterException e) {
                        throw new EntryProcessorException(e);
                    }
                }
                if (!read.isPresent()) {
                    yield null;
                }
                final StoreWrite rw = store.compareAndSet(kb, read.version(), null, null);
                if (rw.applied()) {
                    expired(key, rw.expiredValue());
                    removedValue(key, decode(read.value()));
                    statistics.recordRemovals(1);
                    statistics.recordRemoveTimeNs(System.nanoTime() - startNs);
                }
                yield rw;
            }
        };
        if (w == null || w.applied()) {
            // The lookup itself is the hit or miss, whatever the processor did (JSR-107 statistics).
            if (read.isPresent()) {
                statistics.recordHits(1);
            } else {
                statistics.recordMisses(1);
            }
            statistics.recordGetTimeNs(System.nanoTime() - startNs);
        }
        return w;
    }

    private void writeThroughFromProcessor(Cache.Entry<K, V> entry) {
        try {
            Integrations.write(writer, entry);
        } catch (CacheWriterException e) {
            throw new EntryProcessorException(e);
        }
    }

    @Override
    public <T> Map<K, EntryProcessorResult<T>> invokeAll(Set<? extends K> keys, EntryProcessor<K, V, T> entryProcessor,
                                                         Object... arguments) {
        requireOpen();
        Objects.requireNonNull(entryProcessor, "entryProcessor");
        for (final K key : keys) {
            Objects.requireNonNull(key, "null key in invokeAll");
        }
        final Map<K, EntryProcessorResult<T>> results = new HashMap<>();
        for (final K key : keys) {
            try {
                final T result = invoke(key, entryProcessor, arguments);
                if (result != null) {
                    results.put(key, RumEntryProcessorResult.of(result));
                }
            } catch (EntryProcessorException e) {
                results.put(key, RumEntryProcessorResult.failed(e));
            } catch (RuntimeException e) {
                results.put(key, RumEntryProcessorResult.failed(new EntryProcessorException(e)));
            }
        }
        return results;
    }

    // ------------------------------------------------------------------ iteration

    @Override
    public Iterator<Cache.Entry<K, V>> iterator() {
        requireOpen();
        return new EntryIterator();
    }

    /**
     * Walks the store's keys a batch at a time and reads each batch's values in one call. The
     * access expiry is applied per entry returned by {@link #next()}, as the spec counts it: in the
     * batch read under a built-in policy (no observable difference), by a touch on the version
     * read otherwise.
     */
    private final class EntryIterator implements Iterator<Cache.Entry<K, V>> {
        private final KeyScan scan = store.scanKeys(SCAN_BATCH);
        private final ArrayDeque<Staged<K, V>> buffer = new ArrayDeque<>();
        private boolean done;
        private Cache.Entry<K, V> last;

        @Override
        public boolean hasNext() {
            requireOpen();
            while (buffer.isEmpty() && !done) {
                final List<byte[]> batch = scan.nextBatch();
                if (batch.isEmpty()) {
                    done = true;
                    scan.close();
                    break;
                }
                final List<StoreEntry> entries = expiry.isPure()
                    ? store.getAll(batch, expiry.access())
                    : store.getAll(batch, null);
                for (int i = 0; i < batch.size(); i++) {
                    final StoreEntry e = entries.get(i);
                    final K key = decodeKey(batch.get(i));
                    expired(key, e.expiredValue());
                    if (e.isPresent()) {
                        buffer.add(new Staged<>(new RumEntry<>(key, decode(e.value())), batch.get(i), e.version()));
                    }
                }
            }
            return !buffer.isEmpty();
        }

        @Override
        public Cache.Entry<K, V> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            final long startNs = System.nanoTime();
            final Staged<K, V> staged = buffer.poll();
            if (!expiry.isPure()) {
                touchForAccess(staged.keyBytes(), staged.version());
            }
            statistics.recordHits(1);
            statistics.recordGetTimeNs(System.nanoTime() - startNs);
            last = staged.entry();
            return last;
        }

        @Override
        public void remove() {
            requireOpen();
            if (last == null) {
                throw new IllegalStateException("next() has not been called, or remove() was already called");
            }
            final K key = last.getKey();
            last = null;
            RumCache.this.remove(key);
        }
    }

    /** An entry read by the iterator, with what a later access touch needs. */
    private record Staged<K, V>(Cache.Entry<K, V> entry, byte[] keyBytes, long version) {
    }

    // ------------------------------------------------------------------ listeners, configuration

    @Override
    public void registerCacheEntryListener(CacheEntryListenerConfiguration<K, V> listenerConfiguration) {
        requireOpen();
        Objects.requireNonNull(listenerConfiguration, "listenerConfiguration");
        synchronized (configuration) {
            configuration.addCacheEntryListenerConfiguration(listenerConfiguration);
        }
        events.register(listenerConfiguration);
    }

    @Override
    public void deregisterCacheEntryListener(CacheEntryListenerConfiguration<K, V> listenerConfiguration) {
        requireOpen();
        Objects.requireNonNull(listenerConfiguration, "listenerConfiguration");
        synchronized (configuration) {
            configuration.removeCacheEntryListenerConfiguration(listenerConfiguration);
        }
        events.deregister(listenerConfiguration);
    }

    @Override
    public <C extends Configuration<K, V>> C getConfiguration(Class<C> clazz) {
        final MutableConfiguration<K, V> snapshot;
        synchronized (configuration) {
            snapshot = new MutableConfiguration<>(configuration);
        }
        if (clazz.isInstance(snapshot)) {
            return clazz.cast(snapshot);
        }
        throw new IllegalArgumentException("the configuration of cache " + name + " is not a " + clazz.getName());
    }

    /** A snapshot of the configuration, as the MXBean and the manager's type checks read it. */
    CompleteConfiguration<?, ?> currentConfiguration() {
        synchronized (configuration) {
            return new MutableConfiguration<>(configuration);
        }
    }

    /** Turns statistics on or off, registering or unregistering the statistics MXBean. */
    void setStatisticsEnabled(boolean enabled) {
        synchronized (configuration) {
            configuration.setStatisticsEnabled(enabled);
        }
        statistics.setEnabled(enabled);
        if (enabled) {
            JmxRegistration.register(statistics, statisticsName);
        } else {
            JmxRegistration.unregister(statisticsName);
        }
    }

    /** Turns management on or off, registering or unregistering the configuration MXBean. */
    void setManagementEnabled(boolean enabled) {
        synchronized (configuration) {
            configuration.setManagementEnabled(enabled);
        }
        if (enabled) {
            JmxRegistration.register(mxBean, configurationName);
        } else {
            JmxRegistration.unregister(configurationName);
        }
    }

    /** The statistics bean (also reachable through JMX when statistics are enabled). */
    public RumCacheStatistics statistics() {
        return statistics;
    }

    /** The store under this cache. */
    public EntryStore store() {
        return store;
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public CacheManager getCacheManager() {
        return manager;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        awaitLoads();
        manager.release(name, this);
        JmxRegistration.unregister(statisticsName);
        JmxRegistration.unregister(configurationName);
        closeQuietly(loader);
        if (writer != loader) {
            closeQuietly(writer);
        }
        closeQuietly(expiry);
        events.close();
        store.close();
    }

    /** loadAll tasks queued or running: close waits for them, so none uses a loader after it is closed. */
    private final int[] loads = new int[1];
    private static final long LOADS_WAIT_MS = 10_000;

    private void loadEnded() {
        synchronized (loads) {
            loads[0]--;
            loads.notifyAll();
        }
    }

    private void awaitLoads() {
        final long deadline = System.currentTimeMillis() + LOADS_WAIT_MS;
        synchronized (loads) {
            long left;
            while (loads[0] > 0 && (left = deadline - System.currentTimeMillis()) > 0) {
                try {
                    loads.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (loads[0] > 0) {
                LOG.log(Level.WARNING, "cache " + name + " closes with " + loads[0] + " loadAll tasks still running");
            }
        }
    }

    private void closeQuietly(Object o) {
        if (o instanceof Closeable c) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "closing " + o.getClass().getName() + " of cache " + name + " failed", e);
            }
        }
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public <T> T unwrap(Class<T> clazz) {
        if (clazz.isAssignableFrom(getClass())) {
            return clazz.cast(this);
        }
        if (clazz.isInstance(store)) {
            return clazz.cast(store);
        }
        throw new IllegalArgumentException("cannot unwrap cache " + name + " to " + clazz.getName());
    }

    @Override
    public String toString() {
        return "RumCache[" + name + " of " + manager.getURI() + "]";
    }

    // ------------------------------------------------------------------ helpers

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("cache " + name + " is closed");
        }
    }

    private boolean isReadThrough() {
        return loader != null && configuration.isReadThrough();
    }

    private boolean isWriteThrough() {
        return writer != null && configuration.isWriteThrough();
    }

    private void checkAttempts(int attempt) {
        if (attempt >= invokeMaxAttempts) {
            throw new CacheException("cache " + name + ": gave up after " + attempt
                + " conflicting concurrent writes to one key (rum.invoke.maxAttempts)");
        }
        if (attempt > 16) {
            Thread.yield();
        }
    }

    private byte[] keyBytes(K key) {
        Objects.requireNonNull(key, "key");
        final Class<K> type = configuration.getKeyType();
        if (type != Object.class && !type.isInstance(key)) {
            throw new ClassCastException("key " + key.getClass().getName() + " is not a " + type.getName());
        }
        return serializer.serialize(key);
    }

    private byte[] valueBytes(V value) {
        Objects.requireNonNull(value, "value");
        final Class<V> type = configuration.getValueType();
        if (type != Object.class && !type.isInstance(value)) {
            throw new ClassCastException("value " + value.getClass().getName() + " is not a " + type.getName());
        }
        return serializer.serialize(value);
    }

    @SuppressWarnings("unchecked") // kept by this cache from a value it decoded as a V
    private V valueOf(Object kept) {
        return (V) kept;
    }

    @SuppressWarnings("unchecked") // store-by-value: the bytes were made from a V by this cache
    private V decode(byte[] bytes) {
        return bytes == null ? null : (V) serializer.deserialize(bytes, classLoader);
    }

    @SuppressWarnings("unchecked") // store-by-value: the bytes were made from a K by this cache
    private K decodeKey(byte[] bytes) {
        return (K) serializer.deserialize(bytes, classLoader);
    }

    /** A failed conditional write's answer, as the state to decide again from. */
    private static StoreEntry stateOf(StoreWrite w) {
        return new StoreEntry(w.previousVersion(), w.previousValue(), w.expiredValue());
    }

    private StoreEntry readWithAccess(byte[] kb) {
        if (expiry.isPure()) {
            return store.get(kb, expiry.access());
        }
        final StoreEntry e = store.get(kb, null);
        if (e.isPresent()) {
            touchForAccess(kb, e.version());
        }
        return e;
    }

    private List<StoreEntry> readAllWithAccess(List<byte[]> keyBytes) {
        if (expiry.isPure()) {
            return store.getAll(keyBytes, expiry.access());
        }
        final List<StoreEntry> entries = store.getAll(keyBytes, null);
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).isPresent()) {
                touchForAccess(keyBytes.get(i), entries.get(i).version());
            }
        }
        return entries;
    }

    private void touchForAccess(byte[] kb, long version) {
        final Duration ttl = expiry.access();
        if (ttl != null) {
            store.touch(kb, version, ttl);
        }
    }

    /** Put whatever the state; one store call under a built-in policy, read + CAS otherwise. */
    private StoreWrite putBytes(byte[] kb, byte[] vb, boolean returnPrevious) {
        if (expiry.isPure()) {
            return store.put(kb, vb, expiry.creation(), expiry.update(), returnPrevious);
        }
        StoreEntry current = store.getForUpdate(kb);
        byte[] expiredValue = current.expiredValue();
        for (int attempt = 0; ; attempt++) {
            checkAttempts(attempt);
            final Duration ttl = current.isPresent() ? expiry.update() : expiry.creation();
            final StoreWrite w = store.compareAndSet(kb, current.version(), vb, ttl);
            if (w.expiredValue() != null) {
                expiredValue = w.expiredValue();
            }
            if (w.applied()) {
                return new StoreWrite(true, w.previousVersion(), w.previousValue(), w.version(), expiredValue);
            }
            current = stateOf(w);
        }
    }

    /** Stores the entries of a map (putAll, loadAll), writing through if asked. */
    private void putAllInternal(Map<? extends K, ? extends V> map, boolean replaceExisting, boolean useWriter) {
        final List<K> keys = new ArrayList<>(map.size());
        final List<V> values = new ArrayList<>(map.size());
        for (final Map.Entry<? extends K, ? extends V> e : map.entrySet()) {
            keys.add(Objects.requireNonNull(e.getKey(), "null key in putAll"));
            values.add(Objects.requireNonNull(e.getValue(), "null value in putAll"));
        }
        final List<byte[]> keyBytes = new ArrayList<>(keys.size());
        final List<byte[]> valueBytes = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            keyBytes.add(keyBytes(keys.get(i)));
            valueBytes.add(valueBytes(values.get(i)));
        }
        CacheWriterException failure = null;
        boolean[] skip = new boolean[keys.size()];
        if (useWriter && isWriteThrough() && !keys.isEmpty()) {
            final List<Cache.Entry<? extends K, ? extends V>> entries = new ArrayList<>(keys.size());
            final Map<Cache.Entry<? extends K, ? extends V>, Integer> index = new IdentityHashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                final Cache.Entry<K, V> entry = new RumEntry<>(keys.get(i), values.get(i));
                entries.add(entry);
                index.put(entry, i);
            }
            final Collection<Cache.Entry<? extends K, ? extends V>> remaining = new ArrayList<>(entries);
            try {
                Integrations.writeAll(writer, remaining);
            } catch (CacheWriterException e) {
                failure = e;
                // Entries the writer did not write are not stored, so cache and store agree.
                for (final Cache.Entry<? extends K, ? extends V> entry : remaining) {
                    final Integer i = index.get(entry);
                    if (i != null) {
                        skip[i] = true;
                    }
                }
            }
        }
        long stored = 0;
        if (replaceExisting && expiry.isPure()) {
            final List<PutRequest> requests = new ArrayList<>(keys.size());
            final List<Integer> positions = new ArrayList<>(keys.size());
            final Duration createTtl = expiry.creation();
            final Duration updateTtl = expiry.update();
            for (int i = 0; i < keys.size(); i++) {
                if (!skip[i]) {
                    requests.add(new PutRequest(keyBytes.get(i), valueBytes.get(i), createTtl, updateTtl));
                    positions.add(i);
                }
            }
            final List<StoreWrite> results = store.putAll(requests, events.hasListener(EventType.UPDATED));
            for (int j = 0; j < results.size(); j++) {
                final int i = positions.get(j);
                final StoreWrite w = results.get(j);
                publishPut(keys.get(i), values.get(i), w);
                if (w.version() != EntryStore.NO_VERSION) {
                    stored++;
                }
            }
        } else {
            for (int i = 0; i < keys.size(); i++) {
                if (skip[i]) {
                    continue;
                }
                final StoreWrite w = replaceExisting
                    ? putBytes(keyBytes.get(i), valueBytes.get(i), events.hasListener(EventType.UPDATED))
                    : putIfAbsentBytes(keys.get(i), keyBytes.get(i), valueBytes.get(i));
                if (w == null) {
                    continue;
                }
                publishPut(keys.get(i), values.get(i), w);
                if (w.version() != EntryStore.NO_VERSION) {
                    stored++;
                }
            }
        }
        statistics.recordPuts(stored);
        if (failure != null) {
            throw failure;
        }
    }

    /** putIfAbsent without write-through; null if present (nothing to publish). */
    private StoreWrite putIfAbsentBytes(K key, byte[] kb, byte[] vb) {
        if (expiry.isPure()) {
            final StoreWrite w = store.putIfAbsent(kb, vb, expiry.creation());
            return w.applied() ? w : null;
        }
        final StoreEntry current = store.getForUpdate(kb);
        expired(key, current.expiredValue());
        if (current.isPresent()) {
            return null;
        }
        final StoreWrite w = store.compareAndSet(kb, EntryStore.NO_VERSION, vb, expiry.creation());
        return w.applied() ? w : null;
    }

    /** Read-through for get: load, store if still absent, return what was loaded. */
    private V loadAndStore(K key, byte[] kb) {
        final V value = Integrations.load(loader, key);
        if (value != null) {
            storeLoaded(key, kb, value);
        }
        return value;
    }

    /** Stores a value the loader supplied, if the key is still absent; counted as a put, like loadAll. */
    private void storeLoaded(K key, byte[] kb, V value) {
        final StoreWrite w = store.compareAndSet(kb, EntryStore.NO_VERSION, valueBytes(value), expiry.creation());
        if (w.applied()) {
            expired(key, w.expiredValue());
            if (w.version() != EntryStore.NO_VERSION) {
                created(key, value);
                statistics.recordPuts(1);
            }
        }
    }

    private void publishPut(K key, V value, StoreWrite w) {
        final V previous = w.hadPrevious() && events.hasListener(EventType.UPDATED) ? decode(w.previousValue()) : null;
        publishPut(key, value, w, previous);
    }

    private void publishPut(K key, V value, StoreWrite w, V previous) {
        expired(key, w.expiredValue());
        if (w.hadPrevious()) {
            updated(key, value, previous);
        } else if (w.version() != EntryStore.NO_VERSION) {
            created(key, value);
        }
    }

    private void created(K key, V value) {
        if (events.hasListener(EventType.CREATED)) {
            events.publish(new RumCacheEntryEvent<>(this, EventType.CREATED, key, value, null, false));
        }
    }

    private void updated(K key, V value, V oldValue) {
        if (events.hasListener(EventType.UPDATED)) {
            events.publish(new RumCacheEntryEvent<>(this, EventType.UPDATED, key, value, oldValue, oldValue != null));
        }
    }

    private void removed(K key, byte[] oldValue) {
        if (events.hasListener(EventType.REMOVED)) {
            removedValue(key, decode(oldValue));
        }
    }

    private void removedValue(K key, V oldValue) {
        if (events.hasListener(EventType.REMOVED)) {
            events.publish(new RumCacheEntryEvent<>(this, EventType.REMOVED, key, oldValue, oldValue, oldValue != null));
        }
    }

    private void expired(K key, byte[] expiredValue) {
        if (expiredValue != null && events.hasListener(EventType.EXPIRED)) {
            final V old = decode(expiredValue);
            events.publish(new RumCacheEntryEvent<>(this, EventType.EXPIRED, key, old, old, true));
        }
    }
}
