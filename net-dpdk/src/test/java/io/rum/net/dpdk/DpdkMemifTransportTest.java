package io.rum.net.dpdk;

import org.junit.jupiter.api.BeforeAll;

/**
 * The transport contract over DPDK memif between two JVM processes: this JVM (the client, memif client role)
 * and a child JVM (the server, memif server role).
 */
class DpdkMemifTransportTest extends DpdkTransportContract
{
    DpdkMemifTransportTest()
    {
        super(DpdkTestNetwork.Kind.MEMIF);
    }

    @BeforeAll
    static void requireDpdk()
    {
        DpdkTestSupport.requireDpdk();
    }
}
