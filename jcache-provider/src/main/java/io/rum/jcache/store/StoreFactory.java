package io.rum.jcache.store;

import java.net.URI;
import java.util.Properties;

/**
 * Creates the {@link EntryStore} of each cache of a CacheManager: the hook between the JCache
 * layer and where entries live.
 *
 * <p>The provider picks the factory when a CacheManager is created, from its URI and properties:
 * factories found by {@link java.util.ServiceLoader} are asked in turn ({@link #accepts}); if none
 * accepts, the in-process {@link LocalStoreFactory} is used, so the default URI needs no
 * configuration. The remote store (entries on slaves) plugs in here as another factory that
 * accepts URIs naming a cluster configuration.
 */
public interface StoreFactory extends AutoCloseable {
    /** Whether this factory serves a CacheManager with this URI and properties. */
    boolean accepts(URI uri, Properties properties);

    /** Opens the factory for one CacheManager (e.g. connects to slaves). */
    StoreFactory open(URI uri, Properties properties);

    /** The store for one cache; called once per cache creation. */
    EntryStore createStore(String cacheName);

    /** Drops a cache's entries everywhere (CacheManager.destroyCache). */
    void destroyStore(String cacheName);

    /** Closes what {@link #open} opened. */
    @Override
    void close();
}
