package io.rum.net.transport;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * One call in a session slot. Owned by the thread that began it until {@link #release()}.
 */
public interface PendingCall
{
    /**
     * @param capacity bytes the request will need.
     * @return a buffer to write the request into, at index 0.
     */
    MutableDirectBuffer request(int capacity);

    /**
     * Hands the first {@code length} bytes of the request buffer to the transport.
     *
     * @param timeoutNs deadline for the response, from now.
     */
    void send(int length, long timeoutNs);

    /**
     * @return true once the call has completed (with any status).
     */
    boolean isDone();

    /**
     * Waits until the call completes; the deadline given to {@link #send} bounds the wait.
     *
     * @return the {@link RpcStatus}.
     */
    int await();

    /**
     * @return the {@link RpcStatus}, valid once done.
     */
    int status();

    /**
     * @return the response, at index 0, valid once done with {@link RpcStatus#OK} and until release.
     */
    DirectBuffer response();

    int responseLength();

    /**
     * Returns the slot to the session. Do not touch the call afterwards.
     */
    void release();
}
