package io.rum.net.transport;

import io.rum.net.medium.ForwardingMedium;
import io.rum.net.medium.FrameHandler;
import io.rum.net.medium.Medium;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Lets a test thread send raw bytes out of a medium that a transport's poller owns: the bytes are queued and
 * sent by the poller itself on its next poll, since a medium (a DPDK queue above all) is used by one thread.
 */
public final class InjectingMedium extends ForwardingMedium
{
    private record Injected(int targetNode, byte[] bytes)
    {
    }

    private final ArrayBlockingQueue<Injected> queue = new ArrayBlockingQueue<>(1024);
    private final Runnable beforeClose;

    /**
     * @param delegate    the medium.
     * @param beforeClose runs before the medium closes, e.g. to read its statistics while it still can.
     */
    public InjectingMedium(final Medium delegate, final Runnable beforeClose)
    {
        super(delegate);
        this.beforeClose = beforeClose;
    }

    @Override
    public void close()
    {
        beforeClose.run();
        super.close();
    }

    /**
     * Queues a frame for the poller, waiting up to a second for room.
     */
    public void inject(final int targetNode, final byte[] bytes, final int length)
    {
        final byte[] copy = java.util.Arrays.copyOf(bytes, length);
        try
        {
            if (!queue.offer(new Injected(targetNode, copy), 1, TimeUnit.SECONDS))
            {
                throw new IllegalStateException("the poller did not take injected frames for a second");
            }
            delegate.wake(); // a poll waiting in the medium sends it now

        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** Injecting needs no look at outgoing frames, so the transport's gathered sends go straight through. */
    @Override
    public boolean gathers()
    {
        return delegate.gathers();
    }

    @Override
    public int sendGathered(
        final int peer, final DirectBuffer head, final int headOffset, final int headLength, final DirectBuffer payload,
        final int payloadOffset, final int payloadLength)
    {
        return delegate.sendGathered(peer, head, headOffset, headLength, payload, payloadOffset, payloadLength);
    }

    @Override
    public int poll(final FrameHandler handler, final int limit)
    {
        return poll(handler, limit, 0);
    }

    /** Sealing needs no look at outgoing frames either; injected bytes go out as given (send() never seals). */
    @Override
    public boolean seals()
    {
        return delegate.seals();
    }

    @Override
    public int sendToSeal(
        final int peer, final DirectBuffer head, final int headOffset, final int headLength, final DirectBuffer payload,
        final int payloadOffset, final int payloadLength)
    {
        return delegate.sendToSeal(peer, head, headOffset, headLength, payload, payloadOffset, payloadLength);
    }

    @Override
    public boolean waits()
    {
        return delegate.waits();
    }

    /** Injected frames are sent first; then the delegate may wait, so the transport's waits are tested over DPDK. */
    @Override
    public int poll(final FrameHandler handler, final int limit, final long waitNs)
    {
        Injected injected;
        for (int i = 0; i < 64 && null != (injected = queue.poll()); i++)
        {
            delegate.send(delegate.resolve(injected.targetNode()), new UnsafeBuffer(injected.bytes()), 0,
                injected.bytes().length);
        }
        return delegate.poll(handler, limit, waitNs);
    }

    @Override
    public void wake()
    {
        delegate.wake();
    }
}
