package io.rum.net.transport;

import io.rum.net.medium.Medium;
import io.rum.net.medium.UdpMedium;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Media described by command-line words, so a child process can build the same medium a test describes:
 * {@code udp <maxFrameLength> <selfId>=<host>:<port> [<id>=<host>:<port> ...]}.
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
        throw new IllegalArgumentException("unknown medium spec: " + String.join(" ", words));
    }

    private static InetSocketAddress address(final String hostPort)
    {
        final int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }
}
