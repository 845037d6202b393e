package io.rum.net.reliability;

import io.rum.net.frame.FragmentAckFlyweight;
import io.rum.net.frame.FragmentFlyweight;
import io.rum.net.frame.FrameType;
import io.rum.net.frame.RejectFlyweight;
import io.rum.net.medium.Medium;
import io.rum.net.transport.PendingCall;
import io.rum.net.transport.RpcClient;
import io.rum.net.transport.RpcStatus;
import io.rum.net.transport.TransportCounters.Counter;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client end of a session with one server node, eRPC style.
 *
 * <p>The session first learns the server's epoch (CONNECT / CONNECT_ACK), and every request names that epoch:
 * a restarted server rejects requests meant for its predecessor instead of executing stale duplicates, and
 * the calls in flight then fail with {@link RpcStatus#PEER_RESTARTED}: they may have run on the old
 * incarnation, and only the caller knows whether retrying is safe.
 *
 * <p>The client alone keeps retransmission timers. On a timeout it resends the request fragments the server
 * has not acknowledged, or, once the whole request is known to have arrived, probes for the response
 * fragments it lacks. Slots bound the calls in flight; credits bound the request fragments in flight.
 *
 * <p>Threading: {@link #begin}, {@link #call} and {@link #free} run on callers' threads and touch only the
 * free-slot mask; everything else runs on the poller.
 */
final class ClientSession implements RpcClient
{
    private static final int NEW = 0;
    private static final int CONNECTING = 1;
    private static final int CONNECTED = 2;

    private final ReliableTransport transport;
    private final int nodeId;
    private final CallSlot[] slots;
    private final AtomicInteger freeMask;
    /** Slots the server granted; written by the poller at connect, read by callers releasing a slot. */
    private volatile int usableSlots;

    // Duty cycle only: one thread at a time (see ReliableTransport).
    private int state = NEW;
    private int peer = Medium.NO_ROUTE;
    private long serverEpoch;
    private int negotiatedSlots;
    private int inFlightFragments;
    private int activeCalls;
    private long connectRetryAtNs;
    private long connectStartedNs;
    private long connectRtoNs;
    private final RttEstimator rtt;
    boolean registered;

    ClientSession(final ReliableTransport transport, final int nodeId)
    {
        this.transport = transport;
        this.nodeId = nodeId;
        final TransportConfig config = transport.config();
        this.slots = new CallSlot[config.slotsPerSession()];
        for (int i = 0; i < slots.length; i++)
        {
            slots[i] = new CallSlot(this, i, config.retainBufferBytes());
        }
        this.freeMask = new AtomicInteger(slots.length == 32 ? -1 : (1 << slots.length) - 1);
        this.rtt = new RttEstimator(config.initialRtoNs(), config.minRtoNs(), config.maxRtoNs());
        this.negotiatedSlots = slots.length;
        this.usableSlots = slots.length;
    }

    @Override
    public int nodeId()
    {
        return nodeId;
    }

    int maxMessageLength()
    {
        return transport.maxMessageLength();
    }

    ReliableTransport transport()
    {
        return transport;
    }

    @Override
    public PendingCall begin(final long timeoutNs)
    {
        // The clock is read only once no slot is free: a call that gets one at once costs no time reading it.
        long deadlineNs = 0;
        IdleStrategy idle = null;
        while (true)
        {
            final int mask = freeMask.get();
            if (mask != 0)
            {
                final int bit = Integer.numberOfTrailingZeros(mask);
                if (freeMask.compareAndSet(mask, mask & ~(1 << bit)))
                {
                    final CallSlot slot = slots[bit];
                    slot.acquire();
                    return slot;
                }
                continue;
            }
            if (null == idle)
            {
                deadlineNs = System.nanoTime() + timeoutNs;
            }
            if (transport.isClosed() || deadlineNs - System.nanoTime() <= 0)
            {
                return null;
            }
            if (null == idle)
            {
                idle = new BackoffIdleStrategy(50, 10, 1_000, 200_000);
            }
            idle.idle();
        }
    }

    @Override
    public int call(
        final DirectBuffer request, final int offset, final int length, final ResponseHandler handler,
        final long timeoutNs)
    {
        if (length > transport.maxMessageLength())
        {
            return RpcStatus.TOO_LARGE;
        }
        if (transport.inDutyCycle())
        {
            // Refused before a slot is taken, so the misuse costs no slot.
            throw new IllegalStateException("a blocking call inside the transport's duty cycle: handlers, stream " +
                "handlers and timer tasks must not wait for calls (use begin/send and PendingCall.isDone instead)");
        }
        final PendingCall call = begin(timeoutNs);
        if (null == call)
        {
            return transport.isClosed() ? RpcStatus.CLOSED : RpcStatus.BUSY;
        }
        try
        {
            call.request(length).putBytes(0, request, offset, length);
            call.send(length, timeoutNs);
            final int status = call.await();
            if (status == RpcStatus.OK && null != handler)
            {
                handler.onResponse(call.response(), 0, call.responseLength());
            }
            return status;
        }
        finally
        {
            if (call.isDone())
            {
                call.release();
            }
        }
    }

    void submit(final CallSlot slot)
    {
        transport.submit(slot);
    }

    void free(final CallSlot slot)
    {
        if (slot.index >= usableSlots)
        {
            // The server granted fewer slots than this session has: this one stays out of use.
            return;
        }
        final int bit = 1 << slot.index;
        int mask;
        do
        {
            mask = freeMask.get();
        }
        while (!freeMask.compareAndSet(mask, mask | bit));
    }

    // ----------------------------------------------------------------------------------------------------
    // Duty-cycle side.
    // ----------------------------------------------------------------------------------------------------

    /**
     * A submitted call enters the session.
     */
    void onSubmitted(final CallSlot slot, final long nowNs)
    {
        final TransportConfig config = transport.config();
        if (transport.isClosed())
        {
            slot.complete(RpcStatus.CLOSED);
            return;
        }
        if (slot.requestLength > transport.maxMessageLength())
        {
            slot.complete(RpcStatus.TOO_LARGE);
            return;
        }
        if (peer == Medium.NO_ROUTE)
        {
            peer = transport.medium().resolve(nodeId);
            if (peer == Medium.NO_ROUTE)
            {
                slot.complete(RpcStatus.NO_ROUTE);
                return;
            }
        }
        slot.in.reset(transport.budget());
        slot.requestNumber++;
        slot.out.start(slot.requestBuffer(), slot.requestLength, transport.writer().chunkLength());
        slot.active = true;
        slot.deadlineNs = nowNs + slot.timeoutNs;
        slot.firstSendNs = nowNs;
        slot.retransmitted = false;
        slot.inFlightFragments = 0;
        slot.sentToEpoch = 0;
        slot.rtoNs = rtt.rtoNs();
        slot.retransmitAtNs = nowNs + slot.rtoNs;
        activeCalls++;
        if (state == NEW)
        {
            state = CONNECTING;
            connectStartedNs = nowNs;
            connectRtoNs = config.initialRtoNs();
            sendConnect(nowNs);
        }
        else if (state == CONNECTED)
        {
            if (slot.index >= negotiatedSlots)
            {
                // Taken just before the grant shrank the usable slots: it would never be sent.
                finish(slot, RpcStatus.REJECTED);
                return;
            }
            pump(slot, nowNs);
        }
    }

    private void sendConnect(final long nowNs)
    {
        transport.writer().connect(FrameType.CONNECT, peer, nodeId, 0, slots.length, transport.maxMessageLength());
        connectRetryAtNs = nowNs + connectRtoNs;
    }

    /**
     * Sends the slot's unsent request fragments that the window and the session's credits allow.
     */
    private void pump(final CallSlot slot, final long nowNs)
    {
        if (!slot.active || slot.index >= negotiatedSlots)
        {
            return;
        }
        final int window = transport.config().fragmentWindow();
        final int credits = transport.config().sessionCredits();
        int index;
        while (inFlightFragments < credits && (index = slot.out.takeUnsent(window)) >= 0)
        {
            slot.sentToEpoch = serverEpoch;
            transport.writer().fragment(FrameType.REQUEST, peer, nodeId, serverEpoch, slot.index,
                slot.requestNumber, slot.out, index);
            slot.inFlightFragments++;
            inFlightFragments++;
            slot.retransmitAtNs = nowNs + slot.rtoNs;
        }
    }

    private void pumpAll(final long nowNs)
    {
        for (final CallSlot slot : slots)
        {
            if (slot.active)
            {
                pump(slot, nowNs);
            }
        }
    }

    private void finish(final CallSlot slot, final int status)
    {
        inFlightFragments -= slot.inFlightFragments;
        slot.inFlightFragments = 0;
        activeCalls--;
        slot.in.releaseBudget(transport.budget());
        slot.out.clear();
        if (status == RpcStatus.OK)
        {
            transport.counters().increment(Counter.CALLS_COMPLETED);
        }
        else if (status == RpcStatus.TIMEOUT)
        {
            transport.counters().increment(Counter.CALLS_TIMED_OUT);
        }
        else
        {
            transport.counters().increment(Counter.CALLS_FAILED);
        }
        slot.complete(status);
    }

    /**
     * @return whether a call submitted now is sent at once with nothing but the slot's own times stamped (see
     *     {@link CallSlot#shiftSubmissionTimes}): the session is connected.
     */
    boolean sendsWithSlotTimesOnly()
    {
        return state == CONNECTED;
    }

    boolean hasActiveCalls()
    {
        return activeCalls > 0;
    }

    /**
     * Deadlines, retransmissions and connect retries.
     */
    void onTimer(final long nowNs)
    {
        if (activeCalls == 0)
        {
            return;
        }
        for (final CallSlot slot : slots)
        {
            if (slot.active && nowNs - slot.deadlineNs >= 0)
            {
                finish(slot, RpcStatus.TIMEOUT);
            }
        }
        if (state == CONNECTING)
        {
            if (nowNs - connectStartedNs >= transport.config().connectTimeoutNs())
            {
                // The server has not answered for the connect timeout: it is down or unreachable. Calls waiting
                // for it fail now rather than at their own, possibly much later, deadlines.
                for (final CallSlot slot : slots)
                {
                    if (slot.active)
                    {
                        finish(slot, RpcStatus.TIMEOUT);
                    }
                }
                state = NEW;
                return;
            }
            if (activeCalls > 0 && nowNs - connectRetryAtNs >= 0)
            {
                transport.counters().increment(Counter.RETRANSMISSIONS);
                connectRtoNs = rtt.backoff(connectRtoNs);
                sendConnect(nowNs);
            }
            return;
        }
        if (state != CONNECTED)
        {
            return;
        }
        final int window = transport.config().fragmentWindow();
        for (final CallSlot slot : slots)
        {
            if (!slot.active || nowNs - slot.retransmitAtNs < 0 || slot.index >= negotiatedSlots)
            {
                continue;
            }
            slot.retransmitted = true;
            transport.counters().increment(Counter.RETRANSMISSIONS);
            final OutboundTransfer out = slot.out;
            if (!out.isComplete())
            {
                final int end = Math.min(out.nextUnsent(), out.cumulative() + window);
                for (int i = out.cumulative(); i < end; i++)
                {
                    if (!out.isAcked(i))
                    {
                        transport.writer().fragment(FrameType.REQUEST, peer, nodeId, serverEpoch, slot.index,
                            slot.requestNumber, out, i);
                    }
                }
                if (out.nextUnsent() == out.cumulative())
                {
                    pump(slot, nowNs);
                }
            }
            else
            {
                transport.writer().ack(peer, nodeId, serverEpoch, slot.index, FragmentAckFlyweight.DIRECTION_RESPONSE,
                    FragmentAckFlyweight.PROBE, slot.in.isStarted() ? slot.in.cumulative() : 0, slot.requestNumber,
                    slot.in.isStarted() ? slot.in.selectiveBits() : 0);
            }
            slot.rtoNs = rtt.backoff(slot.rtoNs);
            slot.retransmitAtNs = nowNs + slot.rtoNs;
        }
    }

    void onConnectAck(final int fromPeer, final long srcEpoch, final int grantedSlots, final long nowNs)
    {
        if (state == NEW)
        {
            return;
        }
        if (serverEpoch != 0 && srcEpoch != serverEpoch)
        {
            if (srcEpoch < serverEpoch)
            {
                transport.counters().increment(Counter.FRAMES_STALE);
                return;
            }
            serverRestarted(srcEpoch);
        }
        peer = fromPeer;
        serverEpoch = srcEpoch;
        negotiatedSlots = Math.max(1, Math.min(grantedSlots, slots.length));
        if (negotiatedSlots < usableSlots)
        {
            // Take the slots the server did not grant out of use, so begin() waits for a usable one.
            usableSlots = negotiatedSlots;
            final int keep = negotiatedSlots == 32 ? -1 : (1 << negotiatedSlots) - 1;
            int mask;
            do
            {
                mask = freeMask.get();
            }
            while (!freeMask.compareAndSet(mask, mask & keep));
        }
        if (state != CONNECTED)
        {
            state = CONNECTED;
            transport.counters().increment(Counter.SESSIONS_OPENED);
            for (final CallSlot slot : slots)
            {
                if (slot.active)
                {
                    slot.retransmitAtNs = nowNs + slot.rtoNs;
                    if (slot.index >= negotiatedSlots)
                    {
                        finish(slot, RpcStatus.REJECTED);
                    }
                }
            }
            pumpAll(nowNs);
        }
    }

    /**
     * The server is a new incarnation, or has lost our session: calls that reached the old one are failed,
     * calls not yet sent go to the new one.
     */
    private void serverRestarted(final long newEpoch)
    {
        transport.counters().increment(Counter.PEER_RESTARTS_DETECTED);
        for (final CallSlot slot : slots)
        {
            // Whether the server is new or forgot the session, a call that reached it may have executed.
            if (slot.active && slot.sentToEpoch != 0)
            {
                finish(slot, RpcStatus.PEER_RESTARTED);
            }
        }
    }

    void onResponse(final FragmentFlyweight frame, final int fromPeer, final long nowNs)
    {
        final CallSlot slot = liveSlot(frame.srcEpoch(), frame.slot(), frame.requestNumber());
        if (null == slot)
        {
            return;
        }
        peer = fromPeer;
        final int newlyAcked = slot.out.ackAll();
        slot.inFlightFragments -= newlyAcked;
        inFlightFragments -= newlyAcked;
        final InboundTransfer in = slot.in;
        if (!in.isStarted() && !in.start(frame.messageLength(), frame.chunkLength(), transport.budget()))
        {
            transport.counters().increment(Counter.REASSEMBLY_REFUSED);
            return;
        }
        final int result = in.accept(frame.messageLength(), frame.chunkLength(), frame.fragmentIndex(),
            frame.buffer(), frame.payloadOffset(), frame.payloadLength());
        if (result == InboundTransfer.MISMATCH)
        {
            transport.counters().increment(Counter.FRAMES_MALFORMED);
            return;
        }
        slot.rtoNs = rtt.rtoNs();
        slot.retransmitAtNs = nowNs + slot.rtoNs;
        if (in.isComplete())
        {
            if (!slot.retransmitted)
            {
                rtt.onSample(nowNs - slot.firstSendNs);
            }
            finish(slot, RpcStatus.OK);
            pumpAll(nowNs);
        }
        else if (result == InboundTransfer.NEW)
        {
            transport.writer().ack(peer, nodeId, serverEpoch, slot.index, FragmentAckFlyweight.DIRECTION_RESPONSE, 0,
                in.cumulative(), slot.requestNumber, in.selectiveBits());
        }
    }

    void onRequestAck(final FragmentAckFlyweight frame, final long nowNs)
    {
        final CallSlot slot = liveSlot(frame.srcEpoch(), frame.slot(), frame.requestNumber());
        if (null == slot)
        {
            return;
        }
        if ((frame.ackFlags() & FragmentAckFlyweight.RESTART) != 0)
        {
            // The server dropped what it held of this request: everything is unacknowledged again.
            inFlightFragments -= slot.inFlightFragments;
            slot.inFlightFragments = 0;
            slot.out.start(slot.requestBuffer(), slot.requestLength, slot.out.chunkLength());
        }
        final int newlyAcked = slot.out.onAck(frame.cumulative(), frame.selectiveBits());
        slot.inFlightFragments -= newlyAcked;
        inFlightFragments -= newlyAcked;
        if (newlyAcked > 0)
        {
            slot.rtoNs = rtt.rtoNs();
            slot.retransmitAtNs = nowNs + slot.rtoNs;
        }
        pumpAll(nowNs);
    }

    void onReject(final RejectFlyweight frame, final long nowNs)
    {
        switch (frame.reason())
        {
            case RejectFlyweight.REASON_UNKNOWN_SESSION ->
            {
                // Believed only for a call still in flight: a late duplicate of an earlier rejection must not
                // tear down the session that was re-established since.
                final int index = frame.slot();
                if (state != CONNECTED || frame.srcEpoch() < serverEpoch || index >= slots.length ||
                    !slots[index].active || slots[index].requestNumber != frame.requestNumber() ||
                    slots[index].sentToEpoch == 0)
                {
                    transport.counters().increment(Counter.FRAMES_STALE);
                    return;
                }
                serverRestarted(frame.srcEpoch());
                serverEpoch = 0;
                state = CONNECTING;
                connectStartedNs = nowNs;
                connectRtoNs = transport.config().initialRtoNs();
                sendConnect(nowNs);
            }
            case RejectFlyweight.REASON_NO_SESSION_CAPACITY ->
            {
                for (final CallSlot slot : slots)
                {
                    if (slot.active)
                    {
                        finish(slot, RpcStatus.REJECTED);
                    }
                }
                state = NEW;
            }
            default ->
            {
                final CallSlot slot = liveSlot(frame.srcEpoch(), frame.slot(), frame.requestNumber());
                if (null != slot)
                {
                    finish(slot, frame.reason() == RejectFlyweight.REASON_TOO_LARGE ?
                        RpcStatus.TOO_LARGE : RpcStatus.REJECTED);
                }
            }
        }
    }

    private CallSlot liveSlot(final long srcEpoch, final int slotIndex, final long requestNumber)
    {
        if (state != CONNECTED || srcEpoch != serverEpoch || slotIndex >= slots.length)
        {
            transport.counters().increment(Counter.FRAMES_STALE);
            return null;
        }
        final CallSlot slot = slots[slotIndex];
        if (!slot.active || slot.requestNumber != requestNumber)
        {
            transport.counters().increment(Counter.FRAMES_STALE);
            return null;
        }
        return slot;
    }

    /**
     * The transport closed: every call in flight fails. Called after the poller stopped.
     */
    void closeAll()
    {
        for (final CallSlot slot : slots)
        {
            if (slot.active)
            {
                finish(slot, RpcStatus.CLOSED);
            }
        }
    }
}
