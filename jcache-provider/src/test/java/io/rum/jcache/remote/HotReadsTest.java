package io.rum.jcache.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.URI;
import java.util.Properties;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.Test;

/**
 * Reads served from the hot tier as objects (immutable keys and values) never outlive a change this client made:
 * the regression of a race in which a removal was marked only by Caffeine's removal listener, which may run
 * after the removal, so the next read could still be served the removed value.
 */
class HotReadsTest {
    @Test
    void aRemovedOrReplacedEntryIsNeverServedAgain() {
        final CacheManager manager = Caching.getCachingProvider().getCacheManager(URI.create("rum:hot-reads"),
            getClass().getClassLoader(), new Properties());
        try {
            final Cache<String, String> cache = manager.createCache("hot-reads",
                new MutableConfiguration<String, String>().setTypes(String.class, String.class));
            for (int i = 0; i < 20_000; i++) {
                final String key = "k" + (i % 7);
                assertNull(cache.get(key), "round " + i + ", before the put");
                cache.put(key, "v" + i);
                assertEquals("v" + i, cache.get(key), "round " + i);
                assertEquals("v" + i, cache.get(key), "round " + i + ", as an object");
                cache.put(key, "w" + i);
                assertEquals("w" + i, cache.get(key), "round " + i + ", after a replace");
                cache.put("other" + (i % 5), "x");
                cache.remove(key);
                assertNull(cache.get(key), "round " + i + ", after the remove");
            }
        } finally {
            manager.close();
        }
    }
}
