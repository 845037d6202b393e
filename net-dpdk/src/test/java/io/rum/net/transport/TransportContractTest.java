package io.rum.net.transport;

import io.rum.net.medium.FaultInjectingMedium;
import io.rum.net.medium.FaultPlan;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;
import io.rum.net.transport.TransportCounters.Counter;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What every medium must give the transport above it. One subclass per medium; each runs the same
 * assertions. Faults come from a seeded {@link FaultInjectingMedium}; the seed is in every failure message.
 */
public abstract class TransportContractTest
{
    protected static final int CLIENT = 1;
    protected static final int SERVER = 2;
    protected static final int OTHER_CLIENT = 3;
    /**
     * Node ids the garbage claims to come from. Not the live client's: a frame with a valid CRC that names a live
     * node is not malformed but spoofed, and the transport does not authenticate peers (see the README).
     */
    private static final int[] IMPOSTORS = {OTHER_CLIENT, 4, 5, 99, 65535};
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

    protected final long seed = Long.getLong("rum.seed", System.nanoTime());
    protected final FaultPlan plan = FaultPlan.none();
    protected TestNetwork network;
    protected ServerNode server;
    private final List<ReliableTransport> transports = new CopyOnWriteArrayList<>();

    /**
     * @return the network of nodes {@link #CLIENT}, {@link #SERVER} and {@link #OTHER_CLIENT} on the medium.
     */
    protected abstract TestNetwork newNetwork();

    /**
     * @return the server node, node {@link #SERVER}: in this JVM unless a subclass runs it in another process.
     */
    protected ServerNode newServerNode()
    {
        return new LocalServerNode(network, plan, seed);
    }

    @BeforeEach
    void setUp()
    {
        network = newNetwork();
        server = newServerNode();
        System.out.println(getClass().getSimpleName() + " seed=" + seed + " (replay decisions with -Drum.seed=" +
            seed + ")");
    }

    @AfterEach
    void tearDown()
    {
        try
        {
            for (final ReliableTransport transport : transports)
            {
                System.out.println("  " + transport);
                transport.close();
            }
            server.close();
        }
        finally
        {
            network.close();
        }
    }

    /**
     * Changes the fault plan on every node, this JVM's and the server's wherever it runs.
     */
    protected void faults(final Consumer<FaultPlan> change)
    {
        change.accept(plan);
        server.applyPlan(plan);
    }

    protected ReliableTransport startNode(final int nodeId)
    {
        final FaultInjectingMedium medium = new FaultInjectingMedium(
            network.attach(nodeId), plan, seed * 31 + nodeId + transports.size(), SystemNanoClock.INSTANCE);
        final ReliableTransport transport = ReliableTransport.create(TransportConfig.defaults(nodeId), medium).start();
        transports.add(transport);
        return transport;
    }

    private void stopNode(final ReliableTransport transport)
    {
        System.out.println("  " + transport);
        transport.close();
        transports.remove(transport);
    }

    private static void await(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, "timed out waiting: " + what);
            Thread.sleep(5);
        }
    }

    private String context()
    {
        return " [seed " + seed + ", " + plan + "]";
    }

    /**
     * Runs calls with ids [from, to) from several threads, each keeping several calls in flight, and checks each
     * response against its request.
     */
    protected void runCalls(
        final RpcClient client, final long from, final long to, final int threads, final int inFlight, final int maxLength)
        throws InterruptedException
    {
        // A thread holding slots while it waits for another would deadlock the session: never oversubscribe.
        assertTrue(threads * inFlight <= TransportConfig.defaults(1).slotsPerSession(), "threads x inFlight <= slots");
        final AtomicLong next = new AtomicLong(from);
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++)
        {
            final Thread worker = Thread.ofPlatform().name("caller-" + t).start(() ->
            {
                final PendingCall[] calls = new PendingCall[inFlight];
                final long[] ids = new long[inFlight];
                final int[] lengths = new int[inFlight];
                int active = 0;
                while (failures.isEmpty())
                {
                    while (active < inFlight)
                    {
                        final long id = next.getAndIncrement();
                        if (id >= to)
                        {
                            break;
                        }
                        final PendingCall call = client.begin(TIMEOUT_NS);
                        if (null == call)
                        {
                            failures.add("no slot for request " + id);
                            return;
                        }
                        final int length = Payloads.requestLength(id, maxLength);
                        Payloads.fillRequest(call.request(length), id, length);
                        call.send(length, TIMEOUT_NS);
                        calls[active] = call;
                        ids[active] = id;
                        lengths[active] = length;
                        active++;
                    }
                    if (active == 0)
                    {
                        return;
                    }
                    // Complete the oldest; keeps the others in flight.
                    final PendingCall call = calls[0];
                    final int status = call.await();
                    if (status != RpcStatus.OK)
                    {
                        failures.add("request " + ids[0] + " (" + lengths[0] + " B): " + RpcStatus.describe(status));
                    }
                    else
                    {
                        // The request buffer is the caller's until release, so it still holds what was sent.
                        final String wrong = Payloads.checkResponse(ids[0], call.request(lengths[0]), lengths[0],
                            call.response(), 0, call.responseLength());
                        if (null != wrong)
                        {
                            failures.add(wrong);
                        }
                    }
                    call.release();
                    System.arraycopy(calls, 1, calls, 0, active - 1);
                    System.arraycopy(ids, 1, ids, 0, active - 1);
                    System.arraycopy(lengths, 1, lengths, 0, active - 1);
                    active--;
                }
                for (int i = 0; i < active; i++)
                {
                    calls[i].await();
                    calls[i].release();
                }
            });
            workers.add(worker);
        }
        for (final Thread worker : workers)
        {
            worker.join();
        }
        if (!failures.isEmpty())
        {
            fail(failures.size() + " failures, first: " + failures.peek() + context());
        }
    }

    private void assertExecutedOnce(final long from, final long to)
    {
        final Map<Long, Integer> executions = server.executions();
        for (long id = from; id < to; id++)
        {
            if (Payloads.requestLength(id, 4 * 1024 * 1024) >= 8)
            {
                final Integer count = executions.get(id);
                if (null == count || count != 1)
                {
                    fail("request " + id + " executed " + (null == count ? 0 : count) + " times" + context());
                }
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void roundTripsSmallAndBoundaryMessages() throws InterruptedException
    {
        server.start();
        final RpcClient client = startNode(CLIENT).rpcClient(SERVER);
        final int chunk = network.maxFrameLength() - 64;
        final int[] lengths = {0, 1, 7, 8, 100, chunk - 1, chunk, chunk + 1, 2 * chunk, 64 * chunk + 3, 1 << 20};
        long id = 1_000_000;
        for (final int length : lengths)
        {
            final UnsafeBuffer request = new UnsafeBuffer(new byte[length]);
            Payloads.fillRequest(request, id, length);
            final long expectedId = id;
            final String[] wrong = {"no response"};
            final int status = client.call(request, 0, length, (buffer, offset, responseLength) ->
                wrong[0] = Payloads.checkResponse(expectedId, request, length, buffer, offset, responseLength), TIMEOUT_NS);
            assertEquals(RpcStatus.OK, status, "length " + length + ": " + RpcStatus.describe(status) + context());
            assertNull(wrong[0], wrong[0]);
            id++;
        }
        runCalls(client, 0, 2_000, 2, 4, 1 << 20);
        assertEquals(lengths.length + 2_000, server.executedTotal(), "executions" + context());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void hundredThousandRequestsUnderLossDuplicationAndReorderingExecuteExactlyOnce() throws InterruptedException
    {
        faults(p -> p.drop(0.10).duplicate(0.05).reorder(0.05).delay(0.02, TimeUnit.MICROSECONDS.toNanos(300)));
        server.start();
        final ReliableTransport clientNode = startNode(CLIENT);
        final RpcClient client = clientNode.rpcClient(SERVER);
        final int requests = 100_000;
        final long started = System.nanoTime();
        runCalls(client, 0, requests, 2, 4, 4 * 1024 * 1024);
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertEquals(requests, server.executedTotal(), "every request executed exactly once" + context());
        assertExecutedOnce(0, requests);
        final TransportCounters c = clientNode.counters();
        final long duplicates = server.counter(Counter.DUPLICATE_REQUESTS_ANSWERED);
        System.out.printf("  %,d requests in %,d ms: %,d retransmissions, %,d duplicates answered from cache%n",
            requests, elapsedMs, c.get(Counter.RETRANSMISSIONS), duplicates);
        assertTrue(c.get(Counter.RETRANSMISSIONS) > 0, "faults were injected, so something was retransmitted");
        assertTrue(duplicates > 0, "duplicates reached the server");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void largestMessageRoundTripsUnderLoss() throws InterruptedException
    {
        faults(p -> p.drop(0.05).reorder(0.05));
        server.start();
        final RpcClient client = startNode(CLIENT).rpcClient(SERVER);
        final int length = TransportConfig.MAX_MESSAGE_LENGTH;
        final UnsafeBuffer request = new UnsafeBuffer(new byte[length]);
        Payloads.fillRequest(request, 77, length);
        final String[] wrong = {"no response"};
        final int status = client.call(request, 0, length, (buffer, offset, responseLength) ->
            wrong[0] = Payloads.checkResponse(77, request, length, buffer, offset, responseLength), TIMEOUT_NS);
        assertEquals(RpcStatus.OK, status, RpcStatus.describe(status) + context());
        assertNull(wrong[0]);
        final UnsafeBuffer tooLarge = new UnsafeBuffer(new byte[length + 1]);
        assertEquals(RpcStatus.TOO_LARGE, client.call(tooLarge, 0, length + 1, null, TIMEOUT_NS));
        assertEquals(1, server.executedTotal());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void partitionTimesCallsOutAndHealingRestoresThem() throws InterruptedException
    {
        server.start();
        final RpcClient client = startNode(CLIENT).rpcClient(SERVER);
        runCalls(client, 0, 100, 1, 1, 1024);
        final UnsafeBuffer request = new UnsafeBuffer(new byte[16]);
        Payloads.fillRequest(request, 5_000, 16);

        faults(p -> p.partition(CLIENT, SERVER));
        final long before = System.nanoTime();
        assertEquals(RpcStatus.TIMEOUT, client.call(request, 0, 16, null, TimeUnit.MILLISECONDS.toNanos(200)));
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
        assertTrue(tookMs >= 190 && tookMs < 5_000, "timeout honoured, took " + tookMs + " ms");

        faults(p -> p.heal().cut(SERVER, CLIENT));
        Payloads.fillRequest(request, 5_001, 16);
        assertEquals(RpcStatus.TIMEOUT, client.call(request, 0, 16, null, TimeUnit.MILLISECONDS.toNanos(200)),
            "one-way cut: requests arrive, responses do not");

        faults(FaultPlan::heal);
        runCalls(client, 10_000, 10_200, 2, 2, 1024);
        // The one-way cut let the request through once: it ran, and was never run again by the retransmissions.
        assertEquals(1, server.executions().get(5_001L));
        assertNull(server.executions().get(5_000L), "the partitioned request never arrived");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void serverRestartIsDetectedAndTrafficResumesWithoutStaleDuplicates() throws InterruptedException
    {
        faults(p -> p.drop(0.05).duplicate(0.05).reorder(0.05));
        server.start();
        final ReliableTransport clientNode = startNode(CLIENT);
        final RpcClient client = clientNode.rpcClient(SERVER);
        runCalls(client, 0, 500, 2, 2, 1024);

        // Calls in flight while the server goes away: each ends OK, TIMEOUT or PEER_RESTARTED, never hangs.
        final AtomicInteger ended = new AtomicInteger();
        final Thread caller = Thread.ofPlatform().name("restart-caller").start(() ->
        {
            final UnsafeBuffer request = new UnsafeBuffer(new byte[64]);
            for (long id = 20_000; id < 20_200; id++)
            {
                Payloads.fillRequest(request, id, 64);
                final int status = client.call(request, 0, 64, null, TimeUnit.SECONDS.toNanos(2));
                if (status == RpcStatus.OK || status == RpcStatus.PEER_RESTARTED || status == RpcStatus.TIMEOUT)
                {
                    ended.incrementAndGet();
                }
            }
        });
        server.stop();
        server.start();
        caller.join();
        assertEquals(200, ended.get(), "every call ended with OK, TIMEOUT or PEER_RESTARTED" + context());
        runCalls(client, 30_000, 31_000, 2, 2, 1024);
        final Map<Long, Integer> executions = server.executions();
        executions.remove(-1L);
        for (final Map.Entry<Long, Integer> e : executions.entrySet())
        {
            assertEquals(1, e.getValue(), "request " + e.getKey() + " ran twice on the new server" + context());
            assertTrue(e.getKey() >= 20_000, "a request of the old incarnation ran on the new one" + context());
        }
        assertTrue(clientNode.counters().get(Counter.PEER_RESTARTS_DETECTED) > 0, "restart detected" + context());
        assertTrue(server.counter(Counter.REQUESTS_EXECUTED) >= 1_000);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void clientRestartGetsAFreshSession() throws InterruptedException
    {
        server.start();
        final ReliableTransport first = startNode(CLIENT);
        runCalls(first.rpcClient(SERVER), 0, 100, 1, 2, 1024);
        stopNode(first);
        final ReliableTransport second = startNode(CLIENT);
        // The new incarnation starts its slots at request number 1 again: only a fresh session makes that work.
        runCalls(second.rpcClient(SERVER), 100, 300, 1, 2, 1024);
        assertEquals(300, server.executedTotal());
        assertTrue(server.counter(Counter.PEER_RESTARTS_DETECTED) >= 1, "server saw the client restart");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void streamDeliversInOrderExactlyOnceUnderFaults() throws InterruptedException
    {
        faults(p -> p.drop(0.10).duplicate(0.05).reorder(0.05).delay(0.02, TimeUnit.MICROSECONDS.toNanos(300)));
        server.start();
        final StreamPublication publication = startNode(CLIENT).publication(SERVER, ServerRecorder.CHECKED_STREAM);
        final int messages = 20_000;
        final UnsafeBuffer message = new UnsafeBuffer(new byte[publication.maxMessageLength()]);
        for (long n = 0; n < messages; n++)
        {
            final int length = Payloads.streamLength(n);
            if (length >= 8)
            {
                message.putLong(0, n);
            }
            final long deadline = System.nanoTime() + TIMEOUT_NS;
            long result;
            while ((result = publication.offer(message, 0, length)) == StreamPublication.BACK_PRESSURED)
            {
                assertTrue(System.nanoTime() < deadline, "stream stuck at message " + n + context());
                Thread.onSpinWait();
            }
            assertTrue(result > 0, "offer failed: " + result);
        }
        await(() -> server.checkedDelivered() >= messages || null != server.firstStreamFailure(),
            "all stream messages delivered" + context());
        assertNull(server.firstStreamFailure(), server.firstStreamFailure() + context());
        assertEquals(messages, server.checkedDelivered(), "all messages delivered" + context());
        assertEquals(messages, server.counter(Counter.STREAM_MESSAGES_DELIVERED), "each exactly once");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void streamPublisherRestartIsDetectedAndTrafficResumes() throws InterruptedException
    {
        server.start();
        final ReliableTransport first = startNode(CLIENT);
        final UnsafeBuffer message = new UnsafeBuffer(new byte[8]);
        offerAll(first.publication(SERVER, ServerRecorder.RECORDED_STREAM), message, 0, 1_000);
        await(() -> server.recorded().size() >= 1_000, "first incarnation's messages delivered" + context());
        stopNode(first);
        final ReliableTransport second = startNode(CLIENT);
        offerAll(second.publication(SERVER, ServerRecorder.RECORDED_STREAM), message, 1_000_000, 1_001_000);
        await(() -> server.recorded().size() >= 2_000, "second incarnation's messages delivered" + context());
        assertEquals(1, server.publisherRestarts(), "one publisher restart seen");
        long previous = -1;
        final List<Long> received = server.recorded();
        for (final long value : received)
        {
            assertTrue(value > previous, "in order, no stale duplicates: " + value + " after " + previous);
            previous = value;
        }
        assertEquals(2_000, received.size());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aReleasedPublicationIsForgottenAndThePairStartsAFreshStreamWhenPublishedAgain() throws InterruptedException
    {
        server.start();
        final ReliableTransport client = startNode(CLIENT);
        final UnsafeBuffer message = new UnsafeBuffer(new byte[8]);
        final StreamPublication first = client.publication(SERVER, ServerRecorder.RECORDED_STREAM);
        offerAll(first, message, 0, 500);
        await(() -> server.recorded().size() >= 500, "the stream's messages delivered" + context());
        client.releasePublication(SERVER, ServerRecorder.RECORDED_STREAM);
        client.releasePublication(SERVER, ServerRecorder.RECORDED_STREAM); // a second release does nothing
        assertEquals(StreamPublication.CLOSED, first.offer(message, 0, 8), "a released publication takes nothing");
        // Published again at once, and again after the poller has seen the release: both start a fresh stream
        // (a regression: the poller once routed the new stream's acknowledgements to the released publication).
        offerAll(client.publication(SERVER, ServerRecorder.RECORDED_STREAM), message, 1_000_000, 1_000_500);
        await(() -> server.recorded().size() >= 1_000, "the new stream's messages delivered" + context());
        client.releasePublication(SERVER, ServerRecorder.RECORDED_STREAM);
        Thread.sleep(5);
        offerAll(client.publication(SERVER, ServerRecorder.RECORDED_STREAM), message, 2_000_000, 2_000_500);
        await(() -> server.recorded().size() >= 1_500, "the third stream's messages delivered" + context());
        assertEquals(2, server.publisherRestarts(), "each new stream is seen as a restart, not as stale duplicates");
        final List<Long> received = server.recorded();
        assertEquals(1_500, received.size());
        assertEquals(1_000_499L, received.get(999));
        assertEquals(2_000_499L, received.get(1_499));
    }

    private static void offerAll(final StreamPublication publication, final UnsafeBuffer message, final long from,
        final long to)
    {
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        for (long n = from; n < to; n++)
        {
            message.putLong(0, n);
            while (publication.offer(message, 0, 8) == StreamPublication.BACK_PRESSURED)
            {
                assertTrue(System.nanoTime() < deadline, "stream stuck at message " + n);
                Thread.onSpinWait();
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void malformedFramesAreCountedAndDroppedWhileValidTrafficFlows() throws InterruptedException
    {
        server.start();
        final RpcClient client = startNode(CLIENT).rpcClient(SERVER);
        final SplittableRandom random = new SplittableRandom(seed);
        final Thread garbage = Thread.ofPlatform().name("garbage").start(() ->
        {
            final byte[] bytes = new byte[network.maxFrameLength()];
            for (int i = 0; i < 20_000; i++)
            {
                final int length = FrameMutator.next(random, bytes, network.maxFrameLength(), SERVER, IMPOSTORS);
                network.inject(SERVER, bytes, length);
            }
        });
        runCalls(client, 0, 5_000, 2, 2, 64 * 1024);
        garbage.join();
        await(() -> server.counter(Counter.FRAMES_MALFORMED) > 1_000, "garbage counted as malformed" + context());
        System.out.println("  after garbage: " + server.describe());
        assertEquals(0, server.counter(Counter.HANDLER_ERRORS), "no exception escaped" + context());
        assertTrue(server.reassemblyBytes() <= TransportConfig.defaults(SERVER).reassemblyBudgetBytes(),
            "reassembly memory bounded");
        runCalls(client, 5_000, 6_000, 1, 2, 1024);
        assertEquals(6_000, server.executedTotal(), "valid traffic unaffected" + context());
    }
}
