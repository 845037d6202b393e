package io.rum.net.reliability;

import io.rum.net.medium.FrameHandler;
import io.rum.net.medium.Medium;
import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcClient;
import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * RUM itself (ReliableTransport, sessions, CRC32C in Java, at-most-once) over the shared rings of ShmRingExp instead
 * of DPDK: the end-to-end figure option (c) of the stop 12 notes would start from. A throw-away medium, not a design:
 * one peer, no control protocol (the client creates the file, the child maps it), no liveness. Pinned like MemifExp:
 * SERVER_CPU for the echo JVM (its poller busy-spins), CLIENT_CPU for this JVM's calling thread (its poller backs off
 * and parks while the caller drives the cycles).
 *
 *   ShmRumExp <size>
 */
public final class ShmRumExp
{
    private static final int SLOTS = 256;
    private static final int SLOT_SIZE = 10_240;
    private static final int HEAD = 0;
    private static final int TAIL = 64;
    private static final int SLOTS_AT = 128;
    private static final int RING_SIZE = SLOTS_AT + SLOTS * SLOT_SIZE;
    private static final VarHandle COUNTER = ValueLayout.JAVA_LONG.varHandle();

    /** One peer over two rings of a mapped file: sends into one, receives from the other, in place. */
    static final class ShmRingMedium implements Medium
    {
        private final MemorySegment memory;
        private final UnsafeBuffer view;
        private final int txBase;
        private final int rxBase;
        private final int peerNode;
        private final AtomicInteger doorbell = new AtomicInteger();
        private long txNext;
        private long rxNext;

        ShmRingMedium(final MemorySegment memory, final int txBase, final int rxBase, final int peerNode)
        {
            this.memory = memory;
            this.view = new UnsafeBuffer(memory.asByteBuffer());
            this.txBase = txBase;
            this.rxBase = rxBase;
            this.peerNode = peerNode;
        }

        @Override
        public String name()
        {
            return "shm ring";
        }

        @Override
        public int maxFrameLength()
        {
            return 8192;
        }

        @Override
        public int resolve(final int nodeId)
        {
            return nodeId == peerNode ? 0 : NO_ROUTE;
        }

        @Override
        public int send(final int peer, final DirectBuffer buffer, final int offset, final int length)
        {
            if (peer != 0)
            {
                return NO_ROUTE;
            }
            if (length > maxFrameLength())
            {
                return FAILED;
            }
            if (txNext - (long)COUNTER.getAcquire(memory, (long)txBase + TAIL) >= SLOTS)
            {
                return BACK_PRESSURED;
            }
            final int at = txBase + SLOTS_AT + (int)(txNext % SLOTS) * SLOT_SIZE;
            view.putInt(at, length);
            view.putBytes(at + 4, buffer, offset, length);
            txNext++;
            COUNTER.setRelease(memory, (long)txBase + HEAD, txNext);
            return SENT;
        }

        @Override
        public int poll(final FrameHandler handler, final int limit)
        {
            int delivered = 0;
            while (delivered < limit && (long)COUNTER.getAcquire(memory, (long)rxBase + HEAD) != rxNext)
            {
                final int at = rxBase + SLOTS_AT + (int)(rxNext % SLOTS) * SLOT_SIZE;
                handler.onFrame(0, view, at + 4, view.getInt(at));
                rxNext++;
                COUNTER.setRelease(memory, (long)rxBase + TAIL, rxNext);
                delivered++;
            }
            return delivered;
        }

        @Override
        public boolean waits()
        {
            return true;
        }

        /** The wait is a Java loop on the peer's head: a load, no call. */
        @Override
        public int poll(final FrameHandler handler, final int limit, final long waitNs)
        {
            final int n = poll(handler, limit);
            if (n > 0 || waitNs <= 0)
            {
                return n;
            }
            final long start = System.nanoTime();
            for (int spins = 1; doorbell.get() == 0; spins++)
            {
                if ((long)COUNTER.getAcquire(memory, (long)rxBase + HEAD) != rxNext)
                {
                    doorbell.set(0);
                    return poll(handler, limit);
                }
                if ((spins & 7) == 0 && System.nanoTime() - start >= waitNs)
                {
                    break;
                }
            }
            doorbell.set(0);
            return 0;
        }

        @Override
        public void wake()
        {
            doorbell.set(1);
        }

        @Override
        public void close()
        {
            // the mapping lives as long as the process
        }
    }

    public static void main(final String[] args) throws Throwable
    {
        if (args[0].equals("echo"))
        {
            echo(Path.of(args[1]));
            return;
        }
        final int size = Integer.parseInt(args[0]);
        final Path file = Path.of("/dev/shm", "rum-shm-" + ProcessHandle.current().pid());
        final MemorySegment memory = ShmRingExp.map(file, true, 2L * RING_SIZE);
        final Process server = ShmRingExp.startEcho(ShmRumExp.class, file);
        final ReliableTransport client = ReliableTransport.create(TransportConfig.defaults(1),
            new ShmRingMedium(memory, 0, RING_SIZE, 2)).start(ReliableTransport.defaultIdleStrategy());
        final RpcClient rpc = client.rpcClient(2);
        if (System.getenv("CLIENT_CPU") != null)
        {
            MemifExp.pin(Integer.parseInt(System.getenv("CLIENT_CPU")));
        }
        final UnsafeBuffer request = new UnsafeBuffer(new byte[size]);
        final long timeout = 10_000_000_000L;
        final int rounds = Integer.parseInt(System.getenv().getOrDefault("ROUNDS", "3"));
        for (int round = 0; round < rounds; round++)
        {
            final Histogram h = new Histogram(10_000_000_000L, 3);
            for (int i = 0; i < 60_000; i++)
            {
                final long t0 = System.nanoTime();
                final PendingCall call = rpc.begin(timeout);
                call.request(size).putBytes(0, request, 0, size);
                call.send(size, timeout);
                call.await();
                call.release();
                final long t1 = System.nanoTime();
                if (i >= 20_000)
                {
                    h.recordValue(t1 - t0);
                }
            }
            System.out.printf("RUM over java shm rings size=%d p50=%.2f p90=%.2f p99=%.2f%n", size,
                h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3);
        }
        System.out.println("client " + client.counters());
        server.getOutputStream().close();
        server.waitFor();
        client.close();
        Files.deleteIfExists(file);
    }

    private static void echo(final Path file) throws Throwable
    {
        final ReliableTransport server = ReliableTransport.create(TransportConfig.defaults(2),
            new ShmRingMedium(ShmRingExp.map(file, false, 2L * RING_SIZE), RING_SIZE, 0, 1));
        server.serve((src, request, offset, length, response) ->
        {
            response.buffer(length).putBytes(0, request, offset, length);
            response.length(length);
        });
        server.start(new org.agrona.concurrent.BusySpinIdleStrategy());
        System.out.println("ECHO READY");
        System.out.flush();
        while (System.in.read() >= 0)
        {
            // until the client closes our stdin
        }
        server.close();
    }

}
