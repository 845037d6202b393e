package io.rum.slave;

import io.rum.allocator.offheap.SizeClassAllocator;
import io.rum.net.Transports;
import io.rum.net.config.Machines;
import io.rum.net.medium.InProcessNetwork;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;

import java.util.function.Function;

/**
 * A running slave: a {@link SlaveStateMachine} served over a {@link ReliableTransport}.
 *
 * <p>Threads: the state machine is the transport's {@link io.rum.net.transport.RpcHandler}, so every request
 * is applied on the transport's one poller thread, in the order the poller takes them. That is the slave's
 * only thread of state: no locks. The transport answers retransmitted requests from its cached responses,
 * so each request is applied once. {@link #close()} stops the poller first (it joins it), then releases the
 * memory, so no request runs against freed memory.
 */
public final class SlaveServer implements AutoCloseable
{
    private final ReliableTransport transport;
    private final SizeClassAllocator allocator;
    private final SlaveStateMachine stateMachine;
    private final SlaveConfiguration configuration;
    private boolean closed;

    private SlaveServer(final int nodeId, final SlaveConfiguration configuration,
        final Function<TransportConfig, ReliableTransport> transportFactory)
    {
        this.configuration = configuration;
        this.allocator = new SizeClassAllocator(configuration.allocatorConfiguration());
        final TransportConfig transportConfig = TransportConfig.defaults(nodeId);
        this.stateMachine = new SlaveStateMachine(nodeId, allocator, configuration.maxRegions(),
            transportConfig.maxMessageLength());
        try
        {
            this.transport = transportFactory.apply(transportConfig);
        }
        catch (final RuntimeException ex)
        {
            allocator.close();
            throw ex;
        }
        transport.serve(stateMachine::apply);
    }

    /**
     * Starts a slave over kernel UDP at its address in machines.csv.
     */
    public static SlaveServer udp(final Machines machines, final int nodeId, final SlaveConfiguration configuration)
    {
        return new SlaveServer(nodeId, configuration, config -> Transports.udp(machines, config));
    }

    /**
     * Starts a slave of an in-process cluster.
     */
    public static SlaveServer inProcess(
        final InProcessNetwork network, final int nodeId, final SlaveConfiguration configuration)
    {
        return new SlaveServer(nodeId, configuration, config -> Transports.inProcess(network, config));
    }

    public int nodeId()
    {
        return transport.nodeId();
    }

    public ReliableTransport transport()
    {
        return transport;
    }

    /** @return the medium's name, e.g. {@code udp 127.0.0.1:7101}. */
    public String mediumName()
    {
        return transport.medium().name();
    }

    /** @return the start-up log line: id, medium, memory budget, region limit. */
    public String describe()
    {
        return "slave " + nodeId() + ": serving on " + mediumName() + ", memory budget "
            + SlaveConfiguration.formatSize(configuration.allocatorConfiguration().budgetBytes()) + ", at most "
            + configuration.maxRegions() + " regions, epoch " + transport.epoch();
    }

    /**
     * @return the statistics text. Reads state the poller writes, so the figures may be a moment old; for
     * logs and tests, not for decisions.
     */
    public String statsText()
    {
        return stateMachine.statsText();
    }

    /** Stops serving and releases the memory. Idempotent; safe from a shutdown hook. */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        transport.close();
        allocator.close();
    }
}
