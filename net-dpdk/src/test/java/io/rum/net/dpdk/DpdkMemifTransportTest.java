package io.rum.net.dpdk;

import io.rum.net.transport.RemoteServerNode;
import org.junit.jupiter.api.BeforeAll;
import io.rum.net.transport.ServerNode;
import io.rum.net.transport.TestNetwork;
import io.rum.net.transport.TransportContractTest;

/**
 * The transport contract over DPDK memif between two JVM processes: this JVM (the client, memif client role)
 * and a child JVM (the server, memif server role).
 */
class DpdkMemifTransportTest extends TransportContractTest
{
    private DpdkTestNetwork dpdk;

    @BeforeAll
    static void requireDpdk()
    {
        DpdkTestSupport.requireDpdk();
    }

    @Override
    protected TestNetwork newNetwork()
    {
        dpdk = new DpdkTestNetwork(DpdkTestNetwork.Kind.MEMIF);
        return dpdk;
    }

    @Override
    protected ServerNode newServerNode()
    {
        return new RemoteServerNode(dpdk.serverPrefix(), DpdkTestNetwork.serverJvmOptions(), seed, dpdk.serverSpec());
    }
}
