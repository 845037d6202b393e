package io.rum.jcache.store;

/**
 * Implemented by a store with a local hot tier that can also keep decoded immutable objects: a read of an
 * immutable key (String, a boxed primitive) whose immutable value was decoded before is answered with that same
 * value object, with no serialization, hashing of bytes or decoding, as Caffeine's JCache adapter does for such
 * types. Store-by-value is kept: the objects cannot be changed by anyone.
 */
public interface HotObjects {
    /** @return the value object kept for this key object, if its entry is still in the hot tier; else null. */
    Object hotValue(Object key);

    /**
     * Called after a read of {@code keyBytes} (the serialized {@code key}) returned bytes that decoded to
     * {@code value}; both objects are immutable.
     */
    void rememberDecoded(Object key, byte[] keyBytes, Object value);

    /** @return whether objects of this class cannot change, so one instance may be handed to every reader. */
    static boolean isImmutable(Object o) {
        return o instanceof String || o instanceof Integer || o instanceof Long || o instanceof Short
            || o instanceof Byte || o instanceof Character || o instanceof Boolean || o instanceof Float
            || o instanceof Double;
    }
}
