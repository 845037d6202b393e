package io.rum.jcache.configuration;

import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Where a CacheManager's entries live and how it reaches them, read once from its properties (falling back to
 * JVM system properties of the same name, then to defaults).
 *
 * <ul>
 * <li>{@value #MACHINES}: path of a {@code machines.csv}: entries live on its slaves (remote mode). Unset: the
 *     provider starts {@value #EMBEDDED_SLAVES} slaves in this JVM (embedded mode, the default URI).</li>
 * <li>{@value #TRANSPORT}: {@code udp} (default), {@code dpdk} or {@code auto}, for remote mode.</li>
 * <li>{@value #TIMEOUT}: how long one cache operation may take, failovers included, before it fails with a
 *     {@code CacheException} (default 2 s).</li>
 * <li>{@value #ATTEMPT_TIMEOUT}: how long one slave may stay silent before it is taken as down for this
 *     operation and the next owner is tried (default 500 ms).</li>
 * <li>{@value #EMBEDDED_SLAVES}, {@value #EMBEDDED_MEMORY}: embedded mode's slave count (default 2) and memory
 *     budget per slave (default 512m; committed only as used).</li>
 * </ul>
 * Durations take a unit ({@code 250ms}, {@code 2s}, {@code 1m}); sizes {@code k}, {@code m}, {@code g}.
 */
public record ClusterSettings(String machines, String transport, long timeoutNs, long attemptTimeoutNs,
                              int embeddedSlaves, long embeddedMemoryBytes) {
    public static final String MACHINES = "rum.machines";
    public static final String TRANSPORT = "rum.transport";
    public static final String TIMEOUT = "rum.timeout";
    public static final String ATTEMPT_TIMEOUT = "rum.attemptTimeout";
    public static final String EMBEDDED_SLAVES = "rum.embedded.slaves";
    public static final String EMBEDDED_MEMORY = "rum.embedded.memory";

    public ClusterSettings {
        if (attemptTimeoutNs > timeoutNs) {
            attemptTimeoutNs = timeoutNs;
        }
    }

    /** Reads the settings; a bad value fails here with the property named. */
    public static ClusterSettings from(Properties properties) {
        return new ClusterSettings(
            Settings.text(properties, MACHINES),
            Settings.text(properties, TRANSPORT) == null ? "udp" : Settings.text(properties, TRANSPORT).strip(),
            Settings.durationNs(properties, TIMEOUT, TimeUnit.SECONDS.toNanos(2)),
            Settings.durationNs(properties, ATTEMPT_TIMEOUT, TimeUnit.MILLISECONDS.toNanos(500)),
            (int) Settings.positiveLong(properties, EMBEDDED_SLAVES, 2, 64),
            Settings.sizeBytes(properties, EMBEDDED_MEMORY, 512L << 20));
    }

    /** @return whether entries live on the slaves of a machines.csv rather than in this JVM. */
    public boolean isRemote() {
        return machines != null && !machines.isBlank();
    }

    /** Settings helpers shared by the provider's settings records. */
    static final class Settings {
        private Settings() {
        }

        static String text(Properties properties, String name) {
            final String v = properties == null ? null : properties.getProperty(name);
            return v != null ? v : System.getProperty(name);
        }

        static long positiveLong(Properties properties, String name, long dflt, long max) {
            final String v = text(properties, name);
            if (v == null || v.isBlank()) {
                return dflt;
            }
            try {
                final long n = Long.parseLong(v.strip());
                if (n <= 0 || n > max) {
                    throw new IllegalArgumentException(name + " must be 1.." + max + ": " + v);
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " is not a number: " + v, e);
            }
        }

        static boolean bool(Properties properties, String name, boolean dflt) {
            final String v = text(properties, name);
            if (v == null || v.isBlank()) {
                return dflt;
            }
            return switch (v.strip().toLowerCase(Locale.ROOT)) {
                case "true", "on", "yes" -> true;
                case "false", "off", "no" -> false;
                default -> throw new IllegalArgumentException(name + " must be true or false: " + v);
            };
        }

        static long durationNs(Properties properties, String name, long dfltNs) {
            final String v = text(properties, name);
            if (v == null || v.isBlank()) {
                return dfltNs;
            }
            final long ns = parseDurationNs(v);
            if (ns <= 0) {
                throw new IllegalArgumentException(name + " must be a positive duration such as 500ms or 2s: " + v);
            }
            return ns;
        }

        /** @return nanoseconds of {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h}; -1 if malformed. */
        static long parseDurationNs(String text) {
            final String[] parts = amountAndUnit(text);
            if (parts == null) {
                return -1;
            }
            final TimeUnit unit = switch (parts[1]) {
                case "ns" -> TimeUnit.NANOSECONDS;
                case "us" -> TimeUnit.MICROSECONDS;
                case "ms" -> TimeUnit.MILLISECONDS;
                case "s" -> TimeUnit.SECONDS;
                case "m", "min" -> TimeUnit.MINUTES;
                case "h" -> TimeUnit.HOURS;
                case "d" -> TimeUnit.DAYS;
                default -> null;
            };
            return unit == null ? -1 : unit.toNanos(Long.parseLong(parts[0]));
        }

        static long sizeBytes(Properties properties, String name, long dflt) {
            final String v = text(properties, name);
            if (v == null || v.isBlank()) {
                return dflt;
            }
            final long bytes = parseSize(v);
            if (bytes <= 0) {
                throw new IllegalArgumentException(name + " must be a size such as 64m or 2g: " + v);
            }
            return bytes;
        }

        /** @return bytes of {@code 4096}, {@code 64k}, {@code 512m}, {@code 2g}; -1 if malformed. */
        static long parseSize(String text) {
            final String[] parts = amountAndUnit(text);
            if (parts == null) {
                return -1;
            }
            final int shift = switch (parts[1]) {
                case "", "b" -> 0;
                case "k", "kb", "kib" -> 10;
                case "m", "mb", "mib" -> 20;
                case "g", "gb", "gib" -> 30;
                default -> -1;
            };
            final long amount = Long.parseLong(parts[0]);
            return shift < 0 || amount > (Long.MAX_VALUE >> shift) ? -1 : amount << shift;
        }

        /** @return the digits and the (lower-case, trimmed) unit after them, or null if there are no digits. */
        private static String[] amountAndUnit(String text) {
            final String t = text.strip().toLowerCase(Locale.ROOT);
            final int split = unitStart(t);
            if (split <= 0 || split > 18) {
                return null; // no number, or one that may not fit a long
            }
            return new String[] {t.substring(0, split), t.substring(split).strip()};
        }

        private static int unitStart(String t) {
            int i = 0;
            while (i < t.length() && Character.isDigit(t.charAt(i))) {
                i++;
            }
            return i;
        }
    }
}
