package io.rum.net.reliability;

import io.rum.net.frame.StreamDataFlyweight;
import io.rum.net.transport.StreamHandler;
import io.rum.net.transport.TransportCounters.Counter;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The receiving end of one publisher's stream: delivers frames in sequence order, holds up to a window of
 * frames that arrived early, reassembles messages from BEGIN to END, and reports what it holds (a cumulative
 * ack plus the bitmap of early frames, which the publisher reads as a NAK of the gaps).
 *
 * <p>The image belongs to one publisher incarnation: frames of an older one are dropped, and a newer one
 * starts the image afresh at the initial sequence its frames carry. Duty cycle only: one thread at a time (see ReliableTransport).
 */
final class SubscriberImage
{
    private final ReliableTransport transport;
    final int srcNode;
    final int streamId;
    private final int window;
    private final int maxMessageLength;
    private final UnsafeBuffer[] early;
    private final long[] earlySequence;
    private final int[] earlyLength;
    private UnsafeBuffer message = new UnsafeBuffer(new byte[1024]);
    private int messageLength = -1;
    private int messageFill;

    long publisherEpoch;
    long initialSequence;
    long nextExpected;
    int peer;
    private int framesSinceStatus;
    private long lastStatusNs;
    private boolean gapSeen;

    SubscriberImage(
        final ReliableTransport transport, final int srcNode, final int streamId, final int peer, final long nowNs)
    {
        this.lastStatusNs = nowNs;
        this.transport = transport;
        this.srcNode = srcNode;
        this.streamId = streamId;
        this.peer = peer;
        final TransportConfig config = transport.config();
        this.window = config.streamWindowFrames();
        this.maxMessageLength = config.maxMessageLength();
        this.early = new UnsafeBuffer[window];
        this.earlySequence = new long[window];
        this.earlyLength = new int[window];
        for (int i = 0; i < window; i++)
        {
            early[i] = new UnsafeBuffer(new byte[transport.medium().maxFrameLength()]);
            earlySequence[i] = -1;
        }
    }

    /**
     * Starts over for a publisher incarnation.
     */
    void reset(final long epoch, final long initial)
    {
        publisherEpoch = epoch;
        initialSequence = initial;
        nextExpected = initial;
        messageLength = -1;
        messageFill = 0;
        for (int i = 0; i < window; i++)
        {
            earlySequence[i] = -1;
        }
    }

    void onData(final StreamDataFlyweight frame, final StreamHandler handler, final long nowNs)
    {
        final long sequence = frame.sequence();
        if (sequence < nextExpected)
        {
            // A duplicate: the publisher missed our status, so tell it again (rate-limited by the timer).
            framesSinceStatus++;
            return;
        }
        if (sequence >= nextExpected + window)
        {
            transport.counters().increment(Counter.STREAM_FRAMES_OUT_OF_WINDOW);
            return;
        }
        if (sequence > nextExpected)
        {
            final int i = (int)(sequence % window);
            if (earlySequence[i] != sequence)
            {
                earlySequence[i] = sequence;
                earlyLength[i] = frame.frameLength();
                early[i].putBytes(0, frame.buffer(), frame.offset(), frame.frameLength());
            }
            gapSeen = true;
            sendStatus(nowNs);
            return;
        }
        deliver(frame, handler);
        final StreamDataFlyweight held = transport.scratchStreamData();
        while (true)
        {
            final int i = (int)(nextExpected % window);
            if (earlySequence[i] != nextExpected)
            {
                break;
            }
            earlySequence[i] = -1;
            held.wrap(early[i], 0);
            deliver(held, handler);
        }
        if (++framesSinceStatus >= Math.max(1, window / 4) || gapSeen)
        {
            gapSeen = false;
            sendStatus(nowNs);
        }
    }

    private void deliver(final StreamDataFlyweight frame, final StreamHandler handler)
    {
        nextExpected++;
        final int flags = frame.flags();
        final int length = frame.messageLength();
        if ((flags & StreamDataFlyweight.BEGIN) != 0)
        {
            messageLength = length;
            messageFill = 0;
            if (message.capacity() < length)
            {
                message = new UnsafeBuffer(new byte[Math.min(maxMessageLength, Math.max(length, 2 * message.capacity()))]);
            }
        }
        else if (messageLength != length)
        {
            // The middle of a message whose start went to an earlier incarnation of this stream: skip it.
            messageLength = -1;
            return;
        }
        final int payload = frame.payloadLength();
        if (messageFill + payload > messageLength)
        {
            transport.counters().increment(Counter.FRAMES_MALFORMED);
            messageLength = -1;
            return;
        }
        message.putBytes(messageFill, frame.buffer(), frame.payloadOffset(), payload);
        messageFill += payload;
        if ((flags & StreamDataFlyweight.END) != 0)
        {
            final int complete = messageLength;
            messageLength = -1;
            if (messageFill == complete)
            {
                transport.counters().increment(Counter.STREAM_MESSAGES_DELIVERED);
                try
                {
                    handler.onMessage(srcNode, streamId, message, 0, complete);
                }
                catch (final Throwable ex)
                {
                    transport.onHandlerError(ex);
                }
            }
            if (message.capacity() > 1024 * 1024)
            {
                message = new UnsafeBuffer(new byte[1024]);
            }
        }
    }

    /**
     * Periodic report while there is news the publisher has not heard.
     */
    void onTimer(final long nowNs)
    {
        if (framesSinceStatus > 0 && nowNs - lastStatusNs >= transport.config().streamStatusIntervalNs())
        {
            sendStatus(nowNs);
        }
    }

    private void sendStatus(final long nowNs)
    {
        long bits = 0;
        for (int i = 0; i < window; i++)
        {
            final long s = earlySequence[i];
            if (s > nextExpected && s - nextExpected - 1 < 64)
            {
                bits |= 1L << (s - nextExpected - 1);
            }
        }
        transport.writer().streamStatus(peer, srcNode, publisherEpoch, 0, streamId, window, nextExpected, bits);
        framesSinceStatus = 0;
        lastStatusNs = nowNs;
    }
}
