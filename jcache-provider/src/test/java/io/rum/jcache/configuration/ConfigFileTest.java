package io.rum.jcache.configuration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.expiry.Duration;
import javax.cache.expiry.ExpiryPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A CacheManager URI naming a configuration file: its settings, its caches, and every mistake by line. */
class ConfigFileTest {
    @TempDir
    Path dir;

    private Path write(String text) throws IOException {
        final Path file = dir.resolve("rum.conf");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void declaredCachesExistAsSoonAsTheManagerDoes() throws IOException {
        final Path file = write("""
            # embedded slaves (no rum.machines): the caches below are created with the manager
            rum.timeout = 3s
            rum.hotTier.maxEntries = 500
            cache.orders.keyType = java.lang.String
            cache.orders.valueType = java.lang.Integer
            cache.orders.expiry = created 10m     # trailing comment
            cache.orders.statistics = true
            cache.orders.hotTier.enabled = false
            cache.sessions.expiry = touched 30s
            """);
        final Properties overrides = new Properties();
        overrides.setProperty("rum.timeout", "5s");
        final CacheManager manager = Caching.getCachingProvider().getCacheManager(file.toUri(),
            getClass().getClassLoader(), overrides);
        try {
            final Cache<String, Integer> orders = manager.getCache("orders", String.class, Integer.class);
            assertNotNull(orders, "declared cache exists");
            @SuppressWarnings("unchecked")
            final CompleteConfiguration<String, Integer> c = orders.getConfiguration(CompleteConfiguration.class);
            assertTrue(c.isStatisticsEnabled());
            final ExpiryPolicy expiry = c.getExpiryPolicyFactory().create();
            assertEquals(new Duration(TimeUnit.MILLISECONDS, TimeUnit.MINUTES.toMillis(10)),
                expiry.getExpiryForCreation());
            orders.put("a", 1);
            assertEquals(1, orders.get("a"));
            assertNotNull(manager.getCache("sessions"), "a cache with only an expiry is declared too");
            assertEquals("5s", manager.getProperties().getProperty("rum.timeout"), "given properties override");
            assertEquals("500", manager.getProperties().getProperty("rum.hotTier.maxEntries"));
            assertEquals("false", manager.getProperties().getProperty("rum.cache.orders.hotTier.enabled"));
        } finally {
            manager.close();
        }
    }

    @Test
    void aRelativeMachinesPathIsRelativeToTheFile() throws IOException {
        final ConfigFile file = ConfigFile.read(write("rum.machines = cluster/machines.csv\n"));
        assertEquals(dir.resolve("cluster/machines.csv").toString(),
            file.merge(null).getProperty(ClusterSettings.MACHINES));
    }

    private void assertMistake(String text, String expected) throws IOException {
        final Path file = write(text);
        final CacheException e = assertThrows(CacheException.class,
            () -> Caching.getCachingProvider().getCacheManager(file.toUri(), getClass().getClassLoader()));
        assertTrue(e.getMessage().startsWith(file + ":" + expected), e.getMessage());
    }

    @Test
    void everyMistakeNamesItsLine() throws IOException {
        assertMistake("rum.timeout = 1s\n\nrum.tiemout 2s\n", "3: expected key = value");
        assertMistake("# c\nfoo.bar = 1\n", "2: unknown setting foo.bar");
        assertMistake("cache.orders.colour = red\n", "1: unknown cache setting cache.orders.colour");
        assertMistake("cache.a.expiry = created\n", "1: expiry must be eternal");
        assertMistake("cache.a.expiry = sometimes 5m\n", "1: expiry kind must be");
        assertMistake("cache.a.expiry = created 5 parsecs\n", "1: expiry must be eternal");
        assertMistake("cache.a.statistics = maybe\n", "1: expected true or false");
        assertMistake("rum.timeout = 1s\nrum.timeout = 2s\n", "2: rum.timeout is set twice (first on line 1)");
        assertMistake("\ncache.a.valueType = com.example.Missing\n", "2: cache a: valueType com.example.Missing");
        assertMistake("rum.timeout = soon\n", " rum.timeout must be a positive duration");
    }
}
