package io.rum.jcache;

import io.rum.jcache.configuration.ConfigFile;
import io.rum.jcache.configuration.RumSettings;
import io.rum.jcache.remote.SlaveStoreFactory;
import io.rum.jcache.store.StoreFactory;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.WeakHashMap;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.configuration.OptionalFeature;
import javax.cache.spi.CachingProvider;

/**
 * The RUM JCache provider, found by {@code Caching.getCachingProvider()} through
 * {@code META-INF/services/javax.cache.spi.CachingProvider}.
 *
 * <p>{@link #getDefaultURI()} is the in-process mode: entries live on slaves embedded in this JVM,
 * nothing to configure. With the property {@code rum.machines} (or a URI naming a configuration
 * file that sets it) entries live on the slaves of that machines.csv. Which {@link StoreFactory}
 * serves a CacheManager is decided when it is created: the property {@value RumSettings#STORE_FACTORY}
 * names one, else the first factory found by {@link ServiceLoader} that accepts the URI and
 * properties, else the slaves' one ({@link SlaveStoreFactory}).
 */
public final class RumCachingProvider implements CachingProvider {
    /** The default URI: in-process mode. */
    public static final URI DEFAULT_URI = URI.create("rum:in-process");

    private final Map<ClassLoader, Map<URI, RumCacheManager>> managers = new WeakHashMap<>();

    @Override
    public CacheManager getCacheManager(URI uri, ClassLoader classLoader, Properties properties) {
        final URI u = uri == null ? getDefaultURI() : uri;
        final ClassLoader loader = classLoader == null ? getDefaultClassLoader() : classLoader;
        final Properties props = properties == null ? new Properties() : properties;
        synchronized (managers) {
            final Map<URI, RumCacheManager> byUri = managers.computeIfAbsent(loader, l -> new HashMap<>());
            RumCacheManager manager = byUri.get(u);
            if (manager == null || manager.isClosed()) {
                final Path file = ConfigFile.pathOf(u);
                final ConfigFile config = file == null ? null : ConfigFile.read(file);
                final Properties effective = config == null ? props : config.merge(props);
                manager = new RumCacheManager(this, u, loader, effective, storeFactory(u, effective, loader));
                if (config != null) {
                    declareCaches(manager, config, loader);
                }
                byUri.put(u, manager);
            }
            return manager;
        }
    }

    /** Creates the caches a configuration file declares; a mistake closes the manager and names the line. */
    private static void declareCaches(RumCacheManager manager, ConfigFile config, ClassLoader loader) {
        try {
            for (final String name : config.cacheNames()) {
                try {
                    manager.createCache(name, config.cacheConfiguration(name, loader));
                } catch (CacheException e) {
                    if (e.getMessage() != null && e.getMessage().startsWith(config.path().toString())) {
                        throw e;
                    }
                    throw new CacheException(config.path() + ":" + config.lineOf(name) + ": cache " + name
                        + " cannot be created: " + e.getMessage(), e);
                }
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private StoreFactory storeFactory(URI uri, Properties properties, ClassLoader loader) {
        final String named = RumSettings.from(properties).storeFactory();
        if (named != null && !named.isBlank()) {
            try {
                final Class<?> c = Class.forName(named.strip(), true, loader);
                final StoreFactory f = (StoreFactory) c.getDeclaredConstructor().newInstance();
                return f.open(uri, properties);
            } catch (ReflectiveOperationException | ClassCastException e) {
                throw new CacheException("cannot create the store factory " + named, e);
            }
        }
        for (final StoreFactory f : ServiceLoader.load(StoreFactory.class, loader)) {
            if (f.accepts(uri, properties)) {
                return f.open(uri, properties);
            }
        }
        return new SlaveStoreFactory().open(uri, properties);
    }

    /** Forgets a closed manager. */
    void release(RumCacheManager manager) {
        synchronized (managers) {
            final Map<URI, RumCacheManager> byUri = managers.get(manager.getClassLoader());
            if (byUri != null) {
                byUri.remove(manager.getURI(), manager);
                if (byUri.isEmpty()) {
                    managers.remove(manager.getClassLoader());
                }
            }
        }
    }

    @Override
    public ClassLoader getDefaultClassLoader() {
        return getClass().getClassLoader();
    }

    @Override
    public URI getDefaultURI() {
        return DEFAULT_URI;
    }

    @Override
    public Properties getDefaultProperties() {
        return new Properties();
    }

    @Override
    public CacheManager getCacheManager(URI uri, ClassLoader classLoader) {
        return getCacheManager(uri, classLoader, getDefaultProperties());
    }

    @Override
    public CacheManager getCacheManager() {
        return getCacheManager(getDefaultURI(), getDefaultClassLoader());
    }

    @Override
    public void close() {
        final List<RumCacheManager> all = new ArrayList<>();
        synchronized (managers) {
            for (final Map<URI, RumCacheManager> byUri : managers.values()) {
                all.addAll(byUri.values());
            }
        }
        all.forEach(RumCacheManager::close);
    }

    @Override
    public void close(ClassLoader classLoader) {
        final ClassLoader loader = classLoader == null ? getDefaultClassLoader() : classLoader;
        final List<RumCacheManager> all = new ArrayList<>();
        synchronized (managers) {
            final Map<URI, RumCacheManager> byUri = managers.get(loader);
            if (byUri != null) {
                all.addAll(byUri.values());
            }
        }
        all.forEach(RumCacheManager::close);
    }

    @Override
    public void close(URI uri, ClassLoader classLoader) {
        final URI u = uri == null ? getDefaultURI() : uri;
        final ClassLoader loader = classLoader == null ? getDefaultClassLoader() : classLoader;
        RumCacheManager manager = null;
        synchronized (managers) {
            final Map<URI, RumCacheManager> byUri = managers.get(loader);
            if (byUri != null) {
                manager = byUri.get(u);
            }
        }
        if (manager != null) {
            manager.close();
        }
    }

    @Override
    public boolean isSupported(OptionalFeature optionalFeature) {
        return switch (optionalFeature) {
            case STORE_BY_REFERENCE -> false;
        };
    }
}
