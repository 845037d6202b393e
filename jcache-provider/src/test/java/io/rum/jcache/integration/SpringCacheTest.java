package io.rum.jcache.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.cache.jcache.JCacheCacheManager;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A Spring application's cache abstraction on RUM, configured the way Spring documents for any JSR-107
 * provider ({@link JCacheCacheManager} over a {@code javax.cache.CacheManager}), with its entries on slaves.
 */
class SpringCacheTest {
    /** The application's service: each computation is counted, so a cache hit shows as no new call. */
    public static class Prices {
        final AtomicInteger computed = new AtomicInteger();

        @Cacheable("prices")
        public String price(String item) {
            return item + " costs " + (10 + computed.incrementAndGet());
        }

        @CacheEvict("prices")
        public void repriced(String item) {
        }

        /** Through a method: the caller holds Spring's proxy, whose own fields are not the service's. */
        public int computed() {
            return computed.get();
        }
    }

    @Configuration
    @EnableCaching
    static class Application {
        @Bean(destroyMethod = "close")
        CacheManager jcache() {
            final Properties p = new Properties();
            final CacheManager manager = Caching.getCachingProvider().getCacheManager(URI.create("rum:spring"),
                SpringCacheTest.class.getClassLoader(), p);
            manager.createCache("prices", new MutableConfiguration<String, String>()
                .setTypes(String.class, String.class).setStatisticsEnabled(true));
            return manager;
        }

        @Bean
        org.springframework.cache.CacheManager cacheManager(CacheManager jcache) {
            final JCacheCacheManager spring = new JCacheCacheManager(jcache);
            spring.setAllowNullValues(false);
            return spring;
        }

        @Bean
        Prices prices() {
            return new Prices();
        }
    }

    @Test
    void springCachingRunsOnRumUnchanged() {
        try (AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext(Application.class)) {
            final Prices prices = context.getBean(Prices.class);
            assertEquals("tea costs 11", prices.price("tea"));
            assertEquals("tea costs 11", prices.price("tea"), "served from the cache");
            assertEquals(1, prices.computed());
            assertEquals("coffee costs 12", prices.price("coffee"));
            prices.repriced("tea");
            final String again = prices.price("tea");
            assertEquals("tea costs 13", again, "evicted, so computed again");
            final CacheManager jcache = context.getBean(CacheManager.class);
            assertEquals("coffee costs 12", jcache.getCache("prices", String.class, String.class).get("coffee"),
                "the entry lives in the JCache cache on the slaves");
        }
    }
}
