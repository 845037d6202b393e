package io.rum.jcache.configuration;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.cache.CacheException;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.expiry.AccessedExpiryPolicy;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.expiry.EternalExpiryPolicy;
import javax.cache.expiry.ModifiedExpiryPolicy;
import javax.cache.expiry.TouchedExpiryPolicy;

/**
 * A CacheManager's configuration file, named by its URI ({@code file:/etc/rum/orders.conf}): where the slaves
 * are, provider settings, and the caches that exist as soon as the manager does.
 *
 * <pre>
 * # settings: any rum.* property of the provider
 * rum.machines = machines.csv            # relative to this file's folder
 * rum.timeout = 2s
 * rum.hotTier.maxEntries = 100000
 *
 * # caches: cache.NAME.SETTING
 * cache.orders.keyType = java.lang.String
 * cache.orders.valueType = com.acme.Order
 * cache.orders.expiry = created 10m      # eternal | created D | accessed D | modified D | touched D
 * cache.orders.statistics = true
 * cache.orders.management = true
 * cache.orders.hotTier.enabled = false   # and maxEntries, maxBytes, ttl: per-cache hot tier settings
 * </pre>
 *
 * Lines are {@code key = value}; {@code #} starts a comment; blank lines are ignored. Every mistake (unknown
 * setting, bad value, duplicate key, missing {@code =}) fails with {@code file:line: what is wrong}. Properties
 * given to {@code getCacheManager} override the file's.
 */
public final class ConfigFile {
    private static final Set<String> CACHE_SETTINGS = Set.of("keyType", "valueType", "expiry", "statistics",
        "management", "hotTier.enabled", "hotTier.maxEntries", "hotTier.maxBytes", "hotTier.ttl");

    private final Path path;
    private final Properties properties;
    private final Map<String, Map<String, String>> caches;
    private final Map<String, Integer> cacheLines;

    private ConfigFile(Path path, Properties properties, Map<String, Map<String, String>> caches,
                       Map<String, Integer> cacheLines) {
        this.path = path;
        this.properties = properties;
        this.caches = caches;
        this.cacheLines = cacheLines;
    }

    /** @return the file a CacheManager URI names, or null if it names none (e.g. {@code rum:in-process}). */
    public static Path pathOf(URI uri) {
        if ("file".equalsIgnoreCase(uri.getScheme())) {
            return Path.of(uri);
        }
        return null;
    }

    /** Reads and checks a configuration file. */
    public static ConfigFile read(Path path) {
        final List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CacheException("cannot read the cache configuration " + path + ": " + e.getMessage(), e);
        }
        final Properties properties = new Properties();
        final Map<String, Map<String, String>> caches = new LinkedHashMap<>();
        final Map<String, Integer> cacheLines = new LinkedHashMap<>();
        final Map<String, Integer> seen = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            final int lineNo = i + 1;
            String line = lines.get(i);
            final int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            final int eq = line.indexOf('=');
            if (eq <= 0) {
                throw error(path, lineNo, "expected key = value, found \"" + line + "\"");
            }
            final String key = line.substring(0, eq).strip();
            final String value = line.substring(eq + 1).strip();
            if (seen.putIfAbsent(key, lineNo) != null) {
                throw error(path, lineNo, key + " is set twice (first on line " + seen.get(key) + ")");
            }
            if (key.startsWith("rum.")) {
                properties.setProperty(key, key.equals(ClusterSettings.MACHINES) ? resolve(path, value) : value);
            } else if (key.startsWith("cache.")) {
                final String rest = key.substring("cache.".length());
                final int dot = rest.indexOf('.');
                if (dot <= 0 || !CACHE_SETTINGS.contains(rest.substring(dot + 1))) {
                    throw error(path, lineNo, "unknown cache setting " + key + ": expected cache.NAME.SETTING with "
                        + "SETTING one of " + new java.util.TreeSet<>(CACHE_SETTINGS));
                }
                final String name = rest.substring(0, dot);
                final String setting = rest.substring(dot + 1);
                caches.computeIfAbsent(name, n -> new LinkedHashMap<>()).put(setting, value + "\u0000" + lineNo);
                cacheLines.putIfAbsent(name, lineNo);
                if (setting.startsWith("hotTier.")) {
                    properties.setProperty("rum.cache." + name + "." + setting, value);
                }
            } else {
                throw error(path, lineNo, "unknown setting " + key + ": expected rum.* or cache.NAME.SETTING");
            }
        }
        final ConfigFile file = new ConfigFile(path, properties, caches, cacheLines);
        file.checkValues();
        return file;
    }

    private static String resolve(Path file, String value) {
        final Path p = Path.of(value);
        return p.isAbsolute() ? value : file.toAbsolutePath().getParent().resolve(p).normalize().toString();
    }

    private static CacheException error(Path path, int line, String message) {
        return new CacheException(path + ":" + line + ": " + message);
    }

    /** Checks what can be checked without a class loader: settings' formats and expiry specs. */
    private void checkValues() {
        for (final String key : properties.stringPropertyNames()) {
            try {
                final Properties one = new Properties();
                one.setProperty(key, properties.getProperty(key));
                ClusterSettings.from(one);
                RumSettings.from(one);
                HotTierSettings.of(one, key.startsWith("rum.cache.") ? key.split("\\.")[2] : "x");
            } catch (RuntimeException e) {
                throw new CacheException(path + ": " + e.getMessage(), e);
            }
        }
        caches.forEach((name, settings) -> settings.forEach((setting, valueAndLine) -> {
            final String value = valueAndLine.substring(0, valueAndLine.indexOf('\u0000'));
            final int line = Integer.parseInt(valueAndLine.substring(valueAndLine.indexOf('\u0000') + 1));
            switch (setting) {
                case "expiry" -> expiry(value, line);
                case "statistics", "management" -> bool(value, line);
                default -> {
                }
            }
        }));
    }

    /** @return the file's settings, overridden by {@code overrides}. */
    public Properties merge(Properties overrides) {
        final Properties merged = new Properties();
        merged.putAll(properties);
        if (overrides != null) {
            merged.putAll(overrides);
        }
        return merged;
    }

    /** @return the declared caches' names, in file order. */
    public List<String> cacheNames() {
        return new ArrayList<>(caches.keySet());
    }

    /** @return the configuration of a declared cache; types are loaded with {@code loader}. */
    public MutableConfiguration<Object, Object> cacheConfiguration(String name, ClassLoader loader) {
        final Map<String, String> settings = caches.get(name);
        final MutableConfiguration<Object, Object> config = new MutableConfiguration<>();
        final Class<Object> keyType = type(settings, "keyType", loader, name);
        final Class<Object> valueType = type(settings, "valueType", loader, name);
        config.setTypes(keyType, valueType);
        settings.forEach((setting, valueAndLine) -> {
            final String value = valueAndLine.substring(0, valueAndLine.indexOf('\u0000'));
            final int line = Integer.parseInt(valueAndLine.substring(valueAndLine.indexOf('\u0000') + 1));
            switch (setting) {
                case "expiry" -> config.setExpiryPolicyFactory(expiry(value, line));
                case "statistics" -> config.setStatisticsEnabled(bool(value, line));
                case "management" -> config.setManagementEnabled(bool(value, line));
                default -> {
                }
            }
        });
        return config;
    }

    @SuppressWarnings("unchecked") // the declared type is what the cache holds; Object when not declared
    private Class<Object> type(Map<String, String> settings, String setting, ClassLoader loader, String cache) {
        final String valueAndLine = settings.get(setting);
        if (valueAndLine == null) {
            return Object.class;
        }
        final String value = valueAndLine.substring(0, valueAndLine.indexOf('\u0000'));
        final int line = Integer.parseInt(valueAndLine.substring(valueAndLine.indexOf('\u0000') + 1));
        try {
            return (Class<Object>) Class.forName(value, false, loader);
        } catch (ClassNotFoundException e) {
            throw error(path, line, "cache " + cache + ": " + setting + " " + value + " is not a class here");
        }
    }

    private boolean bool(String value, int line) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "on", "yes" -> true;
            case "false", "off", "no" -> false;
            default -> throw error(path, line, "expected true or false, found \"" + value + "\"");
        };
    }

    private javax.cache.configuration.Factory<javax.cache.expiry.ExpiryPolicy> expiry(String value, int line) {
        final String[] parts = value.strip().split("\\s+");
        if (parts.length == 1 && parts[0].equalsIgnoreCase("eternal")) {
            return EternalExpiryPolicy.factoryOf();
        }
        if (parts.length != 2) {
            throw error(path, line, "expiry must be eternal, or created|accessed|modified|touched and a duration "
                + "such as 10m, found \"" + value + "\"");
        }
        final long ns = ClusterSettings.Settings.parseDurationNs(parts[1]);
        if (ns <= 0) {
            throw error(path, line, "expiry duration must be positive with a unit (ms, s, m, h, d), found \"" + parts[1]
                + "\"");
        }
        final Duration d = new Duration(TimeUnit.MILLISECONDS, Math.max(1, TimeUnit.NANOSECONDS.toMillis(ns)));
        return switch (parts[0].toLowerCase(Locale.ROOT)) {
            case "created" -> CreatedExpiryPolicy.factoryOf(d);
            case "accessed" -> AccessedExpiryPolicy.factoryOf(d);
            case "modified" -> ModifiedExpiryPolicy.factoryOf(d);
            case "touched" -> TouchedExpiryPolicy.factoryOf(d);
            default -> throw error(path, line, "expiry kind must be created, accessed, modified or touched, found \""
                + parts[0] + "\"");
        };
    }

    /** @return the line on which a cache is first declared (for errors). */
    public int lineOf(String cache) {
        return cacheLines.getOrDefault(cache, 0);
    }

    public Path path() {
        return path;
    }
}
