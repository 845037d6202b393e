package io.rum.jcache.processor;

import java.util.Objects;
import java.util.function.Function;
import javax.cache.processor.MutableEntry;

/**
 * The entry an {@link javax.cache.processor.EntryProcessor} sees: a local snapshot of the stored
 * entry (read with its version), on which the processor's calls are recorded. Nothing reaches the
 * store while the processor runs; afterwards the cache turns {@link #operation()} into one
 * conditional write on the version read, and runs the processor again on a fresh snapshot if
 * another writer got there first.
 */
public final class RumMutableEntry<K, V> implements MutableEntry<K, V> {
    /** What the processor did, as the store must apply it. */
    public enum Operation {
        /** Nothing observable. */
        NONE,
        /** Read an existing value: the access expiry applies. */
        ACCESS,
        /** Read a value that the loader supplied: store it (no write-through). */
        LOAD,
        /** Set a value on an absent entry. */
        CREATE,
        /** Set a value on an existing entry. */
        UPDATE,
        /** Removed the entry. */
        REMOVE
    }

    private final K key;
    private final boolean existed;
    private final Function<K, V> loader;
    private V value;
    private boolean exists;
    private boolean loadTried;
    private Operation operation = Operation.NONE;

    /**
     * @param value  the current value, or null if absent.
     * @param loader the read-through loader, or null if read-through is off.
     */
    public RumMutableEntry(K key, V value, Function<K, V> loader) {
        this.key = key;
        this.value = value;
        this.existed = value != null;
        this.exists = existed;
        this.loader = loader;
    }

    @Override
    public K getKey() {
        return key;
    }

    @Override
    public V getValue() {
        if (!exists && loader != null && !loadTried && operation == Operation.NONE) {
            loadTried = true;
            final V loaded = loader.apply(key);
            if (loaded != null) {
                value = loaded;
                exists = true;
                operation = Operation.LOAD;
            }
        } else if (exists && operation == Operation.NONE) {
            operation = Operation.ACCESS;
        }
        return exists ? value : null;
    }

    @Override
    public boolean exists() {
        return exists;
    }

    @Override
    public void remove() {
        operation = operation == Operation.CREATE || operation == Operation.LOAD ? Operation.NONE : Operation.REMOVE;
        exists = false;
        value = null;
    }

    @Override
    public void setValue(V newValue) {
        Objects.requireNonNull(newValue, "value");
        value = newValue;
        exists = true;
        operation = existed ? Operation.UPDATE : Operation.CREATE;
    }

    @Override
    public <T> T unwrap(Class<T> clazz) {
        if (clazz.isInstance(this)) {
            return clazz.cast(this);
        }
        throw new IllegalArgumentException("cannot unwrap a mutable entry to " + clazz);
    }

    /** What to apply to the store. */
    public Operation operation() {
        return operation;
    }

    /** Whether the entry existed in the store when read. */
    public boolean existed() {
        return existed;
    }

    /** The value to store for CREATE, UPDATE and LOAD. */
    public V value() {
        return value;
    }
}
