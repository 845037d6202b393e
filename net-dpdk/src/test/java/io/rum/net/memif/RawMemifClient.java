package io.rum.net.memif;

import io.rum.net.os.Posix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * A memif client a test drives step by step, to be the peer a server should not trust: it says what it is told to,
 * in the order it is told, and writes descriptors and frames straight into the rings. The server under test runs
 * in the same thread: {@code pump} polls it between steps.
 */
final class RawMemifClient implements AutoCloseable
{
    static final int LOG2_RING_SIZE = 4;
    static final int RING_SIZE = 1 << LOG2_RING_SIZE;
    static final int BUFFER_SIZE = 2048;

    private final MemifSocket socket;
    private final Runnable pump;
    private MemifRegion region;
    private MemifRing toServer;
    private MemifRing toClient;
    private int head;
    private final int ringBytes = MemifRing.bytes(LOG2_RING_SIZE);
    private final int eventFd = Posix.eventfd();

    RawMemifClient(final String path, final Runnable pump)
    {
        this.pump = pump;
        final int fd = Posix.socketSeqPacket();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment address = arena.allocate(Posix.SOCKADDR_UN_SIZE);
            final int rc = Posix.connect(fd, address, Posix.unixAddress(address, path, false));
            if (rc < 0)
            {
                Posix.close(fd);
                throw new IllegalStateException("connect: " + Posix.describe(-rc));
            }
        }
        this.socket = new MemifSocket(fd);
    }

    /** @return the next message from the server, pumping it until one comes (5 s at most). */
    MemifMessage receive()
    {
        return receive(TimeUnit.SECONDS.toNanos(5));
    }

    private MemifMessage receive(final long timeoutNs)
    {
        final long deadline = System.nanoTime() + timeoutNs;
        while (System.nanoTime() - deadline < 0)
        {
            pump.run();
            final long received = socket.receive();
            if (received == MemifMessage.LENGTH)
            {
                return socket.message();
            }
            if (received == 0)
            {
                throw new IllegalStateException("server closed the connection");
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("no message from the server within " + timeoutNs / 1_000_000 + " ms");
    }

    /** @return the type of the next message, and for DISCONNECT its reason after a colon. */
    String receiveType()
    {
        final MemifMessage message = receive();
        return MemifMessage.typeName(message.type()) +
            (message.type() == MemifMessage.DISCONNECT ? ": " + message.disconnectReason() : "");
    }

    /** As {@link #receiveType()}, waiting {@code ns} and 3 s more. */
    String receiveTypeWithin(final long ns)
    {
        final MemifMessage message = receive(ns + TimeUnit.SECONDS.toNanos(3));
        return MemifMessage.typeName(message.type()) +
            (message.type() == MemifMessage.DISCONNECT ? ": " + message.disconnectReason() : "");
    }

    MemifMessage message()
    {
        return socket.message();
    }

    void send(final int passFd)
    {
        final int rc = socket.send(passFd);
        if (rc < 0)
        {
            throw new IllegalStateException("send: " + Posix.describe(-rc));
        }
    }

    /** Sends the message filled in {@link #message()} and returns the type of the answer. */
    String say(final int passFd)
    {
        send(passFd);
        return receiveType();
    }

    /** A region as DPDK's client makes it (sealed), with two rings and their buffers; not yet announced. */
    MemifRegion makeRegion()
    {
        region = MemifRegion.create("raw-memif-test", 2 * ringBytes + 2 * RING_SIZE * BUFFER_SIZE);
        toServer = new MemifRing(region.memory(), 0, LOG2_RING_SIZE);
        toClient = new MemifRing(region.memory(), ringBytes, LOG2_RING_SIZE);
        for (final MemifRing ring : new MemifRing[] {toServer, toClient})
        {
            ring.cookie(MemifRing.COOKIE);
            ring.resetCounters();
        }
        for (int slot = 0; slot < RING_SIZE; slot++)
        {
            toServer.descBuffer(slot, 0, bufferOffset(slot), BUFFER_SIZE);
            toClient.descBuffer(slot, 0, bufferOffset(slot + RING_SIZE), BUFFER_SIZE);
        }
        return region;
    }

    int bufferOffset(final int slot)
    {
        return 2 * ringBytes + slot * BUFFER_SIZE;
    }

    /** The whole handshake, as a well-behaved client: @return the server's last answer (CONNECTED). */
    String handshake(final long id)
    {
        check("HELLO", receiveType());
        message().init(id, "", "raw test client");
        check("ACK", say(-1));
        makeRegion();
        message().addRegion(0, region.size());
        check("ACK", say(region.fd()));
        message().addRing(true, 0, 0, 0, LOG2_RING_SIZE);
        check("ACK", say(eventFd));
        message().addRing(false, 0, 0, ringBytes, LOG2_RING_SIZE);
        check("ACK", say(eventFd));
        message().connect(MemifMessage.CONNECT, "raw0");
        return say(-1);
    }

    private static void check(final String expected, final String actual)
    {
        if (!actual.equals(expected))
        {
            throw new AssertionError("expected " + expected + ", got " + actual);
        }
    }

    /** Writes one descriptor at the next slot, as given (a test's lie or the truth), without publishing it. */
    void descriptor(final int flags, final int regionIndex, final int offset, final int length)
    {
        toServer.descBuffer(head, regionIndex, offset, length);
        toServer.descFlags(head, flags);
        head++;
    }

    /** Writes bytes into the buffer of the next slot's usual place, and a truthful descriptor for them. */
    void frame(final byte[] bytes)
    {
        region.memory().putBytes(bufferOffset(head & (RING_SIZE - 1)), bytes);
        descriptor(0, 0, bufferOffset(head & (RING_SIZE - 1)), bytes.length);
    }

    /** Hands the server the buffers of the ring it fills, slot {@code badSlot} pointing outside the region. */
    void giveBuffers(final int badSlot)
    {
        toClient.descBuffer(badSlot, 0, region.size() - 16, BUFFER_SIZE);
        toClient.headRelease(RING_SIZE);
    }

    /** Publishes every descriptor written so far. */
    void publish()
    {
        toServer.headRelease(head & 0xFFFF);
    }

    /** Publishes a head the ring cannot have: more slots than it holds. */
    void publishTooMany()
    {
        toServer.headRelease((head + RING_SIZE + 1) & 0xFFFF);
    }

    @Override
    public void close()
    {
        socket.close();
        if (null != region)
        {
            region.close();
        }
        Posix.close(eventFd);
    }
}
