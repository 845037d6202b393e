package io.rum.net.dpdk;

import io.rum.net.transport.RemoteServerNode;
import org.junit.jupiter.api.BeforeAll;
import io.rum.net.transport.ServerNode;
import io.rum.net.transport.TestNetwork;
import io.rum.net.transport.TransportContractTest;

/**
 * The transport contract over DPDK af_packet between two JVM processes in two network namespaces joined by a
 * veth pair: this JVM (the client) on the end in this namespace, a child JVM (the server) on the end in a
 * namespace the test creates and removes.
 */
class DpdkAfPacketTransportTest extends TransportContractTest
{
    private DpdkTestNetwork dpdk;

    @BeforeAll
    static void requireDpdk()
    {
        DpdkTestSupport.requireNetworkNamespaces();
    }

    @Override
    protected TestNetwork newNetwork()
    {
        dpdk = new DpdkTestNetwork(DpdkTestNetwork.Kind.AF_PACKET);
        return dpdk;
    }

    @Override
    protected ServerNode newServerNode()
    {
        return new RemoteServerNode(dpdk.serverPrefix(), DpdkTestNetwork.serverJvmOptions(), seed, dpdk.serverSpec());
    }
}
