package io.rum.net.dpdk;

import org.junit.jupiter.api.BeforeAll;

/**
 * The transport contract across the two memif drivers, the other way round: this JVM's client on DPDK's memif PMD
 * ({@link DpdkMedium}), the child JVM's server on RUM's own driver ({@code MemifMedium}).
 */
class DpdkMemifJavaServerTest extends DpdkTransportContract
{
    DpdkMemifJavaServerTest()
    {
        super(DpdkTestNetwork.Kind.MEMIF_JAVA_SERVER);
    }

    @BeforeAll
    static void requireDpdk()
    {
        DpdkTestSupport.requireDpdk();
    }
}
