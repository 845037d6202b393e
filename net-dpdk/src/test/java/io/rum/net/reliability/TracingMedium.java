package io.rum.net.reliability;

import io.rum.net.medium.FrameHandler;
import io.rum.net.medium.ForwardingMedium;
import io.rum.net.medium.Medium;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Shows a simulation every frame a transport sends and every frame handed to it, exactly as the transport sees
 * them: it sits between the transport and the fault-injecting medium, so a dropped frame still counts as sent
 * and a duplicated one is seen twice on delivery. Adds no behaviour of its own.
 */
final class TracingMedium extends ForwardingMedium
{
    /**
     * Sees one frame. The buffer is valid only during the call.
     */
    @FunctionalInterface
    interface Observer
    {
        void onFrame(int nodeId, boolean outbound, int peer, DirectBuffer buffer, int offset, int length);
    }

    private final int nodeId;
    private final Observer observer;
    private final FrameHandler tap = this::onDelivered;
    private FrameHandler handler;

    TracingMedium(final int nodeId, final Medium delegate, final Observer observer)
    {
        super(delegate);
        this.nodeId = nodeId;
        this.observer = observer;
    }

    @Override
    public String name()
    {
        return "traced " + delegate.name();
    }

    @Override
    public int send(final int peer, final DirectBuffer buffer, final int offset, final int length)
    {
        observer.onFrame(nodeId, true, peer, buffer, offset, length);
        return delegate.send(peer, buffer, offset, length);
    }

    @Override
    public int poll(final FrameHandler handler, final int limit)
    {
        this.handler = handler;
        return delegate.poll(tap, limit);
    }

    private void onDelivered(final int peer, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        observer.onFrame(nodeId, false, peer, buffer, offset, length);
        handler.onFrame(peer, buffer, offset, length);
    }
}
