package io.rum.net.reliability;

import io.rum.net.medium.InProcessNetwork;
import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcStatus;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When a duty cycle reads the clock (21 ns here, on a round trip's critical path) and when it may take the previous
 * cycle's time instead: only a spinning thread's idle cycles reuse it, at most {@link ReliableTransport#CLOCK_REUSES}
 * in a row, and anything that may have taken time (work, a yield, another thread's cycle, sending a call) reads it.
 */
@Timeout(30)
class CycleTimeTest
{
    private static ReliableTransport node(final InProcessNetwork network, final int id, final NanoClock clock)
    {
        return new ReliableTransport(TransportConfig.defaults(id), network.attach(id), ReliableTransport.wallClockEpoch(),
            clock);
    }

    @Test
    void aSpinningThreadsIdleCyclesReadTheClockOncePerBoundedRun()
    {
        final CountingClock clock = new CountingClock();
        try (ReliableTransport node = node(new InProcessNetwork(), 1, clock))
        {
            node.tryDutyCycle(false);
            node.tryDutyCycle(false); // the first ran the timers
            final long before = clock.reads.get();
            final int cycles = 16 * (ReliableTransport.CLOCK_REUSES + 1);
            for (int i = 0; i < cycles; i++)
            {
                assertEquals(0, node.tryDutyCycle(true), "idle");
            }
            assertEquals(16, clock.reads.get() - before, "one read per " + (ReliableTransport.CLOCK_REUSES + 1) +
                " spinning idle cycles");

            final long unsure = clock.reads.get();
            for (int i = 0; i < 10; i++)
            {
                node.tryDutyCycle(false);
            }
            assertEquals(10, clock.reads.get() - unsure, "a thread that may have yielded or parked reads every time");
        }
    }

    @Test
    void anotherThreadsCycleOrWorkDoneMeansAFreshRead() throws InterruptedException
    {
        final CountingClock clock = new CountingClock();
        final InProcessNetwork network = new InProcessNetwork();
        try (ReliableTransport client = node(network, 1, clock);
            ReliableTransport server = node(network, 2, SystemNanoClock.INSTANCE))
        {
            server.serve((src, request, offset, length, response) -> response.length(0));
            client.tryDutyCycle(false);
            client.tryDutyCycle(false); // the first ran the timers
            client.tryDutyCycle(true);

            final Thread other = Thread.ofPlatform().start(() -> client.tryDutyCycle(true));
            other.join();
            final long afterOther = clock.reads.get();
            client.tryDutyCycle(true);
            assertEquals(1, clock.reads.get() - afterOther, "the previous cycle ran on another thread");

            // Sending reads the clock (a call's deadline counts from now), on this thread, without the poller.
            final PendingCall call = client.rpcClient(2).begin(1_000_000_000L);
            call.request(8);
            final long beforeSend = clock.reads.get();
            call.send(8, 1_000_000_000L);
            assertEquals(1, clock.reads.get() - beforeSend, "send reads the clock once, and sends at once");
            assertTrue(client.counters().get(io.rum.net.transport.TransportCounters.Counter.FRAMES_SENT) > 0,
                "the request (or its session's connect) left on the calling thread");

            // Drive both until the call ends: every cycle that found work leaves the next one a fresh read.
            long workCycles = 0;
            long readsInWork = 0;
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (!call.isDone() && System.nanoTime() - deadline < 0)
            {
                server.tryDutyCycle(false);
                final long r0 = clock.reads.get();
                final int work = client.tryDutyCycle(true);
                if (work > 0)
                {
                    workCycles++;
                    final long r1 = clock.reads.get();
                    client.tryDutyCycle(true);
                    readsInWork += clock.reads.get() - r1;
                }
                assertTrue(clock.reads.get() - r0 <= 2);
            }
            assertEquals(RpcStatus.OK, call.await());
            call.release();
            assertTrue(workCycles > 0, "the reply was taken by a cycle of this thread");
            assertEquals(workCycles, readsInWork, "each cycle after one that worked read the clock");
        }
    }
}
