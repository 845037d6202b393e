package io.rum.net.reliability;

/**
 * Jacobson/Karels smoothed round-trip time, as in TCP (RFC 6298): RTO = SRTT + 4 * RTTVAR, clamped. Samples
 * come only from calls that were never retransmitted (Karn's rule), so an ambiguous sample never inflates it.
 */
final class RttEstimator
{
    private final long minRtoNs;
    private final long maxRtoNs;
    private long srttNs;
    private long rttVarNs;
    private long rtoNs;

    RttEstimator(final long initialRtoNs, final long minRtoNs, final long maxRtoNs)
    {
        this.minRtoNs = minRtoNs;
        this.maxRtoNs = maxRtoNs;
        this.rtoNs = initialRtoNs;
    }

    void onSample(final long rttNs)
    {
        if (srttNs == 0)
        {
            srttNs = rttNs;
            rttVarNs = rttNs / 2;
        }
        else
        {
            final long delta = Math.abs(srttNs - rttNs);
            rttVarNs = rttVarNs - (rttVarNs >> 2) + (delta >> 2);
            srttNs = srttNs - (srttNs >> 3) + (rttNs >> 3);
        }
        rtoNs = Math.clamp(srttNs + 4 * rttVarNs, minRtoNs, maxRtoNs);
    }

    long rtoNs()
    {
        return rtoNs;
    }

    long srttNs()
    {
        return srttNs;
    }

    long backoff(final long currentRtoNs)
    {
        return currentRtoNs >= maxRtoNs / 2 ? maxRtoNs : currentRtoNs * 2;
    }
}
