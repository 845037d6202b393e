package io.rum.net.transport;

import org.agrona.MutableDirectBuffer;

/**
 * The buffer a handler writes its response into. It is the session slot's cached response: kept until the
 * client's next request on that slot, to answer duplicates.
 */
public interface ResponseWriter
{
    /**
     * @param capacity bytes the response will need, at most the transport's maximum message length.
     * @return a buffer to write the response into, at index 0.
     */
    MutableDirectBuffer buffer(int capacity);

    /**
     * Sets the response length (default 0).
     */
    void length(int length);
}
