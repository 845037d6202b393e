package io.rum.jcache.integration;

import java.util.Collection;
import java.util.Map;
import javax.cache.Cache;
import javax.cache.integration.CacheLoader;
import javax.cache.integration.CacheLoaderException;
import javax.cache.integration.CacheWriter;
import javax.cache.integration.CacheWriterException;

/**
 * Calls a cache's {@link CacheLoader} and {@link CacheWriter} with the exception contract of
 * JSR-107: whatever they throw reaches the caller as a {@link CacheLoaderException} or
 * {@link CacheWriterException} (as is if it already is one, wrapped otherwise).
 */
public final class Integrations {
    private Integrations() {
    }

    /** Loads one key; null if the loader has no value. */
    public static <K, V> V load(CacheLoader<K, V> loader, K key) {
        try {
            return loader.load(key);
        } catch (CacheLoaderException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CacheLoaderException("CacheLoader.load failed for " + key, e);
        }
    }

    /** Loads many keys; the map may hold nulls, which mean "no value". */
    public static <K, V> Map<K, V> loadAll(CacheLoader<K, V> loader, Iterable<? extends K> keys) {
        try {
            final Map<K, V> loaded = loader.loadAll(keys);
            if (loaded == null) {
                throw new CacheLoaderException("CacheLoader.loadAll returned null");
            }
            return loaded;
        } catch (CacheLoaderException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CacheLoaderException("CacheLoader.loadAll failed", e);
        }
    }

    /** Writes one entry through. */
    public static <K, V> void write(CacheWriter<K, V> writer, Cache.Entry<K, V> entry) {
        try {
            writer.write(entry);
        } catch (CacheWriterException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CacheWriterException("CacheWriter.write failed for " + entry.getKey(), e);
        }
    }

    /** Writes entries through; the writer removes those it wrote from the collection. */
    public static <K, V> void writeAll(CacheWriter<K, V> writer,
                                       Collection<Cache.Entry<? extends K, ? extends V>> entries) {
        try {
            writer.writeAll(entries);
        } catch (CacheWriterException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CacheWriterException("CacheWriter.writeAll failed", e);
        }
    }

    /** Deletes one key through. */
    public static <K, V> void delete(CacheWriter<K, V> writer, K key) {
        try {
            writer.delete(key);
        } catch (CacheWriterException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CacheWriterException("CacheWriter.delete failed for " + key, e);
        }
    }

    /** Deletes keys through; the writer removes those it deleted from the collection. */
    public static <K, V> void deleteAll(CacheWriter<K, V> writer, Collection<?> keys) {
        try {
            writer.deleteAll(keys);
        } catch (CacheWriterException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CacheWriterException("CacheWriter.deleteAll failed", e);
        }
    }
}
