package io.rum.bench;

import io.rum.net.medium.FaultInjectingMedium;
import io.rum.net.medium.FaultPlan;
import io.rum.net.medium.InProcessNetwork;
import io.rum.net.medium.UdpMedium;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;
import io.rum.net.transport.RpcClient;
import io.rum.net.transport.RpcStatus;
import io.rum.net.transport.TransportCounters;
import io.rum.net.transport.TransportCounters.Counter;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * {@code ./rum demo}: what RUM can do today, on the embedded default with nothing to set up. Runs request/response
 * round trips through the transport in-process and over UDP loopback, then again over UDP with 10% of frames
 * dropped, 5% duplicated and 5% reordered, checking every response, and prints what it saw. Later the demo
 * becomes the cache demo; the transport is what everything else stands on.
 */
public final class Demo
{
    private static final int CALLS = 20_000;
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private Demo()
    {
    }

    public static void main(final String[] args)
    {
        System.out.println("RUM demo: reliable request/response over the transport every RUM node uses.");
        System.out.println();
        final InProcessNetwork network = new InProcessNetwork();
        run("in-process", ReliableTransport.create(TransportConfig.defaults(2), network.attach(2)).start(),
            ReliableTransport.create(TransportConfig.defaults(1), network.attach(1)).start(), null);
        run("UDP loopback", udpServer(FaultPlan.none(), 0), null, FaultPlan.none());
        final FaultPlan lossy = FaultPlan.none().drop(0.10).duplicate(0.05).reorder(0.05);
        run("UDP loopback, 10% loss + 5% duplication + 5% reordering", udpServer(lossy, 7), null, lossy);
        System.out.println();
        System.out.println("Every response was checked against its request; every request ran exactly once.");
    }

    private static UdpMedium udpMedium(final Map<Integer, InetSocketAddress> routes)
    {
        return new UdpMedium(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), routes,
            UdpMedium.DEFAULT_MAX_FRAME_LENGTH, UdpMedium.DEFAULT_MAX_PEERS);
    }

    private static ReliableTransport udpServer(final FaultPlan plan, final long seed)
    {
        return ReliableTransport.create(TransportConfig.defaults(2),
            new FaultInjectingMedium(udpMedium(Map.of()), plan, seed, SystemNanoClock.INSTANCE)).start();
    }

    private static void run(
        final String name, final ReliableTransport server, final ReliableTransport givenClient, final FaultPlan plan)
    {
        final ReliableTransport client = null != givenClient ? givenClient :
            ReliableTransport.create(TransportConfig.defaults(1), new FaultInjectingMedium(
                udpMedium(Map.of(2, ((UdpMedium)unwrap(server)).localAddress())), plan, 11, SystemNanoClock.INSTANCE))
                .start();
        final long[] executed = new long[1];
        server.serve((src, request, offset, length, response) ->
        {
            executed[0]++;
            response.buffer(8).putLong(0, crc(request, offset, length));
            response.length(8);
        });
        try (server; client)
        {
            final RpcClient rpc = client.rpcClient(server.nodeId());
            final Histogram histogram = new Histogram(10_000_000_000L, 3);
            final UnsafeBuffer request = new UnsafeBuffer(new byte[16 * 1024]);
            final long[] answer = new long[1];
            int wrong = 0;
            System.out.printf(Locale.ROOT, "%s: %,d calls of 16 B to 16 KiB ", name, CALLS);
            final long started = System.nanoTime();
            for (int i = 0; i < CALLS; i++)
            {
                final int length = 16 + (i * 7919) % (16 * 1024 - 16);
                request.putLong(0, i);
                final long expected = crc(request, 0, length);
                final long start = System.nanoTime();
                final int status = rpc.call(request, 0, length, (buffer, offset, len) -> answer[0] = buffer.getLong(offset),
                    TIMEOUT_NS);
                histogram.recordValue(System.nanoTime() - start);
                if (status != RpcStatus.OK)
                {
                    throw new IllegalStateException("call " + i + ": " + RpcStatus.describe(status));
                }
                if (answer[0] != expected)
                {
                    wrong++;
                }
                if (i % (CALLS / 10) == 0)
                {
                    System.out.print(".");
                    System.out.flush();
                }
            }
            final double seconds = (System.nanoTime() - started) / 1e9;
            final TransportCounters c = client.counters();
            System.out.println();
            System.out.printf(Locale.ROOT,
                "  %.2f s, round trip p50 %.1f µs, p99 %.1f µs; %d wrong answers; executed %,d times; " +
                "%,d retransmissions, %,d duplicates answered from the server's cache%n",
                seconds, histogram.getValueAtPercentile(50) / 1e3, histogram.getValueAtPercentile(99) / 1e3, wrong,
                server.counters().get(Counter.REQUESTS_EXECUTED), c.get(Counter.RETRANSMISSIONS),
                server.counters().get(Counter.DUPLICATE_REQUESTS_ANSWERED));
            if (wrong != 0 || server.counters().get(Counter.REQUESTS_EXECUTED) != CALLS)
            {
                throw new IllegalStateException("the demo saw a wrong answer or a request run twice");
            }
        }
    }

    private static long crc(final org.agrona.DirectBuffer buffer, final int offset, final int length)
    {
        final CRC32 crc = new CRC32();
        final byte[] array = buffer.byteArray();
        if (null != array)
        {
            crc.update(array, buffer.wrapAdjustment() + offset, length);
        }
        else
        {
            for (int i = 0; i < length; i++)
            {
                crc.update(buffer.getByte(offset + i));
            }
        }
        return crc.getValue();
    }

    private static Object unwrap(final ReliableTransport transport)
    {
        return transport.medium() instanceof FaultInjectingMedium f ? f.delegate() : transport.medium();
    }
}
