package io.rum.jcache.copy;

/**
 * Turns keys and values into the bytes a store holds, and back: JCache's store-by-value.
 *
 * <p>Keys are compared by their bytes, so a serializer must be canonical for keys: equal keys must
 * give equal bytes (true of the built-ins; true of Java serialization for value-like classes
 * without hash-ordered or identity-dependent state). Implementations are thread-safe.
 */
public interface Serializer {
    /**
     * @throws javax.cache.CacheException (or a subclass) with the cause if the object cannot be
     *         serialized or its class is not allowed; nothing is stored then.
     */
    byte[] serialize(Object object);

    /**
     * @param classLoader the loader that resolves classes: the CacheManager's.
     * @throws javax.cache.CacheException with the cause if the bytes cannot be read back.
     */
    Object deserialize(byte[] bytes, ClassLoader classLoader);
}
