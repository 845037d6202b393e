package io.rum.net.dpdk;

import io.rum.net.medium.FaultPlan;
import io.rum.net.transport.ServerNode;
import io.rum.net.transport.TransportCounters.Counter;

import java.util.List;
import java.util.Map;

/**
 * A server node that runs an action each time it has started, e.g. to wire up the kernel interface its port
 * created; everything else goes to the node it wraps.
 */
final class StartHookServerNode implements ServerNode
{
    private final ServerNode delegate;
    private final Runnable afterStart;

    StartHookServerNode(final ServerNode delegate, final Runnable afterStart)
    {
        this.delegate = delegate;
        this.afterStart = afterStart;
    }

    @Override
    public void start()
    {
        delegate.start();
        afterStart.run();
    }

    @Override
    public void stop()
    {
        delegate.stop();
    }

    @Override
    public void applyPlan(final FaultPlan plan)
    {
        delegate.applyPlan(plan);
    }

    @Override
    public long executedTotal()
    {
        return delegate.executedTotal();
    }

    @Override
    public Map<Long, Integer> executions()
    {
        return delegate.executions();
    }

    @Override
    public long counter(final Counter counter)
    {
        return delegate.counter(counter);
    }

    @Override
    public long reassemblyBytes()
    {
        return delegate.reassemblyBytes();
    }

    @Override
    public long checkedDelivered()
    {
        return delegate.checkedDelivered();
    }

    @Override
    public String firstStreamFailure()
    {
        return delegate.firstStreamFailure();
    }

    @Override
    public List<Long> recorded()
    {
        return delegate.recorded();
    }

    @Override
    public int publisherRestarts()
    {
        return delegate.publisherRestarts();
    }

    @Override
    public String describe()
    {
        return delegate.describe();
    }

    @Override
    public void close()
    {
        delegate.close();
    }
}
