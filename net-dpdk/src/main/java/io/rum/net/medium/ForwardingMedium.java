package io.rum.net.medium;

import org.agrona.DirectBuffer;

/**
 * A medium that passes calls to another; decorators (fault injection, recording in tests) override only what they
 * change. What would let frames bypass a decorator's {@code send} or {@code poll} is off unless the decorator turns
 * it on: gathered and sealed sends, and waiting polls.
 */
public abstract class ForwardingMedium implements Medium
{
    protected final Medium delegate;

    protected ForwardingMedium(final Medium delegate)
    {
        this.delegate = delegate;
    }

    public Medium delegate()
    {
        return delegate;
    }

    @Override
    public String name()
    {
        return delegate.name();
    }

    @Override
    public int maxFrameLength()
    {
        return delegate.maxFrameLength();
    }

    @Override
    public int resolve(final int nodeId)
    {
        return delegate.resolve(nodeId);
    }

    @Override
    public int send(final int peer, final DirectBuffer buffer, final int offset, final int length)
    {
        return delegate.send(peer, buffer, offset, length);
    }

    /**
     * False, whatever the delegate does: a decorator that overrides {@link #send} to see, drop or change frames must
     * see every frame there, so gathered sends are not passed through unless a decorator says it handles them.
     */
    @Override
    public boolean gathers()
    {
        return false;
    }

    @Override
    public int poll(final FrameHandler handler, final int limit)
    {
        return delegate.poll(handler, limit);
    }

    /** False, as {@link #gathers()}: a decorator that sees or changes frames must get them sealed by the transport. */
    @Override
    public boolean seals()
    {
        return false;
    }

    @Override
    public boolean waits()
    {
        return false;
    }

    /**
     * Polls at once, whatever the delegate could do: a decorator that overrides {@link #poll(FrameHandler, int)} to
     * see, drop or change frames must see every poll there (as with {@link #gathers()}); one that passes waits
     * through overrides this, {@link #waits()} and {@link #wake()}.
     */
    @Override
    public int poll(final FrameHandler handler, final int limit, final long waitNs)
    {
        return poll(handler, limit);
    }

    @Override
    public void close()
    {
        delegate.close();
    }
}
