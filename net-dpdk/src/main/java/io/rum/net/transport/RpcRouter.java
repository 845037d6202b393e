package io.rum.net.transport;

import org.agrona.DirectBuffer;

/**
 * Several services on one node share its transport: the first byte of every request names the service
 * (see {@link Services}), and the router hands the request to that service's handler. Runs inside the
 * duty cycle like any handler. A request for no registered service gets an empty response and is counted.
 */
public final class RpcRouter implements RpcHandler
{
    private final RpcHandler[] handlers = new RpcHandler[256];
    private long unrouted;

    /**
     * Routes requests whose first byte is in {@code [firstId, lastId]} to {@code handler}.
     */
    public synchronized RpcRouter route(final int firstId, final int lastId, final RpcHandler handler)
    {
        if (firstId < 0 || lastId > 255 || firstId > lastId)
        {
            throw new IllegalArgumentException("service ids must be a range within 0..255");
        }
        for (int id = firstId; id <= lastId; id++)
        {
            if (null != handlers[id])
            {
                throw new IllegalStateException("service id " + id + " is routed already");
            }
            handlers[id] = handler;
        }
        return this;
    }

    @Override
    public void onRequest(
        final int srcNode, final DirectBuffer request, final int offset, final int length, final ResponseWriter response)
    {
        final RpcHandler handler = length > 0 ? handlers[request.getByte(offset) & 0xFF] : null;
        if (null == handler)
        {
            unrouted++;
            response.length(0);
            return;
        }
        handler.onRequest(srcNode, request, offset, length, response);
    }

    /**
     * @return requests that named no registered service (poller's count).
     */
    public long unrouted()
    {
        return unrouted;
    }
}
