package io.rum.net.dpdk;

import io.rum.net.config.MacAddress;
import io.rum.net.dpdk.DpdkShim.Calls;
import io.rum.net.frame.FrameHeaderFlyweight;
import io.rum.net.medium.FrameHandler;
import io.rum.net.medium.GatheringMedium;
import io.rum.net.medium.MacPeerTable;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.rum.net.dpdk.EthernetFrameDescriptor.ETHER_TYPE;
import static io.rum.net.dpdk.EthernetFrameDescriptor.ETHER_TYPE_OFFSET;
import static io.rum.net.dpdk.EthernetFrameDescriptor.HEADER_LENGTH;
import static io.rum.net.dpdk.EthernetFrameDescriptor.LENGTH_OFFSET;
import static io.rum.net.dpdk.EthernetFrameDescriptor.ORDER;
import static io.rum.net.dpdk.EthernetFrameDescriptor.SRC_MAC_OFFSET;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One DPDK port (one rx and one tx queue, one mbuf pool) as a {@link Medium}: RUM frames in Ethernet
 * frames of EtherType 0x88B5, see {@link EthernetFrameDescriptor} for the layout and for why raw Ethernet
 * (same L2 segment only) rather than UDP/IPv4.
 *
 * <p>Peers are MAC addresses. Configured nodes (a route map of node id to MAC) get the first peer numbers; a
 * frame from a MAC never seen before gets the next free one, so clients that no configuration names can be
 * answered. The table is bounded: when full, the oldest learned MAC is forgotten, as in {@code UdpMedium}.
 *
 * <p>Data path, one downcall per burst or frame, no allocation and no copy in Java: {@link #poll} calls
 * {@code rum_rx_burst_view}, which frees the previous burst's mbufs and receives up to 32 frames, leaving each
 * in its mbuf; the handler reads the frame where it lies, through a view of the pool's memory (one direct
 * {@link ByteBuffer} per memory chunk of the pool, made at open), until the next poll. Frames of another
 * EtherType, shorter than the header or than their length field say, or (when the PMD chains segments) larger
 * than a slot are counted and dropped, and the rest go to the handler with the Ethernet header stripped.
 * {@link #send} calls {@code rum_tx_gather} with the 16-byte Ethernet header and the frame where the caller
 * built it (its {@code byte[]} as a heap segment under {@code critical(true)}): C allocates an mbuf, copies
 * both in and transmits; a full tx ring or an empty pool is {@link #BACK_PRESSURED}. One downcall per frame
 * costs less than the 4-5 that building frames in mbufs from Java takes (docs/research/dpdk-probe/FINDINGS.md).
 * Every data-path call acts as one lcore of its own (see the shim), so mbufs come from the pool's per-lcore
 * cache, most recently freed first, and stay in the CPU's cache. Where the shim computes CRC32C ({@link #seals()}),
 * {@link #sendToSeal} has C seal the frame in its mbuf and the poll has it check every received frame, handing
 * those it found right to {@link FrameHandler#onCheckedFrame}. A poll given a wait ({@link #poll(FrameHandler, int,
 * long)}) keeps polling in C until a frame comes, the wait passes or {@link #wake()} rings a doorbell in native
 * memory.
 *
 * <p>Link state: a port whose link is down is neither polled nor sent on (the memif PMD has been seen to
 * crash on repeated reconnects while polled); the state is re-read at most every
 * {@value #LINK_CHECK_INTERVAL_MS} ms. Sends while down report {@link #BACK_PRESSURED}: the reliability
 * layer retransmits.
 *
 * <p>Threading as {@link Medium} says: one poller calls {@link #send} and {@link #poll}; {@link #wake()} may be
 * called from any thread; open and close run their control calls on the {@link Eal} thread. Counters are written
 * by the poller only and read from any thread.
 */
public final class DpdkMedium implements GatheringMedium
{
    public static final int DEFAULT_MAX_PEERS = 4096;
    public static final long LINK_CHECK_INTERVAL_MS = 2;
    private static final int CLOCK_EVERY_CALLS = 64;
    private static final int NO_SEAL = -1;
    /** The longest a poll waits in C for its first frame, whatever it is asked: the downcall is critical. */
    public static final long MAX_POLL_WAIT_NS = TimeUnit.MICROSECONDS.toNanos(100);
    private static final long LINK_CHECK_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(LINK_CHECK_INTERVAL_MS);
    private static final int HEADROOM = 128;
    private static final long MEMIF_SETTLE_MS = 20;
    private static final AtomicLong POOLS = new AtomicLong();

    private final Eal eal;
    private final DpdkConfig config;
    private final short port;
    private final MemorySegment pool;
    private final MacAddress mac;
    private final int maxFrameLength;
    private final String name;
    private final boolean seals = DpdkShim.checksumsInC();
    // Where C checks a received frame's CRC32C, or NO_SEAL: the frame's CRC field when the shim computes it.
    private final int checkCrcAt = seals ? FrameHeaderFlyweight.CRC_OFFSET : NO_SEAL;

    // Receive: the mbufs of the last burst (freed by the next), each frame's address and length; frames are read
    // through views of the pool's memory chunks, the last "chunk" being the slots for frames C had to copy.
    private final int slotSize;
    private final long[] heldMbufs = new long[DpdkShim.MAX_BURST];
    private final MemorySegment heldSegment = MemorySegment.ofArray(heldMbufs);
    private int held;
    private final long[] frameAddresses = new long[DpdkShim.MAX_BURST];
    private final MemorySegment frameAddressesSegment = MemorySegment.ofArray(frameAddresses);
    private final int[] receiveLengths = new int[DpdkShim.MAX_BURST];
    private final MemorySegment receiveLengthsSegment = MemorySegment.ofArray(receiveLengths);
    private final MemorySegment copySlots;
    // Rung by wake() from any thread to end a waiting poll early; C reads it, the poller clears it after each wait.
    // A cache line of its own: the waiting thread reads it on every poll, other threads write it.
    private final UnsafeBuffer doorbell = new UnsafeBuffer(ByteBuffer.allocateDirect(128).alignedSlice(64));
    private final MemorySegment doorbellSegment = MemorySegment.ofBuffer(doorbell.byteBuffer());
    private final long[] chunkAddresses;
    private final long[] chunkEnds;
    private final ByteBuffer[] chunkBuffers;
    private final UnsafeBuffer receiveView;

    // Send: the Ethernet header (source MAC and EtherType written once); the frame goes to C from where it is.
    private final byte[] headerBytes = new byte[HEADER_LENGTH];
    private final MemorySegment headerSegment = MemorySegment.ofArray(headerBytes);
    private final UnsafeBuffer headerView = new UnsafeBuffer(headerBytes);
    private final SegmentOf frames = new SegmentOf();
    private final SegmentOf payloads = new SegmentOf();

    private final MacPeerTable peers;

    private boolean linkUp;
    private static final long NEVER = Long.MIN_VALUE;
    private static final long RECONNECT_AFTER_NS = TimeUnit.MILLISECONDS.toNanos(100);
    private long linkDownSinceNs = NEVER;
    private final AtomicLong reconnects = new AtomicLong();
    private long nextLinkCheckNs;
    private int callsSinceClock;
    // Volatile so that a poll or send after close() (a misuse: frames would be read from a freed pool) is refused.
    private volatile boolean closed;

    // Single writer (the poller); lazySet is enough for readers that only need to see the count eventually.
    private final AtomicLong framesReceived = new AtomicLong();
    private final AtomicLong framesSent = new AtomicLong();
    private final AtomicLong foreignFrames = new AtomicLong();
    private final AtomicLong runtFrames = new AtomicLong();
    private final AtomicLong oversizeFrames = new AtomicLong();
    private final AtomicLong txRingFull = new AtomicLong();
    private final AtomicLong txPoolEmpty = new AtomicLong();
    private final AtomicLong sendErrors = new AtomicLong();
    private final AtomicLong linkDownChecks = new AtomicLong();

    private DpdkMedium(
        final Eal eal, final DpdkConfig config, final short port, final MemorySegment pool, final MacAddress mac,
        final int frameRoom, final long[][] chunks, final Map<Integer, MacAddress> routes, final int maxPeers)
    {
        this.eal = eal;
        this.config = config;
        this.port = port;
        this.pool = pool;
        this.mac = mac;
        this.maxFrameLength = Math.min(Math.min(config.maxFrameLength(), frameRoom - HEADER_LENGTH),
            config.portFrameLimit());
        this.name = "dpdk " + config.portName() + " " + mac;
        this.slotSize = align(HEADER_LENGTH + maxFrameLength, 64);
        final ByteBuffer slots = ByteBuffer.allocateDirect(slotSize * DpdkShim.MAX_BURST);
        this.copySlots = MemorySegment.ofBuffer(slots);
        final int chunkCount = chunks[0].length;
        this.chunkAddresses = new long[chunkCount + 1];
        this.chunkEnds = new long[chunkCount + 1];
        this.chunkBuffers = new ByteBuffer[chunkCount + 1];
        for (int i = 0; i < chunkCount; i++)
        {
            chunkAddresses[i] = chunks[0][i];
            chunkEnds[i] = chunks[0][i] + chunks[1][i];
            chunkBuffers[i] = DpdkShim.nativeBuffer(chunks[0][i], (int)chunks[1][i]);
        }
        chunkAddresses[chunkCount] = copySlots.address();
        chunkEnds[chunkCount] = copySlots.address() + copySlots.byteSize();
        chunkBuffers[chunkCount] = slots;
        this.receiveView = new UnsafeBuffer(slots);
        EthernetFrameDescriptor.putMac(headerView, SRC_MAC_OFFSET, mac.value());
        headerView.putShort(ETHER_TYPE_OFFSET, (short)ETHER_TYPE, ORDER);

        this.peers = new MacPeerTable(routes, maxPeers);
    }

    /**
     * Opens a port: creates its device if EAL lacks it, makes a pool, configures one queue pair, sets the MAC
     * if configured, starts the port (retrying for {@link DpdkConfig#startTimeoutMs()}) and retains EAL.
     *
     * @param eal      the running EAL.
     * @param config   the port.
     * @param routes   node id to MAC for every node this medium may send to first.
     * @param maxPeers bound on configured plus learned peers.
     * @throws IllegalStateException naming the step and the DPDK error, after releasing what it created.
     */
    public static DpdkMedium open(
        final Eal eal, final DpdkConfig config, final Map<Integer, MacAddress> routes, final int maxPeers)
    {
        if (routes.size() >= maxPeers)
        {
            throw new IllegalArgumentException("more routes (" + routes.size() + ") than peers " + maxPeers);
        }
        eal.retain();
        final Opened opened;
        try
        {
            opened = eal.call(() -> openOnEalThread(config));
        }
        catch (final RuntimeException | Error ex)
        {
            eal.close();
            throw ex;
        }
        return new DpdkMedium(
            eal, config, opened.port, opened.pool, opened.mac, opened.frameRoom, opened.chunks, routes, maxPeers);
    }

    /**
     * @param chunks the pool's memory: addresses, then lengths.
     */
    private record Opened(short port, MemorySegment pool, MacAddress mac, int frameRoom, long[][] chunks)
    {
    }

    /** A pool is populated in few chunks (one, with {@code --no-huge}); more would mean a search per frame. */
    private static final int MAX_POOL_CHUNKS = 8;

    private static long[][] poolChunks(final MemorySegment pool, final Arena arena, final DpdkConfig config)
        throws Throwable
    {
        final MemorySegment addresses = arena.allocate(JAVA_LONG, MAX_POOL_CHUNKS);
        final MemorySegment lengths = arena.allocate(JAVA_LONG, MAX_POOL_CHUNKS);
        final int count = (int)Calls.POOL_CHUNKS.invokeExact(pool, addresses, lengths, MAX_POOL_CHUNKS);
        check(count, "list the pool memory of", config);
        if (count > MAX_POOL_CHUNKS)
        {
            throw new IllegalStateException("the mbuf pool of " + config.portName() + " lies in " + count +
                " memory chunks, more than " + MAX_POOL_CHUNKS + ": lower -Drum.dpdk.poolSize (now " +
                config.poolSize() + ") or raise -Drum.dpdk.memoryMb (now " + config.memoryMb() + ")");
        }
        final long[][] chunks = {addresses.asSlice(0, count * 8L).toArray(JAVA_LONG),
            lengths.asSlice(0, count * 8L).toArray(JAVA_LONG)};
        for (final long length : chunks[1])
        {
            if (length > Integer.MAX_VALUE)
            {
                throw new IllegalStateException("a memory chunk of the mbuf pool of " + config.portName() + " is " +
                    length + " B, more than a ByteBuffer spans: lower -Drum.dpdk.poolSize (now " + config.poolSize() +
                    ") or -Drum.dpdk.maxFrameLength (now " + config.maxFrameLength() + ")");
            }
        }
        return chunks;
    }

    private static Opened openOnEalThread(final DpdkConfig config) throws Throwable
    {
        int portId = Eal.portByName(config.portName());
        boolean created = false;
        if (portId < 0 && config.vdev() != null)
        {
            Eal.createDevice(config.vdev());
            created = true;
            portId = Eal.portByName(config.portName());
        }
        if (portId < 0)
        {
            throw new IllegalStateException("no DPDK port " + config.portName() + ": " + DpdkShim.lastError() +
                (config.vdev() == null ? " (no vdev configured)" : ""));
        }
        final short port = (short)portId;
        MemorySegment pool = MemorySegment.NULL;
        boolean started = false;
        try (Arena arena = Arena.ofConfined())
        {
            final int dataRoom = config.mbufDataRoom(HEADROOM);
            final String poolName = "rum" + POOLS.getAndIncrement() + "_p" + portId;
            pool = (MemorySegment)Calls.POOL_CREATE.invokeExact(
                arena.allocateFrom(poolName), config.poolSize(), Math.min(256, config.poolSize() / 8), dataRoom);
            if (pool.equals(MemorySegment.NULL))
            {
                throw new IllegalStateException("cannot create a pool of " + config.poolSize() + " mbufs of " + dataRoom +
                    " B for " + config.portName() + ": " + DpdkShim.lastError() + " (raise -Drum.dpdk.memoryMb, now " +
                    config.memoryMb() + ")");
            }
            final int frameRoom = (int)Calls.POOL_FRAME_ROOM.invokeExact(pool);
            final long[][] chunks = poolChunks(pool, arena, config);
            check((int)Calls.PORT_SETUP.invokeExact(port, pool, (short)0, (short)0), "configure", config);
            final MemorySegment macBytes = arena.allocate(MacAddress.LENGTH_BYTES);
            check((int)Calls.PORT_MAC.invokeExact(port, macBytes), "read the MAC of", config);
            final MacAddress portMac = MacAddress.of(macBytes.toArray(JAVA_BYTE));
            if (config.mac() != null && !config.mac().equals(portMac))
            {
                MemorySegment.copy(config.mac().bytes(), 0, macBytes, JAVA_BYTE, 0, MacAddress.LENGTH_BYTES);
                if ((int)Calls.PORT_SET_MAC.invokeExact(port, macBytes) < 0)
                {
                    // Frames still carry the configured MAC as source; receiving needs promiscuous mode then.
                    System.err.println("rum-dpdk: " + config.portName() + " cannot take MAC " + config.mac() + " (" +
                        DpdkShim.lastError() + "): using promiscuous mode");
                    if ((int)Calls.PORT_PROMISCUOUS.invokeExact(port, 1) < 0)
                    {
                        System.err.println("rum-dpdk: nor promiscuous mode: " + DpdkShim.lastError());
                    }
                }
            }
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.startTimeoutMs());
            int rc;
            while ((rc = (int)Calls.PORT_START.invokeExact(port)) < 0 && System.nanoTime() - deadlineNs < 0)
            {
                Thread.sleep(20);
            }
            check(rc, "start (a memif client needs its server running)", config);
            started = true;
            final MacAddress mac = config.mac() != null ? config.mac() : portMac;
            return new Opened(port, pool, mac, frameRoom, chunks);
        }
        catch (final Throwable ex)
        {
            release(port, pool, started, created ? config.portName() : null);
            throw ex;
        }
    }

    private static void check(final int rc, final String what, final DpdkConfig config)
    {
        if (rc < 0)
        {
            throw new IllegalStateException("cannot " + what + " DPDK port " + config.portName() + ": rc " + rc + ", " +
                DpdkShim.lastError());
        }
    }

    /**
     * On the EAL thread: stop and close the port, remove its device so it can be created again, free the pool.
     */
    private static void release(final short port, final MemorySegment pool, final boolean started, final String device)
        throws Throwable
    {
        if (started)
        {
            final int stopped = (int)Calls.PORT_STOP.invokeExact(port);
            if (stopped < 0)
            {
                System.err.println("rum-dpdk: stopping port " + port + ": " + DpdkShim.lastError());
            }
        }
        final int closedRc = (int)Calls.PORT_CLOSE.invokeExact(port);
        if (closedRc < 0)
        {
            System.err.println("rum-dpdk: closing port " + port + ": " + DpdkShim.lastError());
        }
        if (null != device)
        {
            Eal.removeDevice(device);
        }
        if (null != device && device.startsWith("net_memif"))
        {
            // The memif peer handles our disconnect on EAL's interrupt thread, concurrently with this thread;
            // when both ends live in one process, closing the other end (or EAL) in the same instant has been
            // seen to crash that thread. Let it run first.
            Thread.sleep(MEMIF_SETTLE_MS);
        }
        if (!pool.equals(MemorySegment.NULL))
        {
            Calls.POOL_FREE.invokeExact(pool);
        }
    }

    private static int align(final int value, final int alignment)
    {
        return (value + alignment - 1) & -alignment;
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

    /**
     * @return the MAC this port sends from.
     */
    public MacAddress mac()
    {
        return mac;
    }

    public DpdkConfig config()
    {
        return config;
    }

    @Override
    public int resolve(final int nodeId)
    {
        return peers.resolve(nodeId);
    }

    /**
     * @return the MAC of a peer number, or null if the number is free.
     */
    public MacAddress peerMac(final int peer)
    {
        return peers.peerMac(peer);
    }

    /**
     * C copies the Ethernet header, the head and the payload into an mbuf, so the payload is copied once, from where
     * the caller has it.
     */
    @Override
    public int sendGathered(
        final int peer, final DirectBuffer head, final int headOffset, final int headLength, final DirectBuffer payload,
        final int payloadOffset, final int payloadLength)
    {
        return transmit(peer, head, headOffset, headLength, payload, payloadOffset, payloadLength, NO_SEAL);
    }

    /** When the shim computes CRC32C (see {@link DpdkShim#checksumsInC()}). */
    @Override
    public boolean seals()
    {
        return seals;
    }

    /** C seals the frame in its mbuf, right after copying it there. */
    @Override
    public int sendToSeal(
        final int peer, final DirectBuffer head, final int headOffset, final int headLength, final DirectBuffer payload,
        final int payloadOffset, final int payloadLength)
    {
        if (!seals)
        {
            throw new UnsupportedOperationException(name + " does not seal: the shim computes no CRC32C here");
        }
        return transmit(peer, head, headOffset, headLength, payload, payloadOffset, payloadLength,
            FrameHeaderFlyweight.CRC_OFFSET);
    }

    private int transmit(
        final int peer, final DirectBuffer head, final int headOffset, final int headLength, final DirectBuffer payload,
        final int payloadOffset, final int payloadLength, final int crcAt)
    {
        final long peerMac = peers.macOf(peer);
        if (peerMac == MacPeerTable.NO_MAC)
        {
            return NO_ROUTE;
        }
        final int length = headLength + payloadLength;
        if (length > maxFrameLength || headLength < 0 || payloadLength < 0 || closed ||
            (crcAt != NO_SEAL && length < FrameHeaderFlyweight.HEADER_LENGTH))
        {
            increment(sendErrors);
            return FAILED;
        }
        // C copies without looking: a range outside the buffers must fail here, as Agrona's own copies would.
        head.boundsCheck(headOffset, headLength);
        if (payloadLength > 0)
        {
            payload.boundsCheck(payloadOffset, payloadLength);
        }
        if (!linkUpNow())
        {
            return BACK_PRESSURED;
        }
        EthernetFrameDescriptor.putMac(headerView, 0, peerMac);
        headerView.putShort(LENGTH_OFFSET, (short)length, ORDER);
        final int rc;
        try
        {
            final MemorySegment frame = frames.of(head);
            final MemorySegment rest = payloadLength > 0 ? payloads.of(payload) : MemorySegment.NULL;
            rc = (int)Calls.TX_GATHER.invokeExact(port, (short)0, pool, headerSegment, HEADER_LENGTH, frame,
                frames.base + headOffset, headLength, rest, payloadLength > 0 ? payloads.base + payloadOffset : 0L,
                payloadLength, crcAt);
        }
        catch (final Throwable ex)
        {
            increment(sendErrors);
            return FAILED;
        }
        return sent(rc);
    }

    private int sent(final int rc)
    {
        if (rc == 1)
        {
            increment(framesSent);
            return SENT;
        }
        if (rc == 0)
        {
            increment(txRingFull);
            return BACK_PRESSURED;
        }
        if (rc == DpdkShim.E_NOBUFS)
        {
            increment(txPoolEmpty);
            return BACK_PRESSURED;
        }
        increment(sendErrors);
        return FAILED;
    }

    /**
     * The memory behind an Agrona buffer as C should see it, and in {@link #base} where the buffer's index 0 lies in
     * it: its {@code byte[]} (the usual case: a transport builds frames in one) or its direct {@link ByteBuffer} (a
     * received frame sent on), each remembered while the next send uses the same one, so sends allocate nothing; or
     * all memory for a buffer over a bare address. One per part of a frame: a gathered frame's head and payload lie
     * in two buffers.
     */
    private static final class SegmentOf
    {
        private byte[] array;
        private MemorySegment arraySegment;
        private ByteBuffer byteBuffer;
        private MemorySegment byteBufferSegment;
        long base;

        MemorySegment of(final DirectBuffer buffer)
        {
            final byte[] bytes = buffer.byteArray();
            if (null != bytes)
            {
                base = buffer.wrapAdjustment();
                if (bytes != array)
                {
                    arraySegment = MemorySegment.ofArray(bytes);
                    array = bytes;
                }
                return arraySegment;
            }
            final ByteBuffer backing = buffer.byteBuffer();
            if (null != backing && backing.isDirect())
            {
                base = buffer.wrapAdjustment();
                if (backing != byteBuffer)
                {
                    // The whole buffer from index 0, whatever its position: wrapAdjustment() counts from there.
                    byteBufferSegment = MemorySegment.ofBuffer(backing.duplicate().clear());
                    byteBuffer = backing;
                }
                return byteBufferSegment;
            }
            base = buffer.addressOffset();
            return DpdkShim.ALL_MEMORY;
        }
    }

    /**
     * Transmits bytes exactly as given, Ethernet header included: for tests and tools that need frames
     * {@link #send} would never build (foreign EtherTypes, runts). Same thread rules as {@link #send}.
     *
     * @return {@link #SENT}, {@link #BACK_PRESSURED} or {@link #FAILED}.
     */
    int transmitRaw(final byte[] frame, final int length)
    {
        if (length > HEADER_LENGTH + maxFrameLength || length < 0)
        {
            return FAILED;
        }
        try
        {
            final int rc = (int)Calls.TX_COPY.invokeExact(port, (short)0, pool, MemorySegment.ofArray(frame), length);
            return rc == 1 ? SENT : rc == 0 || rc == DpdkShim.E_NOBUFS ? BACK_PRESSURED : FAILED;
        }
        catch (final Throwable ex)
        {
            return FAILED;
        }
    }

    @Override
    public int poll(final FrameHandler handler, final int limit)
    {
        return poll(handler, limit, 0);
    }

    @Override
    public boolean waits()
    {
        return true;
    }

    /**
     * Waits in C: the first burst's downcall polls the port again until a frame comes, {@code waitNs} pass or
     * {@link #wake()} is called, so a thread waiting for a frame neither pays a downcall per empty poll nor notices
     * the frame a Java turn late.
     */
    @Override
    public int poll(final FrameHandler handler, final int limit, final long waitNs)
    {
        if (limit <= 0 || closed || !linkUpNow())
        {
            return 0;
        }
        final int firstWaitNs = (int)Math.min(Math.max(waitNs, 0), MAX_POLL_WAIT_NS);
        int delivered = 0;
        int taken = 0;
        // Bounded by frames taken, not delivered: a flood of foreign frames cannot keep the poller here.
        while (taken < limit)
        {
            final int burst = Math.min(limit - taken, DpdkShim.MAX_BURST);
            final int received;
            try
            {
                received = (int)Calls.RX_BURST_VIEW.invokeExact(port, (short)0, pool, heldSegment, (short)held,
                    copySlots, slotSize, frameAddressesSegment, receiveLengthsSegment, (short)burst, HEADER_LENGTH,
                    checkCrcAt, taken == 0 ? firstWaitNs : 0, doorbellSegment);
            }
            catch (final Throwable ex)
            {
                increment(sendErrors);
                break;
            }
            if (taken == 0 && firstWaitNs > 0)
            {
                // After the wait, before anything the caller does next: a wake() from now on ends the next wait, and
                // one before was for work the caller looks for after this poll (see Medium#wake).
                doorbell.putIntVolatile(0, 0);
            }
            held = received;
            taken += received;
            for (int i = 0; i < received; i++)
            {
                if (deliver(handler, frameAddresses[i], receiveLengths[i]))
                {
                    delivered++;
                }
            }
            if (received < burst)
            {
                break;
            }
        }
        return delivered;
    }

    @Override
    public void wake()
    {
        doorbell.putIntVolatile(0, 1);
    }

    private boolean deliver(final FrameHandler handler, final long address, final int received)
    {
        increment(framesReceived);
        final boolean checked = received > 0 && (received & DpdkShim.RX_CHECKED) != 0;
        final int wireLength = checked ? received & ~DpdkShim.RX_CHECKED : received;
        if (wireLength < 0)
        {
            increment(oversizeFrames);
            return false;
        }
        if (wireLength < HEADER_LENGTH)
        {
            increment(runtFrames);
            return false;
        }
        if (!view(address, wireLength))
        {
            // C reads in place only frames in this pool's mbufs, and copies the rest into the slots: not reached.
            increment(sendErrors);
            return false;
        }
        if (EthernetFrameDescriptor.etherType(receiveView, 0) != ETHER_TYPE)
        {
            increment(foreignFrames);
            return false;
        }
        final int length = EthernetFrameDescriptor.payloadLength(receiveView, 0);
        if (length > wireLength - HEADER_LENGTH)
        {
            increment(runtFrames);
            return false;
        }
        final int peer = peers.peerFor(EthernetFrameDescriptor.getMac(receiveView, SRC_MAC_OFFSET));
        if (checked)
        {
            handler.onCheckedFrame(peer, receiveView, HEADER_LENGTH, length);
        }
        else
        {
            handler.onFrame(peer, receiveView, HEADER_LENGTH, length);
        }
        return true;
    }

    /** Points the receive view at a frame: a window of the pool chunk (or copy slots) it lies in. */
    private boolean view(final long address, final int length)
    {
        for (int i = 0; i < chunkAddresses.length; i++)
        {
            if (address >= chunkAddresses[i] && address + length <= chunkEnds[i])
            {
                receiveView.wrap(chunkBuffers[i], (int)(address - chunkAddresses[i]), length);
                return true;
            }
        }
        return false;
    }

    /**
     * The link state as of at most {@value #LINK_CHECK_INTERVAL_MS} ms ago. While the link is up the clock is read
     * only every {@link #CLOCK_EVERY_CALLS}th call: a clock read is a fifth of an idle poll, and a poller calls this
     * on every poll and send (measured: four reads per memif round trip). A busy poller makes 64 calls in a few
     * microseconds; an idle one, parking up to 100 µs (1 ms while callers drive), in up to 6-64 ms, so a link
     * going down is noticed that much later (sends to it are safe meanwhile: the PMD refuses them). While it is
     * down every call reads the clock, so a link coming back is noticed on time.
     */
    private boolean linkUpNow()
    {
        if (linkUp && (++callsSinceClock & (CLOCK_EVERY_CALLS - 1)) != 0)
        {
            return true;
        }
        return isLinkUp(System.nanoTime());
    }

    private boolean isLinkUp(final long nowNs)
    {
        if (nowNs - nextLinkCheckNs >= 0)
        {
            nextLinkCheckNs = nowNs + LINK_CHECK_INTERVAL_NS;
            int rc;
            try
            {
                rc = (int)Calls.LINK_UP_FAST.invokeExact(port);
            }
            catch (final Throwable ex)
            {
                rc = -1;
            }
            final boolean wasUp = linkUp;
            linkUp = rc == 1;
            if (!linkUp)
            {
                increment(linkDownChecks);
                if (wasUp || linkDownSinceNs == NEVER)
                {
                    linkDownSinceNs = nowNs;
                }
                else if (config.isMemifClient() && nowNs - linkDownSinceNs >= RECONNECT_AFTER_NS)
                {
                    reconnect(nowNs);
                }
            }
            else
            {
                linkDownSinceNs = NEVER;
            }
        }
        return linkUp;
    }

    /**
     * A memif client whose server went away does not connect again by itself: it connects when the port starts.
     * So after {@link #RECONNECT_AFTER_NS} of a down link the port is stopped and started again, at most once per
     * that period (a restarted server is found within about that time).
     */
    private void reconnect(final long nowNs)
    {
        linkDownSinceNs = nowNs;
        increment(reconnects);
        try
        {
            eal.call(() ->
            {
                final int stopped = (int)Calls.PORT_STOP.invokeExact(port);
                final int started = (int)Calls.PORT_START.invokeExact(port);
                return stopped < 0 ? stopped : started;
            });
        }
        catch (final RuntimeException ex)
        {
            increment(sendErrors);
        }
    }

    /**
     * @return how often a memif client port was restarted to find its server again.
     */
    public long reconnects()
    {
        return reconnects.get();
    }

    private static void increment(final AtomicLong counter)
    {
        counter.lazySet(counter.get() + 1);
    }

    /**
     * Waits until the link is up; a control call for start-up (the client of a memif pair is up 1-4 ms after
     * start). Call it before the poller runs or from the poller's thread.
     *
     * @return whether the link came up in time.
     */
    public boolean awaitLinkUp(final long timeoutMs) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true)
        {
            nextLinkCheckNs = System.nanoTime();
            if (isLinkUp(nextLinkCheckNs))
            {
                return true;
            }
            if (System.nanoTime() - deadlineNs >= 0)
            {
                return false;
            }
            Thread.sleep(1);
        }
    }

    /** @return frames taken from the port, dropped or not. */
    public long framesReceived()
    {
        return framesReceived.get();
    }

    /** @return frames the port accepted for sending. */
    public long framesSent()
    {
        return framesSent.get();
    }

    /** @return frames dropped for another EtherType than 0x88B5. */
    public long foreignFrames()
    {
        return foreignFrames.get();
    }

    /** @return frames dropped for being shorter than the Ethernet header or than their length field says. */
    public long runtFrames()
    {
        return runtFrames.get();
    }

    /** @return frames dropped for not fitting a receive slot. */
    public long oversizeFrames()
    {
        return oversizeFrames.get();
    }

    /** @return sends refused because the tx ring was full. */
    public long txRingFull()
    {
        return txRingFull.get();
    }

    /** @return sends refused because the pool had no free mbuf. */
    public long txPoolEmpty()
    {
        return txPoolEmpty.get();
    }

    /** @return sends that failed otherwise. */
    public long sendErrors()
    {
        return sendErrors.get();
    }

    /** @return link checks that found the link down. */
    public long linkDownChecks()
    {
        return linkDownChecks.get();
    }

    /**
     * @return the port's counters: ipackets, opackets, ibytes, obytes, imissed, ierrors, oerrors, rx_nombuf.
     */
    public long[] portStats()
    {
        return eal.call(() ->
        {
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment out = arena.allocate(JAVA_LONG, DpdkShim.STATS_SLOTS);
                check((int)Calls.PORT_STATS.invokeExact(port, out), "read stats of", config);
                return out.toArray(JAVA_LONG);
            }
        });
    }

    /**
     * @return free mbufs in the data path's cache of this port's pool (see the shim): mbufs recycled hot.
     */
    public int poolCached()
    {
        return eal.call(() -> (int)Calls.POOL_CACHED.invokeExact(pool));
    }

    /**
     * @return the lcore id every data-path call acts as, or -1 if EAL left none free (mbufs then come from the
     *     pool's ring, cold).
     */
    public static int dataLcore()
    {
        try
        {
            return (int)Calls.DATA_LCORE.invokeExact();
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * @return free mbufs in this port's pool.
     */
    public int poolAvailable()
    {
        return eal.call(() -> (int)Calls.POOL_AVAILABLE.invokeExact(pool));
    }

    /**
     * Stops and closes the port, removes its device, frees the pool and drops this medium's reference to EAL
     * (the last reference cleans EAL up). Idempotent. The poller must have stopped.
     */
    @Override
    public void close()
    {
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closed = true;
        }
        try
        {
            eal.call(() ->
            {
                Calls.MBUF_FREE_BULK.invokeExact(heldSegment, held);
                held = 0;
                release(port, pool, true, config.vdev() != null ? config.portName() : null);
                return null;
            });
        }
        finally
        {
            eal.close();
        }
    }

    @Override
    public String toString()
    {
        return name + " [received " + framesReceived() + ", sent " + framesSent() + ", foreign " + foreignFrames() +
            ", runt " + runtFrames() + ", oversize " + oversizeFrames() + ", ring full " + txRingFull() +
            ", pool empty " + txPoolEmpty() + ", errors " + sendErrors() + ", CRC32C in " + (seals ? "C" : "Java") +
            "]";
    }
}
