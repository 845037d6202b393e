package io.rum.net.reliability;

import io.rum.net.Transports;
import io.rum.net.frame.FrameHeaderFlyweight;
import io.rum.net.frame.FrameType;
import io.rum.net.medium.ForwardingMedium;
import io.rum.net.medium.InProcessNetwork;
import io.rum.net.medium.Medium;
import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcClient;
import io.rum.net.transport.RpcStatus;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Edge cases a review found, each once a real failure: a blocking call inside a handler, a send racing close,
 * a server granting fewer slots than the client has, and a restart noticed only through probes.
 */
@Timeout(30)
class TransportEdgeCasesTest
{
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private static TransportConfig withSlots(final TransportConfig config, final int slots)
    {
        return new TransportConfig(config.nodeId(), slots, config.fragmentWindow(), config.sessionCredits(),
            config.maxMessageLength(), config.reassemblyBudgetBytes(), config.retainBufferBytes(), config.initialRtoNs(),
            config.minRtoNs(), config.maxRtoNs(), config.connectTimeoutNs(), config.maxServerSessions(),
            config.sessionIdleTimeoutNs(), config.streamWindowFrames(), config.streamLogFrames(),
            config.streamStatusIntervalNs(), config.maxStreams(), config.pollLimit());
    }

    @Test
    void aBlockingCallInsideAHandlerFailsInsteadOfJammingTheNode()
    {
        final InProcessNetwork network = new InProcessNetwork();
        try (ReliableTransport backend = Transports.inProcess(network, TransportConfig.defaults(3));
            ReliableTransport front = Transports.inProcess(network, TransportConfig.defaults(1));
            ReliableTransport client = Transports.inProcess(network, TransportConfig.defaults(2)))
        {
            backend.serve((src, request, offset, length, response) -> response.length(0));
            final AtomicBoolean nest = new AtomicBoolean(true);
            final AtomicReference<Throwable> thrown = new AtomicReference<>();
            front.serve((src, request, offset, length, response) ->
            {
                if (nest.getAndSet(false))
                {
                    try
                    {
                        front.rpcClient(3).call(new UnsafeBuffer(new byte[8]), 0, 8, null, SECOND);
                    }
                    catch (final IllegalStateException ex)
                    {
                        thrown.set(ex);
                        throw ex;
                    }
                }
                response.buffer(8).putLong(0, 7);
                response.length(8);
            });
            final RpcClient rpc = client.rpcClient(1);
            final UnsafeBuffer request = new UnsafeBuffer(new byte[8]);
            assertEquals(RpcStatus.REJECTED, rpc.call(request, 0, 8, null, SECOND), "the handler failed visibly");
            assertNotNull(thrown.get());
            assertTrue(thrown.get().getMessage().contains("inside the transport's duty cycle"), thrown.get().getMessage());
            for (int i = 0; i < 20; i++)
            {
                assertEquals(RpcStatus.OK, rpc.call(request, 0, 8, null, SECOND), "the node still receives (call " + i + ")");
            }
        }
    }

    @Test
    void aSendRacingCloseEndsAtOnceWithClosedAndCanBeReleased()
    {
        final InProcessNetwork network = new InProcessNetwork();
        try (ReliableTransport server = Transports.inProcess(network, TransportConfig.defaults(1)))
        {
            server.serve((src, request, offset, length, response) -> response.length(0));
            final ReliableTransport client = Transports.inProcess(network, TransportConfig.defaults(2));
            final PendingCall call = client.rpcClient(1).begin(SECOND);
            client.close();
            call.request(8).putLong(0, 42);
            final long start = System.nanoTime();
            call.send(8, 2 * SECOND);
            assertEquals(RpcStatus.CLOSED, call.await());
            assertTrue(System.nanoTime() - start < SECOND / 2, "at once, not after the timeout");
            assertTrue(call.isDone());
            call.release();
        }
    }

    @Test
    void slotsTheServerDidNotGrantAreNotHandedOut()
    {
        final InProcessNetwork network = new InProcessNetwork();
        try (ReliableTransport server = Transports.inProcess(network, withSlots(TransportConfig.defaults(1), 2));
            ReliableTransport client = Transports.inProcess(network, TransportConfig.defaults(2)))
        {
            server.serve((src, request, offset, length, response) -> response.length(0));
            final RpcClient rpc = client.rpcClient(1);
            final UnsafeBuffer request = new UnsafeBuffer(new byte[8]);
            assertEquals(RpcStatus.OK, rpc.call(request, 0, 8, null, SECOND), "connects; the server grants 2 slots");
            final PendingCall first = rpc.begin(SECOND);
            final PendingCall second = rpc.begin(SECOND);
            assertNull(rpc.begin(TimeUnit.MILLISECONDS.toNanos(50)), "no third slot: it would never be sent");
            first.request(8);
            second.request(8);
            first.send(8, SECOND);
            second.send(8, SECOND);
            assertEquals(RpcStatus.OK, first.await());
            assertEquals(RpcStatus.OK, second.await());
            first.release();
            second.release();
            assertEquals(RpcStatus.OK, rpc.call(request, 0, 8, null, SECOND));
        }
    }

    @Test
    void aRestartNoticedOnlyThroughProbesEndsTheCallWithPeerRestartedQuickly() throws InterruptedException
    {
        final InProcessNetwork network = new InProcessNetwork();
        final AtomicBoolean cut = new AtomicBoolean();
        // The first server loses every response fragment after the first: the client, its request fully
        // acknowledged by that first fragment, can only probe.
        final Medium lossy = new ForwardingMedium(network.attach(1))
        {
            private final FrameHeaderFlyweight header = new FrameHeaderFlyweight();
            private int responses;

            @Override
            public int send(final int peer, final DirectBuffer buffer, final int offset, final int length)
            {
                header.wrap(new UnsafeBuffer(buffer, offset, length), 0);
                if (header.type() == FrameType.RESPONSE && ++responses > 1)
                {
                    cut.set(true);
                    return SENT;
                }
                return super.send(peer, buffer, offset, length);
            }
        };
        final ReliableTransport first = new ReliableTransport(TransportConfig.defaults(1), lossy,
            ReliableTransport.wallClockEpoch(), SystemNanoClock.INSTANCE).start();
        first.serve((src, request, offset, length, response) ->
        {
            response.buffer(200_000);
            response.length(200_000);
        });
        try (ReliableTransport client = Transports.inProcess(network, TransportConfig.defaults(2)))
        {
            final RpcClient rpc = client.rpcClient(1);
            final PendingCall call = rpc.begin(SECOND);
            call.request(8);
            final long start = System.nanoTime();
            call.send(8, 5 * SECOND);
            while (!cut.get())
            {
                Thread.onSpinWait();
            }
            first.close();
            try (ReliableTransport second = Transports.inProcess(network, TransportConfig.defaults(1)))
            {
                second.serve((src, request, offset, length, response) -> response.length(0));
                assertEquals(RpcStatus.PEER_RESTARTED, call.await(), "told the server restarted");
                assertTrue(System.nanoTime() - start < 2 * SECOND, "within a few retransmission timeouts");
                call.release();
                assertEquals(RpcStatus.OK, rpc.call(new UnsafeBuffer(new byte[8]), 0, 8, null, SECOND),
                    "the next call goes to the new incarnation");
            }
        }
    }
}
