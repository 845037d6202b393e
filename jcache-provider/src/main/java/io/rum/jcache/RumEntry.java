package io.rum.jcache;

import javax.cache.Cache;

/** A key and value handed to users (iterators, writers). Values are copies: store-by-value. */
public final class RumEntry<K, V> implements Cache.Entry<K, V> {
    private final K key;
    private final V value;

    /** @param key the key; @param value the value. */
    public RumEntry(K key, V value) {
        this.key = key;
        this.value = value;
    }

    @Override
    public K getKey() {
        return key;
    }

    @Override
    public V getValue() {
        return value;
    }

    @Override
    public <T> T unwrap(Class<T> clazz) {
        if (clazz.isInstance(this)) {
            return clazz.cast(this);
        }
        throw new IllegalArgumentException("cannot unwrap a cache entry to " + clazz);
    }

    @Override
    public String toString() {
        return key + "=" + value;
    }
}
