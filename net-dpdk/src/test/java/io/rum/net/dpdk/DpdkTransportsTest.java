package io.rum.net.dpdk;

import io.rum.net.config.MacAddress;
import io.rum.net.config.Machines;
import io.rum.net.config.NodeSpec;
import io.rum.net.config.Role;
import io.rum.net.memif.MemifMedium;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;
import io.rum.net.transport.RpcStatus;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Two nodes of one machines.csv over memif, built by {@link DpdkTransports}, in one JVM. With DPDK's driver the
 * first starts EAL with its memif server; the second finds EAL running and hot-plugs its memif client; closing both
 * cleans EAL up. With RUM's own driver (the default) neither starts EAL. Echo calls of several sizes go through the
 * reliable transport.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DpdkTransportsTest
{
    @Test
    void autoFallsBackToUdpForANodeWithoutAPort()
    {
        final Machines machines = Machines.of(List.of(
            new NodeSpec(1, Role.SLAVE, new java.net.InetSocketAddress("127.0.0.1", 0), null, null, 1.0)));
        final IllegalArgumentException noPort = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> DpdkTransports.dpdk(machines, TransportConfig.defaults(1)));
        assertTrue(noPort.getMessage().contains("no vdev"), noPort.getMessage());
        try (ReliableTransport transport = DpdkTransports.auto(machines, TransportConfig.defaults(1)))
        {
            assertTrue(transport.medium().name().startsWith("udp"), transport.medium().name());
        }
    }

    @Test
    void twoNodesCallEachOtherOverMemifWithRumsDriverAndNoEal(@TempDir final Path dir)
    {
        final Machines machines = memifMachines(dir);
        final ReliableTransport server = DpdkTransports.dpdk(machines, TransportConfig.defaults(1), "java");
        final ReliableTransport client = DpdkTransports.dpdk(machines, TransportConfig.defaults(2), "java");
        try
        {
            assertTrue(server.medium() instanceof MemifMedium, server.medium().name());
            assertTrue(client.medium() instanceof MemifMedium, client.medium().name());
            echoCalls(server, client);
            assertEquals(null, Eal.running(), "no EAL started");
        }
        finally
        {
            client.close();
            server.close();
        }
    }

    @Test
    void aMemifDriverOtherThanJavaOrDpdkIsNamed()
    {
        System.setProperty(DpdkTransports.MEMIF_DRIVER_PROPERTY, "vpp");
        try
        {
            final IllegalArgumentException wrong = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, DpdkTransports::memifDriver);
            assertTrue(wrong.getMessage().contains("rum.memif.driver=vpp"), wrong.getMessage());
        }
        finally
        {
            System.clearProperty(DpdkTransports.MEMIF_DRIVER_PROPERTY);
        }
        assertEquals("java", DpdkTransports.memifDriver());
    }

    private static Machines memifMachines(final Path dir)
    {
        final String memif = "id=0,socket=" + dir.resolve("memif.sock") + ",socket-abstract=no,bsize=8192";
        return Machines.of(List.of(
            new NodeSpec(1, Role.SLAVE, null, MacAddress.parse("02:52:55:4d:00:01"),
                "net_memif0,role=server," + memif, 1.0),
            new NodeSpec(2, Role.CLIENT, null, MacAddress.parse("02:52:55:4d:00:02"),
                "net_memif1,role=client," + memif, 1.0)));
    }

    @Test
    void twoNodesCallEachOtherOverMemif(@TempDir final Path dir) throws InterruptedException
    {
        DpdkTestSupport.requireDpdk();
        final Machines machines = memifMachines(dir);
        final ReliableTransport server = DpdkTransports.dpdk(machines, TransportConfig.defaults(1), "dpdk");
        final ReliableTransport client = DpdkTransports.dpdk(machines, TransportConfig.defaults(2), "dpdk");
        final Eal eal = Eal.running();
        assertNotNull(eal);
        final String prefix = eal.filePrefix();
        try
        {
            assertTrue(((DpdkMedium)client.medium()).awaitLinkUp(5_000), "link up");
            echoCalls(server, client);
        }
        finally
        {
            client.close();
            server.close();
        }
        assertFalse(eal.isRunning(), "EAL cleaned up with the last medium");
        assertFalse(Files.exists(Eal.runtimeDirectory(prefix)), "runtime directory deleted");
    }

    /** Echo calls of sizes from nothing to many fragments, each answer checked byte by byte. */
    private static void echoCalls(final ReliableTransport server, final ReliableTransport client)
    {
        server.serve((src, request, offset, length, response) ->
        {
            response.buffer(length).putBytes(0, request, offset, length);
            response.length(length);
        });
        final UnsafeBuffer request = new UnsafeBuffer(new byte[100_000]);
        for (final int size : new int[] {0, 1, 64, 1024, 8000, 8192, 20_000, 100_000})
        {
            for (int i = 0; i < size; i++)
            {
                request.putByte(i, (byte)(i * 31 + size));
            }
            final int[] checked = new int[1];
            final int status = client.rpcClient(1).call(request, 0, size, (buffer, offset, length) ->
            {
                assertEquals(size, length);
                for (int i = 0; i < length; i++)
                {
                    assertEquals((byte)(i * 31 + size), buffer.getByte(offset + i));
                }
                checked[0]++;
            }, TimeUnit.SECONDS.toNanos(10));
            assertEquals(RpcStatus.OK, status, size + " B: " + RpcStatus.describe(status));
            assertEquals(1, checked[0]);
        }
        System.out.println("  client " + client.counters() + "\n  server " + server.counters());
    }
}
