package io.rum.net.dpdk;

/**
 * The transport contract over RUM's own memif driver ({@code io.rum.net.memif.MemifMedium}) between two JVM
 * processes: this JVM the client (memif client), a child JVM the server (memif server). Neither process starts EAL
 * or needs DPDK installed, so this runs with the tests that need no DPDK.
 */
class MemifTransportTest extends DpdkTransportContract
{
    MemifTransportTest()
    {
        super(DpdkTestNetwork.Kind.MEMIF_JAVA);
    }
}
