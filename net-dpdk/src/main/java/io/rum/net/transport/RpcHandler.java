package io.rum.net.transport;

import org.agrona.DirectBuffer;

/**
 * Serves requests. Runs inside the transport's duty cycle (one at a time) and must neither block nor wait for a
 * call (a blocking call there fails); once per request however often the request was
 * retransmitted: duplicates are answered from the cached response.
 */
@FunctionalInterface
public interface RpcHandler
{
    /**
     * @param srcNode  the calling node.
     * @param request  the request bytes, at {@code offset} (not necessarily 0): valid only during this call (a
     *                 request that fits one frame is read where the medium received it).
     * @param response where to write the response; an unwritten response is empty.
     */
    void onRequest(int srcNode, DirectBuffer request, int offset, int length, ResponseWriter response);
}
