package io.rum.net.transport;

import org.agrona.DirectBuffer;

/**
 * Calls to one node. A session has a fixed number of slots (credits): at most that many calls are in flight
 * to the node at once; further calls wait for a slot, up to their deadline.
 */
public interface RpcClient
{
    /**
     * @return the node this client calls.
     */
    int nodeId();

    /**
     * Takes a slot for one call. The caller writes the request into {@link PendingCall#request(int)}, then
     * {@link PendingCall#send(int)}s it, and must {@link PendingCall#release()} the call after reading the
     * response. Lets one thread keep several calls in flight.
     *
     * @param timeoutNs how long to wait for a free slot.
     * @return the call, or null if no slot became free in time.
     */
    PendingCall begin(long timeoutNs);

    /**
     * Sends a request and waits for its response.
     *
     * @param handler receives the response, on the calling thread, before this returns; may be null.
     * @return an {@link RpcStatus} code.
     */
    int call(DirectBuffer request, int offset, int length, ResponseHandler handler, long timeoutNs);

    /**
     * Receives a response on the caller's thread.
     */
    @FunctionalInterface
    interface ResponseHandler
    {
        void onResponse(DirectBuffer buffer, int offset, int length);
    }
}
