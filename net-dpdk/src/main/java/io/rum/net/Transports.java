package io.rum.net;

import io.rum.net.config.Machines;
import io.rum.net.config.NodeSpec;
import io.rum.net.medium.InProcessNetwork;
import io.rum.net.medium.UdpMedium;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Builds started transports for the nodes of a machines.csv, or for an embedded in-process cluster. The one
 * place that turns configuration into media, so the rest of RUM asks for "node 3" and never for a socket.
 */
public final class Transports
{
    /** System property choosing the medium for {@link #create}: {@code udp}, {@code dpdk} or {@code auto}. */
    public static final String TRANSPORT_PROPERTY = "rum.transport";

    private Transports()
    {
    }

    /**
     * A started node over the medium {@code -Drum.transport} names: {@code udp}; {@code dpdk} (fails with a
     * message naming the missing package when DPDK or the shim is absent); or {@code auto}, the default, which
     * takes DPDK when it is usable and this node has a port in machines.csv (its {@code vdev}), and otherwise
     * falls back to UDP, saying why on standard error.
     */
    public static ReliableTransport create(final Machines machines, final TransportConfig config)
    {
        final String kind = System.getProperty(TRANSPORT_PROPERTY, "auto");
        return switch (kind)
        {
            case "udp" -> udp(machines, config);
            case "dpdk" -> io.rum.net.dpdk.DpdkTransports.dpdk(machines, config);
            case "auto" -> io.rum.net.dpdk.DpdkTransports.auto(machines, config);
            default -> throw new IllegalArgumentException(
                "-D" + TRANSPORT_PROPERTY + "=" + kind + ": expected udp, dpdk or auto");
        };
    }

    /**
     * A node over kernel UDP. A node listed in the file binds its own address; a client that is not listed
     * binds an ephemeral port on the wildcard address and is answered at the address its frames come from.
     *
     * @param machines the cluster.
     * @param config   transport settings; its node id names this node.
     * @return the started transport.
     */
    public static ReliableTransport udp(final Machines machines, final TransportConfig config)
    {
        return udp(machines, config, UdpMedium.DEFAULT_MAX_FRAME_LENGTH);
    }

    public static ReliableTransport udp(final Machines machines, final TransportConfig config, final int maxFrameLength)
    {
        return udp(machines, config, maxFrameLength, medium -> medium);
    }

    /**
     * Like {@link #udp(Machines, TransportConfig)}, with the medium wrapped by {@code decorate} (fault injection
     * for chaos runs, recording in tests).
     */
    public static ReliableTransport udp(
        final Machines machines, final TransportConfig config, final int maxFrameLength,
        final java.util.function.UnaryOperator<io.rum.net.medium.Medium> decorate)
    {
        final Map<Integer, InetSocketAddress> routes = new HashMap<>();
        for (final NodeSpec node : machines.nodes())
        {
            if (node.hasUdp() && node.id() != config.nodeId())
            {
                routes.put(node.id(), node.udp());
            }
        }
        final InetSocketAddress bind = machines.find(config.nodeId())
            .map(node ->
            {
                if (!node.hasUdp())
                {
                    throw new IllegalArgumentException("node " + node.id() + " has no udp address in machines.csv");
                }
                return node.udp();
            })
            .orElseGet(() -> new InetSocketAddress(0));
        final UdpMedium medium = new UdpMedium(bind, routes, maxFrameLength, UdpMedium.DEFAULT_MAX_PEERS);
        return ReliableTransport.create(config, decorate.apply(medium)).start();
    }

    /**
     * A node of an in-process cluster: the embedded default and tests.
     */
    public static ReliableTransport inProcess(final InProcessNetwork network, final TransportConfig config)
    {
        return ReliableTransport.create(config, network.attach(config.nodeId())).start();
    }
}
