package io.rum.net.transport;

import io.rum.net.medium.Medium;

/**
 * A set of node addresses for one medium kind, so a contract test can start, stop and restart nodes and
 * inject raw bytes at a node, whatever the medium.
 */
public interface TestNetwork extends AutoCloseable
{
    /**
     * Creates the medium for a node (again, after a restart) with routes to every other node of the network.
     */
    Medium attach(int nodeId);

    /**
     * Sends raw bytes to a node's medium, from an address that is not a node.
     */
    void inject(int targetNode, byte[] bytes, int length);

    /**
     * @return the largest frame of this medium.
     */
    int maxFrameLength();

    @Override
    void close();
}
