package io.rum.net.reliability;

import io.rum.net.frame.StreamDataFlyweight;
import io.rum.net.frame.StreamStatusFlyweight;
import io.rum.net.medium.Medium;
import io.rum.net.transport.StreamPublication;
import io.rum.net.transport.TransportCounters.Counter;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * The sending end of a one-way reliable ordered stream to one node.
 *
 * <p>Messages are cut into frames and copied into a log of {@code streamLogFrames} frame slots, indexed by
 * sequence number modulo the log size; a slot is reused only after the receiver acknowledged its frame, so the
 * log bounds unacknowledged data and {@link #offer} answers {@link #BACK_PRESSURED} when it is full. Offering
 * threads are serialised by a lock among themselves; they share only two counters with the poller:
 * {@code published} (written by offerers with release, read by the poller with acquire) and
 * {@code acknowledged} (the reverse), like a single-producer ring.
 *
 * <p>Log slot layout: flags (4), message length (4), payload length (4), reserved (4), payload.
 *
 * <p>The stream lives between two incarnations. The receiver names its incarnation in every status; when it
 * changes, the publication starts the stream afresh for the new one at the oldest unacknowledged frame and
 * tells the receiver where in every frame (initial sequence).
 */
final class Publication implements StreamPublication
{
    private static final VarHandle PUBLISHED;
    private static final VarHandle ACKNOWLEDGED;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            PUBLISHED = lookup.findVarHandle(Publication.class, "published", long.class);
            ACKNOWLEDGED = lookup.findVarHandle(Publication.class, "acknowledged", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private static final int SLOT_HEADER = 16;

    private final ReliableTransport transport;
    private final int nodeId;
    private final int streamId;
    private final int logFrames;
    private final int chunk;
    private final int slotBytes;
    private final UnsafeBuffer log;
    private final int maxMessageLength;

    @SuppressWarnings("unused") // accessed through PUBLISHED
    private long published;
    @SuppressWarnings("unused") // accessed through ACKNOWLEDGED
    private long acknowledged;

    // Duty cycle only: one thread at a time (see ReliableTransport).
    private int peer = Medium.NO_ROUTE;
    private long receiverEpoch;
    private long initialSequence;
    private long sent;
    private int receiverWindow;
    private long lastProgressNs;
    private long rtoNs;
    private long nakResentUpTo = -1;
    private long nakResentAtNs;

    /**
     * @param firstSequence the sequence of the first frame: above any an earlier publication of the same pair in
     *                      this incarnation used, so the receiver takes the new stream for a restart, not for stale
     *                      duplicates (see {@link ReliableTransport#releasePublication}).
     */
    Publication(final ReliableTransport transport, final int nodeId, final int streamId, final long firstSequence)
    {
        this.transport = transport;
        this.nodeId = nodeId;
        this.streamId = streamId;
        final TransportConfig config = transport.config();
        this.logFrames = config.streamLogFrames();
        this.chunk = transport.writer().streamChunkLength();
        this.slotBytes = SLOT_HEADER + chunk;
        this.log = new UnsafeBuffer(ByteBuffer.allocateDirect(logFrames * slotBytes));
        this.maxMessageLength = (int)Math.min(config.maxMessageLength(), (long)(logFrames / 2) * chunk);
        this.receiverWindow = config.streamWindowFrames();
        this.rtoNs = config.initialRtoNs();
        this.initialSequence = firstSequence;
        this.sent = firstSequence;
        PUBLISHED.setRelease(this, firstSequence);
        ACKNOWLEDGED.setRelease(this, firstSequence);
    }

    /** Set by {@link ReliableTransport#releasePublication}: offers answer CLOSED. */
    volatile boolean released;

    /** @return the sequence after the last frame published. */
    long publishedPosition()
    {
        return (long)PUBLISHED.getAcquire(this);
    }

    @Override
    public int nodeId()
    {
        return nodeId;
    }

    @Override
    public int streamId()
    {
        return streamId;
    }

    @Override
    public int maxMessageLength()
    {
        return maxMessageLength;
    }

    @Override
    public long acknowledgedPosition()
    {
        return (long)ACKNOWLEDGED.getAcquire(this);
    }

    @Override
    public synchronized long offer(final DirectBuffer buffer, final int offset, final int length)
    {
        if (transport.isClosed() || released)
        {
            return CLOSED;
        }
        if (length < 0 || length > maxMessageLength)
        {
            return TOO_LARGE;
        }
        final int frames = length == 0 ? 1 : (length + chunk - 1) / chunk;
        final long position = (long)PUBLISHED.getOpaque(this);
        if (position + frames - (long)ACKNOWLEDGED.getAcquire(this) > logFrames)
        {
            return BACK_PRESSURED;
        }
        for (int i = 0; i < frames; i++)
        {
            final int slot = (int)((position + i) & (logFrames - 1)) * slotBytes;
            final int payload = Math.min(chunk, length - i * chunk);
            final int flags = (i == 0 ? StreamDataFlyweight.BEGIN : 0) | (i == frames - 1 ? StreamDataFlyweight.END : 0);
            log.putInt(slot, flags);
            log.putInt(slot + 4, length);
            log.putInt(slot + 8, payload);
            if (payload > 0)
            {
                log.putBytes(slot + SLOT_HEADER, buffer, offset + i * chunk, payload);
            }
        }
        PUBLISHED.setRelease(this, position + frames);
        transport.wakePoller();
        return position + frames;
    }

    // ----------------------------------------------------------------------------------------------------
    // Duty-cycle side.
    // ----------------------------------------------------------------------------------------------------

    /**
     * Sends new frames within the receiver's window, and retransmits after a silence of one RTO.
     *
     * @return frames sent.
     */
    int doWork(final long nowNs)
    {
        if (peer == Medium.NO_ROUTE)
        {
            peer = transport.resolve(nodeId);
            if (peer == Medium.NO_ROUTE)
            {
                return 0;
            }
            lastProgressNs = nowNs;
        }
        final long publishedNow = (long)PUBLISHED.getAcquire(this);
        final long acked = (long)ACKNOWLEDGED.getOpaque(this);
        if (receiverEpoch == 0)
        {
            // Not yet connected: one frame per RTO asks the receiver to name its incarnation.
            if (publishedNow > acked && nowNs - lastProgressNs >= rtoNs)
            {
                sendFrame(acked);
                lastProgressNs = nowNs;
                rtoNs = Math.min(rtoNs * 2, transport.config().maxRtoNs());
                return 1;
            }
            return 0;
        }
        int work = 0;
        final long limit = Math.min(publishedNow, acked + Math.min(receiverWindow, logFrames));
        while (sent < limit)
        {
            sendFrame(sent++);
            work++;
        }
        if (sent > acked && nowNs - lastProgressNs >= rtoNs)
        {
            // Tail loss or lost status: resend the oldest unacknowledged frames and back off.
            final long end = Math.min(sent, acked + 4);
            for (long s = acked; s < end; s++)
            {
                sendFrame(s);
                transport.counters().increment(Counter.STREAM_FRAMES_RETRANSMITTED);
            }
            lastProgressNs = nowNs;
            rtoNs = Math.min(rtoNs * 2, transport.config().maxRtoNs());
            work++;
        }
        return work;
    }

    private void sendFrame(final long sequence)
    {
        final int slot = (int)(sequence & (logFrames - 1)) * slotBytes;
        transport.writer().streamData(peer, nodeId, receiverEpoch, streamId, log.getInt(slot), log.getInt(slot + 4),
            sequence, initialSequence, log, slot + SLOT_HEADER, log.getInt(slot + 8));
    }

    void onStatus(final StreamStatusFlyweight status, final int fromPeer, final long nowNs)
    {
        final long epoch = status.srcEpoch();
        if (epoch < receiverEpoch)
        {
            transport.counters().increment(Counter.FRAMES_STALE);
            return;
        }
        peer = fromPeer;
        final long acked = (long)ACKNOWLEDGED.getOpaque(this);
        if ((status.flags() & StreamStatusFlyweight.RESET) != 0 && epoch == receiverEpoch)
        {
            // Provoked by frames we sent before we knew this incarnation; we serve it already.
            return;
        }
        if (epoch > receiverEpoch)
        {
            if (receiverEpoch != 0)
            {
                transport.counters().increment(Counter.PEER_RESTARTS_DETECTED);
            }
            receiverEpoch = epoch;
            initialSequence = acked;
            sent = acked;
            lastProgressNs = nowNs;
            rtoNs = transport.config().initialRtoNs();
            return;
        }
        receiverWindow = Math.max(1, Math.min(status.window(), logFrames));
        final long next = status.nextExpected();
        if (next > acked && next <= sent)
        {
            ACKNOWLEDGED.setRelease(this, next);
            lastProgressNs = nowNs;
            rtoNs = transport.config().initialRtoNs();
        }
        final long bits = status.receivedBits();
        if (bits != 0 && next < sent && next >= (long)ACKNOWLEDGED.getOpaque(this))
        {
            // Frames after 'next' arrived, so 'next' and any unmarked frame below the highest mark are gaps.
            final long highest = next + 1 + (63 - Long.numberOfLeadingZeros(bits));
            if (nowNs - nakResentAtNs >= rtoNs || next > nakResentUpTo)
            {
                for (long s = next; s < highest && s < sent; s++)
                {
                    if (s == next || (bits & (1L << (s - next - 1))) == 0)
                    {
                        sendFrame(s);
                        transport.counters().increment(Counter.STREAM_FRAMES_RETRANSMITTED);
                    }
                }
                nakResentUpTo = highest;
                nakResentAtNs = nowNs;
            }
        }
    }
}
