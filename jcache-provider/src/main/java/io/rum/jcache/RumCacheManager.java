package io.rum.jcache;

import io.rum.jcache.configuration.RumSettings;
import io.rum.jcache.copy.ClassAllowList;
import io.rum.jcache.copy.RumSerializer;
import io.rum.jcache.copy.Serializer;
import io.rum.jcache.store.EntryStore;
import io.rum.jcache.store.StoreFactory;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.configuration.Configuration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.spi.CachingProvider;

/**
 * A JCache {@link CacheManager}: a named set of caches that share a {@link StoreFactory} (where
 * their entries live), a class loader (which deserializes their keys and values) and settings.
 */
public final class RumCacheManager implements CacheManager {
    private static final Logger LOG = System.getLogger(RumCacheManager.class.getName());

    private final RumCachingProvider provider;
    private final URI uri;
    private final ClassLoader classLoader;
    private final Properties properties;
    private final RumSettings settings;
    private final StoreFactory stores;
    private final ThreadPoolExecutor loadExecutor;
    private final ConcurrentHashMap<String, RumCache<?, ?>> caches = new ConcurrentHashMap<>();
    private volatile boolean closed;

    RumCacheManager(RumCachingProvider provider, URI uri, ClassLoader classLoader, Properties properties,
                    StoreFactory stores) {
        this.provider = provider;
        this.uri = uri;
        this.classLoader = classLoader;
        this.properties = properties;
        this.settings = RumSettings.from(properties);
        this.stores = stores;
        // loadAll runs here: bounded threads and queue; threads die when idle.
        this.loadExecutor = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1024), r -> {
            final Thread t = new Thread(r, "rum-jcache-loader-" + uri);
            t.setDaemon(true);
            return t;
        });
        this.loadExecutor.allowCoreThreadTimeOut(true);
    }

    @Override
    public CachingProvider getCachingProvider() {
        return provider;
    }

    @Override
    public URI getURI() {
        return uri;
    }

    @Override
    public ClassLoader getClassLoader() {
        return classLoader;
    }

    @Override
    public Properties getProperties() {
        return properties;
    }

    @Override
    public <K, V, C extends Configuration<K, V>> Cache<K, V> createCache(String cacheName, C configuration) {
        requireOpen();
        Objects.requireNonNull(cacheName, "cacheName");
        Objects.requireNonNull(configuration, "configuration");
        if (!configuration.isStoreByValue()) {
            throw new UnsupportedOperationException("RUM stores by value only: entries live on slaves as bytes "
                + "(CachingProvider.isSupported(STORE_BY_REFERENCE) is false)");
        }
        final CompleteConfiguration<K, V> complete = configuration instanceof CompleteConfiguration<K, V> c
            ? c
            : new MutableConfiguration<K, V>().setTypes(configuration.getKeyType(), configuration.getValueType());
        synchronized (caches) {
            if (caches.containsKey(cacheName)) {
                throw new CacheException("a cache named " + cacheName + " already exists in " + uri);
            }
            final RumCache<K, V> cache = newCache(cacheName, complete);
            caches.put(cacheName, cache);
            return cache;
        }
    }

    private <K, V> RumCache<K, V> newCache(String cacheName, CompleteConfiguration<K, V> configuration) {
        final Serializer serializer = new RumSerializer(ClassAllowList.parse(settings.serializationAllow(),
            List.of(configuration.getKeyType(), configuration.getValueType())));
        final EntryStore store = stores.createStore(cacheName);
        try {
            return new RumCache<>(this, cacheName, configuration, store, serializer, settings, loadExecutor);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    @Override
    public <K, V> Cache<K, V> getCache(String cacheName, Class<K> keyType, Class<V> valueType) {
        requireOpen();
        Objects.requireNonNull(cacheName, "cacheName");
        Objects.requireNonNull(keyType, "keyType");
        Objects.requireNonNull(valueType, "valueType");
        final RumCache<?, ?> cache = caches.get(cacheName);
        if (cache == null) {
            return null;
        }
        final CompleteConfiguration<?, ?> c = cache.currentConfiguration();
        if (!keyType.equals(c.getKeyType()) || !valueType.equals(c.getValueType())) {
            throw new ClassCastException("cache " + cacheName + " holds " + c.getKeyType().getName() + " -> "
                + c.getValueType().getName() + ", not " + keyType.getName() + " -> " + valueType.getName());
        }
        return typed(cache);
    }

    @Override
    public <K, V> Cache<K, V> getCache(String cacheName) {
        requireOpen();
        Objects.requireNonNull(cacheName, "cacheName");
        final RumCache<?, ?> cache = caches.get(cacheName);
        return cache == null ? null : typed(cache);
    }

    @SuppressWarnings("unchecked") // JSR-107 getCache(name) is unchecked by contract: the caller names the types
    private static <K, V> Cache<K, V> typed(RumCache<?, ?> cache) {
        return (Cache<K, V>) cache;
    }

    @Override
    public Iterable<String> getCacheNames() {
        requireOpen();
        return Collections.unmodifiableSet(new LinkedHashSet<>(caches.keySet()));
    }

    @Override
    public void destroyCache(String cacheName) {
        requireOpen();
        Objects.requireNonNull(cacheName, "cacheName");
        final RumCache<?, ?> cache = caches.get(cacheName);
        if (cache != null) {
            cache.clear();
            cache.close();
        }
        stores.destroyStore(cacheName);
    }

    @Override
    public void enableManagement(String cacheName, boolean enabled) {
        requireOpen();
        Objects.requireNonNull(cacheName, "cacheName");
        final RumCache<?, ?> cache = caches.get(cacheName);
        if (cache != null) {
            cache.setManagementEnabled(enabled);
        }
    }

    @Override
    public void enableStatistics(String cacheName, boolean enabled) {
        requireOpen();
        Objects.requireNonNull(cacheName, "cacheName");
        final RumCache<?, ?> cache = caches.get(cacheName);
        if (cache != null) {
            cache.setStatisticsEnabled(enabled);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        provider.release(this);
        for (final RumCache<?, ?> cache : new ArrayList<>(caches.values())) {
            try {
                cache.close();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "closing cache " + cache.getName() + " failed", e);
            }
        }
        caches.clear();
        loadExecutor.shutdown();
        stores.close();
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
        if (clazz.isInstance(stores)) {
            return clazz.cast(stores);
        }
        throw new IllegalArgumentException("cannot unwrap the CacheManager " + uri + " to " + clazz.getName());
    }

    /** Forgets a closed cache, so its name can be created again. */
    void release(String cacheName, RumCache<?, ?> cache) {
        caches.remove(cacheName, cache);
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("CacheManager " + uri + " is closed");
        }
    }

    @Override
    public String toString() {
        return "RumCacheManager[" + uri + "]";
    }
}
