package io.rum.net.reliability;

import io.rum.net.transport.ResponseWriter;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The server end of one session slot: the request being reassembled, then the cached response. The cached
 * response is what makes execution at-most-once: a duplicate of the current request is answered from it and
 * never re-executed; it is dropped only when the client moves the slot on to a larger request number, which
 * it does only after it received the whole response. Duty cycle only: one thread at a time (see ReliableTransport).
 */
final class ServerSlot implements ResponseWriter
{
    static final int IDLE = 0;
    static final int RECEIVING = 1;
    static final int RESPONDED = 2;

    final int index;
    final InboundTransfer request;
    final OutboundTransfer response = new OutboundTransfer();
    private final int maxMessageLength;
    private final int retainBytes;
    private UnsafeBuffer responseBuffer = new UnsafeBuffer(new byte[256]);
    private int responseLength;
    int state = IDLE;
    long requestNumber;
    int rejectReason;
    long lastProgressNs;
    /** The partial request was given up; the client must be told to send it all again. */
    boolean requestDropped;

    ServerSlot(final int index, final int maxMessageLength, final int retainBytes)
    {
        this.index = index;
        this.maxMessageLength = maxMessageLength;
        this.retainBytes = retainBytes;
        this.request = new InboundTransfer(retainBytes);
    }

    void beginResponse()
    {
        responseLength = 0;
        rejectReason = 0;
    }

    @Override
    public MutableDirectBuffer buffer(final int capacity)
    {
        if (capacity > maxMessageLength)
        {
            throw new IllegalArgumentException(
                "response of " + capacity + " bytes exceeds the maximum message length " + maxMessageLength);
        }
        if (capacity > responseBuffer.capacity())
        {
            final UnsafeBuffer bigger = new UnsafeBuffer(new byte[Math.max(capacity,
                Math.min(2 * responseBuffer.capacity(), maxMessageLength))]);
            bigger.putBytes(0, responseBuffer, 0, responseBuffer.capacity());
            responseBuffer = bigger;
        }
        return responseBuffer;
    }

    @Override
    public void length(final int length)
    {
        if (length < 0 || length > responseBuffer.capacity())
        {
            throw new IllegalArgumentException("response length " + length + " outside the response buffer");
        }
        responseLength = length;
    }

    void startResponse(final int chunkLength)
    {
        response.start(responseBuffer, responseLength, chunkLength);
    }

    /**
     * Drops the cached response of a finished request; large buffers are given back to the heap.
     */
    void clearResponse()
    {
        response.clear();
        if (responseBuffer.capacity() > retainBytes)
        {
            responseBuffer = new UnsafeBuffer(new byte[256]);
        }
    }
}
