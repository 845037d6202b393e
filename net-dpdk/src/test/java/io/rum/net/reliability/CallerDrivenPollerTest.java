package io.rum.net.reliability;

import io.rum.net.medium.InProcessNetwork;
import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcClient;
import io.rum.net.transport.RpcStatus;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hand-over between a node's poller and callers that run its duty cycle while they wait: the poller keeps out
 * of their way (on a small machine a third busy thread is what made a memif round trip 3.5 µs instead of 1 µs), and
 * takes the work back when they are gone, without being woken on every call.
 */
@Timeout(30)
class CallerDrivenPollerTest
{
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private static ReliableTransport node(final InProcessNetwork network, final int id)
    {
        final ReliableTransport transport = new ReliableTransport(TransportConfig.defaults(id), network.attach(id),
            ReliableTransport.wallClockEpoch(), org.agrona.concurrent.SystemNanoClock.INSTANCE);
        transport.serve((src, request, offset, length, response) ->
        {
            response.buffer(length).putBytes(0, request, offset, length);
            response.length(length);
        });
        return transport.start();
    }

    private static Thread thread(final String name)
    {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
            .orElseThrow(() -> new AssertionError("no thread " + name));
    }

    @Test
    void thePollerStaysOutOfTheWayOfACallerRunningTheCycleAndTakesOverAfter()
    {
        final InProcessNetwork network = new InProcessNetwork();
        try (ReliableTransport client = node(network, 1);
            ReliableTransport server = node(network, 2))
        {
            final RpcClient rpc = client.rpcClient(2);
            final UnsafeBuffer request = new UnsafeBuffer(new byte[64]);
            assertEquals(RpcStatus.OK, rpc.call(request, 0, 64, null, SECOND));
            final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            final long pollerId = thread(client.roleName()).threadId();
            final long pollerBefore = threads.getThreadCpuTime(pollerId);
            final long callerBefore = threads.getCurrentThreadCpuTime();
            final long endNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
            int calls = 0;
            while (System.nanoTime() - endNs < 0)
            {
                assertEquals(RpcStatus.OK, rpc.call(request, 0, 64, null, SECOND));
                calls++;
            }
            final long pollerCpu = threads.getThreadCpuTime(pollerId) - pollerBefore;
            final long callerCpu = threads.getCurrentThreadCpuTime() - callerBefore;
            // Before the hand-over the poller spun or yielded beside the caller, using about as much CPU as it.
            assertTrue(pollerCpu * 5 < callerCpu, "poller used " + pollerCpu / 1000 + " µs of CPU while the caller " +
                "used " + callerCpu / 1000 + " µs for " + calls + " calls");

            // Nobody drives now: the poller must serve requests to this node and finish calls nobody waits for.
            assertEquals(RpcStatus.OK, server.rpcClient(1).call(request, 0, 64, null, SECOND));
            final PendingCall unwatched = rpc.begin(SECOND);
            unwatched.request(64);
            unwatched.send(64, SECOND);
            final long deadline = System.nanoTime() + SECOND;
            while (!unwatched.isDone() && System.nanoTime() - deadline < 0)
            {
                Thread.onSpinWait();
            }
            assertTrue(unwatched.isDone(), "a call nobody awaits completes by the poller");
            assertEquals(RpcStatus.OK, unwatched.status());
            unwatched.release();
        }
    }

    @Test
    void aDriverThatStopsRunningCyclesDoesNotLeaveTheNodeDeaf()
    {
        final InProcessNetwork network = new InProcessNetwork();
        try (ReliableTransport node = node(network, 1);
            ReliableTransport other = node(network, 2))
        {
            // Registered as driving and then never cycling: a caller the scheduler took off its CPU mid-wait.
            assertTrue(node.startDriving());
            try
            {
                assertEquals(RpcStatus.OK, other.rpcClient(1).call(new UnsafeBuffer(new byte[16]), 0, 16, null, SECOND));
            }
            finally
            {
                node.stopDriving(false);
            }
        }
    }

    @Test
    void aPinnedPollerServesAndABadCpuIsRefusedByNumber()
    {
        final InProcessNetwork network = new InProcessNetwork();
        final ReliableTransport refused = new ReliableTransport(TransportConfig.defaults(3), network.attach(3),
            ReliableTransport.wallClockEpoch(), org.agrona.concurrent.SystemNanoClock.INSTANCE);
        try (refused)
        {
            final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> refused.pinPoller(io.rum.net.os.CpuAffinity.MAX_CPUS));
            assertTrue(ex.getMessage().contains("CPU " + io.rum.net.os.CpuAffinity.MAX_CPUS), ex.getMessage());
        }
        try (ReliableTransport server = new ReliableTransport(TransportConfig.defaults(2), network.attach(2),
            ReliableTransport.wallClockEpoch(), org.agrona.concurrent.SystemNanoClock.INSTANCE);
            ReliableTransport client = node(network, 1))
        {
            server.serve((src, request, offset, length, response) -> response.length(0));
            server.pinPoller(0).start();
            assertEquals(RpcStatus.OK, client.rpcClient(2).call(new UnsafeBuffer(new byte[8]), 0, 8, null, SECOND));
        }
    }
}
