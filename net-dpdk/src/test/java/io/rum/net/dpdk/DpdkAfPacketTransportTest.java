package io.rum.net.dpdk;

import org.junit.jupiter.api.BeforeAll;

/**
 * The transport contract over DPDK af_packet between two JVM processes in two network namespaces joined by a
 * veth pair: this JVM (the client) on the end in this namespace, a child JVM (the server) on the end in a
 * namespace the test creates and removes.
 */
class DpdkAfPacketTransportTest extends DpdkTransportContract
{
    DpdkAfPacketTransportTest()
    {
        super(DpdkTestNetwork.Kind.AF_PACKET);
    }

    @BeforeAll
    static void requireNamespaces()
    {
        DpdkTestSupport.requireNetworkNamespaces();
    }
}
