package io.rum.net.dpdk;

import org.junit.jupiter.api.BeforeAll;

/**
 * The transport contract across the two memif drivers: this JVM's client on RUM's own driver
 * ({@code MemifMedium}), the child JVM's server on DPDK's memif PMD ({@link DpdkMedium}). Shows that RUM speaks
 * memif's control protocol and ring layout as DPDK does.
 */
class DpdkMemifJavaClientTest extends DpdkTransportContract
{
    DpdkMemifJavaClientTest()
    {
        super(DpdkTestNetwork.Kind.MEMIF_JAVA_CLIENT);
    }

    @BeforeAll
    static void requireDpdk()
    {
        DpdkTestSupport.requireDpdk();
    }
}
