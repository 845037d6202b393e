package io.rum.net.transport;

import io.rum.net.config.MacAddress;
import io.rum.net.dpdk.DpdkConfig;
import io.rum.net.dpdk.DpdkMedium;
import io.rum.net.dpdk.Eal;
import io.rum.net.medium.Medium;
import io.rum.net.medium.UdpMedium;
import io.rum.net.memif.MemifConfig;
import io.rum.net.memif.MemifMedium;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Media described by command-line words, so a child process can build the same medium a test describes:
 * <ul>
 * <li>{@code udp <maxFrameLength> <selfId>=<host>:<port> [<id>=<host>:<port> ...]}</li>
 * <li>{@code memif <vdev> <mac or -> [<id>@<mac> ...]}: RUM's own memif driver, no DPDK.</li>
 * <li>{@code dpdk <memoryMb> <vdev> <mac or -> [<id>@<mac> ...]}: EAL starts on first use and stays up for the
 * life of the process (it can start only once), so a node can be stopped and started again.</li>
 * </ul>
 */
public final class MediumSpecs
{
    private MediumSpecs()
    {
    }

    public static Medium create(final String[] words)
    {
        if (words.length >= 3 && words[0].equals("udp"))
        {
            final int maxFrameLength = Integer.parseInt(words[1]);
            final InetSocketAddress self = address(words[2].substring(words[2].indexOf('=') + 1));
            final Map<Integer, InetSocketAddress> routes = new HashMap<>();
            for (int i = 3; i < words.length; i++)
            {
                final int eq = words[i].indexOf('=');
                routes.put(Integer.parseInt(words[i].substring(0, eq)), address(words[i].substring(eq + 1)));
            }
            return new UdpMedium(self, routes, maxFrameLength, UdpMedium.DEFAULT_MAX_PEERS);
        }
        if (words.length >= 3 && words[0].equals("memif"))
        {
            return new MemifMedium(MemifConfig.parse(words[1]), words[2].equals("-") ? null :
                MacAddress.parse(words[2]), macRoutes(words, 3), MemifMedium.DEFAULT_MAX_PEERS,
                MemifMedium.DEFAULT_MAX_FRAME_LENGTH, MemifMedium.DEFAULT_MAX_LINKS);
        }
        if (words.length >= 4 && words[0].equals("dpdk"))
        {
            final int memoryMb = Integer.parseInt(words[1]);
            DpdkConfig config = DpdkConfig.ofVdev(words[2]);
            if (!words[3].equals("-"))
            {
                config = config.withMac(MacAddress.parse(words[3]));
            }
            return DpdkMedium.open(eal(config.vdev(), memoryMb), config, macRoutes(words, 4),
                DpdkMedium.DEFAULT_MAX_PEERS);
        }
        throw new IllegalArgumentException("unknown medium spec: " + String.join(" ", words));
    }

    /** {@code <id>@<mac>} words from {@code from} on. */
    private static Map<Integer, MacAddress> macRoutes(final String[] words, final int from)
    {
        final Map<Integer, MacAddress> routes = new HashMap<>();
        for (int i = from; i < words.length; i++)
        {
            final int at = words[i].indexOf('@');
            routes.put(Integer.parseInt(words[i].substring(0, at)), MacAddress.parse(words[i].substring(at + 1)));
        }
        return routes;
    }

    private static Eal eal;

    /**
     * This process's EAL, started once with the first vdev and kept (retained) until the process exits.
     */
    public static synchronized Eal eal(final String vdev, final int memoryMb)
    {
        if (null == eal)
        {
            eal = Eal.start(List.of(vdev), memoryMb, null);
            // EAL leaves a runtime folder of a few MB in /var/run/dpdk (tmpfs, i.e. memory) unless it is cleaned
            // up: give the reference back at exit, so the last one cleans EAL and the folder up.
            final Eal started = eal;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "rum-eal-cleanup"));
        }
        return eal;
    }

    private static InetSocketAddress address(final String hostPort)
    {
        final int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }
}
