package io.rum.allocator.protocol.cache;

/**
 * Expiry durations on the wire: durations, never instants, so the owning slave turns them into deadlines on
 * its own clock and client clock skew cannot matter.
 *
 * <pre>
 *   code       meaning
 *   -1         none: leave an existing entry's expiry unchanged (a new entry never expires)
 *   -2         eternal
 *    0         zero: expired at once (a new entry is not stored)
 *    n >= 1    n - 1 milliseconds (so a positive duration shorter than 1 ms, which JSR-107 allows,
 *              stays distinct from zero: it is stored with a deadline of now)
 * </pre>
 */
public final class CacheTtl
{
    public static final long UNCHANGED = -1;
    public static final long ETERNAL = -2;
    public static final long ZERO = 0;
    /** The deadline of an entry that never expires. */
    public static final long NEVER = Long.MAX_VALUE;

    private CacheTtl()
    {
    }

    /** @return the code of a finite, non-zero duration in milliseconds (saturating). */
    public static long ofMillis(final long millis)
    {
        if (millis < 0)
        {
            throw new IllegalArgumentException("negative duration: " + millis + " ms");
        }
        return millis == Long.MAX_VALUE ? ETERNAL : millis + 1;
    }

    /** @return whether the code is valid. */
    public static boolean isValid(final long code)
    {
        return code >= ETERNAL;
    }

    /**
     * @param nowMs the slave's clock.
     * @param code  a duration code other than {@link #UNCHANGED} (which callers resolve first).
     * @return the absolute deadline: {@link #NEVER} for eternal; saturates below {@link #NEVER}.
     */
    public static long deadline(final long nowMs, final long code)
    {
        if (code == ETERNAL || code == UNCHANGED)
        {
            return NEVER;
        }
        if (code == ZERO)
        {
            return nowMs;
        }
        final long ms = code - 1;
        final long sum = nowMs + ms;
        return sum < nowMs || sum >= NEVER ? NEVER - 1 : sum;
    }

    /** @return whether an entry with this deadline is expired at nowMs. Finite deadlines compare by subtraction. */
    public static boolean isExpired(final long deadlineMs, final long nowMs)
    {
        return deadlineMs != NEVER && deadlineMs - nowMs <= 0;
    }
}
