package io.rum.net.dpdk;

import io.rum.net.transport.ServerNode;
import io.rum.net.transport.TestNetwork;
import io.rum.net.transport.TransportContractTest;

/**
 * The transport contract over real DPDK ports between two JVM processes: this JVM is the client, a child JVM the
 * server; one subclass per kind of port ({@link DpdkTestNetwork.Kind}).
 */
abstract class DpdkTransportContract extends TransportContractTest
{
    private final DpdkTestNetwork.Kind kind;
    private DpdkTestNetwork dpdk;

    DpdkTransportContract(final DpdkTestNetwork.Kind kind)
    {
        this.kind = kind;
    }

    @Override
    protected TestNetwork newNetwork()
    {
        dpdk = new DpdkTestNetwork(kind);
        return dpdk;
    }

    @Override
    protected ServerNode newServerNode()
    {
        return dpdk.serverNode(seed);
    }
}
