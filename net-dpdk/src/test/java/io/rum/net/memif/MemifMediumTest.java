package io.rum.net.memif;

import io.rum.net.config.MacAddress;
import io.rum.net.medium.FrameHandler;
import io.rum.net.medium.Medium;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RUM's memif driver, both ends in this JVM on one control socket, polled in turn by the test thread: the handshake,
 * frames one way and the other (short ones in one buffer, long ones chained), and what a peer can get wrong.
 * Between processes, and against DPDK's memif, see {@code MemifTransportTest} and {@code DpdkMemifInteropTest}.
 */
class MemifMediumTest
{
    private static final MacAddress SERVER_MAC = MacAddress.parse("02:52:55:4d:20:02");
    private static final MacAddress CLIENT_MAC = MacAddress.parse("02:52:55:4d:20:01");
    private static final int SERVER = 2;
    private static final int CLIENT = 1;

    @TempDir
    Path folder;

    private final List<Medium> open = new ArrayList<>();

    @AfterEach
    void closeAll()
    {
        open.forEach(Medium::close);
    }

    private String vdev(final String role, final String extra)
    {
        return "net_memif0,role=" + role + ",id=0,socket=" + folder.resolve("memif.sock") +
            ",socket-abstract=no,bsize=2048,rsize=8" + extra;
    }

    private MemifMedium server(final String extra)
    {
        final MemifMedium medium = new MemifMedium(MemifConfig.parse(vdev("server", extra)), SERVER_MAC, Map.of(),
            64, MemifMedium.DEFAULT_MAX_FRAME_LENGTH, 4);
        open.add(medium);
        return medium;
    }

    private MemifMedium client(final String extra, final MacAddress mac)
    {
        final MemifMedium medium = new MemifMedium(MemifConfig.parse(vdev("client", extra)), mac,
            Map.of(SERVER, SERVER_MAC), 64, MemifMedium.DEFAULT_MAX_FRAME_LENGTH, 4);
        open.add(medium);
        return medium;
    }

    /** Frames a medium received: peer and bytes. */
    private static final class Inbox implements FrameHandler
    {
        final List<Integer> peers = new ArrayList<>();
        final List<byte[]> frames = new ArrayList<>();

        @Override
        public void onFrame(final int peer, final MutableDirectBuffer buffer, final int offset, final int length)
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            peers.add(peer);
            frames.add(bytes);
        }
    }

    private static void pollUntil(final BooleanSupplier done, final Medium... media)
    {
        final Inbox ignored = new Inbox();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!done.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("not done within 5 s: " + List.of(media));
            }
            for (final Medium medium : media)
            {
                medium.poll(ignored, 16);
            }
            Thread.onSpinWait();
        }
    }

    private static byte[] bytes(final int length, final int seed)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(seed * 31 + i * 7);
        }
        return bytes;
    }

    private static void exchange(final MemifMedium client, final MemifMedium server, final int length)
    {
        exchange(client, server, length, CLIENT_MAC);
    }

    private static void exchange(
        final MemifMedium client, final MemifMedium server, final int length, final MacAddress clientMac)
    {
        final byte[] request = bytes(length, 1);
        assertEquals(Medium.SENT, client.send(client.resolve(SERVER), new UnsafeBuffer(request), 0, length));
        final Inbox atServer = new Inbox();
        pollUntil(() -> server.poll(atServer, 16) >= 0 && !atServer.frames.isEmpty(), client);
        assertArrayEquals(request, atServer.frames.getFirst(), "client to server, " + length + " bytes");
        assertEquals(clientMac, server.peerMac(atServer.peers.getFirst()));

        final byte[] response = bytes(length, 2);
        assertEquals(Medium.SENT, server.send(atServer.peers.getFirst(), new UnsafeBuffer(response), 0, length));
        final Inbox atClient = new Inbox();
        pollUntil(() -> client.poll(atClient, 16) >= 0 && !atClient.frames.isEmpty(), server);
        assertArrayEquals(response, atClient.frames.getFirst(), "server to client, " + length + " bytes");
        assertEquals(client.resolve(SERVER), atClient.peers.getFirst());
    }

    @Test
    void framesGoBothWaysInOneBufferAndChained()
    {
        final MemifMedium server = server("");
        final MemifMedium client = client("", CLIENT_MAC);
        pollUntil(() -> client.isUp() && server.isUp(), client, server);
        for (final int length : new int[] {64, 2048 - 16, 2048 - 15, 5000, MemifMedium.DEFAULT_MAX_FRAME_LENGTH})
        {
            exchange(client, server, length);
        }
        for (int i = 0; i < 1000; i++)
        {
            exchange(client, server, 64 + i % 300);
        }
        assertEquals(0, server.counters().badDescriptors() + client.counters().badDescriptors());
        assertEquals(1, client.counters().connects());
    }

    @Test
    void aFullRingPushesBackAndLosesNothing()
    {
        final MemifMedium server = server("");
        final MemifMedium client = client("", CLIENT_MAC);
        pollUntil(() -> client.isUp() && server.isUp(), client, server);
        int sent = 0;
        while (client.send(client.resolve(SERVER), new UnsafeBuffer(bytes(100, sent)), 0, 100) == Medium.SENT)
        {
            sent++;
        }
        assertEquals(256, sent, "a ring of 2^8 slots");
        assertEquals(1, client.counters().txRingFull());
        final Inbox atServer = new Inbox();
        pollUntil(() -> server.poll(atServer, 64) >= 0 && atServer.frames.size() == 256);
        for (int i = 0; i < 256; i++)
        {
            assertArrayEquals(bytes(100, i), atServer.frames.get(i));
        }
        assertEquals(Medium.SENT, client.send(client.resolve(SERVER), new UnsafeBuffer(bytes(100, 0)), 0, 100));
    }

    @Test
    void aWrongSecretIsRefusedAndTheClientKeepsTrying()
    {
        final MemifMedium server = server(",secret=right");
        final MemifMedium client = client(",secret=wrong", CLIENT_MAC);
        pollUntil(() -> server.counters().refusedPeers() >= 1 && client.counters().disconnects() >= 1, client,
            server);
        assertFalse(client.isUp());
        assertTrue(client.lastDownReason().contains("Incorrect secret"), client.lastDownReason());
        assertEquals(Medium.BACK_PRESSURED,
            client.send(client.resolve(SERVER), new UnsafeBuffer(bytes(64, 0)), 0, 64));
    }

    @Test
    void anInterfaceIdIsConnectedOnceAndOtherIdsAlongside()
    {
        final MemifMedium server = server("");
        final MemifMedium first = client("", CLIENT_MAC);
        pollUntil(() -> first.isUp(), first, server);
        final MemifMedium same = client("", MacAddress.parse("02:52:55:4d:20:03"));
        pollUntil(() -> same.counters().disconnects() >= 1, same, server, first);
        assertTrue(same.lastDownReason().contains("Already connected"), same.lastDownReason());
        final MemifMedium other = new MemifMedium(MemifConfig.parse(vdev("client", "").replace("id=0", "id=7")),
            MacAddress.parse("02:52:55:4d:20:04"), Map.of(SERVER, SERVER_MAC), 64,
            MemifMedium.DEFAULT_MAX_FRAME_LENGTH, 4);
        open.add(other);
        pollUntil(() -> other.isUp(), other, server, first);
        exchange(first, server, 100);
        exchange(other, server, 100, MacAddress.parse("02:52:55:4d:20:04"));
    }

    @Test
    void aClientFindsARestartedServer()
    {
        final MemifMedium server = server("");
        final MemifMedium client = client("", CLIENT_MAC);
        pollUntil(() -> client.isUp(), client, server);
        server.close();
        pollUntil(() -> !client.isUp(), client);
        assertEquals(Medium.BACK_PRESSURED,
            client.send(client.resolve(SERVER), new UnsafeBuffer(bytes(64, 0)), 0, 64));
        final MemifMedium again = server("");
        pollUntil(() -> client.isUp() && again.isUp(), client, again);
        exchange(client, again, 1000);
        assertEquals(2, client.counters().connects());
    }

    @Test
    void aStaleSocketFileIsReplacedButALiveServerIsNot() throws Exception
    {
        final MemifMedium server = server("");
        final IllegalStateException twice = assertThrows(IllegalStateException.class, () -> server(""));
        assertTrue(twice.getMessage().contains("another server listens there"), twice.getMessage());
        server.close();
        // A server that died leaves its socket file: bound, nobody listening.
        try (java.nio.channels.ServerSocketChannel dead = java.nio.channels.ServerSocketChannel.open(
            java.net.StandardProtocolFamily.UNIX))
        {
            dead.bind(java.net.UnixDomainSocketAddress.of(folder.resolve("memif.sock")));
        }
        assertTrue(Files.exists(folder.resolve("memif.sock")));
        server("").close();
        // A plain file is not a socket: left alone, and the message says why.
        Files.createFile(folder.resolve("memif.sock"));
        final IllegalStateException notSocket = assertThrows(IllegalStateException.class, () -> server(""));
        assertTrue(notSocket.getMessage().contains("not a socket"), notSocket.getMessage());
        assertTrue(Files.isRegularFile(folder.resolve("memif.sock")));
    }

    @Test
    void badArgumentsAreNamed()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MemifConfig.parse("net_memif0,colour=blue"))
            .getMessage().contains("\"colour\" is not supported"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MemifConfig.parse("net_memif0,rsize=15"))
            .getMessage().contains("rsize must be in 1..14"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MemifConfig.parse("net_memif0,role=boss"))
            .getMessage().contains("server or client"));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> new MemifMedium(MemifConfig.parse("net_memif0,bsize=128,rsize=2,socket=/tmp/x"), null, Map.of(),
                8, 8192, 1)).getMessage().contains("half a ring"));
    }
}
