package io.rum.net.transport;

import io.rum.net.medium.UdpMedium;

/**
 * The transport contract over kernel UDP on loopback.
 */
class UdpTransportTest extends TransportContractTest
{
    @Override
    protected TestNetwork newNetwork()
    {
        return new UdpTestNetwork(UdpMedium.DEFAULT_MAX_FRAME_LENGTH, CLIENT, SERVER, OTHER_CLIENT);
    }
}
