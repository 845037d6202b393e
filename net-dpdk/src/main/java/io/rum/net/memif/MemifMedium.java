package io.rum.net.memif;

import io.rum.net.config.MacAddress;
import io.rum.net.dpdk.EthernetFrameDescriptor;
import io.rum.net.medium.FrameHandler;
import io.rum.net.medium.GatheringMedium;
import io.rum.net.medium.MacPeerTable;
import io.rum.net.os.Posix;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.rum.net.dpdk.EthernetFrameDescriptor.ETHER_TYPE;
import static io.rum.net.dpdk.EthernetFrameDescriptor.ETHER_TYPE_OFFSET;
import static io.rum.net.dpdk.EthernetFrameDescriptor.HEADER_LENGTH;
import static io.rum.net.dpdk.EthernetFrameDescriptor.LENGTH_OFFSET;
import static io.rum.net.dpdk.EthernetFrameDescriptor.ORDER;
import static io.rum.net.dpdk.EthernetFrameDescriptor.SRC_MAC_OFFSET;
import static io.rum.net.memif.MemifCounters.increment;

/**
 * RUM's own memif driver: a {@code Medium} over memif's shared-memory rings, read and written by Java with plain loads
 * and stores, and memif's control protocol spoken through {@link Posix}. No DPDK, no EAL, no mbufs, no root: each
 * frame is copied once into the ring's buffer by the sender and read in place by the receiver.
 *
 * <p>Why not only DPDK's memif PMD: measured in this repository (docs/BENCHMARKS.md, "memif"), driving the PMD
 * through FFM costs a copy into an mbuf and out of it on every hop plus the downcalls, about half of a small round
 * trip; the PMD's zero-copy mode, which would save the copies, is unsafe in DPDK 22.11; and the PMD can crash a node
 * that polls while its peer disconnects. Here a peer that goes away only ends its link: the memory stays mapped until
 * this side's poller lets it go.
 *
 * <p>It speaks memif 2.0 as DPDK's memif does, frames as {@link EthernetFrameDescriptor} says (as {@code DpdkMedium}
 * sends them), and reads the same {@code --vdev} arguments ({@link MemifConfig}), so either end of a link may be this
 * driver or DPDK's. As a server it takes many clients on one socket, one per interface id, which a DPDK memif port
 * (one peer per port) cannot.
 *
 * <p>Peers are MACs ({@link MacPeerTable}); a peer is reached over the link its last frame came in on (a client has
 * one link, so every peer is there). Control work (accepting, handshakes, noticing a peer gone, a client's
 * reconnecting) runs inside {@link #poll}: every call while a handshake is under way, else about every millisecond.
 *
 * <p>Threading: as {@code Medium} says, one thread at a time sends and polls; {@link #wake()} from any thread;
 * {@link #close()} after polling stopped.
 */
public final class MemifMedium implements GatheringMedium
{
    public static final int DEFAULT_MAX_FRAME_LENGTH = 8192;
    public static final int DEFAULT_MAX_PEERS = 4096;
    public static final int DEFAULT_MAX_LINKS = 64;
    /** The longest a waiting poll waits, whatever it is asked: as DpdkMedium's. */
    public static final long MAX_POLL_WAIT_NS = TimeUnit.MICROSECONDS.toNanos(100);
    static final long CONTROL_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(1);
    static final long RECONNECT_MIN_NS = TimeUnit.MILLISECONDS.toNanos(10);
    static final long RECONNECT_MAX_NS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final int CLOCK_EVERY_CALLS = 64;
    private static final int ACCEPTS_PER_CONTROL = 4;
    private static final int EADDRINUSE = 98;

    private final MemifConfig config;
    private final MacAddress mac;
    private final String name;
    private final int maxFrameLength;
    private final MemifCounters counters = new MemifCounters();
    private final MacPeerTable peers;
    private final MemifLink[] linkOfPeer;
    private final MemifLink[] links;
    private int linkCount;
    private final int listenFd;
    // Native memory for the socket's address and for the errno of the calls made every millisecond: allocated once.
    private final Arena addressArena;
    private final MemorySegment address;
    private final int addressLength;
    private final MemorySegment callState;
    private final MemifLink.IdRegistry ids = this::idInUse;
    private final MemifLink.Receiver receiver = this::onFrame;

    private final UnsafeBuffer ethernet = new UnsafeBuffer(new byte[HEADER_LENGTH]);
    private FrameHandler handler;
    private int handed;
    private long lastSourceMac = MacPeerTable.NO_MAC;
    private int lastPeer;

    private int handshakes;
    private long nextControlNs;
    private int callsSinceClock;
    private long nextConnectNs;
    private long reconnectDelayNs = RECONNECT_MIN_NS;
    private volatile boolean anyUp;
    private volatile String lastDownReason = "";
    private final AtomicBoolean doorbell = new AtomicBoolean();
    private volatile boolean closed;

    /**
     * @param config         the interface.
     * @param mac            this end's MAC; null for the config's, or a random locally administered one.
     * @param routes         node id to MAC for every node this medium may send to first.
     * @param maxPeers       peer numbers, configured and learned.
     * @param maxFrameLength the largest RUM frame (Ethernet header not included).
     * @param maxLinks       a server's most clients at once (a client has one link).
     * @throws IllegalStateException naming the call that failed (a server that cannot bind its socket).
     */
    public MemifMedium(
        final MemifConfig config, final MacAddress mac, final Map<Integer, MacAddress> routes, final int maxPeers,
        final int maxFrameLength, final int maxLinks)
    {
        final long largestChain = (long)config.bufferSize() * ((1L << config.log2RingSize()) / 2);
        if (maxFrameLength < 64 || HEADER_LENGTH + (long)maxFrameLength > largestChain)
        {
            throw new IllegalArgumentException("maxFrameLength " + maxFrameLength + " must be at least 64 and fit in " +
                "half a ring of buffers (bsize " + config.bufferSize() + " x 2^rsize " + (1 << config.log2RingSize()) +
                " / 2 = " + largestChain + " bytes, Ethernet header included)");
        }
        this.config = config;
        this.mac = null != mac ? mac : null != config.mac() ? config.mac() : randomMac();
        this.maxFrameLength = maxFrameLength;
        this.peers = new MacPeerTable(routes, maxPeers);
        this.linkOfPeer = new MemifLink[maxPeers];
        this.links = new MemifLink[config.server() ? maxLinks : 1];
        this.name = "memif " + config.name() + (config.server() ? " server " : " client ") + config.socket() + " " +
            this.mac;
        EthernetFrameDescriptor.putMac(ethernet, SRC_MAC_OFFSET, this.mac.value());
        ethernet.putShort(ETHER_TYPE_OFFSET, (short)ETHER_TYPE, ORDER);
        this.addressArena = Arena.ofShared();
        try
        {
            this.address = addressArena.allocate(Posix.SOCKADDR_UN_SIZE, 8);
            this.callState = Posix.callState(addressArena);
            this.addressLength = Posix.unixAddress(address, config.socket(), config.abstractSocket());
            this.listenFd = config.server() ? listen() : -1;
        }
        catch (final RuntimeException ex)
        {
            addressArena.close();
            throw ex;
        }
    }

    /** A medium with the defaults, for a node's machines.csv vdev. */
    public static MemifMedium open(final String vdev, final MacAddress mac, final Map<Integer, MacAddress> routes)
    {
        return new MemifMedium(MemifConfig.parse(vdev), mac, routes, DEFAULT_MAX_PEERS, DEFAULT_MAX_FRAME_LENGTH,
            DEFAULT_MAX_LINKS);
    }

    private static MacAddress randomMac()
    {
        return new MacAddress(0x02_00_00_00_00_00L | (ThreadLocalRandom.current().nextLong() & 0xFF_FF_FF_FF_FFL));
    }

    /**
     * Binds and listens. A socket file left by a server that died is removed (nothing answers on it); one a live
     * server listens on is not: that is a configuration mistake, named.
     */
    private int listen()
    {
        final int fd = Posix.socketSeqPacket();
        if (fd < 0)
        {
            throw new IllegalStateException(name + ": socket failed: " + Posix.describe(-fd));
        }
        int rc = Posix.bind(fd, address, addressLength);
        String why = "";
        if (rc == -EADDRINUSE && !config.abstractSocket())
        {
            if (somebodyListens())
            {
                why = " (another server listens there)";
            }
            else if (isSocketFile(config.socket()))
            {
                Posix.unlink(config.socket());
                rc = Posix.bind(fd, address, addressLength);
            }
            else
            {
                why = " (a file that is not a socket is in the way)";
            }
        }
        else if (rc == -EADDRINUSE)
        {
            why = " (another server listens there)";
        }
        if (rc >= 0)
        {
            rc = Posix.listen(fd, 16);
        }
        if (rc < 0)
        {
            Posix.close(fd);
            throw new IllegalStateException(name + ": cannot listen on " + config.socket() + ": " +
                Posix.describe(-rc) + why);
        }
        return fd;
    }

    private static boolean isSocketFile(final String path)
    {
        try
        {
            return java.nio.file.Files.readAttributes(java.nio.file.Path.of(path),
                java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS).isOther();
        }
        catch (final java.io.IOException ex)
        {
            return false;
        }
    }

    private boolean somebodyListens()
    {
        final int probe = Posix.socketSeqPacket();
        try
        {
            final int rc = Posix.connect(probe, address, addressLength);
            return rc >= 0 || rc == -Posix.EAGAIN;
        }
        finally
        {
            Posix.close(probe);
        }
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public int maxFrameLength()
    {
        return maxFrameLength;
    }

    public MacAddress mac()
    {
        return mac;
    }

    public MemifConfig config()
    {
        return config;
    }

    public MemifCounters counters()
    {
        return counters;
    }

    /** @return whether a link is up (as of the poller's last look). */
    public boolean isUp()
    {
        return anyUp;
    }

    /**
     * Runs the control work until a link is up: for a node that should not start serving or calling before its link
     * is there. Reads no ring, so no frame is taken before the transport polls. Only on the thread that polls, or
     * before polling starts.
     *
     * @return whether a link came up within {@code timeoutMs}.
     */
    public boolean awaitUp(final long timeoutMs)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!closed)
        {
            final long nowNs = System.nanoTime();
            control(nowNs);
            if (anyUp)
            {
                return true;
            }
            if (nowNs - deadline > 0)
            {
                return false;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        }
        return false;
    }

    /** @return why the last link that ended ended, e.g. "peer disconnected: Incorrect secret". */
    public String lastDownReason()
    {
        return lastDownReason;
    }

    @Override
    public int resolve(final int nodeId)
    {
        return peers.resolve(nodeId);
    }

    public MacAddress peerMac(final int peer)
    {
        return peers.peerMac(peer);
    }

    @Override
    public int sendGathered(
        final int peer, final DirectBuffer head, final int headOffset, final int headLength, final DirectBuffer payload,
        final int payloadOffset, final int payloadLength)
    {
        final long peerMac = peers.macOf(peer);
        if (peerMac == MacPeerTable.NO_MAC)
        {
            return NO_ROUTE;
        }
        final int length = headLength + payloadLength;
        if (length > maxFrameLength || headLength < 0 || payloadLength < 0 || closed)
        {
            return FAILED;
        }
        final MemifLink link = config.server() ? linkOfPeer[peer] : links[0];
        if (null == link || !link.isUp())
        {
            increment(counters.linkDown);
            return BACK_PRESSURED;
        }
        EthernetFrameDescriptor.putMac(ethernet, 0, peerMac);
        ethernet.putShort(LENGTH_OFFSET, (short)length, ORDER);
        return link.transmit(ethernet, HEADER_LENGTH, head, headOffset, headLength, payload, payloadOffset,
            payloadLength);
    }

    @Override
    public int poll(final FrameHandler handler, final int limit)
    {
        if (closed)
        {
            return 0;
        }
        controlIfDue();
        this.handler = handler;
        handed = 0;
        for (int i = 0; i < linkCount && handed < limit; i++)
        {
            final MemifLink link = links[i];
            if (link.isUp())
            {
                link.receive(receiver, limit - handed);
            }
        }
        this.handler = null;
        return handed;
    }

    /** A frame from a ring: checked like DpdkMedium checks one, its sender learned, handed on in place. */
    private void onFrame(final MemifLink link, final UnsafeBuffer buffer, final int offset, final int wireLength)
    {
        if (wireLength < HEADER_LENGTH)
        {
            increment(counters.runtFrames);
            return;
        }
        if ((buffer.getShort(offset + ETHER_TYPE_OFFSET, ORDER) & 0xFFFF) != ETHER_TYPE)
        {
            increment(counters.foreignFrames);
            return;
        }
        final int length = buffer.getShort(offset + LENGTH_OFFSET, ORDER) & 0xFFFF;
        if (length > wireLength - HEADER_LENGTH)
        {
            increment(counters.runtFrames);
            return;
        }
        final long sourceMac = EthernetFrameDescriptor.getMac(buffer, offset + SRC_MAC_OFFSET);
        if (sourceMac != lastSourceMac)
        {
            // A link mostly carries one peer's frames: the table is looked up when the sender changes.
            lastPeer = peers.peerIfKnown(sourceMac);
            if (lastPeer == NO_ROUTE)
            {
                // A number given to a new MAC (perhaps taken back from an old one) is on no link yet.
                lastPeer = peers.peerFor(sourceMac);
                linkOfPeer[lastPeer] = null;
            }
            lastSourceMac = sourceMac;
        }
        final int peer = lastPeer;
        final MemifLink known = linkOfPeer[peer];
        if (known != link)
        {
            if (null != known && known.isUp())
            {
                // That MAC's peer is up on another link: this client poses as another; its frame is not taken.
                increment(counters.macConflicts);
                return;
            }
            linkOfPeer[peer] = link;
        }
        handed++;
        handler.onFrame(peer, buffer, offset + HEADER_LENGTH, length);
    }

    @Override
    public boolean waits()
    {
        return true;
    }

    /** The wait is a Java loop over the links' counters: a load each, no call. */
    @Override
    public int poll(final FrameHandler handler, final int limit, final long waitNs)
    {
        final int n = poll(handler, limit);
        if (n > 0 || waitNs <= 0)
        {
            return n;
        }
        final long waitFor = Math.min(waitNs, MAX_POLL_WAIT_NS);
        final long start = System.nanoTime();
        for (int spins = 1; !doorbell.get(); spins++)
        {
            for (int i = 0; i < linkCount; i++)
            {
                if (links[i].hasInput())
                {
                    return poll(handler, limit);
                }
            }
            if ((spins & 15) == 0 && System.nanoTime() - start >= waitFor)
            {
                return 0;
            }
            Thread.onSpinWait();
        }
        doorbell.set(false);
        return 0;
    }

    @Override
    public void wake()
    {
        doorbell.set(true);
    }

    // ------------------------------------------------------------------------------------------------- control

    private void controlIfDue()
    {
        if (handshakes == 0 && (++callsSinceClock & (CLOCK_EVERY_CALLS - 1)) != 0)
        {
            return;
        }
        final long nowNs = System.nanoTime();
        if (handshakes == 0 && nowNs - nextControlNs < 0)
        {
            return;
        }
        nextControlNs = nowNs + CONTROL_INTERVAL_NS;
        control(nowNs);
    }

    /** Accepts or connects, runs each link's control messages, and lets ended links go. */
    private void control(final long nowNs)
    {
        if (config.server())
        {
            accept(nowNs);
        }
        else if (linkCount == 0 && nowNs - nextConnectNs >= 0)
        {
            connect(nowNs);
        }
        int inHandshake = 0;
        boolean up = false;
        for (int i = 0; i < linkCount; i++)
        {
            final MemifLink link = links[i];
            link.control(nowNs, ids);
            if (link.isDown())
            {
                lastDownReason = link + "";
                forget(link);
                link.close();
                links[i] = links[--linkCount];
                links[linkCount] = null;
                i--;
                if (!config.server())
                {
                    // Refused in the handshake (a wrong secret, an id in use): try again, but less and less often.
                    connectLater(nowNs, !link.wasUp());
                }
                continue;
            }
            if (link.isUp())
            {
                up = true;
                reconnectDelayNs = RECONNECT_MIN_NS;
            }
            else
            {
                inHandshake++;
            }
        }
        handshakes = inHandshake;
        anyUp = up;
    }

    private void accept(final long nowNs)
    {
        for (int i = 0; i < ACCEPTS_PER_CONTROL; i++)
        {
            final int fd = Posix.accept(listenFd, callState);
            if (fd < 0)
            {
                if (fd != -Posix.EAGAIN && fd != -Posix.EINTR)
                {
                    increment(counters.controlErrors);
                }
                return;
            }
            if (linkCount == links.length)
            {
                increment(counters.refusedPeers);
                try (MemifSocket refused = new MemifSocket(fd))
                {
                    refused.message().disconnect(0, "Too many connections");
                    refused.send(-1);
                }
                continue;
            }
            links[linkCount++] = MemifLink.server(config, localName(), fd, counters,
                HEADER_LENGTH + maxFrameLength, nowNs);
            handshakes++;
        }
    }

    private void connect(final long nowNs)
    {
        final int fd = Posix.socketSeqPacket();
        final int rc = fd < 0 ? fd : Posix.connect(fd, address, addressLength);
        if (rc < 0)
        {
            Posix.close(fd);
            if (rc != -Posix.ENOENT && rc != -Posix.ECONNREFUSED && rc != -Posix.EAGAIN)
            {
                increment(counters.controlErrors);
            }
            lastDownReason = "connect to " + config.socket() + ": " + Posix.describe(-rc);
            connectLater(nowNs, true);
            return;
        }
        links[linkCount++] = MemifLink.client(config, localName(), fd, counters, HEADER_LENGTH + maxFrameLength, nowNs);
        handshakes++;
    }

    /** The next connect after the current delay; after a failure, the delay after that is doubled (to a bound). */
    private void connectLater(final long nowNs, final boolean failed)
    {
        nextConnectNs = nowNs + reconnectDelayNs;
        if (failed)
        {
            reconnectDelayNs = Math.min(reconnectDelayNs * 2, RECONNECT_MAX_NS);
        }
    }

    /** Peers last seen on a link that ended are reached on none until they send again. */
    private void forget(final MemifLink link)
    {
        for (int peer = 0; peer < linkOfPeer.length; peer++)
        {
            if (linkOfPeer[peer] == link)
            {
                linkOfPeer[peer] = null;
            }
        }
    }

    private String localName()
    {
        return "rum " + mac;
    }

    private boolean idInUse(final long id, final MemifLink asking)
    {
        for (int i = 0; i < linkCount; i++)
        {
            if (links[i] != asking && !links[i].isDown() && links[i].peerId() == id)
            {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (int i = 0; i < linkCount; i++)
        {
            links[i].close();
            links[i] = null;
        }
        linkCount = 0;
        anyUp = false;
        if (listenFd >= 0)
        {
            Posix.close(listenFd);
            if (!config.abstractSocket())
            {
                Posix.unlink(config.socket());
            }
        }
        addressArena.close();
    }

    @Override
    public String toString()
    {
        return name + " (" + counters + ")";
    }
}
