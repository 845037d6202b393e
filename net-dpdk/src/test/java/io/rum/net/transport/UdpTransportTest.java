package io.rum.net.transport;

import io.rum.net.medium.UdpMedium;

import java.util.List;

/**
 * The transport contract over kernel UDP with the server node in its own JVM: real processes, real sockets.
 */
class UdpTransportTest extends TransportContractTest
{
    private UdpTestNetwork udp;

    @Override
    protected TestNetwork newNetwork()
    {
        udp = new UdpTestNetwork(UdpMedium.DEFAULT_MAX_FRAME_LENGTH, CLIENT, SERVER, OTHER_CLIENT);
        return udp;
    }

    @Override
    protected ServerNode newServerNode()
    {
        return new RemoteServerNode(List.of(), List.of(), seed, udp.mediumSpec(SERVER));
    }
}
