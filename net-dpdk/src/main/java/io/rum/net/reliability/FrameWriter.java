package io.rum.net.reliability;

import io.rum.net.frame.ConnectFlyweight;
import io.rum.net.frame.FragmentAckFlyweight;
import io.rum.net.frame.FragmentFlyweight;
import io.rum.net.frame.FrameType;
import io.rum.net.frame.RejectFlyweight;
import io.rum.net.frame.StreamDataFlyweight;
import io.rum.net.frame.StreamStatusFlyweight;
import io.rum.net.medium.Medium;
import io.rum.net.transport.TransportCounters;
import io.rum.net.transport.TransportCounters.Counter;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Encodes outbound frames into one reused buffer and hands them to the medium: the only place frames are
 * built, so every frame is sealed with its CRC the same way. Duty cycle only: one thread at a time (see ReliableTransport).
 *
 * <p>A payload of {@link #GATHER_MIN_LENGTH} bytes or more goes to a medium that {@link Medium#gathers()} where it
 * lies (a call's request or response buffer, a stream's log) instead of being copied behind the header first: the
 * medium copies frames into its own memory anyway: one copy of the payload fewer for each frame. Measured with the
 * protocol alone (docs/research/memif-latency, PhaseExp with GATHER=0 and 1): a 4 KiB round trip 811-840 ns of CPU
 * against 755, 1 KiB 523 against 493.
 *
 * <p>A medium that {@link Medium#seals()} computes each frame's CRC32C as it copies the frame ({@link
 * Medium#sendToSeal}): the writer leaves the field zero, as {@code writeHeader} wrote it.
 */
final class FrameWriter
{
    /**
     * Below this a payload is copied behind the header: a gathered frame's CRC takes two passes and the medium two
     * copies, which for a few dozen bytes cost more than the copy saved.
     */
    static final int GATHER_MIN_LENGTH = 256;

    private final Medium medium;
    private final TransportCounters counters;
    private final int nodeId;
    private final long epoch;
    private final UnsafeBuffer buffer;
    private final boolean gathers;
    private final boolean seals;
    private final ConnectFlyweight connect = new ConnectFlyweight();
    private final FragmentFlyweight fragment = new FragmentFlyweight();
    private final FragmentAckFlyweight ack = new FragmentAckFlyweight();
    private final RejectFlyweight reject = new RejectFlyweight();
    private final StreamDataFlyweight streamData = new StreamDataFlyweight();
    private final StreamStatusFlyweight streamStatus = new StreamStatusFlyweight();

    FrameWriter(final Medium medium, final TransportCounters counters, final int nodeId, final long epoch)
    {
        this.medium = medium;
        this.counters = counters;
        this.nodeId = nodeId;
        this.epoch = epoch;
        this.buffer = new UnsafeBuffer(new byte[medium.maxFrameLength()]);
        this.gathers = medium.gathers();
        this.seals = medium.seals();
        connect.wrap(buffer, 0);
        fragment.wrap(buffer, 0);
        ack.wrap(buffer, 0);
        reject.wrap(buffer, 0);
        streamData.wrap(buffer, 0);
        streamStatus.wrap(buffer, 0);
    }

    /**
     * @return the payload bytes one fragment frame carries.
     */
    int chunkLength()
    {
        return medium.maxFrameLength() - FragmentFlyweight.PAYLOAD_OFFSET;
    }

    int streamChunkLength()
    {
        return medium.maxFrameLength() - StreamDataFlyweight.PAYLOAD_OFFSET;
    }

    void connect(
        final int type, final int peer, final int dstNode, final long dstEpoch, final int slots,
        final int maxMessageLength)
    {
        connect.writeHeader(type, ConnectFlyweight.LENGTH, nodeId, dstNode, epoch, dstEpoch);
        connect.slots(slots).maxMessageLength(maxMessageLength).maxFrameLength(medium.maxFrameLength());
        send(peer, ConnectFlyweight.LENGTH);
    }

    void fragment(
        final int type, final int peer, final int dstNode, final long dstEpoch, final int slot, final long requestNumber,
        final OutboundTransfer transfer, final int index)
    {
        final int length = transfer.fragmentLength(index);
        final int frameLength = FragmentFlyweight.PAYLOAD_OFFSET + length;
        fragment.writeHeader(type, frameLength, nodeId, dstNode, epoch, dstEpoch);
        fragment.writeBody(slot, transfer.messageLength(), transfer.chunkLength(), index, requestNumber);
        sendWithPayload(
            peer, FragmentFlyweight.PAYLOAD_OFFSET, transfer.data(), transfer.fragmentOffset(index), length);
    }

    void ack(
        final int peer, final int dstNode, final long dstEpoch, final int slot, final int direction, final int flags,
        final int cumulative, final long requestNumber, final long selectiveBits)
    {
        ack.writeHeader(FrameType.FRAGMENT_ACK, FragmentAckFlyweight.LENGTH, nodeId, dstNode, epoch, dstEpoch);
        ack.writeBody(slot, direction, flags, cumulative, requestNumber, selectiveBits);
        send(peer, FragmentAckFlyweight.LENGTH);
    }

    void reject(
        final int peer, final int dstNode, final long dstEpoch, final int reason, final int slot, final long requestNumber)
    {
        reject.writeHeader(FrameType.REJECT, RejectFlyweight.LENGTH, nodeId, dstNode, epoch, dstEpoch);
        reject.writeBody(reason, slot, requestNumber);
        send(peer, RejectFlyweight.LENGTH);
        counters.increment(Counter.REJECTS_SENT);
    }

    void streamData(
        final int peer, final int dstNode, final long dstEpoch, final int streamId, final int flags,
        final int messageLength, final long sequence, final long initialSequence, final DirectBuffer payload,
        final int payloadOffset, final int payloadLength)
    {
        final int frameLength = StreamDataFlyweight.PAYLOAD_OFFSET + payloadLength;
        streamData.writeHeader(FrameType.STREAM_DATA, frameLength, nodeId, dstNode, epoch, dstEpoch);
        streamData.flags(flags);
        streamData.writeBody(streamId, messageLength, sequence, initialSequence);
        sendWithPayload(peer, StreamDataFlyweight.PAYLOAD_OFFSET, payload, payloadOffset, payloadLength);
    }

    void streamStatus(
        final int peer, final int dstNode, final long dstEpoch, final int flags, final int streamId, final int window,
        final long nextExpected, final long receivedBits)
    {
        streamStatus.writeHeader(FrameType.STREAM_STATUS, StreamStatusFlyweight.LENGTH, nodeId, dstNode, epoch, dstEpoch);
        streamStatus.flags(flags);
        streamStatus.writeBody(streamId, window, nextExpected, receivedBits);
        send(peer, StreamStatusFlyweight.LENGTH);
    }

    private void send(final int peer, final int frameLength)
    {
        connect.frameLength(frameLength);
        emit(peer, frameLength, null, 0, 0);
    }

    /**
     * Seals the frame in the buffer up to {@code headLength} (and the payload, when gathered), or leaves that to a
     * medium that {@link Medium#seals()}, and hands it over.
     */
    private void emit(
        final int peer, final int headLength, final DirectBuffer payload, final int payloadOffset,
        final int payloadLength)
    {
        if (seals)
        {
            counted(medium.sendToSeal(peer, buffer, 0, headLength, payload, payloadOffset, payloadLength));
            return;
        }
        connect.seal(payload, payloadOffset, payloadLength);
        counted(payloadLength > 0 ?
            medium.sendGathered(peer, buffer, 0, headLength, payload, payloadOffset, payloadLength) :
            medium.send(peer, buffer, 0, headLength));
    }

    /**
     * Sends a frame whose header and body (frame length included) are in the buffer up to {@code headLength} and
     * whose payload is elsewhere: gathered from where it lies, or copied behind the header when it is short or the
     * medium cannot gather (see {@link #GATHER_MIN_LENGTH}).
     */
    private void sendWithPayload(
        final int peer, final int headLength, final DirectBuffer payload, final int payloadOffset,
        final int payloadLength)
    {
        if (gathers && payloadLength >= GATHER_MIN_LENGTH)
        {
            emit(peer, headLength, payload, payloadOffset, payloadLength);
            return;
        }
        if (payloadLength > 0)
        {
            buffer.putBytes(headLength, payload, payloadOffset, payloadLength);
        }
        send(peer, headLength + payloadLength);
    }

    private void counted(final int result)
    {
        if (result == Medium.SENT)
        {
            counters.increment(Counter.FRAMES_SENT);
        }
        else if (result == Medium.BACK_PRESSURED)
        {
            // Treated like a loss: the retransmission timer covers it.
            counters.increment(Counter.FRAMES_BACK_PRESSURED);
        }
    }
}
