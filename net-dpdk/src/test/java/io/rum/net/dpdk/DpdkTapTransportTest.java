package io.rum.net.dpdk;

import org.junit.jupiter.api.BeforeAll;

/**
 * The transport contract over the DPDK tap PMD between two JVM processes: this JVM (the client) and a child JVM
 * (the server), each with a tap port of its own; tc rules the test makes carry frames between the two kernel
 * interfaces (see {@link DpdkTestNetwork.Kind#TAP}).
 */
class DpdkTapTransportTest extends DpdkTransportContract
{
    DpdkTapTransportTest()
    {
        super(DpdkTestNetwork.Kind.TAP);
    }

    @BeforeAll
    static void requireRoot()
    {
        DpdkTestSupport.requireNetworkNamespaces();
    }
}
