package io.rum.net.dpdk;

import io.rum.net.config.MacAddress;
import io.rum.net.medium.Medium;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link DpdkMedium} over a memif pair inside one JVM: one EAL with {@code net_memif0} (server) and
 * {@code net_memif1} (client) on one socket file. EAL can start once per process, so the whole class shares
 * one EAL and one pair of media (opened in {@link #openPair()}); surefire runs every {@code *Dpdk*Test} class
 * in a JVM of its own. The last test closes both and checks that EAL is cleaned up.
 *
 * <p>Not skipped when the shim is missing: it fails with the reason the build wrote, because CI installs
 * DPDK and a skip would hide a broken build.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DpdkMediumTest
{
    private static final MacAddress SERVER_MAC = MacAddress.parse("02:52:55:4d:00:01");
    private static final MacAddress CLIENT_MAC = MacAddress.parse("02:52:55:4d:00:02");
    private static final int SERVER_NODE = 1;
    private static final int CLIENT_NODE = 2;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(5);
    private static final long seed = Long.getLong("rum.seed", System.nanoTime());

    private static Path directory;
    private static String serverVdev;
    private static String clientVdev;
    private static Eal eal;
    private static DpdkMedium server;
    private static DpdkMedium client;

    /** The last frame a poll delivered, copied out. */
    private static final class Capture
    {
        final byte[] bytes = new byte[70_000];
        int length = -1;
        int peer = -1;
        int frames;

        void reset()
        {
            length = -1;
            peer = -1;
            frames = 0;
        }

        void onFrame(final int peer, final MutableDirectBuffer buffer, final int offset, final int length)
        {
            buffer.getBytes(offset, bytes, 0, length);
            this.length = length;
            this.peer = peer;
            frames++;
        }
    }

    @BeforeAll
    static void openPair() throws IOException, InterruptedException
    {
        final DpdkShim.Availability availability = DpdkTestSupport.requireDpdk();
        System.out.println("DpdkMediumTest seed=" + seed + " (replay with -Drum.seed=" + seed + "), " +
            availability.reason());
        directory = Files.createTempDirectory("rum-dpdk-test");
        final String socket = directory.resolve("memif.sock").toString();
        serverVdev = "net_memif0,role=server,id=0,socket=" + socket + ",socket-abstract=no,bsize=8192";
        clientVdev = "net_memif1,role=client,id=0,socket=" + socket + ",socket-abstract=no,bsize=8192";
        eal = Eal.start(List.of(config(serverVdev, SERVER_MAC).vdev(), config(clientVdev, CLIENT_MAC).vdev()), 256, null);
        System.out.println("  " + eal);
        server = DpdkMedium.open(eal, config(serverVdev, SERVER_MAC), Map.of(), DpdkMedium.DEFAULT_MAX_PEERS);
        client = openClient();
        assertTrue(server.awaitLinkUp(5_000), "server link up");
    }

    private static DpdkMedium openClient() throws InterruptedException
    {
        final DpdkMedium medium = DpdkMedium.open(
            eal, config(clientVdev, CLIENT_MAC), Map.of(SERVER_NODE, SERVER_MAC), DpdkMedium.DEFAULT_MAX_PEERS);
        assertTrue(medium.awaitLinkUp(5_000), "client link up");
        return medium;
    }

    private static DpdkConfig config(final String vdev, final MacAddress mac)
    {
        return DpdkConfig.ofVdev(vdev).withMac(mac).withPoolSize(2047);
    }

    @AfterAll
    static void closeAll() throws IOException
    {
        if (null != client)
        {
            client.close();
        }
        if (null != server)
        {
            server.close();
        }
        if (null != eal)
        {
            eal.close();
        }
        if (null != directory)
        {
            try (var paths = Files.list(directory))
            {
                for (final Path path : paths.toList())
                {
                    Files.deleteIfExists(path);
                }
            }
            Files.deleteIfExists(directory);
        }
    }

    /** Sends until accepted (the ring may be briefly full), then polls the receiver until a frame arrives. */
    private static void exchange(
        final DpdkMedium from, final int peer, final UnsafeBuffer frame, final int length, final DpdkMedium to,
        final Capture capture)
    {
        capture.reset();
        for (int attempt = 0; attempt < 3 && capture.frames == 0; attempt++)
        {
            sendAccepted(from, peer, frame, length, to, capture);
            final long deadline = System.nanoTime() + WAIT_NS / 3;
            while (capture.frames == 0 && System.nanoTime() - deadline < 0)
            {
                to.poll(capture::onFrame, 32);
            }
        }
        assertEquals(1, capture.frames, "one frame of " + length + " B arrives [seed " + seed + "]");
    }

    /**
     * Sends, polling the receiver while the ring is full: a memif server can only send into buffers its client
     * posted, and the client posts them when it polls.
     */
    private static void sendAccepted(
        final Medium from, final int peer, final UnsafeBuffer frame, final int length, final Medium to,
        final Capture capture)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        int rc;
        while ((rc = from.send(peer, frame, 0, length)) == Medium.BACK_PRESSURED)
        {
            to.poll(capture::onFrame, 32);
            assertTrue(System.nanoTime() - deadline < 0, () -> "send of " + length + " B accepted in time: " + from +
                ", link down checks " + ((DpdkMedium)from).linkDownChecks());
            Thread.onSpinWait();
        }
        assertEquals(Medium.SENT, rc, "send result");
    }

    @Test
    @Order(1)
    void framesOfEverySizeArriveIntact()
    {
        final int max = Math.min(server.maxFrameLength(), client.maxFrameLength());
        assertEquals(DpdkConfig.DEFAULT_MAX_FRAME_LENGTH, max, "max frame length");
        final SplittableRandom random = new SplittableRandom(seed);
        final byte[] bytes = new byte[max];
        final UnsafeBuffer frame = new UnsafeBuffer(bytes);
        final Capture capture = new Capture();
        final int serverPeer = client.resolve(SERVER_NODE);
        assertNotEquals(Medium.NO_ROUTE, serverPeer);
        assertEquals(Medium.NO_ROUTE, client.resolve(99));
        for (int length = 0; length <= max; length++)
        {
            random.nextBytes(bytes);
            exchange(client, serverPeer, frame, length, server, capture);
            assertEquals(length, capture.length, "length");
            assertTrue(Arrays.equals(bytes, 0, length, capture.bytes, 0, length), "bytes of a " + length + " B frame");
            // And back to the client, on the peer number the server learned.
            exchange(server, capture.peer, frame, length, client, capture);
            assertEquals(serverPeer, capture.peer, "client knows the server by its configured peer number");
            assertTrue(Arrays.equals(bytes, 0, length, capture.bytes, 0, length), "echoed " + length + " B");
        }
        assertEquals(Medium.FAILED, client.send(serverPeer, frame, 0, max + 1), "a frame above max fails");
        assertEquals(Medium.NO_ROUTE, client.send(4000, frame, 0, 10), "unknown peer");
        System.out.println("  " + client + "\n  " + server);
    }

    @Test
    @Order(2)
    void foreignAndRuntFramesAreCountedAndDropped()
    {
        final long foreign = server.foreignFrames();
        final long runts = server.runtFrames();
        final Capture capture = new Capture();
        // IPv4 EtherType, 100 bytes.
        final byte[] ipv4 = ethernet(SERVER_MAC, CLIENT_MAC, 0x0800, 100);
        // Shorter than the Ethernet header.
        final byte[] tiny = Arrays.copyOf(ethernet(SERVER_MAC, CLIENT_MAC, EthernetFrameDescriptor.ETHER_TYPE, 16), 10);
        // A header claiming 500 bytes followed by 20.
        final byte[] truncated = ethernet(SERVER_MAC, CLIENT_MAC, EthernetFrameDescriptor.ETHER_TYPE, 36);
        new UnsafeBuffer(truncated).putShort(EthernetFrameDescriptor.LENGTH_OFFSET, (short)500,
            EthernetFrameDescriptor.ORDER);
        // Padded the way a NIC pads a short frame: length 3, 60 bytes on the wire; the padding is trimmed.
        final byte[] padded = ethernet(SERVER_MAC, CLIENT_MAC, EthernetFrameDescriptor.ETHER_TYPE, 60);
        new UnsafeBuffer(padded).putShort(EthernetFrameDescriptor.LENGTH_OFFSET, (short)3, EthernetFrameDescriptor.ORDER);
        padded[16] = 7;
        padded[17] = 8;
        padded[18] = 9;
        for (final byte[] raw : List.of(ipv4, tiny, truncated, padded))
        {
            assertEquals(Medium.SENT, client.transmitRaw(raw, raw.length));
        }
        final long deadline = System.nanoTime() + WAIT_NS;
        while (capture.frames == 0 && System.nanoTime() - deadline < 0)
        {
            server.poll(capture::onFrame, 32);
        }
        assertEquals(1, capture.frames, "only the padded frame is delivered");
        assertEquals(3, capture.length, "padding trimmed");
        assertArrayEquals(new byte[] {7, 8, 9}, Arrays.copyOf(capture.bytes, 3));
        assertEquals(foreign + 1, server.foreignFrames(), "foreign frames");
        assertEquals(runts + 2, server.runtFrames(), "runt frames");
    }

    @Test
    @Order(3)
    void unknownMacsGetLearnedPeerNumbers()
    {
        final Capture capture = new Capture();
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[64]);
        frame.putLong(0, seed);
        exchange(client, client.resolve(SERVER_NODE), frame, 64, server, capture);
        final int clientPeer = capture.peer;
        assertEquals(CLIENT_MAC, server.peerMac(clientPeer), "the server learned the client's MAC");
        assertEquals(Medium.NO_ROUTE, server.resolve(CLIENT_NODE), "the server has no route configured");

        final MacAddress stranger = MacAddress.parse("02:00:00:00:be:ef");
        final byte[] raw = ethernet(SERVER_MAC, stranger, EthernetFrameDescriptor.ETHER_TYPE, 16 + 8);
        new UnsafeBuffer(raw).putShort(EthernetFrameDescriptor.LENGTH_OFFSET, (short)8, EthernetFrameDescriptor.ORDER);
        capture.reset();
        assertEquals(Medium.SENT, client.transmitRaw(raw, raw.length));
        final long deadline = System.nanoTime() + WAIT_NS;
        while (capture.frames == 0 && System.nanoTime() - deadline < 0)
        {
            server.poll(capture::onFrame, 32);
        }
        assertEquals(1, capture.frames);
        assertNotEquals(clientPeer, capture.peer, "a new MAC gets a new peer number");
        assertEquals(stranger, server.peerMac(capture.peer));

        // The same MAC again keeps its number.
        capture.reset();
        exchange(client, client.resolve(SERVER_NODE), frame, 64, server, capture);
        assertEquals(clientPeer, capture.peer);
    }

    @Test
    @Order(4)
    void fullTxRingIsBackPressured()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[1024]);
        final int peer = client.resolve(SERVER_NODE);
        final long ringFull = client.txRingFull() + client.txPoolEmpty();
        int sent = 0;
        int rc = Medium.SENT;
        // The server does not poll, so its ring fills; memif rings hold 1024 frames by default.
        for (int i = 0; i < 100_000 && rc != Medium.BACK_PRESSURED; i++)
        {
            rc = client.send(peer, frame, 0, frame.capacity());
            if (rc == Medium.SENT)
            {
                sent++;
            }
        }
        assertEquals(Medium.BACK_PRESSURED, rc, "a flood ends in BACK_PRESSURED after " + sent + " frames");
        assertTrue(client.txRingFull() + client.txPoolEmpty() > ringFull, "counted");
        // Drain, so later tests start clean.
        int drained = 0;
        int polled;
        do
        {
            polled = server.poll((p, b, o, l) -> { }, 64);
            drained += polled;
        }
        while (polled > 0);
        System.out.println("  flood: " + sent + " frames accepted before back pressure, " + drained + " drained");
        assertTrue(drained > 0 && drained <= sent, "drained " + drained + " of " + sent);
    }

    /**
     * One frame from the client, polled on both sides until the client's handler counted one more in
     * {@code got[0]}, or {@link #WAIT_NS}.
     *
     * @return whether it came back (if not, {@code got[0]} is moved on anyway).
     */
    private static boolean roundTrip(
        final int peer, final UnsafeBuffer frame, final int length, final io.rum.net.medium.FrameHandler serverHandler,
        final io.rum.net.medium.FrameHandler clientHandler, final int[] got)
    {
        final int expected = got[0] + 1;
        while (client.send(peer, frame, 0, length) != Medium.SENT)
        {
            Thread.onSpinWait();
        }
        final long deadline = System.nanoTime() + WAIT_NS;
        while (got[0] < expected && System.nanoTime() - deadline < 0)
        {
            server.poll(serverHandler, 32);
            client.poll(clientHandler, 32);
        }
        if (got[0] < expected)
        {
            got[0] = expected;
            return false;
        }
        return true;
    }

    @Test
    @Order(5)
    void sendAndPollAllocateNothing()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[256]);
        final int peer = client.resolve(SERVER_NODE);
        final int[] got = new int[1];
        final org.agrona.collections.MutableInteger replyPeer = new org.agrona.collections.MutableInteger(-1);
        final io.rum.net.medium.FrameHandler serverHandler = (p, b, o, l) ->
        {
            replyPeer.value = p;
            server.send(p, b, o, l);
        };
        final io.rum.net.medium.FrameHandler clientHandler = (p, b, o, l) -> got[0]++;
        final int rounds = 20_000;
        long allocated = 0;
        for (int pass = 0; pass < 3; pass++)
        {
            final long startNs = System.nanoTime();
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < rounds; i++)
            {
                roundTrip(peer, frame, 256, serverHandler, clientHandler, got); // memif drops one now and then
            }
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
            final long meanNs = (System.nanoTime() - startNs) / rounds;
            System.out.println("  pass " + pass + ": " + allocated + " B allocated in " + rounds +
                " round trips of 256 B (one thread polls both ports), mean " + meanNs + " ns");
        }
        assertTrue(allocated < 4096, "the warmed-up data path allocates nothing: " + allocated + " B");
    }

    /** A frame sent in two parts arrives as the one frame they make, whatever backs each part. */
    @Test
    @Order(2)
    void aGatheredFrameArrivesJoined()
    {
        assertTrue(client.gathers());
        final SplittableRandom random = new SplittableRandom(seed);
        final int peer = client.resolve(SERVER_NODE);
        final Capture capture = new Capture();
        final UnsafeBuffer head = new UnsafeBuffer(new byte[200]);
        final UnsafeBuffer[] payloads = {
            new UnsafeBuffer(new byte[client.maxFrameLength()]),
            new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(client.maxFrameLength()))};
        int sent = 0;
        int arrived = 0;
        for (final int[] sizes : new int[][] {{40, 0}, {40, 1}, {123, 4000}, {40, client.maxFrameLength() - 40}})
        {
            for (final UnsafeBuffer payload : payloads)
            {
                final byte[] joined = new byte[sizes[0] + sizes[1]];
                for (int i = 0; i < joined.length; i++)
                {
                    joined[i] = (byte)random.nextInt();
                }
                head.putBytes(5, joined, 0, sizes[0]);
                payload.putBytes(17, joined, sizes[0], sizes[1]);
                capture.reset();
                sent++;
                final long deadline = System.nanoTime() + WAIT_NS;
                while (client.sendGathered(peer, head, 5, sizes[0], payload, 17, sizes[1]) != Medium.SENT)
                {
                    server.poll(capture::onFrame, 32);
                    assertTrue(System.nanoTime() - deadline < 0, "gathered send accepted in time");
                }
                while (capture.frames == 0 && System.nanoTime() - deadline < 0)
                {
                    server.poll(capture::onFrame, 32);
                }
                if (capture.frames == 0)
                {
                    continue; // memif drops a frame now and then; the count below bounds how often
                }
                arrived++;
                assertEquals(joined.length, capture.length, "joined length [seed " + seed + "]");
                assertArrayEquals(joined, Arrays.copyOf(capture.bytes, capture.length), "joined bytes [seed " + seed + "]");
            }
        }
        assertTrue(arrived >= sent - 1, "gathered frames arrived: " + arrived + " of " + sent);
        assertEquals(Medium.FAILED, client.sendGathered(peer, head, 0, 41, payloads[0], 0, client.maxFrameLength() - 40),
            "a gathered frame over the limit is refused");
        org.junit.jupiter.api.Assertions.assertThrows(IndexOutOfBoundsException.class,
            () -> client.sendGathered(peer, head, 190, 20, payloads[0], 0, 10), "a range outside its buffer");
    }

    /**
     * Where the shim computes CRC32C, frames sent to be sealed arrive with Java's CRC (in one part or two, short or
     * long), and received frames whose CRC is right are handed over as checked; a wrong CRC, or a RUM length that
     * overruns what arrived, is left for Java to check.
     */
    @Test
    @Order(2)
    void framesAreSealedAndCheckedInC()
    {
        assertEquals(DpdkShim.checksumsInC(), client.seals());
        org.junit.jupiter.api.Assumptions.assumeTrue(client.seals(), "this CPU leaves CRC32C to Java");
        final SplittableRandom random = new SplittableRandom(seed);
        final int peer = client.resolve(SERVER_NODE);
        final byte[] got = new byte[9_000];
        final int[] gotLength = new int[1];
        final boolean[] gotChecked = new boolean[1];
        final int[] frames = new int[1];
        final io.rum.net.medium.FrameHandler handler = new io.rum.net.medium.FrameHandler()
        {
            @Override
            public void onFrame(final int p, final MutableDirectBuffer b, final int o, final int l)
            {
                take(b, o, l, false);
            }

            @Override
            public void onCheckedFrame(final int p, final MutableDirectBuffer b, final int o, final int l)
            {
                take(b, o, l, true);
            }

            private void take(final MutableDirectBuffer b, final int o, final int l, final boolean checked)
            {
                b.getBytes(o, got, 0, l);
                gotLength[0] = l;
                gotChecked[0] = checked;
                frames[0]++;
            }
        };
        final UnsafeBuffer head = new UnsafeBuffer(new byte[client.maxFrameLength()]);
        final UnsafeBuffer payload = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(client.maxFrameLength()));
        final io.rum.net.frame.FrameHeaderFlyweight frame = new io.rum.net.frame.FrameHeaderFlyweight();
        int arrived = 0;
        int sent = 0;
        for (final int[] sizes : new int[][] {{40, 0}, {64, 0}, {104, 0}, {48, 300}, {48, 1_000}, {200, 3_900},
            {40, client.maxFrameLength() - 40}})
        {
            for (final boolean twoParts : new boolean[] {false, true})
            {
                final int frameLength = sizes[0] + sizes[1];
                frame.wrap(head, 0).writeHeader(io.rum.net.frame.FrameType.REQUEST, frameLength, 2, 1, 7, 9);
                for (int i = io.rum.net.frame.FrameHeaderFlyweight.HEADER_LENGTH; i < frameLength; i++)
                {
                    head.putByte(i, (byte)random.nextInt());
                }
                payload.putBytes(0, head, sizes[0], sizes[1]);
                frames[0] = 0;
                sent++;
                final long deadline = System.nanoTime() + WAIT_NS;
                while ((twoParts ? client.sendToSeal(peer, head, 0, sizes[0], payload, 0, sizes[1]) :
                    client.sendToSeal(peer, head, 0, frameLength, null, 0, 0)) != Medium.SENT)
                {
                    server.poll(handler, 32);
                    assertTrue(System.nanoTime() - deadline < 0, "send accepted in time");
                }
                while (frames[0] == 0 && System.nanoTime() - deadline < 0)
                {
                    server.poll(handler, 32);
                }
                if (frames[0] == 0)
                {
                    continue; // memif drops a frame now and then; the count below bounds how often
                }
                arrived++;
                assertEquals(frameLength, gotLength[0]);
                assertTrue(gotChecked[0], frameLength + " B sealed in C arrive checked by C");
                final UnsafeBuffer received = new UnsafeBuffer(got, 0, frameLength);
                assertTrue(frame.wrap(received, 0).crcMatches(frameLength), frameLength + " B: Java agrees with C");
                assertEquals(0, java.util.Arrays.compare(got, 0, 8, head.byteArray(), 0, 8));
                assertEquals(0, java.util.Arrays.compare(got, 12, frameLength, head.byteArray(), 12, frameLength));
            }
        }
        assertTrue(arrived >= sent - 1, "sealed frames arrived: " + arrived + " of " + sent);

        // Sealed in Java and sent as is: checked. One bit flipped after sealing, or a length that overruns: not.
        for (final int damage : new int[] {0, 1, 2})
        {
            frame.wrap(head, 0).writeHeader(io.rum.net.frame.FrameType.REQUEST, 200, 2, 1, 7, 9);
            frame.seal();
            if (damage == 1)
            {
                head.putByte(150, (byte)(head.getByte(150) ^ 4));
            }
            else if (damage == 2)
            {
                frame.frameLength(260);
            }
            frames[0] = 0;
            final long deadline = System.nanoTime() + WAIT_NS;
            for (int attempt = 0; attempt < 3 && frames[0] == 0; attempt++)
            {
                while (client.send(peer, head, 0, 200) != Medium.SENT)
                {
                    server.poll(handler, 32);
                    assertTrue(System.nanoTime() - deadline < 0, "send accepted in time");
                }
                final long until = System.nanoTime() + WAIT_NS / 3;
                while (frames[0] == 0 && System.nanoTime() - until < 0)
                {
                    server.poll(handler, 32);
                }
            }
            assertEquals(1, frames[0], "frame arrives");
            assertEquals(damage == 0, gotChecked[0], "damage " + damage + ": checked only when right");
        }
    }

    /**
     * A poll may wait in C for its first frame: it returns the frame that comes, waits its time when none does, and
     * ends at once when woken (the wake is then used up). The bounds are loose on purpose: an empty wait must take
     * most of its time in one of three tries (it returned early: C did not wait), a woken one well under half of it
     * in one of five (a preempted try may take longer).
     */
    @Test
    @Order(2)
    void aWaitingPollReturnsAFrameWaitsOrEndsWhenWoken()
    {
        final long waitNs = DpdkMedium.MAX_POLL_WAIT_NS;
        final Capture capture = new Capture();
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[300]);
        frame.setMemory(0, 300, (byte)7);
        final int peer = client.resolve(SERVER_NODE);
        int polls = 0;
        for (int attempt = 0; attempt < 3 && capture.frames == 0; attempt++)
        {
            sendAccepted(client, peer, frame, 300, server, capture);
            for (int i = 0; i < 20 && capture.frames == 0; i++, polls++)
            {
                server.poll(capture::onFrame, 32, waitNs);
            }
        }
        assertEquals(1, capture.frames, "the frame arrives through waiting polls (" + polls + " of them)");
        assertEquals(300, capture.length);

        long fastestIdle = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++)
        {
            final long startNs = System.nanoTime();
            assertEquals(0, server.poll(capture::onFrame, 32, waitNs), "nothing to receive");
            fastestIdle = Math.min(fastestIdle, System.nanoTime() - startNs);
        }
        assertTrue(fastestIdle >= waitNs * 3 / 4, "an empty waiting poll waits: " + fastestIdle + " ns of " + waitNs);

        long fastestWoken = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++)
        {
            server.wake();
            final long startNs = System.nanoTime();
            assertEquals(0, server.poll(capture::onFrame, 32, waitNs), "nothing to receive");
            fastestWoken = Math.min(fastestWoken, System.nanoTime() - startNs);
        }
        assertTrue(fastestWoken < waitNs / 2, "a woken poll ends at once: " + fastestWoken + " ns of " + waitNs);
        long fastestAfterWake = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++)
        {
            final long startNs = System.nanoTime();
            server.poll(capture::onFrame, 32, waitNs);
            fastestAfterWake = Math.min(fastestAfterWake, System.nanoTime() - startNs);
        }
        assertTrue(fastestAfterWake >= waitNs * 3 / 4, "a wake is used up by the poll it ended: the next waits " +
            fastestAfterWake + " ns of " + waitNs);
        System.out.println("  waiting polls: idle " + fastestIdle + " ns, woken " + fastestWoken + " ns, next " +
            fastestAfterWake + " ns (wait " + waitNs + " ns)");
    }

    /**
     * Frames are read in their mbufs, and the mbufs come back from the pool's per-lcore cache, most recently freed
     * first: a ping-pong keeps reusing the same few buffers (hot in the CPU's cache). Before the data path acted as
     * an lcore, every mbuf came from the pool's FIFO ring, so 1,000 round trips touched about 1,000 different
     * buffers of the 2,047, each cold.
     */
    @Test
    @Order(5)
    void receivedFramesLieInFewHotMbufs()
    {
        assertTrue(DpdkMedium.dataLcore() >= 0, "EAL left an lcore id for the data path");
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[1024]);
        final int peer = client.resolve(SERVER_NODE);
        final org.agrona.collections.LongHashSet serverSaw = new org.agrona.collections.LongHashSet();
        final org.agrona.collections.LongHashSet clientSaw = new org.agrona.collections.LongHashSet();
        final int[] got = new int[1];
        final io.rum.net.medium.FrameHandler serverHandler = (p, b, o, l) ->
        {
            serverSaw.add(b.addressOffset() + o);
            server.send(p, b, o, l);
        };
        final io.rum.net.medium.FrameHandler clientHandler = (p, b, o, l) ->
        {
            clientSaw.add(b.addressOffset() + o);
            got[0]++;
        };
        final int rounds = 1_000;
        int lost = 0;
        for (int i = 0; i < rounds; i++)
        {
            if (!roundTrip(peer, frame, frame.capacity(), serverHandler, clientHandler, got))
            {
                lost++; // memif drops a frame now and then: the round just ends
            }
        }
        assertTrue(lost <= rounds / 100, "round trips completed: " + (rounds - lost) + " of " + rounds);
        System.out.println("  " + rounds + " round trips of 1 KiB: frames lay in " + serverSaw.size() +
            " distinct buffers on the server, " + clientSaw.size() + " on the client; data lcore " +
            DpdkMedium.dataLcore() + ", cached mbufs " + server.poolCached() + " / " + client.poolCached());
        assertTrue(serverSaw.size() <= 2 * DpdkShim.MAX_BURST && clientSaw.size() <= 2 * DpdkShim.MAX_BURST,
            "frames reuse the mbufs of about one burst: " + serverSaw.size() + " and " + clientSaw.size() + " distinct");
        assertTrue(server.poolCached() > 0 && client.poolCached() > 0, "freed mbufs wait in the lcore cache");
    }

    @Test
    @Order(6)
    void aClosedPortCanBeOpenedAgain() throws InterruptedException
    {
        client.close();
        client.close(); // idempotent
        assertTrue(eal.isRunning(), "EAL stays up while the server port and the test hold it");
        client = openClient();
        final Capture capture = new Capture();
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[100]);
        frame.putLong(0, seed);
        exchange(client, client.resolve(SERVER_NODE), frame, 100, server, capture);
        assertEquals(seed, new UnsafeBuffer(capture.bytes).getLong(0));
    }

    @Test
    @Order(7)
    void closeReleasesEverything()
    {
        final String prefix = eal.filePrefix();
        assertTrue(Files.isDirectory(Eal.runtimeDirectory(prefix)), "EAL runtime directory exists while running");
        client.close();
        client = null;
        server.close();
        server = null;
        assertTrue(eal.isRunning(), "the test's own reference still holds EAL");
        eal.close();
        assertFalse(eal.isRunning(), "EAL cleaned up after the last reference");
        assertFalse(Files.exists(Eal.runtimeDirectory(prefix)), "runtime directory deleted");
        final IllegalStateException again = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalStateException.class, () -> Eal.start(List.of(), 64, null));
        assertTrue(again.getMessage().contains("once per process"), again.getMessage());
        eal = null;
    }

    private static byte[] ethernet(final MacAddress dst, final MacAddress src, final int etherType, final int length)
    {
        final byte[] bytes = new byte[length];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        EthernetFrameDescriptor.putMac(buffer, EthernetFrameDescriptor.DST_MAC_OFFSET, dst.value());
        EthernetFrameDescriptor.putMac(buffer, EthernetFrameDescriptor.SRC_MAC_OFFSET, src.value());
        if (length >= 14)
        {
            buffer.putShort(EthernetFrameDescriptor.ETHER_TYPE_OFFSET, (short)etherType, EthernetFrameDescriptor.ORDER);
        }
        if (length >= 16)
        {
            buffer.putShort(EthernetFrameDescriptor.LENGTH_OFFSET, (short)(length - 16), EthernetFrameDescriptor.ORDER);
        }
        return bytes;
    }
}
