// Not built: a single-file program for the JFR profile in docs/BENCHMARKS.md ("The largest gap, profiled").
// Run it as README.md in this folder says. It puts 1,024 values of the given size on the slaves of a machines.csv
// (hot tier off), then times one get at a time for 20 s (at most 200,000) and prints p50 and p99.
import java.net.URI;
import java.util.Arrays;
import java.util.Properties;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;

public class ProfileGet
{
    public static void main(final String[] args)
    {
        final Properties p = new Properties();
        p.setProperty("rum.machines", args[0]);
        p.setProperty("rum.hotTier.enabled", "false");
        final CacheManager manager = Caching.getCachingProvider("io.rum.jcache.RumCachingProvider")
            .getCacheManager(URI.create("rum:profile"), ProfileGet.class.getClassLoader(), p);
        final Cache<Integer, byte[]> cache = manager.createCache("profile",
            new MutableConfiguration<Integer, byte[]>().setTypes(Integer.class, byte[].class));
        final int size = Integer.parseInt(args[1]);
        for (int k = 0; k < 1024; k++)
        {
            cache.put(k, new byte[size]);
        }
        final long[] latency = new long[200_000];
        int n = 0;
        final long end = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < end && n < latency.length)
        {
            final long t = System.nanoTime();
            cache.get(n & 1023);
            latency[n++] = System.nanoTime() - t;
        }
        Arrays.sort(latency, 0, n);
        System.out.println(size + " B: " + n + " gets, p50 " + latency[n / 2] / 1000.0 + " us, p99 "
            + latency[n * 99 / 100] / 1000.0 + " us");
        manager.close();
    }
}
