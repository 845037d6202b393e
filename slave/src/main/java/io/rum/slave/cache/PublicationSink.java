package io.rum.slave.cache;

import io.rum.net.transport.StreamPublication;
import io.rum.net.transport.Transport;
import org.agrona.DirectBuffer;

/** Invalidations over the slave's transport: one publication per subscribed client stream. */
public final class PublicationSink implements InvalidationSink
{
    private final Transport transport;

    public PublicationSink(final Transport transport)
    {
        this.transport = transport;
    }

    @Override
    public boolean open(final int node, final int streamId)
    {
        try
        {
            transport.publication(node, streamId);
            return true;
        }
        catch (final IllegalStateException ex)
        {
            return false; // as many streams as the transport holds
        }
    }

    @Override
    public long offer(final int node, final int streamId, final DirectBuffer buffer, final int offset, final int length)
    {
        try
        {
            return transport.publication(node, streamId).offer(buffer, offset, length);
        }
        catch (final IllegalStateException ex)
        {
            return StreamPublication.CLOSED;
        }
    }

    @Override
    public void release(final int node, final int streamId)
    {
        transport.releasePublication(node, streamId);
    }
}
