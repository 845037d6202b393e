package io.rum.slave;

import io.rum.allocator.Rum;
import io.rum.allocator.RumOptions;
import io.rum.allocator.placement.Member;
import io.rum.net.Transports;
import io.rum.net.medium.InProcessNetwork;
import io.rum.net.reliability.TransportConfig;
import io.rum.net.transport.Transport;

import java.util.ArrayList;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;
import java.util.List;

/**
 * Slaves in this JVM over an {@link InProcessNetwork}: the embedded default (no configuration, zero set-up)
 * and tests. Slaves are nodes 1..n; clients made by {@link #newClient} take ids from 65535 down.
 */
public final class EmbeddedCluster implements AutoCloseable
{
    private final InProcessNetwork network = new InProcessNetwork();
    private final List<SlaveServer> servers = new ArrayList<>();
    private final List<Member> members = new ArrayList<>();
    private int nextClientId = InProcessNetwork.MAX_NODE_ID;

    private EmbeddedCluster()
    {
    }

    /**
     * Starts {@code slaves} slaves of {@code memoryBytes} each.
     */
    public static EmbeddedCluster start(final int slaves, final long memoryBytes)
    {
        return start(slaves, new SlaveConfiguration(memoryBytes, SlaveConfiguration.DEFAULT_MAX_REGIONS));
    }

    public static EmbeddedCluster start(final int slaves, final SlaveConfiguration configuration)
    {
        return start(slaves, configuration, SystemEpochClock.INSTANCE);
    }

    /**
     * Starts {@code slaves} slaves whose cache entries expire by {@code epochClock}.
     */
    public static EmbeddedCluster start(final int slaves, final SlaveConfiguration configuration,
        final EpochClock epochClock)
    {
        if (slaves < 1 || slaves > 1024)
        {
            throw new IllegalArgumentException("slaves must be 1..1024: " + slaves);
        }
        final EmbeddedCluster cluster = new EmbeddedCluster();
        try
        {
            for (int id = 1; id <= slaves; id++)
            {
                cluster.servers.add(SlaveServer.inProcess(cluster.network, id, configuration, epochClock));
                cluster.members.add(new Member(id, 1.0));
            }
        }
        catch (final RuntimeException ex)
        {
            cluster.close();
            throw ex;
        }
        return cluster;
    }

    public InProcessNetwork network()
    {
        return network;
    }

    public List<Member> members()
    {
        return List.copyOf(members);
    }

    public List<SlaveServer> servers()
    {
        return List.copyOf(servers);
    }

    /** @return a started transport for a new client node of this cluster. */
    public synchronized Transport newClientTransport()
    {
        if (nextClientId <= servers.size())
        {
            throw new IllegalStateException("no client node ids left");
        }
        return Transports.inProcess(network, TransportConfig.defaults(nextClientId--));
    }

    /** @return a new client of this cluster; close it before the cluster. */
    public Rum newClient(final RumOptions options)
    {
        final Transport transport = newClientTransport();
        try
        {
            return Rum.connect(transport, members, options);
        }
        catch (final RuntimeException ex)
        {
            transport.close();
            throw ex;
        }
    }

    public Rum newClient()
    {
        return newClient(RumOptions.defaults());
    }

    @Override
    public void close()
    {
        for (final SlaveServer server : servers)
        {
            server.close();
        }
    }
}
