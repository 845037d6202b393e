package io.rum.net.medium;

import org.agrona.DirectBuffer;

/**
 * A medium moves whole frames between nodes and nothing more: no ordering, no delivery guarantee, no
 * sessions. Reliability, fragmentation and sessions live once, above every medium, in
 * {@code io.rum.net.reliability}.
 *
 * <p>Peers are small integers chosen by the medium: every node it was configured with has one (see
 * {@link #resolve(int)}), and a frame from an address it has not seen before gets a new one, so replies can
 * go to clients that no configuration names. A peer number stays valid while the medium is open.
 *
 * <p>Threading: one thread at a time calls {@link #send} and {@link #poll}, the one running the transport's duty
 * cycle (the transport's lock orders them); {@link #close()} may be called from another thread after the
 * cycles have stopped.
 */
public interface Medium extends AutoCloseable
{
    /** The frame was handed to the medium. */
    int SENT = 0;
    /** The medium has no room right now; the caller treats the frame as lost or tries later. */
    int BACK_PRESSURED = -1;
    /** The medium knows no route to that peer. */
    int NO_ROUTE = -2;
    /** The medium failed to send; the error was counted. */
    int FAILED = -3;

    /**
     * @return a short human-readable description, e.g. {@code udp 127.0.0.1:7101}.
     */
    String name();

    /**
     * @return the largest frame, in bytes, this medium carries.
     */
    int maxFrameLength();

    /**
     * @param nodeId a node the medium was configured with.
     * @return its peer number, or {@link #NO_ROUTE} if the medium has no address for it.
     */
    int resolve(int nodeId);

    /**
     * Sends one frame. The buffer may be reused as soon as this returns.
     *
     * @return {@link #SENT}, {@link #BACK_PRESSURED}, {@link #NO_ROUTE} or {@link #FAILED}.
     */
    int send(int peer, DirectBuffer buffer, int offset, int length);

    /**
     * @return whether {@link #sendGathered} works here: the medium copies every frame into memory of its own anyway
     *     (an mbuf, a ring), so it can take a frame's header and payload from two places in that one copy.
     */
    default boolean gathers()
    {
        return false;
    }

    /**
     * Sends one frame given in two parts, as {@link #send} would send their concatenation: the header and body the
     * transport built, then a payload where it already lies (a call's request or response), which saves copying
     * the payload behind the header first. Only for media that {@link #gathers()}. The buffers may be reused as
     * soon as this returns.
     *
     * @return as {@link #send}.
     */
    default int sendGathered(
        final int peer, final DirectBuffer head, final int headOffset, final int headLength, final DirectBuffer payload,
        final int payloadOffset, final int payloadLength)
    {
        throw new UnsupportedOperationException(name() + " does not gather");
    }

    /**
     * @return whether {@link #sendToSeal} works here: the medium computes a RUM frame's CRC32C itself as it copies
     *     the frame into its own memory (and then also checks received frames, handing those it found right to
     *     {@link FrameHandler#onCheckedFrame}), so the transport computes neither.
     */
    default boolean seals()
    {
        return false;
    }

    /**
     * As {@link #sendGathered}, for a RUM frame whose CRC field is zero: the medium stores the frame's CRC32C
     * there as it copies it ({@code io.rum.net.frame.FrameHeaderFlyweight}'s layout and rule). Only for media that
     * {@link #seals()}; {@code payload} may be null when {@code payloadLength} is 0.
     *
     * @return as {@link #send}.
     */
    default int sendToSeal(
        final int peer, final DirectBuffer head, final int headOffset, final int headLength, final DirectBuffer payload,
        final int payloadOffset, final int payloadLength)
    {
        throw new UnsupportedOperationException(name() + " does not seal");
    }

    /**
     * Hands up to {@code limit} received frames to the handler.
     *
     * @return the number of frames handed over.
     */
    int poll(FrameHandler handler, int limit);

    /**
     * @return whether {@link #poll(FrameHandler, int, long)} may wait here; if not it is {@link #poll(FrameHandler,
     *     int)}, and callers need not treat a poll as something that takes time.
     */
    default boolean waits()
    {
        return false;
    }

    /**
     * As {@link #poll(FrameHandler, int)}, but a medium that {@link #waits()} may wait up to {@code waitNs} for a
     * first frame when none is there, returning as soon as one comes or {@link #wake()} is called. For a thread that
     * would otherwise poll again and again with nothing else to do (a caller waiting for its reply, a poller in its spin
     * phase): waiting inside the medium notices the frame sooner than a loop around it. Other media return at once,
     * which is always correct. A medium bounds the wait (DPDK: to 100 µs).
     *
     * @param waitNs the longest to wait for a first frame; 0 is {@link #poll(FrameHandler, int)}.
     * @return the number of frames handed over.
     */
    default int poll(final FrameHandler handler, final int limit, final long waitNs)
    {
        return poll(handler, limit);
    }

    /**
     * Ends a waiting {@link #poll(FrameHandler, int, long)} soon, or the next one to start if none is waiting: for
     * a thread that has queued work for the one polling. Any thread may call it, at any time; a wake is used up by
     * the waiting poll it ends (one that was rung before a waiting poll began ends that poll at once), so work
     * queued before this call must be looked for after the poll returns.
     */
    default void wake()
    {
        // Media that never wait have nothing to end.
    }

    /**
     * Releases the medium's resources. Idempotent.
     */
    @Override
    void close();
}
