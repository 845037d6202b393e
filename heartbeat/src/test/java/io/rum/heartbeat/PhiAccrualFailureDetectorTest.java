package io.rum.heartbeat;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The detector's figures with the default settings, on simulated time: how long after the last heartbeat a
 * crashed node is declared DOWN, and that loss and pauses of the size the cluster promises to tolerate never
 * get that far.
 */
class PhiAccrualFailureDetectorTest
{
    private static final HeartbeatConfig CONFIG = HeartbeatConfig.defaults();
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void silenceAfterRegularHeartbeatsIsDownWithinOneAndAHalfSeconds()
    {
        final PhiAccrualFailureDetector detector = CONFIG.newDetector();
        long now = 1_000 * MS;
        for (int i = 0; i < 100; i++)
        {
            detector.heartbeat(now);
            now += 100 * MS;
        }
        final long last = detector.lastArrivalNs();
        long suspectAt = -1;
        long downAt = -1;
        for (long t = last; t < last + 5_000 * MS; t += MS)
        {
            final double phi = detector.phi(t);
            if (suspectAt < 0 && phi >= CONFIG.suspectPhi())
            {
                suspectAt = t - last;
            }
            if (downAt < 0 && phi >= CONFIG.downPhi())
            {
                downAt = t - last;
            }
        }
        System.out.printf("regular 100 ms heartbeats, then silence: SUSPECT after %d ms, DOWN after %d ms%n",
            suspectAt / MS, downAt / MS);
        assertTrue(suspectAt > 0 && suspectAt < downAt);
        assertTrue(downAt <= 1_500 * MS - CONFIG.intervalNs(), "DOWN within 1.5 s of the crash: " + downAt / MS);
        assertTrue(downAt >= 600 * MS, "but not at the first hiccup: " + downAt / MS);
    }

    @Test
    void phiIsZeroBeforeAnyHeartbeatAndRisesMonotonicallyWithSilence()
    {
        final PhiAccrualFailureDetector detector = CONFIG.newDetector();
        assertEquals(0.0, detector.phi(123));
        detector.heartbeat(0);
        double previous = -1;
        for (long t = 0; t < 10_000 * MS; t += 10 * MS)
        {
            final double phi = detector.phi(t);
            assertTrue(phi >= previous, "monotonic at " + t);
            assertTrue(Double.isFinite(phi));
            previous = phi;
        }
    }

    /**
     * Two simulated minutes of heartbeats with 5% of them lost and a 300 ms pause of the sender every few seconds:
     * the highest phi seen stays below DOWN.
     */
    @Test
    void fivePercentLossAndThreeHundredMillisecondPausesNeverReachDown()
    {
        for (long seed = 1; seed <= 20; seed++)
        {
            final SplittableRandom random = new SplittableRandom(seed);
            final PhiAccrualFailureDetector detector = CONFIG.newDetector();
            long now = 0;
            long sendAt = 0;
            long pauseAt = 3_000 * MS;
            double highest = 0;
            detector.heartbeat(0);
            while (now < 120_000 * MS)
            {
                now += MS;
                if (now >= sendAt)
                {
                    if (now >= pauseAt)
                    {
                        sendAt = now + 300 * MS;
                        pauseAt = now + (2_000 + random.nextInt(4_000)) * MS;
                        continue;
                    }
                    sendAt = now + CONFIG.intervalNs();
                    if (random.nextDouble() >= 0.05)
                    {
                        // Jitter of scheduling on a busy machine: up to 20 ms late.
                        detector.heartbeat(now + random.nextInt(20) * MS);
                    }
                }
                highest = Math.max(highest, detector.phi(now));
            }
            assertTrue(highest < CONFIG.downPhi(), "seed " + seed + ": phi reached " + highest);
            if (seed == 1)
            {
                System.out.printf("5%% loss, 300 ms pauses, 2 min: highest phi %.2f (DOWN at %.1f)%n", highest,
                    CONFIG.downPhi());
            }
        }
    }
}
