package io.rum.jcache.management;

import java.util.concurrent.atomic.LongAdder;
import javax.cache.management.CacheStatisticsMXBean;

/**
 * The statistics of one cache, counted on the client (where the operations are decided), exposed
 * as the standard {@link CacheStatisticsMXBean}. Times are recorded in nanoseconds and reported,
 * as the spec says, as average microseconds.
 */
public final class RumCacheStatistics implements CacheStatisticsMXBean {
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder puts = new LongAdder();
    private final LongAdder removals = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder getTimeNs = new LongAdder();
    private final LongAdder putTimeNs = new LongAdder();
    private final LongAdder removeTimeNs = new LongAdder();
    private volatile boolean enabled;

    /** Whether counting is on: when off the record methods do nothing. */
    public boolean isEnabled() {
        return enabled;
    }

    /** Turns counting on or off. */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** Counts hits. */
    public void recordHits(long n) {
        if (enabled && n > 0) {
            hits.add(n);
        }
    }

    /** Counts misses. */
    public void recordMisses(long n) {
        if (enabled && n > 0) {
            misses.add(n);
        }
    }

    /** Counts puts. */
    public void recordPuts(long n) {
        if (enabled && n > 0) {
            puts.add(n);
        }
    }

    /** Counts removals. */
    public void recordRemovals(long n) {
        if (enabled && n > 0) {
            removals.add(n);
        }
    }

    /** Counts evictions. */
    public void recordEvictions(long n) {
        if (enabled && n > 0) {
            evictions.add(n);
        }
    }

    /** @return a start time for {@link #recordGetSince}, or 0 when statistics are off (no clock read). */
    public long startNs() {
        return enabled ? System.nanoTime() : 0;
    }

    /** Adds the time since {@code startNs} (from {@link #startNs}) to the time spent in gets. */
    public void recordGetSince(long startNs) {
        if (enabled && startNs != 0) {
            getTimeNs.add(System.nanoTime() - startNs);
        }
    }

    /** Adds to the time spent in gets. */
    public void recordGetTimeNs(long ns) {
        if (enabled) {
            getTimeNs.add(ns);
        }
    }

    /** Adds to the time spent in puts. */
    public void recordPutTimeNs(long ns) {
        if (enabled) {
            putTimeNs.add(ns);
        }
    }

    /** Adds to the time spent in removes. */
    public void recordRemoveTimeNs(long ns) {
        if (enabled) {
            removeTimeNs.add(ns);
        }
    }

    @Override
    public void clear() {
        hits.reset();
        misses.reset();
        puts.reset();
        removals.reset();
        evictions.reset();
        getTimeNs.reset();
        putTimeNs.reset();
        removeTimeNs.reset();
    }

    @Override
    public long getCacheHits() {
        return hits.sum();
    }

    @Override
    public float getCacheHitPercentage() {
        final long gets = getCacheGets();
        return gets == 0 ? 0f : getCacheHits() * 100f / gets;
    }

    @Override
    public long getCacheMisses() {
        return misses.sum();
    }

    @Override
    public float getCacheMissPercentage() {
        final long gets = getCacheGets();
        return gets == 0 ? 0f : getCacheMisses() * 100f / gets;
    }

    @Override
    public long getCacheGets() {
        return hits.sum() + misses.sum();
    }

    @Override
    public long getCachePuts() {
        return puts.sum();
    }

    @Override
    public long getCacheRemovals() {
        return removals.sum();
    }

    @Override
    public long getCacheEvictions() {
        return evictions.sum();
    }

    @Override
    public float getAverageGetTime() {
        return averageMicros(getTimeNs.sum(), getCacheGets());
    }

    @Override
    public float getAveragePutTime() {
        return averageMicros(putTimeNs.sum(), getCachePuts());
    }

    @Override
    public float getAverageRemoveTime() {
        return averageMicros(removeTimeNs.sum(), getCacheRemovals());
    }

    private static float averageMicros(long totalNs, long count) {
        return count == 0 ? 0f : (totalNs / 1_000f) / count;
    }
}
