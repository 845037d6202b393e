package io.rum.net.dpdk;

import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;
import io.rum.net.transport.Payloads;
import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RemoteServerNode;
import io.rum.net.transport.RpcClient;
import io.rum.net.transport.RpcStatus;
import io.rum.net.transport.TransportCounters.Counter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Loss that nobody injected: the server's af_packet receive ring holds 16 frames, and eight 1 MiB requests in
 * flight (a window of 32 frames each) overrun it, so the kernel drops frames for real. Every call must still
 * complete, correct, and the output reports how many frames were lost and how many retransmissions recovered
 * them.
 */
class DpdkRealLossTest
{
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void framesLostByThePmdAreRecovered() throws InterruptedException
    {
        DpdkTestSupport.requireNetworkNamespaces();
        final long seed = System.nanoTime();
        try (DpdkTestNetwork network = new DpdkTestNetwork(DpdkTestNetwork.Kind.AF_PACKET, 16);
            RemoteServerNode server = new RemoteServerNode(network.serverPrefix(), network.serverJvmOptions(),
                seed, network.serverSpec()))
        {
            server.start();
            final ReliableTransport client = ReliableTransport.create(
                TransportConfig.defaults(DpdkTestNetwork.CLIENT), network.attach(DpdkTestNetwork.CLIENT)).start();
            try
            {
                final RpcClient rpc = client.rpcClient(DpdkTestNetwork.SERVER);
                final int length = 1 << 20;
                final int calls = 64;
                final PendingCall[] inFlight = new PendingCall[8];
                final long[] ids = new long[inFlight.length];
                for (int i = 0; i < calls + inFlight.length; i++)
                {
                    final int slot = i % inFlight.length;
                    if (null != inFlight[slot])
                    {
                        final PendingCall call = inFlight[slot];
                        assertEquals(RpcStatus.OK, call.await(), RpcStatus.describe(call.status()));
                        assertNull(Payloads.checkResponse(ids[slot], call.request(length), length, call.response(), 0,
                            call.responseLength()));
                        call.release();
                        inFlight[slot] = null;
                    }
                    if (i < calls)
                    {
                        final PendingCall call = rpc.begin(TimeUnit.SECONDS.toNanos(30));
                        Payloads.fillRequest(call.request(length), i, length);
                        call.send(length, TimeUnit.SECONDS.toNanos(60));
                        inFlight[slot] = call;
                        ids[slot] = i;
                    }
                }
                final long sent = client.counters().get(Counter.FRAMES_SENT);
                final long received = server.counter(Counter.FRAMES_RECEIVED);
                final long retransmissions = client.counters().get(Counter.RETRANSMISSIONS);
                System.out.printf("  %d calls of 1 MiB: client sent %,d frames, server received %,d: %,d lost by the" +
                    " PMD/kernel, recovered by %,d retransmissions%n", calls, sent, received, sent - received,
                    retransmissions);
                assertEquals(calls, server.executedTotal(), "each executed once");
                assertTrue(sent > received, "the small ring really dropped frames (sent " + sent + ", received " +
                    received + ")");
                assertTrue(retransmissions > 0, "and they were retransmitted");
            }
            finally
            {
                client.close();
            }
        }
    }
}
