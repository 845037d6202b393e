package io.rum.jcache.store;

import javax.cache.expiry.Duration;

/** One entry of {@link EntryStore#putAll}: the same arguments as {@link EntryStore#put}. */
public record PutRequest(byte[] key, byte[] value, Duration createTtl, Duration updateTtl) {
}
