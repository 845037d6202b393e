package io.rum.heartbeat;

import java.util.concurrent.TimeUnit;

/**
 * Failure-detection settings, validated once.
 *
 * <p>Defaults, and why: heartbeats every 100 ms; a node is SUSPECT at phi 3 and DOWN at phi 8 with an
 * acceptable pause of 400 ms and a standard-deviation floor of 50 ms. With a regular 100 ms history that puts
 * DOWN about 0.9 s after the last heartbeat (inside the 1.5 s the cluster promises; Akka's defaults take about
 * 4.6 s, memberlist about 5 s) while a 300 ms pause plus two lost heartbeats in a row (about 600 ms of silence)
 * stays well below it: see {@code PhiAccrualFailureDetectorTest} for the figures.
 *
 * @param intervalNs        time between heartbeats.
 * @param suspectPhi        phi at which a node becomes SUSPECT.
 * @param downPhi           phi at which it becomes DOWN.
 * @param acceptablePauseNs pause never to be taken for a failure.
 * @param minStdDeviationNs floor of the inter-arrival standard deviation.
 * @param windowSize        inter-arrival times remembered per node.
 */
public record HeartbeatConfig(
    long intervalNs, double suspectPhi, double downPhi, long acceptablePauseNs, long minStdDeviationNs,
    int windowSize)
{
    public HeartbeatConfig
    {
        if (intervalNs <= 0 || !(suspectPhi > 0) || !(downPhi > suspectPhi) || acceptablePauseNs < 0 ||
            minStdDeviationNs <= 0 || windowSize < 2)
        {
            throw new IllegalArgumentException("need interval > 0, 0 < suspectPhi < downPhi, acceptable pause >= 0, " +
                "min std deviation > 0, window >= 2: " + this);
        }
    }

    public static HeartbeatConfig defaults()
    {
        return new HeartbeatConfig(TimeUnit.MILLISECONDS.toNanos(100), 3.0, 8.0, TimeUnit.MILLISECONDS.toNanos(400),
            TimeUnit.MILLISECONDS.toNanos(50), 200);
    }

    PhiAccrualFailureDetector newDetector()
    {
        return new PhiAccrualFailureDetector(windowSize, minStdDeviationNs, acceptablePauseNs, intervalNs);
    }
}
