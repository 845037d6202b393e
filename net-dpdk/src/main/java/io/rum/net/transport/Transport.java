package io.rum.net.transport;

/**
 * What every part of RUM uses to talk to other nodes: request/response RPC and one-way reliable ordered
 * streams, over any medium (DPDK, kernel UDP, in-process). Implementations deliver each request to the
 * handler at most once, retransmit what the medium loses, and tell callers when a peer restarted instead
 * of delivering stale duplicates.
 *
 * <p>Threading: every method may be called from any thread. Handlers run inside the transport's duty cycle,
 * one at a time, on its poller thread or on a caller's thread that runs the cycle (in {@code send}, and while it
 * waits for its call), and must not block.
 */
public interface Transport extends AutoCloseable
{
    /**
     * @return this node's id, as in machines.csv.
     */
    int nodeId();

    /**
     * @return this incarnation's epoch: a new, larger one each time the node starts.
     */
    long epoch();

    /**
     * @return the largest request or response this transport sends or accepts.
     */
    int maxMessageLength();

    /**
     * A client for calls to one node. Cheap to call repeatedly: returns the same session.
     */
    RpcClient rpcClient(int nodeId);

    /**
     * Sets the handler for requests to this node. Until one is set, requests are rejected.
     */
    void serve(RpcHandler handler);

    /**
     * A publication of one stream to one node. Returns the same publication for the same pair.
     */
    StreamPublication publication(int nodeId, int streamId);

    /**
     * Forgets a publication: messages not yet acknowledged are dropped and later offers to it answer
     * {@link StreamPublication#CLOSED}; a later {@link #publication} of the same pair starts a new stream, which
     * the receiver sees as a publisher restart. Lets a server that publishes to clients that come and go keep its
     * publications bounded. Does nothing if there is none.
     */
    void releasePublication(int nodeId, int streamId);

    /**
     * Registers the handler for messages arriving on a stream from any node.
     */
    void subscribe(int streamId, StreamHandler handler);

    /**
     * @return live counters of this transport.
     */
    TransportCounters counters();

    /**
     * Stops the poller, fails outstanding calls with {@link RpcStatus#CLOSED} and releases the medium.
     */
    @Override
    void close();
}
