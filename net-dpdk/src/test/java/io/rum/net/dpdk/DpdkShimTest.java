package io.rum.net.dpdk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What DPDK's absence looks like to a user, and the EAL command line. Loads no library except the real shim.
 */
class DpdkShimTest
{
    @Test
    void theBuiltShimLoads()
    {
        final DpdkShim.Availability availability = DpdkTestSupport.requireDpdk();
        assertTrue(availability.reason().startsWith("DPDK "), availability.reason());
    }

    /**
     * The shim's CRC32C (folded with carry-less multiplies from 128 bytes on) is Java's, for every length up to
     * 1,100 bytes, odd offsets, and frame sizes up to 9,000: a wrong fold constant or tail shows at some length.
     */
    @Test
    void theShimsCrc32cIsJavas()
    {
        DpdkTestSupport.requireDpdk();
        final boolean inC = DpdkShim.checksumsInC();
        System.out.println("  CRC32C in C: " + inC);
        final byte[] bytes = new byte[9_100];
        new java.util.SplittableRandom(42).nextBytes(bytes);
        final java.util.zip.CRC32C reference = new java.util.zip.CRC32C();
        int compared = 0;
        for (int length = 0; length <= 9_000; length += length < 1_100 ? 1 : 97)
        {
            for (int offset = 0; offset < 3; offset++)
            {
                final long c = DpdkShim.crc32c(bytes, offset, length);
                if (!inC)
                {
                    assertEquals(-1, c, "no CRC from C when it is not used");
                    continue;
                }
                reference.reset();
                reference.update(bytes, offset, length);
                assertEquals(reference.getValue(), c, "CRC32C of " + length + " bytes at offset " + offset);
                compared++;
            }
        }
        assertTrue(!inC || compared > 3_000);
    }

    @Test
    void aMissingShimReportsWhatTheBuildWrote(@TempDir final Path dir) throws IOException
    {
        Files.writeString(dir.resolve(DpdkShim.MISSING_FILE),
            "libdpdk-dev not installed (pkg-config libdpdk not found; apt-get install dpdk libdpdk-dev)\n");
        final DpdkShim.Availability availability = DpdkShim.probe(dir.resolve(DpdkShim.LIBRARY_FILE));
        assertFalse(availability.available());
        assertTrue(availability.reason().startsWith("libdpdk-dev not installed"), availability.reason());
    }

    @Test
    void aMissingShimWithoutReasonNamesThePackages(@TempDir final Path dir)
    {
        final DpdkShim.Availability availability = DpdkShim.probe(dir.resolve(DpdkShim.LIBRARY_FILE));
        assertFalse(availability.available());
        assertTrue(availability.reason().contains("libdpdk-dev"), availability.reason());
    }

    @Test
    void ealArgumentsPinNothingAndSkipSharedConfigOnlyWithoutMemif()
    {
        final List<String> memif = Eal.arguments(List.of("net_memif0,role=server"), 128, "p", false, "0-1");
        assertEquals(List.of("rum", "--no-huge", "--no-pci", "--no-telemetry", "-m", "128", "--file-prefix=p",
            "--lcores=0@(0-1)", "--vdev=net_memif0,role=server"), memif);
        assertTrue(Eal.arguments(List.of("net_af_packet0,iface=x"), 64, "p", true, "0").contains("--no-shconf"));
    }

    @Test
    void configDerivesPortNameMemifMacAndAfPacketRoom()
    {
        final DpdkConfig memif = DpdkConfig.ofVdev("net_memif3,role=client,socket=/tmp/x")
            .withMac(io.rum.net.config.MacAddress.parse("02:00:00:00:00:07"));
        assertEquals("net_memif3", memif.portName());
        assertTrue(memif.vdev().endsWith(",mac=02:00:00:00:00:07"), memif.vdev());
        final DpdkConfig af = DpdkConfig.ofVdev("net_af_packet0,iface=v,blocksz=20480,framesz=10240");
        assertEquals(128 + 10240, af.mbufDataRoom(128));
        assertEquals(128 + 16 + 8192, memif.mbufDataRoom(128));
    }

    @Test
    void aMemifZeroCopyConfigIsRefusedNamingTheVdev()
    {
        final IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> DpdkConfig.ofVdev("net_memif3,role=client,zero-copy=yes"));
        assertTrue(refused.getMessage().startsWith("vdev \"net_memif3,role=client,zero-copy=yes\": memif zero-copy"),
            refused.getMessage());
        assertEquals("net_memif3,role=client,zero-copy=no",
            DpdkConfig.ofVdev("net_memif3,role=client,zero-copy=no").vdev());
    }

    @Test
    void aPciAddressIsProbedWithAllowInsteadOfCreatedAsAVdev()
    {
        final List<String> args = Eal.arguments(List.of("0000:03:00.0"), 512, "p", true, "0-1");
        assertTrue(args.contains("-a") && args.get(args.indexOf("-a") + 1).equals("0000:03:00.0"), args.toString());
        assertFalse(args.contains("--no-pci"), "a NIC needs the PCI bus: " + args);
        assertTrue(DpdkConfig.isPciAddress("03:00.0") && DpdkConfig.isPciAddress("0000:af:1f.7"));
        assertFalse(DpdkConfig.isPciAddress("net_memif0,role=server") || DpdkConfig.isPciAddress("0000:03:00.8"));
        assertTrue(Eal.arguments(List.of("net_af_packet0,iface=x"), 64, "p", true, "0").contains("--no-pci"));
    }
}
