package io.rum.net.reliability;

import io.rum.net.frame.FragmentAckFlyweight;
import io.rum.net.frame.FragmentFlyweight;
import io.rum.net.frame.FrameType;
import io.rum.net.frame.RejectFlyweight;
import io.rum.net.transport.RpcHandler;
import io.rum.net.transport.TransportCounters;
import io.rum.net.transport.TransportCounters.Counter;
import org.agrona.DirectBuffer;

/**
 * The server end of a session with one client incarnation. It keeps no timers: everything it sends is an
 * answer to something the client sent (a request fragment, an acknowledgement, a probe), so a client that
 * goes away costs the server nothing but the session's memory, reclaimed when the session is forgotten.
 * Duty cycle only: one thread at a time (see ReliableTransport).
 */
final class ServerSession
{
    final int clientNode;
    final long clientEpoch;
    int peer;
    long lastActiveNs;
    private final ServerSlot[] slots;
    private final ReliableTransport transport;

    ServerSession(
        final ReliableTransport transport, final int clientNode, final long clientEpoch, final int peer, final int slots,
        final long nowNs)
    {
        this.transport = transport;
        this.clientNode = clientNode;
        this.clientEpoch = clientEpoch;
        this.peer = peer;
        this.lastActiveNs = nowNs;
        this.slots = new ServerSlot[slots];
        final TransportConfig config = transport.config();
        for (int i = 0; i < slots; i++)
        {
            this.slots[i] = new ServerSlot(i, config.maxMessageLength(), config.retainBufferBytes());
        }
    }

    int slotCount()
    {
        return slots.length;
    }

    void onRequest(final FragmentFlyweight frame, final RpcHandler handler, final long nowNs)
    {
        final TransportCounters counters = transport.counters();
        final ServerSlot slot = slots[frame.slot()];
        final long requestNumber = frame.requestNumber();
        if (requestNumber < slot.requestNumber)
        {
            counters.increment(Counter.FRAMES_STALE);
            return;
        }
        if (requestNumber > slot.requestNumber)
        {
            // The client only moves a slot on after the whole previous response arrived: forget it.
            slot.request.reset(transport.budget());
            slot.clearResponse();
            slot.requestNumber = requestNumber;
            slot.state = ServerSlot.RECEIVING;
        }
        if (slot.state == ServerSlot.RESPONDED)
        {
            counters.increment(Counter.DUPLICATE_REQUESTS_ANSWERED);
            resendResponse(slot, slot.response.cumulative());
            return;
        }
        final InboundTransfer in = slot.request;
        if (!in.isStarted() && frame.payloadLength() == frame.messageLength())
        {
            // The whole request in this one frame (the validator checked the fragment's layout), as most are: the
            // handler reads it where it arrived, with no reassembly copy and no budget to take and give back.
            slot.lastProgressNs = nowNs;
            slot.requestDropped = false;
            execute(slot, handler, frame.buffer(), frame.payloadOffset(), frame.messageLength());
            return;
        }
        if (!in.isStarted() && !in.start(frame.messageLength(), frame.chunkLength(), transport.budget()) &&
            !(transport.reclaimStalledRequests(nowNs) &&
            in.start(frame.messageLength(), frame.chunkLength(), transport.budget())))
        {
            counters.increment(Counter.REASSEMBLY_REFUSED);
            return;
        }
        final int result = in.accept(frame.messageLength(), frame.chunkLength(), frame.fragmentIndex(), frame.buffer(),
            frame.payloadOffset(), frame.payloadLength());
        if (result == InboundTransfer.MISMATCH)
        {
            counters.increment(Counter.FRAMES_MALFORMED);
            return;
        }
        if (result == InboundTransfer.NEW)
        {
            slot.lastProgressNs = nowNs;
        }
        if (!in.isComplete())
        {
            ackRequest(slot);
            return;
        }
        slot.requestDropped = false;
        if (result == InboundTransfer.DUPLICATE)
        {
            return;
        }
        execute(slot, handler, in.buffer(), 0, in.messageLength());
        in.reset(transport.budget());
    }

    private void ackRequest(final ServerSlot slot)
    {
        final InboundTransfer in = slot.request;
        final int flags = slot.requestDropped ? FragmentAckFlyweight.RESTART : 0;
        slot.requestDropped = false;
        transport.writer().ack(peer, clientNode, clientEpoch, slot.index, FragmentAckFlyweight.DIRECTION_REQUEST, flags,
            in.isStarted() ? in.cumulative() : 0, slot.requestNumber, in.isStarted() ? in.selectiveBits() : 0);
    }

    /**
     * Runs the handler on a complete request, once, and sends the response it wrote.
     */
    private void execute(
        final ServerSlot slot, final RpcHandler handler, final DirectBuffer request, final int offset, final int length)
    {
        slot.beginResponse();
        try
        {
            handler.onRequest(clientNode, request, offset, length, slot);
        }
        catch (final Throwable ex)
        {
            slot.rejectReason = RejectFlyweight.REASON_HANDLER_FAILED;
            transport.onHandlerError(ex);
        }
        transport.counters().increment(Counter.REQUESTS_EXECUTED);
        slot.state = ServerSlot.RESPONDED;
        slot.startResponse(transport.writer().chunkLength());
        resendResponse(slot, 0);
    }

    /**
     * Sends the response fragments the client lacks, as far as the window allows.
     */
    private void resendResponse(final ServerSlot slot, final int from)
    {
        if (slot.rejectReason != 0)
        {
            transport.writer().reject(peer, clientNode, clientEpoch, slot.rejectReason, slot.index, slot.requestNumber);
            return;
        }
        final OutboundTransfer out = slot.response;
        final int window = transport.config().fragmentWindow();
        final int end = Math.min(out.fragmentCount(), out.cumulative() + window);
        for (int i = Math.max(from, out.cumulative()); i < end; i++)
        {
            if (!out.isAcked(i) && i < out.nextUnsent())
            {
                transport.writer().fragment(FrameType.RESPONSE, peer, clientNode, clientEpoch, slot.index,
                    slot.requestNumber, out, i);
            }
        }
        int index;
        while ((index = out.takeUnsent(window)) >= 0)
        {
            transport.writer().fragment(FrameType.RESPONSE, peer, clientNode, clientEpoch, slot.index,
                slot.requestNumber, out, index);
        }
    }

    void onResponseAck(final FragmentAckFlyweight frame)
    {
        final ServerSlot slot = slots[frame.slot()];
        final long requestNumber = frame.requestNumber();
        if (requestNumber != slot.requestNumber || slot.state != ServerSlot.RESPONDED)
        {
            if (requestNumber >= slot.requestNumber && (frame.ackFlags() & FragmentAckFlyweight.PROBE) != 0)
            {
                // The client waits for a response to a request we do not (fully) have: say what we hold.
                if (requestNumber > slot.requestNumber)
                {
                    slot.request.reset(transport.budget());
                    slot.clearResponse();
                    slot.requestNumber = requestNumber;
                    slot.state = ServerSlot.RECEIVING;
                }
                ackRequest(slot);
            }
            else
            {
                transport.counters().increment(Counter.FRAMES_STALE);
            }
            return;
        }
        final OutboundTransfer out = slot.response;
        out.onAck(frame.cumulative(), frame.selectiveBits());
        if ((frame.ackFlags() & FragmentAckFlyweight.PROBE) != 0)
        {
            transport.counters().increment(Counter.DUPLICATE_REQUESTS_ANSWERED);
            resendResponse(slot, out.cumulative());
        }
        else
        {
            int index;
            final int window = transport.config().fragmentWindow();
            while ((index = out.takeUnsent(window)) >= 0)
            {
                transport.writer().fragment(FrameType.RESPONSE, peer, clientNode, clientEpoch, slot.index,
                    slot.requestNumber, out, index);
            }
        }
    }

    /**
     * Gives back the reassembly memory of partly received requests with no progress for {@code stalledNs}. Should
     * the client still be sending, its next fragment starts the request again and the acknowledgement carries
     * {@link FragmentAckFlyweight#RESTART}, so it sends every fragment again, not only those it thought missing.
     *
     * @return whether any memory was given back.
     */
    boolean dropStalledRequests(final long nowNs, final long stalledNs)
    {
        boolean dropped = false;
        for (final ServerSlot slot : slots)
        {
            if (slot.state == ServerSlot.RECEIVING && slot.request.isStarted() && nowNs - slot.lastProgressNs > stalledNs)
            {
                slot.request.reset(transport.budget());
                slot.requestDropped = true;
                transport.counters().increment(Counter.REASSEMBLY_ABANDONED);
                dropped = true;
            }
        }
        return dropped;
    }

    /**
     * Releases every slot's memory; the session is being forgotten.
     */
    void release()
    {
        for (final ServerSlot slot : slots)
        {
            slot.request.reset(transport.budget());
            slot.clearResponse();
        }
    }
}
