package io.rum.net.medium;

import org.agrona.DirectBuffer;
import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.Object2IntHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Kernel UDP: runs anywhere, needs no privileges. One non-blocking {@link DatagramChannel}, one frame per
 * datagram.
 *
 * <p>Peers: configured nodes get numbers first; a datagram from an unknown address gets the next free
 * number, so clients that are not in machines.csv can be answered. The table is bounded: when it is full,
 * the oldest learned address is forgotten (a client that went quiet that long re-learns on its next frame).
 *
 * <p>The default frame size, 8 KiB, fits a 9000-byte jumbo frame without IP fragmentation; over loopback a
 * larger one is faster, on a 1500-byte network a smaller one avoids fragments (lose one, lose the datagram).
 */
public final class UdpMedium implements Medium
{
    public static final int DEFAULT_MAX_FRAME_LENGTH = 8192;
    public static final int MAX_UDP_PAYLOAD = 65_507;
    public static final int DEFAULT_MAX_PEERS = 4096;
    private static final int SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

    private final DatagramChannel channel;
    private final InetSocketAddress localAddress;
    private final int maxFrameLength;
    private final ByteBuffer sendBuffer;
    private final ByteBuffer receiveBuffer;
    private final UnsafeBuffer receiveView;
    private final InetSocketAddress[] peers;
    private final Object2IntHashMap<SocketAddress> peerByAddress;
    private final Int2IntHashMap peerByNode = new Int2IntHashMap(NO_ROUTE);
    private final int configuredPeers;
    private int nextLearned;
    private final AtomicLong sendErrors = new AtomicLong();

    /**
     * @param bindAddress    local address to receive on; port 0 picks a free one.
     * @param routes         node id to address, for every node this medium may send to first.
     * @param maxFrameLength largest frame, at most {@link #MAX_UDP_PAYLOAD}.
     * @param maxPeers       bound on configured plus learned peers.
     */
    public UdpMedium(
        final InetSocketAddress bindAddress, final Map<Integer, InetSocketAddress> routes, final int maxFrameLength,
        final int maxPeers)
    {
        if (maxFrameLength < 64 || maxFrameLength > MAX_UDP_PAYLOAD)
        {
            throw new IllegalArgumentException("maxFrameLength must be in 64.." + MAX_UDP_PAYLOAD);
        }
        if (routes.size() >= maxPeers)
        {
            throw new IllegalArgumentException("more routes (" + routes.size() + ") than peers " + maxPeers);
        }
        this.maxFrameLength = maxFrameLength;
        this.sendBuffer = ByteBuffer.allocateDirect(maxFrameLength);
        this.receiveBuffer = ByteBuffer.allocateDirect(MAX_UDP_PAYLOAD);
        this.receiveView = new UnsafeBuffer(receiveBuffer);
        this.peers = new InetSocketAddress[maxPeers];
        this.peerByAddress = new Object2IntHashMap<>(maxPeers * 2, 0.65f, NO_ROUTE);
        int peer = 0;
        for (final Map.Entry<Integer, InetSocketAddress> route : routes.entrySet())
        {
            final InetSocketAddress address = resolved(route.getValue());
            peers[peer] = address;
            peerByAddress.put(address, peer);
            peerByNode.put(route.getKey().intValue(), peer);
            peer++;
        }
        this.configuredPeers = peer;
        this.nextLearned = peer;
        try
        {
            channel = DatagramChannel.open(StandardProtocolFamily.INET);
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
            channel.bind(resolved(bindAddress));
            localAddress = (InetSocketAddress)channel.getLocalAddress();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open UDP socket on " + bindAddress + ": " + ex.getMessage(), ex);
        }
    }

    private static InetSocketAddress resolved(final InetSocketAddress address)
    {
        return address.isUnresolved() ? new InetSocketAddress(address.getHostString(), address.getPort()) : address;
    }

    public InetSocketAddress localAddress()
    {
        return localAddress;
    }

    public long sendErrors()
    {
        return sendErrors.get();
    }

    @Override
    public String name()
    {
        return "udp " + localAddress.getAddress().getHostAddress() + ":" + localAddress.getPort();
    }

    @Override
    public int maxFrameLength()
    {
        return maxFrameLength;
    }

    @Override
    public int resolve(final int nodeId)
    {
        return peerByNode.get(nodeId);
    }

    @Override
    public int send(final int peer, final DirectBuffer buffer, final int offset, final int length)
    {
        if (peer < 0 || peer >= peers.length || null == peers[peer])
        {
            return NO_ROUTE;
        }
        if (length > maxFrameLength)
        {
            return FAILED;
        }
        sendBuffer.clear();
        buffer.getBytes(offset, sendBuffer, length);
        sendBuffer.flip();
        try
        {
            return channel.send(sendBuffer, peers[peer]) == 0 ? BACK_PRESSURED : SENT;
        }
        catch (final IOException ex)
        {
            sendErrors.incrementAndGet();
            return FAILED;
        }
    }

    @Override
    public int poll(final FrameHandler handler, final int limit)
    {
        int frames = 0;
        try
        {
            while (frames < limit)
            {
                receiveBuffer.clear();
                final SocketAddress source = channel.receive(receiveBuffer);
                if (null == source)
                {
                    break;
                }
                frames++;
                handler.onFrame(peerFor(source), receiveView, 0, receiveBuffer.position());
            }
        }
        catch (final IOException ex)
        {
            // An ICMP error surfaced on the socket: the datagram it refers to is lost, which is ordinary.
            sendErrors.incrementAndGet();
        }
        return frames;
    }

    private int peerFor(final SocketAddress source)
    {
        final int known = peerByAddress.getValue(source);
        if (known != NO_ROUTE)
        {
            return known;
        }
        if (nextLearned == peers.length)
        {
            nextLearned = configuredPeers;
        }
        final int peer = nextLearned++;
        if (null != peers[peer])
        {
            peerByAddress.removeKey(peers[peer]);
        }
        peers[peer] = (InetSocketAddress)source;
        peerByAddress.put(source, peer);
        return peer;
    }

    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // Closing a datagram socket has nothing to flush; there is nothing to report.
        }
    }
}
