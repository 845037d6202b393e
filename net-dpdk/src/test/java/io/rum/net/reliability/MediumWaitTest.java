package io.rum.net.reliability;

import io.rum.net.medium.ForwardingMedium;
import io.rum.net.medium.FrameHandler;
import io.rum.net.medium.InProcessNetwork;
import io.rum.net.medium.Medium;
import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcStatus;
import io.rum.net.transport.TransportCounters.Counter;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When a duty cycle waits in the medium for a frame ({@link ReliableTransport#MEDIUM_WAIT_NS}): only a thread that
 * did nothing but spin since its last cycle, with nothing else to do in this one; the cycle after reads the clock;
 * and a call queued by another thread meanwhile ends the wait ({@link Medium#wake()}) instead of waiting it out.
 */
@Timeout(30)
class MediumWaitTest
{
    /**
     * An in-process medium that says it waits: it records the wait each poll was given, and while {@link #hold} is
     * set a poll given a wait blocks until {@link #wake()} (up to 10 s), so a test can see a wait being ended.
     */
    private static final class WaitingMedium extends ForwardingMedium
    {
        volatile long lastWaitNs = -1;
        volatile CountDownLatch hold;
        final CountDownLatch entered = new CountDownLatch(1);
        final AtomicInteger wakes = new AtomicInteger();
        volatile boolean endedByWake;

        WaitingMedium(final Medium delegate)
        {
            super(delegate);
        }

        @Override
        public boolean waits()
        {
            return true;
        }

        @Override
        public boolean gathers()
        {
            return delegate.gathers();
        }

        @Override
        public int sendGathered(
            final int peer, final DirectBuffer head, final int headOffset, final int headLength,
            final DirectBuffer payload, final int payloadOffset, final int payloadLength)
        {
            return delegate.sendGathered(peer, head, headOffset, headLength, payload, payloadOffset, payloadLength);
        }

        @Override
        public int poll(final FrameHandler handler, final int limit, final long waitNs)
        {
            lastWaitNs = waitNs;
            final CountDownLatch held = hold;
            if (waitNs > 0 && null != held)
            {
                entered.countDown();
                try
                {
                    endedByWake = held.await(10, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
            return delegate.poll(handler, limit);
        }

        @Override
        public void wake()
        {
            wakes.incrementAndGet();
            final CountDownLatch held = hold;
            if (null != held)
            {
                held.countDown();
            }
        }
    }

    @Test
    void onlyASpinningThreadWithNothingElseToDoWaitsAndItsNextCycleReadsTheClock()
    {
        final CountingClock clock = new CountingClock();
        final InProcessNetwork network = new InProcessNetwork();
        final WaitingMedium medium = new WaitingMedium(network.attach(1));
        try (ReliableTransport node = new ReliableTransport(TransportConfig.defaults(1), medium,
            ReliableTransport.wallClockEpoch(), clock))
        {
            node.tryDutyCycle(false);
            node.tryDutyCycle(false); // the first ran the timers
            assertEquals(0, medium.lastWaitNs, "a thread that may have yielded or parked polls at once");
            node.tryDutyCycle(true);
            assertEquals(ReliableTransport.MEDIUM_WAIT_NS, medium.lastWaitNs, "a spinning thread waits in the medium");
            final long before = clock.reads.get();
            for (int i = 0; i < 10; i++)
            {
                node.tryDutyCycle(true);
            }
            assertEquals(10, clock.reads.get() - before, "a cycle after one that may have waited reads the clock");
            node.doWork(1_000_000_000L);
            assertEquals(0, medium.lastWaitNs, "a cycle run from outside (a simulation) never waits");
        }
    }

    @Test
    void aMediumThatCannotWaitKeepsTheSpinningThreadsClockReuse()
    {
        final CountingClock clock = new CountingClock();
        try (ReliableTransport node = new ReliableTransport(TransportConfig.defaults(1),
            new InProcessNetwork().attach(1), ReliableTransport.wallClockEpoch(), clock))
        {
            assertFalse(node.mediumWaits());
            node.tryDutyCycle(false);
            node.tryDutyCycle(false);
            final long before = clock.reads.get();
            for (int i = 0; i <= ReliableTransport.CLOCK_REUSES; i++)
            {
                node.tryDutyCycle(true);
            }
            assertEquals(1, clock.reads.get() - before, "idle spinning cycles reuse the time as before");
        }
    }

    @Test
    void aCallQueuedWhileThePollerWaitsInTheMediumEndsTheWait() throws InterruptedException
    {
        callWhileAnotherThreadWaits(false);
    }

    @Test
    void aCallQueuedWhileACallerWaitsInTheMediumEndsTheWait() throws InterruptedException
    {
        callWhileAnotherThreadWaits(true);
    }

    /**
     * Another thread (a poller, or a caller driving the cycles) holds the cycle lock, blocked in a waiting poll until
     * woken (for up to 10 s); a call started now ends that wait.
     */
    private static void callWhileAnotherThreadWaits(final boolean waiterDrives) throws InterruptedException
    {
        final InProcessNetwork network = new InProcessNetwork();
        final WaitingMedium medium = new WaitingMedium(network.attach(1));
        try (ReliableTransport client = new ReliableTransport(TransportConfig.defaults(1), medium,
            ReliableTransport.wallClockEpoch(), SystemNanoClock.INSTANCE);
            ReliableTransport server = new ReliableTransport(TransportConfig.defaults(2), network.attach(2),
                ReliableTransport.wallClockEpoch(), SystemNanoClock.INSTANCE))
        {
            server.serve((src, request, offset, length, response) -> response.length(0));
            assertEquals(RpcStatus.OK, call(client, server), "a first call connects the session");

            medium.hold = new CountDownLatch(1);
            final Thread waiter = Thread.ofPlatform().name("waiter").start(() ->
            {
                if (waiterDrives)
                {
                    assertTrue(client.startDriving());
                }
                try
                {
                    client.tryDutyCycle(true);
                }
                finally
                {
                    if (waiterDrives)
                    {
                        client.stopDriving(false);
                    }
                }
            });
            assertTrue(medium.entered.await(10, TimeUnit.SECONDS), "the other thread waits in the medium");
            final long framesBefore = client.counters().get(Counter.FRAMES_SENT);
            final PendingCall call = client.rpcClient(2).begin(1_000_000_000L);
            call.request(8);
            call.send(8, 1_000_000_000L); // the lock is taken: the wait is ended, the call sent here or queued
            waiter.join(10_000);
            assertFalse(waiter.isAlive());
            assertTrue(medium.endedByWake, "the wait ended because the call was queued, not after 10 s");
            assertTrue(medium.wakes.get() >= 1);
            medium.hold = null;
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (!call.isDone() && System.nanoTime() - deadline < 0)
            {
                client.tryDutyCycle(false);
                server.tryDutyCycle(false);
            }
            assertEquals(RpcStatus.OK, call.await());
            call.release();
            assertTrue(client.counters().get(Counter.FRAMES_SENT) > framesBefore);
        }
    }

    private static int call(final ReliableTransport client, final ReliableTransport server)
    {
        final PendingCall call = client.rpcClient(2).begin(1_000_000_000L);
        call.request(8);
        call.send(8, 1_000_000_000L);
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (!call.isDone() && System.nanoTime() - deadline < 0)
        {
            client.tryDutyCycle(false);
            server.tryDutyCycle(false);
        }
        final int status = call.await();
        call.release();
        return status;
    }
}
