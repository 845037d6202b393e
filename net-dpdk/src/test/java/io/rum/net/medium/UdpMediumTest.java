package io.rum.net.medium;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Kernel UDP on loopback. Loopback delivery is immediate but not synchronous with send, so receivers poll in a
 * loop bounded by a deadline; frames are exchanged one at a time, so the order in which addresses are learned
 * is exact.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class UdpMediumTest
{
    private static final InetSocketAddress ANY_LOOPBACK_PORT = new InetSocketAddress("127.0.0.1", 0);
    private static final long RECEIVE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    private final List<UdpMedium> media = new ArrayList<>();
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[UdpMedium.MAX_UDP_PAYLOAD + 1]);

    /**
     * A frame as received: the peer number it came from and its bytes' tag.
     */
    record Received(int peer, int length, long tag)
    {
    }

    @AfterEach
    void closeAll()
    {
        for (final UdpMedium medium : media)
        {
            medium.close();
        }
    }

    private UdpMedium open(final Map<Integer, InetSocketAddress> routes, final int maxFrameLength, final int maxPeers)
    {
        final UdpMedium medium = new UdpMedium(ANY_LOOPBACK_PORT, routes, maxFrameLength, maxPeers);
        media.add(medium);
        return medium;
    }

    private UdpMedium open(final Map<Integer, InetSocketAddress> routes)
    {
        return open(routes, UdpMedium.DEFAULT_MAX_FRAME_LENGTH, UdpMedium.DEFAULT_MAX_PEERS);
    }

    private int send(final UdpMedium from, final int peer, final long tag, final int length)
    {
        frame.setMemory(0, length, (byte)tag);
        frame.putLong(0, tag);
        return from.send(peer, frame, 0, length);
    }

    private static Received receiveOne(final UdpMedium medium)
    {
        final List<Received> received = new ArrayList<>();
        final FrameHandler handler = (peer, buffer, offset, length) ->
        {
            final DirectBuffer copy = new UnsafeBuffer(new byte[length]);
            buffer.getBytes(offset, (UnsafeBuffer)copy, 0, length);
            received.add(new Received(peer, length, length >= 8 ? copy.getLong(0) : -1));
        };
        final long deadlineNs = System.nanoTime() + RECEIVE_TIMEOUT_NS;
        while (received.isEmpty())
        {
            if (medium.poll(handler, 1) == 0)
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    fail("nothing received on " + medium.name());
                }
                Thread.onSpinWait();
            }
        }
        return received.getFirst();
    }

    @Test
    void configuredNodesResolveAndExchangeFrames()
    {
        final UdpMedium a = open(Map.of());
        final UdpMedium b = open(Map.of(1, a.localAddress()));
        assertEquals(0, b.resolve(1), "configured nodes are numbered from 0");
        assertEquals(Medium.NO_ROUTE, b.resolve(2));
        assertEquals(Medium.NO_ROUTE, a.resolve(1));
        assertTrue(b.name().startsWith("udp 127.0.0.1:"), b.name());
        assertEquals(UdpMedium.DEFAULT_MAX_FRAME_LENGTH, b.maxFrameLength());

        assertEquals(Medium.SENT, send(b, b.resolve(1), 0x1111, 100));
        final Received atA = receiveOne(a);
        assertEquals(100, atA.length());
        assertEquals(0x1111, atA.tag());
        assertEquals(0, atA.peer(), "b is the first address a learns");

        // a answers a sender no configuration names, on the peer number it learned.
        assertEquals(Medium.SENT, send(a, atA.peer(), 0x2222, 8000));
        final Received atB = receiveOne(b);
        assertEquals(new Received(0, 8000, 0x2222), atB, "b knows a as configured peer 0");
        assertEquals(0, a.sendErrors());
        assertEquals(0, b.sendErrors());
    }

    @Test
    void severalConfiguredRoutesGetDistinctPeers()
    {
        final UdpMedium x = open(Map.of());
        final UdpMedium y = open(Map.of());
        final UdpMedium z = open(Map.of());
        final Map<Integer, InetSocketAddress> routes = new HashMap<>();
        routes.put(10, x.localAddress());
        routes.put(20, InetSocketAddress.createUnresolved("127.0.0.1", y.localAddress().getPort()));
        routes.put(30, z.localAddress());
        final UdpMedium hub = open(routes);
        final int[] peers = {hub.resolve(10), hub.resolve(20), hub.resolve(30)};
        assertEquals(3, java.util.Arrays.stream(peers).distinct().count());
        for (final int peer : peers)
        {
            assertTrue(peer >= 0 && peer < 3, "peer " + peer);
        }
        send(hub, peers[0], 10, 64);
        send(hub, peers[1], 20, 64);
        send(hub, peers[2], 30, 64);
        assertEquals(10, receiveOne(x).tag());
        assertEquals(20, receiveOne(y).tag(), "an unresolved route address is resolved");
        assertEquals(30, receiveOne(z).tag());

        // A configured node that sends first is recognised, not learned again.
        send(y, 0, 21, 64);
        assertEquals(new Received(peers[1], 64, 21), receiveOne(hub));
    }

    @Test
    void learnedPeerTableIsBoundedAndForgetsTheOldest()
    {
        final int maxPeers = 4;
        final UdpMedium configured = open(Map.of());
        final UdpMedium server = open(Map.of(7, configured.localAddress()), 1024, maxPeers);
        final UdpMedium[] clients = new UdpMedium[6];
        for (int i = 0; i < clients.length; i++)
        {
            clients[i] = open(Map.of(1, server.localAddress()));
        }
        // Learned numbers are 1..3 (0 is the configured node), handed out round-robin: the oldest goes first.
        final int[] expected = {1, 2, 3, 1, 2, 3};
        for (int i = 0; i < clients.length; i++)
        {
            send(clients[i], 0, 100 + i, 64);
            final Received received = receiveOne(server);
            assertEquals(100 + i, received.tag());
            assertEquals(expected[i], received.peer(), "client " + i);
        }
        // Peer 1 now means client 3: client 0 was forgotten.
        send(server, 1, 999, 64);
        assertEquals(999, receiveOne(clients[3]).tag());
        // Client 0 comes back and is learned afresh, taking the oldest learned number: client 3's.
        send(clients[0], 0, 1000, 64);
        assertEquals(new Received(1, 64, 1000), receiveOne(server));
        send(server, 1, 1001, 64);
        assertEquals(1001, receiveOne(clients[0]).tag(), "peer 1 answers client 0 again");
        // The configured peer is never reused for learned addresses.
        assertEquals(0, server.resolve(7));
        send(configured, 0, 7, 64);
        assertNotEquals(0, configured.localAddress().getPort());
        send(server, 0, 77, 64);
        assertEquals(77, receiveOne(configured).tag());
        // Client 5 still holds number 3 and can be answered.
        send(server, 3, 55, 64);
        assertEquals(55, receiveOne(clients[5]).tag());
    }

    @Test
    void sendsThatCannotGoAreRefused()
    {
        final UdpMedium a = open(Map.of(), 512, 8);
        final UdpMedium b = open(Map.of(1, a.localAddress()), 512, 8);
        assertEquals(Medium.FAILED, send(b, 0, 1, 513), "larger than maxFrameLength");
        assertEquals(Medium.SENT, send(b, 0, 2, 512), "exactly maxFrameLength");
        assertEquals(new Received(0, 512, 2), receiveOne(a));
        assertEquals(Medium.NO_ROUTE, send(b, 1, 3, 64), "peer number never assigned");
        assertEquals(Medium.NO_ROUTE, send(b, -1, 3, 64));
        assertEquals(Medium.NO_ROUTE, send(b, 8, 3, 64), "beyond maxPeers");
    }

    @Test
    void constructorChecksItsBounds()
    {
        assertThrows(IllegalArgumentException.class, () -> open(Map.of(), 63, 8));
        assertThrows(IllegalArgumentException.class, () -> open(Map.of(), UdpMedium.MAX_UDP_PAYLOAD + 1, 8));
        final InetSocketAddress somewhere = new InetSocketAddress("127.0.0.1", 9);
        assertThrows(IllegalArgumentException.class, () -> open(Map.of(1, somewhere, 2, somewhere), 1024, 2),
            "no room left for learned peers");
    }

    @Test
    void closeIsIdempotent()
    {
        final UdpMedium a = open(Map.of());
        a.close();
        a.close();
        final FrameHandler handler = (peer, buffer, offset, length) -> fail("closed");
        assertEquals(0, a.poll(handler, 10), "a closed medium receives nothing and does not throw");
    }
}
