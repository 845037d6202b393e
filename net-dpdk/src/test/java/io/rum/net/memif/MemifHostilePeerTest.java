package io.rum.net.memif;

import io.rum.net.config.MacAddress;
import io.rum.net.dpdk.EthernetFrameDescriptor;
import io.rum.net.medium.FrameHandler;
import io.rum.net.os.Posix;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A memif server ({@link MemifMedium}) against a client that lies: descriptors pointing outside its memory, chains
 * without an end, heads past the ring, frames of other protocols, regions it could shrink, messages out of turn, a
 * handshake never finished. Each is counted and dropped or refused with a reason; the server keeps serving, keeps no
 * descriptor it was handed, and never touches memory it was not given.
 */
class MemifHostilePeerTest
{
    private static final MacAddress SERVER_MAC = MacAddress.parse("02:52:55:4d:30:02");
    private static final MacAddress CLIENT_MAC = MacAddress.parse("02:52:55:4d:30:01");

    @TempDir
    Path folder;

    private MemifMedium server;
    private final List<byte[]> delivered = new ArrayList<>();
    private final List<Integer> senders = new ArrayList<>();
    private final FrameHandler inbox = new FrameHandler()
    {
        @Override
        public void onFrame(final int peer, final MutableDirectBuffer buffer, final int offset, final int length)
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            delivered.add(bytes);
            senders.add(peer);
        }
    };

    @BeforeEach
    void startServer()
    {
        server = new MemifMedium(MemifConfig.parse("net_memif0,role=server,socket=" + folder.resolve("s.sock") +
            ",socket-abstract=no"), SERVER_MAC, Map.of(), 64, MemifMedium.DEFAULT_MAX_FRAME_LENGTH, 4);
    }

    @AfterEach
    void stopServer()
    {
        server.close();
    }

    private void pump()
    {
        server.poll(inbox, 16);
    }

    private RawMemifClient client()
    {
        return new RawMemifClient(folder.resolve("s.sock").toString(), this::pump);
    }

    private static byte[] ethernet(final int etherType, final int declaredLength, final byte[] payload)
    {
        return ethernet(CLIENT_MAC.value(), etherType, declaredLength, payload);
    }

    private static byte[] ethernet(
        final long sourceMac, final int etherType, final int declaredLength, final byte[] payload)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[EthernetFrameDescriptor.HEADER_LENGTH + payload.length]);
        EthernetFrameDescriptor.putMac(frame, 0, SERVER_MAC.value());
        EthernetFrameDescriptor.putMac(frame, EthernetFrameDescriptor.SRC_MAC_OFFSET, sourceMac);
        frame.putShort(EthernetFrameDescriptor.ETHER_TYPE_OFFSET, (short)etherType, EthernetFrameDescriptor.ORDER);
        frame.putShort(EthernetFrameDescriptor.LENGTH_OFFSET, (short)declaredLength, EthernetFrameDescriptor.ORDER);
        frame.putBytes(EthernetFrameDescriptor.HEADER_LENGTH, payload);
        return frame.byteArray();
    }

    private static byte[] good(final int seed)
    {
        final byte[] payload = new byte[100];
        java.util.Arrays.fill(payload, (byte)seed);
        return ethernet(EthernetFrameDescriptor.ETHER_TYPE, payload.length, payload);
    }

    private void pumpUntil(final java.util.function.BooleanSupplier done)
    {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (!done.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("not done in 5 s: " + server);
            }
            pump();
        }
    }

    @Test
    void badDescriptorsAndFramesAreCountedAndDroppedAndTheLinkServesOn()
    {
        try (RawMemifClient client = client())
        {
            assertEquals("CONNECTED", client.handshake(1));
            final int regionSize = 2 * MemifRing.bytes(RawMemifClient.LOG2_RING_SIZE) +
                2 * RawMemifClient.RING_SIZE * RawMemifClient.BUFFER_SIZE;
            client.descriptor(0, 0, regionSize - 10, 100);                  // runs past the region's end
            client.descriptor(0, 3, 0, 100);                                // a region never announced
            client.descriptor(0, 0, 0, Integer.MAX_VALUE);                  // longer than any region
            client.frame(ethernet(0x0800, 84, new byte[84]));               // IPv4: not ours
            client.frame(ethernet(EthernetFrameDescriptor.ETHER_TYPE, 500, new byte[20]));   // says 500, has 20
            client.frame(new byte[10]);                                     // shorter than an Ethernet header
            client.descriptor(0, 0, client.bufferOffset(0), 9000);          // inside its memory, longer than a frame
            client.frame(good(1));
            client.publish();
            pumpUntil(() -> delivered.size() == 1);
            final MemifCounters counters = server.counters();
            assertEquals(3, counters.badDescriptors(), counters.toString());
            assertEquals(1, counters.foreignFrames(), counters.toString());
            assertEquals(2, counters.runtFrames(), counters.toString());
            assertEquals(1, counters.oversizeFrames(), counters.toString());
            assertEquals(8, counters.framesReceived(), counters.toString());
            assertEquals(100, delivered.getFirst().length);
            // This client left interrupts on for the ring it reads: counted, never signalled (see MemifLink).
            pumpUntil(() -> counters.peersWantingInterrupts() == 1);

            // A chain whose last descriptor still says "more": the frame is dropped, the next one is read.
            client.descriptor(MemifRing.DESC_FLAG_NEXT, 0, client.bufferOffset(8), 64);
            client.descriptor(MemifRing.DESC_FLAG_NEXT, 0, client.bufferOffset(9), 64);
            client.publish();
            pumpUntil(() -> counters.badDescriptors() == 4);
            client.frame(good(2));
            client.publish();
            pumpUntil(() -> delivered.size() == 2);
            assertTrue(server.isUp());

            // A head past what the ring holds: the peer is broken, its link ends.
            client.publishTooMany();
            pumpUntil(() -> !server.isUp());
            assertTrue(server.lastDownReason().contains("more slots than its ring has"), server.lastDownReason());
        }
    }

    @Test
    void aSecondConnectOnALiveLinkIsRefused()
    {
        try (RawMemifClient client = client())
        {
            assertEquals("CONNECTED", client.handshake(1));
            client.message().connect(MemifMessage.CONNECT, "again");
            assertEquals("DISCONNECT: Unexpected message CONNECT", client.say(-1));
        }
    }

    /** Two clients connected on interface ids 1 and 2, and one frame of the first's (from CLIENT_MAC) delivered. */
    private void connectBothAndHearTheFirst(final RawMemifClient first, final RawMemifClient second)
    {
        assertEquals("CONNECTED", first.handshake(1));
        assertEquals("CONNECTED", second.handshake(2));
        first.frame(good(1));
        first.publish();
        pumpUntil(() -> delivered.size() == 1);
    }

    @Test
    void aClientPosingAsAnotherClientsMacIsNotHeard()
    {
        try (RawMemifClient first = client(); RawMemifClient second = client())
        {
            connectBothAndHearTheFirst(first, second);
            second.frame(good(2));          // the same source MAC as the first client's frames
            second.publish();
            pumpUntil(() -> server.counters().macConflicts() == 1);
            assertEquals(1, delivered.size());
        }
    }

    @Test
    void aPeerNumberThatPassedToAnotherMacIsNotAConflict()
    {
        try (RawMemifClient first = client(); RawMemifClient second = client())
        {
            connectBothAndHearTheFirst(first, second);
            // 64 more source MACs on the second link: the server's 64 peer numbers wrap, and the first client's MAC's
            // number passes to the last of them, while the first client's link is still up.
            for (int i = 1; i <= 64; i++)
            {
                second.frame(ethernet(0x02_00_00_00_10_00L + i, EthernetFrameDescriptor.ETHER_TYPE, 4, new byte[4]));
                second.publish();
                final int expected = 1 + i;
                pumpUntil(() -> delivered.size() == expected);
            }
            assertEquals(0, server.counters().macConflicts());
            assertEquals(senders.getFirst(), senders.getLast(), "the number passed on");
        }
    }

    @Test
    void aBadBufferInTheRingTheServerFillsEndsTheLinkInsteadOfBeingWritten()
    {
        try (RawMemifClient client = client())
        {
            assertEquals("CONNECTED", client.handshake(1));
            client.giveBuffers(0);
            client.frame(good(1));
            client.publish();
            pumpUntil(() -> delivered.size() == 1);
            assertEquals(io.rum.net.medium.Medium.FAILED,
                server.send(senders.getFirst(), new UnsafeBuffer(new byte[64]), 0, 64));
            pumpUntil(() -> !server.isUp());
            assertTrue(server.lastDownReason().contains("bad descriptor"), server.lastDownReason());
            assertEquals(0, server.counters().framesSent());
        }
    }

    @Test
    void aRegionThatCouldShrinkOrIsTooSmallIsRefused()
    {
        try (RawMemifClient client = client())
        {
            assertEquals("HELLO", client.receiveType());
            client.message().init(1, "", "raw");
            assertEquals("ACK", client.say(-1));
            final int unsealed = Posix.memfdCreate("unsealed", Posix.MFD_CLOEXEC);
            Posix.ftruncate(unsealed, 1 << 20);
            client.message().addRegion(0, 1 << 20);
            assertEquals("DISCONNECT: Bad region: region is not sealed against shrinking (F_SEAL_SHRINK)",
                client.say(unsealed));
            Posix.close(unsealed);
        }
        try (RawMemifClient client = client())
        {
            assertEquals("HELLO", client.receiveType());
            client.message().init(1, "", "raw");
            assertEquals("ACK", client.say(-1));
            final MemifRegion region = client.makeRegion();
            client.message().addRegion(0, region.size() + 4096L);
            assertEquals("DISCONNECT: Bad region: region file is smaller than its announced size " +
                (region.size() + 4096L), client.say(region.fd()));
        }
        pumpUntil(() -> server.counters().refusedPeers() == 2);
    }

    @Test
    void messagesOutOfTurnOrWithoutTheirDescriptorAreRefused()
    {
        try (RawMemifClient client = client())
        {
            assertEquals("HELLO", client.receiveType());
            client.message().addRing(true, 0, 0, 0, 4);
            assertEquals("DISCONNECT: Unexpected message ADD_RING", client.say(-1));
        }
        try (RawMemifClient client = client())
        {
            assertEquals("HELLO", client.receiveType());
            client.message().init(1, "", "raw");
            assertEquals("ACK", client.say(-1));
            client.message().addRegion(0, 4096);
            assertEquals("DISCONNECT: Missing region fd", client.say(-1));
        }
        try (RawMemifClient client = client())
        {
            assertEquals("HELLO", client.receiveType());
            client.message().init(1, "", "raw");
            assertEquals("ACK", client.say(-1));
            final MemifRegion region = client.makeRegion();
            client.message().addRegion(0, region.size());
            assertEquals("ACK", client.say(region.fd()));
            final int eventFd = Posix.eventfd();
            client.message().addRing(true, 0, 0, region.size() - 64, 4);
            assertEquals("DISCONNECT: Ring outside its region", client.say(eventFd));
            Posix.close(eventFd);
        }
        try (RawMemifClient client = client())
        {
            assertEquals("HELLO", client.receiveType());
            client.message().reset(42);
            assertEquals("DISCONNECT: Unexpected message type 42", client.say(-1));
        }
        pumpUntil(() -> server.counters().refusedPeers() == 4);
    }

    @Test
    void aClientThatNeverFinishesItsHandshakeIsDroppedAndNothingLeaks() throws IOException
    {
        final long before = openDescriptors();
        try (RawMemifClient client = client())
        {
            assertEquals("HELLO", client.receiveType());
            assertEquals("DISCONNECT: Handshake timed out", client.receiveTypeWithin(MemifLink.HANDSHAKE_TIMEOUT_NS));
        }
        for (int i = 0; i < 20; i++)
        {
            try (RawMemifClient client = client())
            {
                assertEquals("CONNECTED", client.handshake(5));
            }
            pumpUntil(() -> !server.isUp());
        }
        pump();
        assertFalse(server.isUp());
        // Every region and eventfd the clients handed over was closed with its link (the clients closed theirs).
        assertEquals(before, openDescriptors(), "descriptors open in this process");
    }

    private static long openDescriptors() throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.count();
        }
    }
}
