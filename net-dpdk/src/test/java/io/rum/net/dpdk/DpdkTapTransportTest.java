package io.rum.net.dpdk;

import org.junit.jupiter.api.BeforeAll;
import io.rum.net.transport.ServerNode;
import io.rum.net.transport.TestNetwork;
import io.rum.net.transport.TransportContractTest;

/**
 * The transport contract over the DPDK tap PMD between two JVM processes: this JVM (the client) and a child JVM
 * (the server), each with a tap port of its own; tc rules the test makes carry frames between the two kernel
 * interfaces (see {@link DpdkTestNetwork.Kind#TAP}).
 */
class DpdkTapTransportTest extends TransportContractTest
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
        dpdk = new DpdkTestNetwork(DpdkTestNetwork.Kind.TAP);
        return dpdk;
    }

    @Override
    protected ServerNode newServerNode()
    {
        return dpdk.serverNode(seed);
    }
}
