package io.rum.heartbeat;

/**
 * The phi-accrual failure detector (Hayashibara et al., 2004) for one monitored node: instead of a yes/no
 * timeout it gives a suspicion level, phi = -log10(P(a heartbeat arrives later than now)), from the
 * distribution of the inter-arrival times it has seen, so the same threshold adapts to a fast or a jittery
 * network.
 *
 * <p>The distribution is taken as normal with the mean and standard deviation of the last {@code windowSize}
 * intervals, the standard deviation floored at {@code minStdDeviationNs} (a perfectly regular history would
 * otherwise make any delay look infinitely suspicious) and the mean raised by {@code acceptablePauseNs}, the
 * pause (GC, a paused VM, a burst of loss) that must never be taken for a failure. The tail probability uses
 * the logistic approximation of the normal CDF, as Akka does, which stays finite far into the tail.
 *
 * <p>Time is passed in. Single-threaded: the owner (a heartbeat agent) calls it from its own thread.
 */
public final class PhiAccrualFailureDetector
{
    private final long[] intervals;
    private final long minStdDeviationNs;
    private final long acceptablePauseNs;
    private final long firstIntervalNs;
    private int count;
    private int next;
    private long sum;
    private double sumOfSquares;
    private long lastArrivalNs;
    private boolean started;

    /**
     * @param windowSize        intervals remembered.
     * @param minStdDeviationNs floor of the standard deviation.
     * @param acceptablePauseNs pause that must not look like a failure.
     * @param firstIntervalNs   expected interval before any was measured (the heartbeat interval).
     */
    public PhiAccrualFailureDetector(
        final int windowSize, final long minStdDeviationNs, final long acceptablePauseNs, final long firstIntervalNs)
    {
        if (windowSize < 2 || minStdDeviationNs <= 0 || acceptablePauseNs < 0 || firstIntervalNs <= 0)
        {
            throw new IllegalArgumentException(
                "need windowSize >= 2, minStdDeviationNs > 0, acceptablePauseNs >= 0, firstIntervalNs > 0");
        }
        this.intervals = new long[windowSize];
        this.minStdDeviationNs = minStdDeviationNs;
        this.acceptablePauseNs = acceptablePauseNs;
        this.firstIntervalNs = firstIntervalNs;
    }

    /**
     * A heartbeat arrived.
     */
    public void heartbeat(final long nowNs)
    {
        if (!started)
        {
            started = true;
            // Seed the history with the expected interval, and its spread, so the first real gap is judged
            // against something plausible rather than nothing.
            add(firstIntervalNs - firstIntervalNs / 4);
            add(firstIntervalNs + firstIntervalNs / 4);
        }
        else
        {
            final long interval = nowNs - lastArrivalNs;
            if (interval > 0)
            {
                add(interval);
            }
        }
        lastArrivalNs = nowNs;
    }

    private void add(final long interval)
    {
        if (count == intervals.length)
        {
            final long old = intervals[next];
            sum -= old;
            sumOfSquares -= (double)old * old;
        }
        else
        {
            count++;
        }
        intervals[next] = interval;
        next = (next + 1) % intervals.length;
        sum += interval;
        sumOfSquares += (double)interval * interval;
    }

    /**
     * @return whether any heartbeat arrived yet.
     */
    public boolean isStarted()
    {
        return started;
    }

    public long lastArrivalNs()
    {
        return lastArrivalNs;
    }

    /**
     * @return the suspicion level now: 0 right after a heartbeat, growing without bound as silence lasts;
     * 0 before the first heartbeat (nothing to suspect yet).
     */
    public double phi(final long nowNs)
    {
        if (!started)
        {
            return 0.0;
        }
        final double mean = (double)sum / count + acceptablePauseNs;
        final double variance = Math.max(0.0, sumOfSquares / count - ((double)sum / count) * ((double)sum / count));
        final double stdDeviation = Math.max(Math.sqrt(variance), minStdDeviationNs);
        final double y = (nowNs - lastArrivalNs - mean) / stdDeviation;
        final double e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
        // P(later) = e / (1 + e) for y > 0, 1 - 1 / (1 + e) otherwise; written to keep precision in both tails.
        final double pLater = y > 0 ? e / (1.0 + e) : 1.0 - 1.0 / (1.0 + e);
        return pLater <= 0.0 ? Double.MAX_VALUE : -Math.log10(pLater);
    }
}
