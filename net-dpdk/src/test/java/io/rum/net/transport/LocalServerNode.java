package io.rum.net.transport;

import io.rum.net.medium.FaultInjectingMedium;
import io.rum.net.medium.FaultPlan;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;
import io.rum.net.transport.TransportCounters.Counter;
import org.agrona.concurrent.SystemNanoClock;

import java.util.List;
import java.util.Map;

/**
 * The server node in the test's own JVM, sharing the test's fault plan object.
 */
final class LocalServerNode implements ServerNode
{
    private final TestNetwork network;
    private final FaultPlan plan;
    private final long seed;
    private ReliableTransport transport;
    private ServerRecorder recorder;
    private int incarnation;

    LocalServerNode(final TestNetwork network, final FaultPlan plan, final long seed)
    {
        this.network = network;
        this.plan = plan;
        this.seed = seed;
    }

    @Override
    public void start()
    {
        stop();
        recorder = new ServerRecorder();
        final FaultInjectingMedium medium = new FaultInjectingMedium(network.attach(TransportContractTest.SERVER),
            plan, seed * 31 + TransportContractTest.SERVER + incarnation++, SystemNanoClock.INSTANCE);
        transport = ReliableTransport.create(TransportConfig.defaults(TransportContractTest.SERVER), medium);
        transport.serve(recorder.rpcHandler());
        recorder.subscribe(transport);
        transport.start();
    }

    @Override
    public void stop()
    {
        if (null != transport)
        {
            System.out.println("  " + transport);
            transport.close();
            transport = null;
        }
    }

    @Override
    public void applyPlan(final FaultPlan plan)
    {
        // Shared object: nothing to forward.
    }

    @Override
    public long executedTotal()
    {
        return recorder.executedTotal();
    }

    @Override
    public Map<Long, Integer> executions()
    {
        return recorder.executions();
    }

    @Override
    public long counter(final Counter counter)
    {
        return transport.counters().get(counter);
    }

    @Override
    public long reassemblyBytes()
    {
        return transport.reassemblyBytes();
    }

    @Override
    public long checkedDelivered()
    {
        return recorder.checkedDelivered();
    }

    @Override
    public String firstStreamFailure()
    {
        return recorder.firstStreamFailure();
    }

    @Override
    public List<Long> recorded()
    {
        return recorder.recorded();
    }

    @Override
    public int publisherRestarts()
    {
        return recorder.publisherRestarts();
    }

    @Override
    public String describe()
    {
        return String.valueOf(transport);
    }

    @Override
    public void close()
    {
        stop();
    }
}
