package io.rum.net.reliability;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded, single-threaded simulation of several transports over one faulty in-process network; see
 * {@link NetworkSimulation} for the cluster, the faults and the invariants.
 *
 * <p>Every run checks the fixed seeds below. {@code -Drum.sim.seed=<seed>} adds that seed (run first) and
 * {@code rum.sim.count - 1} seeds derived from it (default 10 in all), to explore; a failing seed replays
 * exactly with the same property. To replay one seed alone: {@code -Drum.sim.seed=<seed> -Drum.sim.count=1
 * -Drum.sim.fixed=false}; {@code -Drum.sim.verbose=true} prints every frame of the run.
 */
class SimulatedNetworkTest
{
    /**
     * Seeds every build runs: 1 to 34, and two found by exploration. The simulation found two protocol bugs when it
     * was written, now fixed; their seeds stay here as regression tests:
     * <ul>
     * <li>2, 7, 17, 24: simulated time starts below zero, as {@link System#nanoTime()} may. The transport's timer
     * block never ran ({@code nextTimerNs} started at 0), so calls never reached their deadline.</li>
     * <li>7248583755651327108, 250188017087596633: a server's reassembly budget stayed held by the partial
     * request of a call the client abandoned; every other request was refused without an answer and the
     * refused fragments kept the client's session credits, so nothing ever freed it. Partial requests with no
     * progress for {@code ABANDONED_RTOS} maximal RTOs are now given up.</li>
     * </ul>
     */
    private static final long[] FIXED_SEEDS = {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
        21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
        7248583755651327108L, 250188017087596633L,
    };

    private static final boolean VERBOSE = Boolean.getBoolean("rum.sim.verbose");

    static LongStream seeds()
    {
        final String base = System.getProperty("rum.sim.seed");
        if (null == base || base.isBlank())
        {
            return LongStream.of(FIXED_SEEDS);
        }
        final long seed = Long.parseLong(base.trim());
        final int count = Integer.getInteger("rum.sim.count", 10);
        final SplittableRandom derive = new SplittableRandom(seed);
        final LongStream explored = LongStream.concat(LongStream.of(seed),
            LongStream.generate(derive::nextLong).limit(Math.max(0, count - 1)));
        return Boolean.parseBoolean(System.getProperty("rum.sim.fixed", "true")) ?
            LongStream.concat(explored, LongStream.of(FIXED_SEEDS)) : explored;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    @Timeout(60)
    void invariantsHold(final long seed)
    {
        check(NetworkSimulation.run(seed, VERBOSE));
    }

    @Test
    @Timeout(60)
    void sameSeedReplaysExactly()
    {
        final long seed = FIXED_SEEDS[0];
        final NetworkSimulation.Result first = NetworkSimulation.run(seed, false);
        final NetworkSimulation.Result second = NetworkSimulation.run(seed, false);
        final String context = " [seed " + seed + "; replay with -Drum.sim.seed=" + seed + "]";
        assertEquals(first.frames(), second.frames(), "frames" + context);
        assertEquals(first.events(), second.events(), "events" + context);
        assertEquals(first.traceHash(), second.traceHash(), "trace hash" + context);
        assertEquals(first.violations(), second.violations(), "violations" + context);
        assertEquals(first.summary(), second.summary(), "summary" + context);
    }

    private static void check(final NetworkSimulation.Result result)
    {
        System.out.println("seed " + result.seed() + ": " + (result.passed() ? "ok" : result.violationCount() +
            " violations") + ", trace " + Long.toHexString(result.traceHash()) + ", " + result.summary());
        if (!result.passed())
        {
            final StringBuilder message = new StringBuilder()
                .append("simulation seed ").append(result.seed()).append(" broke ").append(result.violationCount())
                .append(" invariant checks; replay with -Drum.sim.seed=").append(result.seed())
                .append(" (add -Drum.sim.verbose=true for a frame trace)\n  ").append(result.summary());
            for (final String violation : result.violations())
            {
                message.append("\n  ").append(violation);
            }
            fail(message.toString());
        }
    }
}
