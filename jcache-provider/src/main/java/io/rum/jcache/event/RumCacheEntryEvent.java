package io.rum.jcache.event;

import java.io.Serial;
import javax.cache.Cache;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.EventType;

/** One entry event. For REMOVED and EXPIRED events the value and the old value are the value that went away. */
public final class RumCacheEntryEvent<K, V> extends CacheEntryEvent<K, V> {
    @Serial
    private static final long serialVersionUID = 1L;

    // Events are delivered in-process; like EventObject's source they are not meant to travel.
    private final transient K key;
    private final transient V value;
    private final transient V oldValue;
    private final boolean oldValueAvailable;

    /**
     * @param oldValueAvailable whether {@code oldValue} is meaningful (an update or a removal).
     */
    public RumCacheEntryEvent(Cache<K, V> source, EventType type, K key, V value, V oldValue, boolean oldValueAvailable) {
        super(source, type);
        this.key = key;
        this.value = value;
        this.oldValue = oldValue;
        this.oldValueAvailable = oldValueAvailable;
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
    public V getOldValue() {
        return oldValue;
    }

    @Override
    public boolean isOldValueAvailable() {
        return oldValueAvailable;
    }

    @Override
    public <T> T unwrap(Class<T> clazz) {
        if (clazz.isInstance(this)) {
            return clazz.cast(this);
        }
        throw new IllegalArgumentException("cannot unwrap a cache entry event to " + clazz);
    }

    @Override
    public String toString() {
        return "RumCacheEntryEvent[" + getEventType() + " " + key + "=" + value + " (old " + oldValue + ")]";
    }
}
