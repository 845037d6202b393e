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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

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
    private final List<ReliableTransport> transports = new CopyOnWriteArrayList<>();
    private final Map<Long, AtomicInteger> executions = new ConcurrentHashMap<>();
    private final AtomicLong executedTotal = new AtomicLong();

    /**
     * @return the network of nodes {@link #CLIENT}, {@link #SERVER} and {@link #OTHER_CLIENT} on the medium.
     */
    protected abstract TestNetwork newNetwork();

    @BeforeEach
    void setUp()
    {
        network = newNetwork();
        System.out.println(getClass().getSimpleName() + " seed=" + seed + " (replay decisions with -Drum.seed=" +
            seed + ")");
    }

    @AfterEach
    void tearDown()
    {
        for (final ReliableTransport transport : transports)
        {
            System.out.println("  " + transport);
            transport.close();
        }
        network.close();
    }

    protected TransportConfig config(final int nodeId)
    {
        return TransportConfig.defaults(nodeId);
    }

    protected ReliableTransport startNode(final int nodeId)
    {
        final FaultInjectingMedium medium = new FaultInjectingMedium(
            network.attach(nodeId), plan, seed * 31 + nodeId + transports.size(), SystemNanoClock.INSTANCE);
        final ReliableTransport transport = ReliableTransport.create(config(nodeId), medium).start();
        transports.add(transport);
        return transport;
    }

    protected ReliableTransport startServer(final int nodeId)
    {
        final ReliableTransport server = startNode(nodeId);
        server.serve((src, request, offset, length, response) ->
        {
            final long id = Payloads.requestId(request, offset, length);
            executions.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            executedTotal.incrementAndGet();
            Payloads.writeResponse(request, offset, length, response);
        });
        return server;
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
                        final String wrong = Payloads.checkResponse(ids[0], requestCopy(call, ids[0], lengths[0]),
                            lengths[0], call.response(), 0, call.responseLength());
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

    private static DirectBuffer requestCopy(final PendingCall call, final long id, final int length)
    {
        // The request buffer is the caller's until release, so it still holds what was sent.
        final MutableDirectBuffer request = call.request(length);
        return request;
    }

    private void assertExecutedOnce(final long from, final long to)
    {
        for (long id = from; id < to; id++)
        {
            if (Payloads.requestLength(id, Integer.MAX_VALUE) >= 8 || Payloads.requestLength(id, 8) >= 8)
            {
                final AtomicInteger count = executions.get(id);
                final int length = Payloads.requestLength(id, 4 * 1024 * 1024);
                if (length >= 8 && (null == count || count.get() != 1))
                {
                    fail("request " + id + " executed " + (null == count ? 0 : count.get()) + " times" + context());
                }
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void roundTripsSmallAndBoundaryMessages() throws InterruptedException
    {
        startServer(SERVER);
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
        assertEquals(lengths.length + 2_000, executedTotal.get(), "executions" + context());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void hundredThousandRequestsUnderLossDuplicationAndReorderingExecuteExactlyOnce() throws InterruptedException
    {
        plan.drop(0.10).duplicate(0.05).reorder(0.05).delay(0.02, TimeUnit.MICROSECONDS.toNanos(300));
        final ReliableTransport server = startServer(SERVER);
        final ReliableTransport clientNode = startNode(CLIENT);
        final RpcClient client = clientNode.rpcClient(SERVER);
        final int requests = 100_000;
        final long started = System.nanoTime();
        runCalls(client, 0, requests, 2, 4, 4 * 1024 * 1024);
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertEquals(requests, executedTotal.get(), "every request executed exactly once" + context());
        assertExecutedOnce(0, requests);
        final TransportCounters c = clientNode.counters();
        System.out.printf("  %,d requests in %,d ms: %,d retransmissions, %,d duplicates answered from cache%n",
            requests, elapsedMs, c.get(Counter.RETRANSMISSIONS),
            server.counters().get(Counter.DUPLICATE_REQUESTS_ANSWERED));
        assertTrue(c.get(Counter.RETRANSMISSIONS) > 0, "faults were injected, so something was retransmitted");
        assertTrue(server.counters().get(Counter.DUPLICATE_REQUESTS_ANSWERED) > 0, "duplicates reached the server");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void largestMessageRoundTripsUnderLoss() throws InterruptedException
    {
        plan.drop(0.05).reorder(0.05);
        startServer(SERVER);
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
        assertEquals(1, executedTotal.get());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void partitionTimesCallsOutAndHealingRestoresThem() throws InterruptedException
    {
        startServer(SERVER);
        final RpcClient client = startNode(CLIENT).rpcClient(SERVER);
        runCalls(client, 0, 100, 1, 1, 1024);
        final UnsafeBuffer request = new UnsafeBuffer(new byte[16]);
        Payloads.fillRequest(request, 5_000, 16);

        plan.partition(CLIENT, SERVER);
        final long before = System.nanoTime();
        assertEquals(RpcStatus.TIMEOUT, client.call(request, 0, 16, null, TimeUnit.MILLISECONDS.toNanos(200)));
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
        assertTrue(tookMs >= 190 && tookMs < 5_000, "timeout honoured, took " + tookMs + " ms");

        plan.heal().cut(SERVER, CLIENT);
        Payloads.fillRequest(request, 5_001, 16);
        assertEquals(RpcStatus.TIMEOUT, client.call(request, 0, 16, null, TimeUnit.MILLISECONDS.toNanos(200)),
            "one-way cut: requests arrive, responses do not");

        plan.heal();
        runCalls(client, 10_000, 10_200, 2, 2, 1024);
        // The one-way cut let the request through once: it ran, and was never run again by the retransmissions.
        assertEquals(1, executions.get(5_001L).get());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void serverRestartIsDetectedAndTrafficResumesWithoutStaleDuplicates() throws InterruptedException
    {
        plan.drop(0.05).duplicate(0.05).reorder(0.05);
        final ReliableTransport first = startServer(SERVER);
        final ReliableTransport clientNode = startNode(CLIENT);
        final RpcClient client = clientNode.rpcClient(SERVER);
        runCalls(client, 0, 500, 2, 2, 1024);
        final long executedBefore = executedTotal.get();

        // Calls in flight while the server goes away: each ends OK, TIMEOUT or PEER_RESTARTED, never hangs.
        final AtomicInteger statuses = new AtomicInteger();
        final Thread caller = Thread.ofPlatform().name("restart-caller").start(() ->
        {
            final UnsafeBuffer request = new UnsafeBuffer(new byte[64]);
            for (long id = 20_000; id < 20_200; id++)
            {
                Payloads.fillRequest(request, id, 64);
                final int status = client.call(request, 0, 64, null, TimeUnit.SECONDS.toNanos(2));
                if (status == RpcStatus.OK || status == RpcStatus.PEER_RESTARTED || status == RpcStatus.TIMEOUT)
                {
                    statuses.incrementAndGet();
                }
            }
        });
        first.close();
        transports.remove(first);
        executions.clear();
        final ReliableTransport second = startServer(SERVER);
        caller.join();
        assertEquals(200, statuses.get(), "every call ended with OK, TIMEOUT or PEER_RESTARTED" + context());
        runCalls(client, 30_000, 31_000, 2, 2, 1024);
        executions.remove(-1L);
        for (final Map.Entry<Long, AtomicInteger> e : executions.entrySet())
        {
            assertEquals(1, e.getValue().get(), "request " + e.getKey() + " ran twice on the new server" + context());
            assertTrue(e.getKey() >= 20_000, "a request of the old incarnation ran on the new one" + context());
        }
        assertTrue(clientNode.counters().get(Counter.PEER_RESTARTS_DETECTED) > 0 || executedBefore == 500,
            "restart detected");
        assertTrue(second.counters().get(Counter.REQUESTS_EXECUTED) >= 1_000);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void clientRestartGetsAFreshSession() throws InterruptedException
    {
        final ReliableTransport server = startServer(SERVER);
        final ReliableTransport first = startNode(CLIENT);
        runCalls(first.rpcClient(SERVER), 0, 100, 1, 2, 1024);
        first.close();
        transports.remove(first);
        final ReliableTransport second = startNode(CLIENT);
        // The new incarnation starts its slots at request number 1 again: only a fresh session makes that work.
        runCalls(second.rpcClient(SERVER), 100, 300, 1, 2, 1024);
        assertEquals(300, executedTotal.get());
        assertTrue(server.counters().get(Counter.PEER_RESTARTS_DETECTED) >= 1, "server saw the client restart");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void streamDeliversInOrderExactlyOnceUnderFaults() throws InterruptedException
    {
        plan.drop(0.10).duplicate(0.05).reorder(0.05).delay(0.02, TimeUnit.MICROSECONDS.toNanos(300));
        final ReliableTransport receiver = startNode(SERVER);
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final AtomicLong expected = new AtomicLong();
        receiver.subscribe(7, (src, streamId, buffer, offset, length) ->
        {
            final long n = expected.getAndIncrement();
            final int expectedLength = streamLength(n);
            if (length != expectedLength || (length >= 8 && buffer.getLong(offset) != n))
            {
                failures.add("message " + n + ": got " + length + " bytes, first long " +
                    (length >= 8 ? buffer.getLong(offset) : -1));
            }
        });
        final StreamPublication publication = startNode(CLIENT).publication(SERVER, 7);
        final int messages = 20_000;
        final UnsafeBuffer message = new UnsafeBuffer(new byte[publication.maxMessageLength()]);
        for (long n = 0; n < messages; n++)
        {
            final int length = streamLength(n);
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
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while (expected.get() < messages && failures.isEmpty() && System.nanoTime() < deadline)
        {
            Thread.sleep(5);
        }
        assertTrue(failures.isEmpty(), failures.peek() + context());
        assertEquals(messages, expected.get(), "all messages delivered" + context());
        assertEquals(messages, receiver.counters().get(Counter.STREAM_MESSAGES_DELIVERED), "each exactly once");
    }

    private static int streamLength(final long n)
    {
        return n % 500 == 0 ? 100_000 : n % 37 == 0 ? 20_000 : (int)(n % 300);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void streamPublisherRestartIsDetectedAndTrafficResumes() throws InterruptedException
    {
        final ReliableTransport receiver = startNode(SERVER);
        final ConcurrentLinkedQueue<Long> received = new ConcurrentLinkedQueue<>();
        final AtomicInteger restarts = new AtomicInteger();
        receiver.subscribe(9, new StreamHandler()
        {
            @Override
            public void onMessage(final int src, final int streamId, final DirectBuffer buffer, final int offset,
                final int length)
            {
                received.add(buffer.getLong(offset));
            }

            @Override
            public void onPublisherRestart(final int src, final int streamId)
            {
                restarts.incrementAndGet();
            }
        });
        final ReliableTransport first = startNode(CLIENT);
        final UnsafeBuffer message = new UnsafeBuffer(new byte[8]);
        offerAll(first.publication(SERVER, 9), message, 0, 1_000);
        awaitCount(received, 1_000);
        first.close();
        transports.remove(first);
        final ReliableTransport second = startNode(CLIENT);
        offerAll(second.publication(SERVER, 9), message, 1_000_000, 1_001_000);
        awaitCount(received, 2_000);
        assertEquals(1, restarts.get(), "one publisher restart seen");
        long previous = -1;
        int index = 0;
        for (final long value : received)
        {
            assertTrue(value > previous, "in order, no stale duplicates: " + value + " after " + previous);
            previous = value;
            index++;
        }
        assertEquals(2_000, index);
    }

    private static void offerAll(final StreamPublication publication, final UnsafeBuffer message, final long from,
        final long to)
    {
        for (long n = from; n < to; n++)
        {
            message.putLong(0, n);
            while (publication.offer(message, 0, 8) == StreamPublication.BACK_PRESSURED)
            {
                Thread.onSpinWait();
            }
        }
    }

    private void awaitCount(final ConcurrentLinkedQueue<Long> received, final int count) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while (received.size() < count && System.nanoTime() < deadline)
        {
            Thread.sleep(2);
        }
        assertEquals(count, received.size(), "messages delivered" + context());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void malformedFramesAreCountedAndDroppedWhileValidTrafficFlows() throws InterruptedException
    {
        final ReliableTransport server = startServer(SERVER);
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
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (server.counters().get(Counter.FRAMES_MALFORMED) + server.counters().get(Counter.FRAMES_STALE) +
            server.counters().get(Counter.REJECTS_SENT) < 1_000 && System.nanoTime() < deadline)
        {
            Thread.sleep(5);
        }
        final TransportCounters c = server.counters();
        System.out.println("  after garbage: " + c);
        assertTrue(c.get(Counter.FRAMES_MALFORMED) > 1_000, "garbage counted as malformed" + context());
        assertEquals(0, c.get(Counter.HANDLER_ERRORS), "no exception escaped" + context());
        assertTrue(server.reassemblyBytes() <= server.config().reassemblyBudgetBytes(), "reassembly memory bounded");
        runCalls(client, 5_000, 6_000, 1, 2, 1024);
        assertEquals(6_000, executedTotal.get(), "valid traffic unaffected" + context());
    }
}
