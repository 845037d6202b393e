package io.rum.net.medium;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;

/**
 * One node's attachment to an {@link InProcessNetwork}. Peers are node ids; the ring's message type id
 * carries the sender's node id.
 */
public final class InProcessMedium implements GatheringMedium
{
    private final InProcessNetwork network;
    private final int nodeId;
    private final ManyToOneRingBuffer inbound;
    private final int maxFrameLength;
    private final MessageHandler adapter = this::onMessage;
    private FrameHandler handler;
    private volatile boolean closed;

    InProcessMedium(
        final InProcessNetwork network, final int nodeId, final ManyToOneRingBuffer inbound, final int maxFrameLength)
    {
        this.network = network;
        this.nodeId = nodeId;
        this.inbound = inbound;
        this.maxFrameLength = maxFrameLength;
    }

    @Override
    public String name()
    {
        return "in-process node " + nodeId;
    }

    @Override
    public int maxFrameLength()
    {
        return maxFrameLength;
    }

    @Override
    public int resolve(final int nodeId)
    {
        return nodeId > 0 ? nodeId : NO_ROUTE;
    }

    /**
     * Claims the frame's room in the receiver's ring and copies both parts straight into it.
     */
    @Override
    public int sendGathered(
        final int peer, final DirectBuffer head, final int headOffset, final int headLength, final DirectBuffer payload,
        final int payloadOffset, final int payloadLength)
    {
        final int length = headLength + payloadLength;
        if (length > maxFrameLength)
        {
            return FAILED;
        }
        final InProcessMedium target = network.endpoint(peer);
        if (null == target || target.closed)
        {
            // Like a wire to a host that is down: the frame is lost, and the sender's retries find out.
            return SENT;
        }
        final ManyToOneRingBuffer ring = target.inbound;
        final int index = ring.tryClaim(nodeId, length);
        if (index < 0)
        {
            return BACK_PRESSURED;
        }
        final AtomicBuffer claimed = ring.buffer();
        try
        {
            claimed.putBytes(index, head, headOffset, headLength);
            if (payloadLength > 0)
            {
                claimed.putBytes(index + headLength, payload, payloadOffset, payloadLength);
            }
        }
        catch (final RuntimeException ex)
        {
            // A claim neither committed nor aborted would stop the receiver at it for good.
            ring.abort(index);
            throw ex;
        }
        ring.commit(index);
        return SENT;
    }

    @Override
    public int poll(final FrameHandler handler, final int limit)
    {
        this.handler = handler;
        return inbound.read(adapter, limit);
    }

    private void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        handler.onFrame(msgTypeId, buffer, index, length);
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            network.detach(nodeId, this);
        }
    }
}
