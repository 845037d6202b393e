package io.rum.net.transport;

import org.agrona.DirectBuffer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the server node of a contract test does and remembers, wherever it runs (this JVM or a child process):
 * answers requests with {@link Payloads} and counts executions per request id; records stream messages.
 */
public final class ServerRecorder
{
    /** Stream whose messages carry {@link Payloads#streamLength} bytes starting with their number. */
    public static final int CHECKED_STREAM = 7;
    /** Stream whose 8-byte messages are recorded in arrival order. */
    public static final int RECORDED_STREAM = 9;

    private final Map<Long, AtomicInteger> executions = new ConcurrentHashMap<>();
    private final AtomicLong executedTotal = new AtomicLong();
    private final AtomicLong checkedDelivered = new AtomicLong();
    private final ConcurrentLinkedQueue<String> streamFailures = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Long> recorded = new ConcurrentLinkedQueue<>();
    private final AtomicInteger publisherRestarts = new AtomicInteger();

    public RpcHandler rpcHandler()
    {
        return (src, request, offset, length, response) ->
        {
            final long id = Payloads.requestId(request, offset, length);
            executions.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            executedTotal.incrementAndGet();
            Payloads.writeResponse(request, offset, length, response);
        };
    }

    public void subscribe(final Transport transport)
    {
        transport.subscribe(CHECKED_STREAM, (src, streamId, buffer, offset, length) ->
        {
            final long n = checkedDelivered.getAndIncrement();
            if (length != Payloads.streamLength(n) || (length >= 8 && buffer.getLong(offset) != n))
            {
                streamFailures.add("message " + n + ": got " + length + " bytes, first long " +
                    (length >= 8 ? buffer.getLong(offset) : -1));
            }
        });
        transport.subscribe(RECORDED_STREAM, new StreamHandler()
        {
            @Override
            public void onMessage(final int src, final int streamId, final DirectBuffer buffer, final int offset,
                final int length)
            {
                recorded.add(buffer.getLong(offset));
            }

            @Override
            public void onPublisherRestart(final int src, final int streamId)
            {
                publisherRestarts.incrementAndGet();
            }
        });
    }

    public long executedTotal()
    {
        return executedTotal.get();
    }

    /**
     * @return how often each request id ran; id -1 stands for every request too short to carry an id.
     */
    public Map<Long, Integer> executions()
    {
        final Map<Long, Integer> copy = new java.util.HashMap<>();
        executions.forEach((id, count) -> copy.put(id, count.get()));
        return copy;
    }

    public long checkedDelivered()
    {
        return checkedDelivered.get();
    }

    public String firstStreamFailure()
    {
        return streamFailures.peek();
    }

    public java.util.List<Long> recorded()
    {
        return new java.util.ArrayList<>(recorded);
    }

    public int publisherRestarts()
    {
        return publisherRestarts.get();
    }
}
