package io.rum.jcache.copy;

import java.io.Serial;
import javax.cache.CacheException;

/** A key or value could not be turned into bytes or back, or its class is not allowed. */
public final class SerializationFailedException extends CacheException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** @param message what failed; @param cause why. */
    public SerializationFailedException(String message, Throwable cause) {
        super(message, cause);
    }

    /** @param message what failed. */
    public SerializationFailedException(String message) {
        super(message);
    }
}
