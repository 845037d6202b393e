package io.rum.net.transport;

import io.rum.net.medium.Medium;
import io.rum.net.medium.UdpMedium;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Nodes on loopback UDP ports picked once, so a restarted node comes back on the same address.
 */
final class UdpTestNetwork implements TestNetwork
{
    private final Map<Integer, InetSocketAddress> addresses = new HashMap<>();
    private final int maxFrameLength;
    private DatagramChannel injector;

    UdpTestNetwork(final int maxFrameLength, final int... nodeIds)
    {
        this.maxFrameLength = maxFrameLength;
        for (final int id : nodeIds)
        {
            addresses.put(id, new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort()));
        }
    }

    private static int freePort()
    {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public Medium attach(final int nodeId)
    {
        final Map<Integer, InetSocketAddress> routes = new HashMap<>(addresses);
        final InetSocketAddress self = routes.remove(nodeId);
        if (null == self)
        {
            throw new IllegalArgumentException("node " + nodeId + " is not in this network");
        }
        return new UdpMedium(self, routes, maxFrameLength, UdpMedium.DEFAULT_MAX_PEERS);
    }

    /**
     * @return the words that make {@link MediumSpecs} build this node's medium in another process.
     */
    List<String> mediumSpec(final int nodeId)
    {
        final List<String> words = new ArrayList<>(List.of("udp", Integer.toString(maxFrameLength),
            nodeId + "=" + hostPort(addresses.get(nodeId))));
        addresses.forEach((id, address) ->
        {
            if (id != nodeId)
            {
                words.add(id + "=" + hostPort(address));
            }
        });
        return words;
    }

    private static String hostPort(final InetSocketAddress address)
    {
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    @Override
    public synchronized void inject(final int targetNode, final byte[] bytes, final int length)
    {
        try
        {
            if (null == injector)
            {
                injector = DatagramChannel.open();
                injector.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            }
            injector.send(ByteBuffer.wrap(bytes, 0, length), addresses.get(targetNode));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public int maxFrameLength()
    {
        return maxFrameLength;
    }

    @Override
    public void close()
    {
        try
        {
            if (null != injector)
            {
                injector.close();
            }
        }
        catch (final IOException ignore)
        {
            // test clean-up
        }
    }
}
