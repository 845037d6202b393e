package io.rum.net.reliability;

import org.agrona.concurrent.NanoClock;

/**
 * Simulated time: moves only when the simulation says so, so a run replays exactly from its seed. Shared by
 * every transport and fault-injecting medium of one simulation; single-threaded, like the simulation.
 */
public final class SimulationClock implements NanoClock
{
    private long nowNs;

    public SimulationClock(final long startNs)
    {
        this.nowNs = startNs;
    }

    @Override
    public long nanoTime()
    {
        return nowNs;
    }

    /**
     * @param deltaNs how far to move time on; never backwards.
     * @return the new time.
     */
    public long advance(final long deltaNs)
    {
        if (deltaNs < 0)
        {
            throw new IllegalArgumentException("time does not go backwards: " + deltaNs);
        }
        nowNs += deltaNs;
        return nowNs;
    }
}
