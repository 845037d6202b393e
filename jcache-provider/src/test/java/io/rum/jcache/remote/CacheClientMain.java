package io.rum.jcache.remote;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLongArray;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;

/**
 * The second client JVM of the cross-JVM tests, driven by commands on standard input, one per line, answered on
 * standard output:
 * <pre>
 * inc N THREADS   N invoke increments of keys 0..9 (key i % 10) on THREADS threads; answers "inc-done c0,...,c9"
 * watch KEY       reads KEY in a loop; prints "seen VALUE NANOTIME" whenever the value changes; "unwatch" stops
 * get KEY         answers "value V"
 * exit
 * </pre>
 * Arguments: machines.csv, cache name, hot tier true|false.
 */
public final class CacheClientMain {
    private CacheClientMain() {
    }

    public static void main(String[] args) throws Exception {
        final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        final Properties p = new Properties();
        p.setProperty("rum.machines", args[0]);
        p.setProperty("rum.hotTier.enabled", args[2]);
        final CacheManager manager = Caching.getCachingProvider().getCacheManager(URI.create("rum:child-" + args[2]),
            CacheClientMain.class.getClassLoader(), p);
        final Cache<Integer, Integer> cache = manager.createCache(args[1],
            new MutableConfiguration<Integer, Integer>().setTypes(Integer.class, Integer.class));
        out.println("ready");
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Thread watcher = null;
        final boolean[] watching = new boolean[1];
        String line;
        while ((line = in.readLine()) != null) {
            final String[] cmd = line.strip().split(" ");
            switch (cmd[0]) {
                case "inc" -> out.println("inc-done " + increment(cache, Integer.parseInt(cmd[1]), Integer.parseInt(cmd[2])));
                case "get" -> out.println("value " + cache.get(Integer.parseInt(cmd[1])));
                case "watch" -> {
                    final int key = Integer.parseInt(cmd[1]);
                    watching[0] = true;
                    final Integer first = cache.get(key); // before answering: a later change must be reported
                    watcher = Thread.ofPlatform().name("watch").start(() -> {
                        Integer last = first;
                        while (watching[0]) {
                            final Integer now = cache.get(key);
                            if (now != null && !now.equals(last)) {
                                out.println("seen " + now + " " + System.nanoTime());
                                last = now;
                            }
                            java.util.concurrent.locks.LockSupport.parkNanos(100_000); // 0.1 ms: a hot read costs far less
                        }
                    });
                    out.println("watching");
                }
                case "unwatch" -> {
                    watching[0] = false;
                    if (watcher != null) {
                        watcher.join();
                    }
                    out.println("unwatched");
                }
                case "exit" -> {
                    manager.close();
                    out.println("bye");
                    return;
                }
                default -> out.println("unknown " + line);
            }
        }
        manager.close();
    }

    /** @return how many increments each key got, comma-separated. */
    static String increment(Cache<Integer, Integer> cache, int n, int threads) throws InterruptedException {
        final AtomicLongArray perKey = new AtomicLongArray(10);
        final List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int first = t;
            workers.add(Thread.ofPlatform().name("inc-" + t).start(() -> {
                for (int i = first; i < n; i += threads) {
                    final int key = i % 10;
                    cache.invoke(key, (entry, a) -> {
                        entry.setValue(entry.exists() ? entry.getValue() + 1 : 1);
                        return null;
                    });
                    perKey.incrementAndGet(key);
                }
            }));
        }
        for (final Thread w : workers) {
            w.join();
        }
        final StringBuilder sb = new StringBuilder();
        for (int k = 0; k < 10; k++) {
            sb.append(k == 0 ? "" : ",").append(perKey.get(k));
        }
        return sb.toString();
    }
}
