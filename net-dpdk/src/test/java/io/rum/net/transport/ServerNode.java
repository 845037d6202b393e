package io.rum.net.transport;

import io.rum.net.medium.FaultPlan;
import io.rum.net.transport.TransportCounters.Counter;

import java.util.List;
import java.util.Map;

/**
 * The server node of a contract test: node {@link TransportContractTest#SERVER}, serving {@link ServerRecorder}'s
 * handlers, in this JVM or in a child process reached over its standard input and output.
 */
public interface ServerNode extends AutoCloseable
{
    /**
     * Starts the node, or starts a new incarnation (new epoch) after closing the current one.
     */
    void start();

    /**
     * Stops the node; {@link #start()} brings up a new incarnation.
     */
    void stop();

    /**
     * Applies the test's fault plan to the server's own medium (it decides what the server sends).
     */
    void applyPlan(FaultPlan plan);

    long executedTotal();

    Map<Long, Integer> executions();

    long counter(Counter counter);

    long reassemblyBytes();

    long checkedDelivered();

    String firstStreamFailure();

    List<Long> recorded();

    int publisherRestarts();

    /**
     * @return a one-line summary for the test log.
     */
    String describe();

    @Override
    void close();
}
