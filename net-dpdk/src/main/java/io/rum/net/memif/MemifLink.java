package io.rum.net.memif;

import io.rum.net.medium.Medium;
import io.rum.net.os.Posix;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.TimeUnit;

import static io.rum.net.memif.MemifCounters.increment;

/**
 * One memif interface: its control connection, its handshake, its shared memory and its two rings (one each way).
 * A client link creates and owns the memory; a server link maps what its client hands over and checks every
 * descriptor the client writes before it touches the buffer behind it.
 *
 * <p>Handshake (memif 2.0, lock step): the server sends HELLO; the client answers INIT, ADD_REGION, ADD_RING (client
 * to server), ADD_RING (server to client) and CONNECT, each after the server's ACK of the one before; the server
 * answers CONNECT with CONNECTED. Either side may send DISCONNECT with a reason at any time; the link is then down for
 * good, and a client medium makes a new one.
 *
 * <p>Data: frames of up to {@code bsize} bytes take one descriptor; longer ones a chain ({@code NEXT}). Both sides
 * poll, and each masks interrupts on the ring it receives from, as DPDK's memif does. This side never signals a
 * peer's eventfd, even one that asks (libmemif in interrupt mode): the peer holds that descriptor too and can make a
 * write to it block (clear {@code O_NONBLOCK}, fill the counter), which would stop this poller. Such a peer is counted
 * ({@link MemifCounters#peersWantingInterrupts()}) and must poll.
 *
 * <p>What a peer wrote is not trusted: a server copies each received frame out of the client's memory before anyone
 * reads it (the client could change it after it was checked), and checks every descriptor before it touches the
 * buffer behind it. A client reads its server's frames in place, through a view of exactly the frame.
 *
 * <p>Used by the medium's poller only: no locks. All waits are bounded (the handshake by {@link #HANDSHAKE_TIMEOUT_NS}).
 */
final class MemifLink implements AutoCloseable
{
    /** Delivers a frame read from a ring, in place: valid only during the call. */
    interface Receiver
    {
        void frame(MemifLink link, UnsafeBuffer buffer, int offset, int length);
    }

    /** A server's question: is this interface id connected on another link already? */
    interface IdRegistry
    {
        boolean inUse(long id, MemifLink asking);
    }

    static final long HANDSHAKE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(2);
    /** How long closing waits for the peer to take what this side published. */
    static final long DRAIN_NS = TimeUnit.MILLISECONDS.toNanos(5);
    /** Regions a server takes from one client: DPDK's copy mode hands over one, its zero-copy mode a few more. */
    static final int MAX_REGIONS = 16;
    private static final int MESSAGES_PER_CONTROL_POLL = 8;

    private static final int HANDSHAKE = 0;
    private static final int UP = 1;
    private static final int DOWN = 2;

    private static final int AWAIT_HELLO = -1;
    private static final int STEP_INIT = 0;
    private static final int STEP_REGION = 1;
    private static final int STEP_RING_TO_SERVER = 2;
    private static final int STEP_RING_TO_CLIENT = 3;
    private static final int STEP_CONNECT = 4;
    private static final int AWAIT_INIT = 10;
    private static final int AWAIT_SETUP = 11;
    private static final int CONNECTED = 12;

    private final MemifConfig config;
    private final boolean client;
    private final String localName;
    private final MemifCounters counters;
    private final MemifSocket socket;
    private final long handshakeDeadlineNs;
    private final UnsafeBuffer assembly;
    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
    private boolean wantsInterrupts;
    private boolean upBeforeThisPass;

    private int state = HANDSHAKE;
    private int step;
    private String downReason = "";
    private long peerId = -1;
    private String peerName = "";

    private final MemifRegion[] regions = new MemifRegion[MAX_REGIONS];
    private int regionCount;
    private MemifRing toServer;
    private MemifRing toClient;
    private int toServerEventFd = -1;
    private int toClientEventFd = -1;
    private int log2RingSize;
    private int ringBytes;

    // The data path: tx is the ring this side fills, rx the one it drains; the cursors are this side's own counters.
    private MemifRing tx;
    private MemifRing rx;
    private int txCursor;
    private int rxCursor;
    private int rxGiven;
    private int ringSize;
    private int bufferSize;
    private int bufferStart;

    private MemifLink(
        final MemifConfig config, final boolean client, final String localName, final MemifSocket socket,
        final MemifCounters counters, final int maxWireLength, final long nowNs)
    {
        this.config = config;
        this.client = client;
        this.localName = localName;
        this.socket = socket;
        this.counters = counters;
        this.handshakeDeadlineNs = nowNs + HANDSHAKE_TIMEOUT_NS;
        this.assembly = new UnsafeBuffer(new byte[maxWireLength]);
    }

    /** A client link on a socket just connected: waits for the server's HELLO. */
    static MemifLink client(
        final MemifConfig config, final String localName, final int fd, final MemifCounters counters,
        final int maxWireLength, final long nowNs)
    {
        final MemifLink link = new MemifLink(
            config, true, localName, new MemifSocket(fd), counters, maxWireLength, nowNs);
        link.step = AWAIT_HELLO;
        return link;
    }

    /** A server link on a socket just accepted: says HELLO and waits for INIT. */
    static MemifLink server(
        final MemifConfig config, final String localName, final int fd, final MemifCounters counters,
        final int maxWireLength, final long nowNs)
    {
        final MemifLink link = new MemifLink(
            config, false, localName, new MemifSocket(fd), counters, maxWireLength, nowNs);
        link.step = AWAIT_INIT;
        link.socket.message().hello(localName, MAX_REGIONS - 1, 0, MemifConfig.MAX_LOG2_RING_SIZE);
        link.sendControl(-1);
        return link;
    }

    boolean isUp()
    {
        return state == UP;
    }

    boolean isDown()
    {
        return state == DOWN;
    }

    /** @return whether this link ever finished its handshake. */
    boolean wasUp()
    {
        return step == CONNECTED;
    }

    long peerId()
    {
        return peerId;
    }

    // ---------------------------------------------------------------------------------------------------- control

    /**
     * Handles what waits on the control socket (a few messages at most) and the handshake's deadline.
     */
    void control(final long nowNs, final IdRegistry ids)
    {
        for (int i = 0; i < MESSAGES_PER_CONTROL_POLL && state != DOWN; i++)
        {
            final long received = socket.receive();
            if (received == -Posix.EAGAIN || received == -Posix.EINTR)
            {
                break;
            }
            if (received == 0)
            {
                down("peer closed the control connection");
            }
            else if (received < 0)
            {
                increment(counters.controlErrors);
                down("control socket: " + Posix.describe((int)-received));
            }
            else if (received != MemifMessage.LENGTH)
            {
                increment(counters.controlErrors);
                refuse("Invalid message size");
            }
            else
            {
                onMessage(socket.message(), ids);
            }
        }
        if (state == HANDSHAKE && nowNs - handshakeDeadlineNs > 0)
        {
            refuse("Handshake timed out");
        }
        // Looked at from the second pass after the link came up: a client masks its ring when it hears CONNECTED,
        // which may be after the pass in which this server sent it.
        if (state == UP && !wantsInterrupts)
        {
            if (upBeforeThisPass && (tx.flags() & MemifRing.FLAG_MASK_INT) == 0)
            {
                wantsInterrupts = true;
                increment(counters.peersWantingInterrupts);
            }
            upBeforeThisPass = true;
        }
    }

    private void onMessage(final MemifMessage message, final IdRegistry ids)
    {
        final int type = message.type();
        if (type == MemifMessage.DISCONNECT)
        {
            down("peer disconnected: " + message.disconnectReason());
            return;
        }
        if (client)
        {
            switch (type)
            {
                case MemifMessage.HELLO -> onHello(message);
                case MemifMessage.ACK -> onAck();
                case MemifMessage.CONNECTED -> onConnected(message);
                default -> unexpected(type);
            }
        }
        else
        {
            switch (type)
            {
                case MemifMessage.INIT -> onInit(message, ids);
                case MemifMessage.ADD_REGION -> onAddRegion(message);
                case MemifMessage.ADD_RING -> onAddRing(message);
                case MemifMessage.CONNECT -> onConnect(message);
                default -> unexpected(type);
            }
        }
    }

    private void unexpected(final int type)
    {
        increment(counters.controlErrors);
        refuse("Unexpected message " + MemifMessage.typeName(type));
    }

    // Client side.

    private void onHello(final MemifMessage hello)
    {
        if (step != AWAIT_HELLO)
        {
            unexpected(MemifMessage.HELLO);
            return;
        }
        peerName = hello.helloName();
        if (hello.helloMinVersion() > MemifMessage.VERSION || hello.helloMaxVersion() < MemifMessage.VERSION)
        {
            refuse("Incompatible memif version");
            return;
        }
        log2RingSize = Math.min(config.log2RingSize(), hello.helloMaxLog2RingSize());
        if (log2RingSize < 1)
        {
            refuse("Ring size too small");
            return;
        }
        ringSize = 1 << log2RingSize;
        bufferSize = config.bufferSize();
        if ((long)(ringSize / 2) * bufferSize < assembly.capacity())
        {
            refuse("Ring too small for frames of " + assembly.capacity() + " bytes");
            return;
        }
        ringBytes = MemifRing.bytes(log2RingSize);
        bufferStart = 2 * ringBytes;
        final int size = bufferStart + 2 * ringSize * bufferSize;
        final MemifRegion region;
        try
        {
            region = MemifRegion.create("rum-memif-" + config.name(), size);
        }
        catch (final IllegalStateException ex)
        {
            increment(counters.controlErrors);
            refuse("Client could not create its region");
            downReason = ex.getMessage();
            return;
        }
        regions[0] = region;
        regionCount = 1;
        toServer = new MemifRing(region.memory(), 0, log2RingSize);
        toClient = new MemifRing(region.memory(), ringBytes, log2RingSize);
        // A new memfd is all zeros: counters and flags start at 0; the counters are reset again at CONNECTED.
        toServer.cookie(MemifRing.COOKIE);
        toClient.cookie(MemifRing.COOKIE);
        for (int slot = 0; slot < ringSize; slot++)
        {
            toServer.descBuffer(slot, 0, bufferOffset(slot, false), bufferSize);
            toClient.descBuffer(slot, 0, bufferOffset(slot, true), bufferSize);
        }
        toServerEventFd = Posix.eventfd();
        toClientEventFd = Posix.eventfd();
        if (toServerEventFd < 0 || toClientEventFd < 0)
        {
            increment(counters.controlErrors);
            refuse("Client could not create its eventfds");
            return;
        }
        step = STEP_INIT;
        sendStep();
    }

    /** Where a ring slot's buffer lies in the client's region: DPDK's layout (all to-server buffers first). */
    private int bufferOffset(final int counter, final boolean serverToClient)
    {
        return bufferStart + ((serverToClient ? ringSize : 0) + (counter & (ringSize - 1))) * bufferSize;
    }

    private void sendStep()
    {
        final MemifMessage message = socket.message();
        int passFd = -1;
        switch (step)
        {
            case STEP_INIT -> message.init(config.id(), config.secret(), localName);
            case STEP_REGION ->
            {
                message.addRegion(0, regions[0].size());
                passFd = regions[0].fd();
            }
            case STEP_RING_TO_SERVER ->
            {
                message.addRing(true, 0, 0, 0, log2RingSize);
                passFd = toServerEventFd;
            }
            case STEP_RING_TO_CLIENT ->
            {
                message.addRing(false, 0, 0, ringBytes, log2RingSize);
                passFd = toClientEventFd;
            }
            case STEP_CONNECT -> message.connect(MemifMessage.CONNECT, config.name());
            default -> throw new IllegalStateException("no step " + step);
        }
        sendControl(passFd);
    }

    private void onAck()
    {
        if (step < STEP_INIT || step >= STEP_CONNECT)
        {
            unexpected(MemifMessage.ACK);
            return;
        }
        step++;
        sendStep();
    }

    private void onConnected(final MemifMessage connected)
    {
        if (step != STEP_CONNECT)
        {
            unexpected(MemifMessage.CONNECTED);
            return;
        }
        peerName = peerName + "/" + connected.interfaceName();
        toServer.resetCounters();
        toClient.resetCounters();
        // We poll the ring we receive from: the server need not signal us.
        toClient.flags(MemifRing.FLAG_MASK_INT);
        tx = toServer;
        rx = toClient;
        txCursor = 0;
        rxCursor = 0;
        txFree = 0;
        // Hand the server every buffer of the ring it fills.
        rxGiven = ringSize;
        toClient.headRelease(ringSize);
        up();
    }

    // Server side.

    private void onInit(final MemifMessage init, final IdRegistry ids)
    {
        if (step != AWAIT_INIT)
        {
            unexpected(MemifMessage.INIT);
            return;
        }
        peerName = init.initName();
        if (init.initVersion() != MemifMessage.VERSION)
        {
            refuse("Incompatible memif version");
        }
        else if (init.initMode() != MemifMessage.MODE_ETHERNET)
        {
            refuse("Only ethernet mode supported");
        }
        else if (!config.secret().isEmpty() && !config.secret().equals(init.initSecret()))
        {
            refuse(init.initSecret().isEmpty() ? "Secret required" : "Incorrect secret");
        }
        else if (ids.inUse(init.initId(), this))
        {
            refuse("Already connected");
        }
        else
        {
            peerId = init.initId();
            step = AWAIT_SETUP;
            ack();
        }
    }

    private void onAddRegion(final MemifMessage message)
    {
        final int fd = socket.takeReceivedFd();
        if (step != AWAIT_SETUP)
        {
            Posix.close(fd);
            unexpected(MemifMessage.ADD_REGION);
            return;
        }
        if (fd < 0)
        {
            refuse("Missing region fd");
            return;
        }
        if (message.regionIndex() != regionCount || regionCount == MAX_REGIONS)
        {
            Posix.close(fd);
            refuse("Invalid region index");
            return;
        }
        final String[] why = new String[1];
        final MemifRegion region = MemifRegion.map(fd, message.regionSize(), why);
        if (null == region)
        {
            refuse("Bad region: " + why[0]);
            return;
        }
        regions[regionCount++] = region;
        ack();
    }

    private void onAddRing(final MemifMessage message)
    {
        final int fd = socket.takeReceivedFd();
        if (step != AWAIT_SETUP)
        {
            Posix.close(fd);
            unexpected(MemifMessage.ADD_RING);
            return;
        }
        if (fd < 0)
        {
            refuse("Missing interrupt fd");
            return;
        }
        final boolean toServerRing = message.ringClientToServer();
        final int log2 = message.ringLog2Size();
        final int region = message.ringRegion();
        final long offset = message.ringOffset();
        String problem = null;
        if (message.ringIndex() != 0 || (toServerRing ? toServer : toClient) != null)
        {
            problem = "Invalid ring index";
        }
        else if (log2 < 1 || log2 > MemifConfig.MAX_LOG2_RING_SIZE || (log2RingSize != 0 && log2 != log2RingSize))
        {
            problem = "Invalid ring size";
        }
        else if (message.ringPrivateHeaderSize() != 0)
        {
            problem = "Private headers not supported";
        }
        else if (region >= regionCount || !regions[region].contains(offset, MemifRing.bytes(log2)))
        {
            problem = "Ring outside its region";
        }
        if (null != problem)
        {
            Posix.close(fd);
            refuse(problem);
            return;
        }
        log2RingSize = log2;
        final MemifRing ring = new MemifRing(regions[region].memory(), (int)offset, log2);
        if (toServerRing)
        {
            toServer = ring;
            toServerEventFd = fd;
        }
        else
        {
            toClient = ring;
            toClientEventFd = fd;
        }
        ack();
    }

    private void onConnect(final MemifMessage connect)
    {
        if (step != AWAIT_SETUP || null == toServer || null == toClient)
        {
            unexpected(MemifMessage.CONNECT);
            return;
        }
        if (toServer.cookie() != MemifRing.COOKIE || toClient.cookie() != MemifRing.COOKIE)
        {
            refuse("Wrong ring");
            return;
        }
        if ((1L << log2RingSize) / 2 * toClient.descLength(0) < assembly.capacity())
        {
            refuse("Ring too small for frames of " + assembly.capacity() + " bytes");
            return;
        }
        peerName = peerName + "/" + connect.interfaceName();
        ringSize = 1 << log2RingSize;
        toServer.resetCounters();
        toClient.resetCounters();
        toServer.flags(MemifRing.FLAG_MASK_INT);
        tx = toClient;
        rx = toServer;
        txCursor = 0;
        rxCursor = 0;
        txFree = 0;
        socket.message().connect(MemifMessage.CONNECTED, config.name());
        if (sendControl(-1))
        {
            up();
        }
    }

    private void ack()
    {
        socket.message().reset(MemifMessage.ACK);
        sendControl(-1);
    }

    private void up()
    {
        state = UP;
        step = CONNECTED;
        increment(counters.connects);
    }

    /** Tells the peer why (best effort: it may be gone) and ends the link. */
    private void refuse(final String reason)
    {
        if (state == HANDSHAKE)
        {
            increment(counters.refusedPeers);
        }
        socket.message().disconnect(0, reason);
        socket.send(-1);
        down(reason);
    }

    private boolean sendControl(final int passFd)
    {
        final int rc = socket.send(passFd);
        if (rc < 0)
        {
            increment(counters.controlErrors);
            down("control send failed: " + Posix.describe(-rc));
            return false;
        }
        return true;
    }

    /** Ends the link: nothing more is sent or read on it; its memory is released by {@link #close()}. */
    void down(final String reason)
    {
        if (state != DOWN)
        {
            state = DOWN;
            downReason = reason;
            increment(counters.disconnects);
        }
    }

    // ---------------------------------------------------------------------------------------------------- data

    /**
     * Copies a frame, given in up to three parts, into the ring this side fills, and publishes it.
     *
     * @return {@code Medium.SENT}, {@code BACK_PRESSURED} (no room) or {@code FAILED} (a bad descriptor).
     */
    int transmit(
        final DirectBuffer first, final int firstLength, final DirectBuffer head, final int headOffset,
        final int headLength, final DirectBuffer payload, final int payloadOffset, final int payloadLength)
    {
        if (txFree == 0)
        {
            txFree = freeSlots();
        }
        if (txFree == 0)
        {
            increment(counters.txRingFull);
            return Medium.BACK_PRESSURED;
        }
        cursor = txCursor;
        limit = txCursor + txFree;
        int rc = openSlot() ? copy(first, 0, firstLength) : BAD_SLOT;
        if (rc == COPIED)
        {
            rc = copy(head, headOffset, headLength);
        }
        if (rc == COPIED)
        {
            rc = copy(payload, payloadOffset, payloadLength);
        }
        if (rc == NO_ROOM)
        {
            increment(counters.txRingFull);
            return Medium.BACK_PRESSURED;
        }
        if (rc == TOO_LONG)
        {
            increment(counters.oversizeFrames);
            return Medium.FAILED;
        }
        if (rc == BAD_SLOT)
        {
            // The peer wrote a descriptor that points outside what it gave us: it is broken or hostile.
            down("peer wrote a bad descriptor into the ring this side fills");
            return Medium.FAILED;
        }
        closeFrame();
        increment(counters.framesSent);
        return Medium.SENT;
    }

    private static final int COPIED = 0;
    private static final int NO_ROOM = 1;
    private static final int TOO_LONG = 2;
    private static final int BAD_SLOT = 3;

    /**
     * Slots free from {@link #txCursor} on, as of the last look at the peer's counter. A lower bound (the peer only
     * frees more), so a send reads the peer's cache line only when these run out, not on every frame.
     */
    private int txFree;

    /** @return the slots free from {@link #txCursor} on, read from the peer's counter now. */
    private int freeSlots()
    {
        final int free = client ? ringSize - ((txCursor - tx.tailAcquire()) & 0xFFFF) :
            (tx.headAcquire() - txCursor) & 0xFFFF;
        if (free < 0 || free > ringSize)
        {
            increment(counters.badDescriptors);
            down("peer published a counter its ring cannot have");
            return 0;
        }
        return free;
    }

    // The slot being filled by transmit(): its counter, where its buffer lies, its room and what is used of it.
    private int cursor;
    private int limit;
    private UnsafeBuffer slotMemory;
    private int slotOffset;
    private int slotRoom;
    private int slotUsed;

    /** Finds the buffer behind the slot at {@link #cursor}: ours (client) or the client's, checked (server). */
    private boolean openSlot()
    {
        slotUsed = 0;
        if (client)
        {
            slotMemory = regions[0].memory();
            slotOffset = bufferOffset(cursor, false);
            slotRoom = bufferSize;
            return true;
        }
        final int region = tx.descRegion(cursor);
        final long offset = tx.descOffset(cursor);
        final long room = tx.descLength(cursor);
        if (region >= regionCount || room == 0 || !regions[region].contains(offset, room))
        {
            increment(counters.badDescriptors);
            return false;
        }
        slotMemory = regions[region].memory();
        slotOffset = (int)offset;
        slotRoom = (int)room;
        return true;
    }

    /** @return {@link #COPIED}, or what stopped it: no room, a frame longer than the ring, a bad slot. */
    private int copy(final DirectBuffer source, final int offset, final int length)
    {
        int at = offset;
        int left = length;
        while (left > 0)
        {
            if (slotUsed == slotRoom)
            {
                finishSlot(MemifRing.DESC_FLAG_NEXT);
                cursor++;
                if (cursor - txCursor >= ringSize)
                {
                    return TOO_LONG;
                }
                if (cursor - limit >= 0)
                {
                    // Out of the slots known free: ask the ring again before giving up.
                    limit = txCursor + freeSlots();
                }
                if (cursor - limit >= 0)
                {
                    return NO_ROOM;
                }
                if (!openSlot())
                {
                    return BAD_SLOT;
                }
            }
            final int n = Math.min(left, slotRoom - slotUsed);
            slotMemory.putBytes(slotOffset + slotUsed, source, at, n);
            slotUsed += n;
            at += n;
            left -= n;
        }
        return COPIED;
    }

    private void finishSlot(final int flags)
    {
        if (client)
        {
            tx.descBuffer(cursor, 0, slotOffset, slotUsed);
            tx.descFlags(cursor, flags);
        }
        else
        {
            tx.descLength(cursor, slotUsed);
            tx.descFlags(cursor, flags);
        }
    }

    private void closeFrame()
    {
        finishSlot(0);
        cursor++;
        txFree = limit - cursor;
        txCursor = cursor & 0xFFFF;
        if (client)
        {
            tx.headRelease(txCursor);
        }
        else
        {
            tx.tailRelease(txCursor);
        }
    }

    /** @return whether the peer has published frames this side has not read: one load, for a waiting poll. */
    boolean hasInput()
    {
        return state == UP && (client ? rx.tailAcquire() : rx.headAcquire()) != rxCursor;
    }

    /**
     * Hands up to {@code limit} frames to the receiver, in place, then gives their slots back.
     *
     * @return frames handed over.
     */
    int receive(final Receiver receiver, final int limit)
    {
        final int last = client ? rx.tailAcquire() : rx.headAcquire();
        if (last == rxCursor)
        {
            return 0;
        }
        if (((last - rxCursor) & 0xFFFF) > ringSize)
        {
            increment(counters.badDescriptors);
            down("peer published more slots than its ring has");
            return 0;
        }
        int delivered = 0;
        try
        {
            while (rxCursor != last && delivered < limit)
            {
                receiveFrame(receiver, rxCursor, last);
                delivered++;
            }
        }
        finally
        {
            // Slots go back even if a receiver threw: a frame is read once, never again and again.
            if (client)
            {
                final int given = (rxCursor + ringSize) & 0xFFFF;
                // Only what the server wrote is put back: the buffer's room and no NEXT. Region and offset stay ours
                // (this side never reads them back: it knows where its buffers are).
                for (int slot = rxGiven; slot != given; slot = (slot + 1) & 0xFFFF)
                {
                    rx.descLength(slot, bufferSize);
                    rx.descFlags(slot, 0);
                }
                rxGiven = given;
                rx.headRelease(given);
            }
            else
            {
                rx.tailRelease(rxCursor);
            }
        }
        return delivered;
    }

    /**
     * Reads the frame whose first slot is {@code at} and hands it on; {@link #rxCursor} moves past its last slot
     * before it is handed on.
     */
    private void receiveFrame(final Receiver receiver, final int at, final int last)
    {
        increment(counters.framesReceived);
        if ((rx.descFlags(at) & MemifRing.DESC_FLAG_NEXT) == 0)
        {
            rxCursor = (at + 1) & 0xFFFF;
            if (received(at))
            {
                if (client)
                {
                    view.wrap(rxMemory.byteBuffer(), rxOffset, rxLength);
                    receiver.frame(this, view, 0, rxLength);
                }
                else if (rxLength > assembly.capacity())
                {
                    increment(counters.oversizeFrames);
                }
                else
                {
                    assembly.putBytes(0, rxMemory, rxOffset, rxLength);
                    receiver.frame(this, assembly, 0, rxLength);
                }
            }
            return;
        }
        // A chain: gathered into one frame, which must fit, and must end before what the peer published does.
        int length = 0;
        boolean good = true;
        int slotAt = at;
        while (true)
        {
            if (good && received(slotAt))
            {
                if (rxLength > assembly.capacity() - length)
                {
                    increment(counters.oversizeFrames);
                    good = false;
                }
                else
                {
                    assembly.putBytes(length, rxMemory, rxOffset, rxLength);
                    length += rxLength;
                }
            }
            else
            {
                good = false;
            }
            final int next = (slotAt + 1) & 0xFFFF;
            if ((rx.descFlags(slotAt) & MemifRing.DESC_FLAG_NEXT) == 0)
            {
                break;
            }
            if (next == last)
            {
                increment(counters.badDescriptors);
                good = false;
                break;
            }
            slotAt = next;
        }
        rxCursor = (slotAt + 1) & 0xFFFF;
        if (good)
        {
            receiver.frame(this, assembly, 0, length);
        }
    }

    // The received slot being read: where its bytes lie. Apart from the transmit fields: a receiver may send.
    private UnsafeBuffer rxMemory;
    private int rxOffset;
    private int rxLength;

    /** Points {@link #rxMemory}, {@link #rxOffset} and {@link #rxLength} at a received slot's bytes, checked. */
    private boolean received(final int counter)
    {
        final long length = rx.descLength(counter);
        if (client)
        {
            if (length > bufferSize)
            {
                increment(counters.badDescriptors);
                return false;
            }
            rxMemory = regions[0].memory();
            rxOffset = bufferOffset(counter, true);
            rxLength = (int)length;
            return true;
        }
        final int region = rx.descRegion(counter);
        final long offset = rx.descOffset(counter);
        if (region >= regionCount || !regions[region].contains(offset, length))
        {
            increment(counters.badDescriptors);
            return false;
        }
        rxMemory = regions[region].memory();
        rxOffset = (int)offset;
        rxLength = (int)length;
        return true;
    }

    @Override
    public void close()
    {
        if (state == UP)
        {
            drain();
        }
        if (state != DOWN)
        {
            down("closed");
        }
        // No DISCONNECT: the peer learns from the closed socket, as from a DPDK memif that closes. DPDK 22.11's PMD
        // unmaps its memory on either with nothing to stop a receive that is reading it (README, DPDK "Limits"), so
        // a RUM node gives it as little to be reading as it can: nothing unread, and no message to act on first.
        socket.close();
        for (int i = 0; i < regionCount; i++)
        {
            regions[i].close();
            regions[i] = null;
        }
        regionCount = 0;
        Posix.close(toServerEventFd);
        Posix.close(toClientEventFd);
        toServerEventFd = -1;
        toClientEventFd = -1;
        tx = null;
        rx = null;
    }

    /**
     * Waits, at most {@link #DRAIN_NS}, until the peer has taken every frame this side published: a peer that polls
     * takes them within microseconds, one that is gone never does.
     */
    private void drain()
    {
        final long deadline = System.nanoTime() + DRAIN_NS;
        while (System.nanoTime() - deadline < 0)
        {
            final int taken = client ? tx.tailAcquire() : (tx.headAcquire() - ringSize) & 0xFFFF;
            if (taken == txCursor)
            {
                return;
            }
            Thread.onSpinWait();
        }
    }

    @Override
    public String toString()
    {
        return "memif link" + (client ? " to " : " from ") + (peerName.isEmpty() ? "?" : peerName) +
            (peerId >= 0 ? " id=" + peerId : "") + (state == UP ? " up" : state == DOWN ? " down (" + downReason +
            ")" : " handshake");
    }
}
