package io.rum.jcache.remote;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rum.jcache.configuration.ClusterSettings;
import io.rum.jcache.configuration.HotTierSettings;
import io.rum.jcache.store.StoreEntry;
import io.rum.allocator.placement.Member;
import io.rum.net.Transports;
import io.rum.net.config.Machines;
import io.rum.net.config.MachinesCsv;
import io.rum.net.reliability.TransportConfig;
import io.rum.slave.EmbeddedCluster;
import io.rum.slave.SlaveServer;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import io.rum.slave.SlaveConfiguration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.cache.expiry.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two clients of the same slaves, each with a hot tier: what one writes, the other stops serving from its tier. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HotTierInvalidationTest {
    private static final HotTierSettings HOT = new HotTierSettings(true, 10_000, 0, TimeUnit.MINUTES.toNanos(1));
    EmbeddedCluster slaves;
    SlaveCluster clusterA;
    SlaveCluster clusterB;
    private SlaveEntryStore a;
    private SlaveEntryStore b;

    /** Connects the two clients: in-process by default; {@link OverUdp} puts everything on kernel UDP. */
    void connect() {
        slaves = EmbeddedCluster.start(3, SlaveConfiguration.ofMemory(64L << 20));
        clusterA = SlaveCluster.connect(slaves.newClientTransport(), slaves.members(),
            ClusterSettings.from(new Properties()), null);
        clusterB = SlaveCluster.connect(slaves.newClientTransport(), slaves.members(),
            ClusterSettings.from(new Properties()), null);
    }

    @BeforeEach
    void start() {
        connect();
        a = new SlaveEntryStore(clusterA, "shared", HOT);
        b = new SlaveEntryStore(clusterB, "shared", HOT);
    }

    @AfterEach
    void stop() {
        a.close();
        b.close();
        clusterA.close();
        clusterB.close();
        if (slaves != null) {
            slaves.close();
        }
        udpSlaves.forEach(SlaveServer::close);
    }

    final List<SlaveServer> udpSlaves = new ArrayList<>();

    /**
     * The same over kernel UDP, slaves in this JVM: the clients are not in machines.csv (as real clients are not),
     * so a slave reaches them only at the address they call from.
     */
    static class OverUdp extends HotTierInvalidationTest {
        @Override
        void connect() {
            final StringBuilder csv = new StringBuilder("id,role,udp\n");
            for (int id = 1; id <= 3; id++) {
                try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                    csv.append(id).append(",slave,127.0.0.1:").append(s.getLocalPort()).append('\n');
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            final Machines machines = MachinesCsv.parse("test", new StringReader(csv.toString()));
            for (int id = 1; id <= 3; id++) {
                udpSlaves.add(SlaveServer.udp(machines, id, SlaveConfiguration.ofMemory(64L << 20)));
            }
            final List<Member> members = machines.slaves().stream().map(Member::of).toList();
            clusterA = SlaveCluster.connect(Transports.udp(machines, TransportConfig.defaults(70_001)), members,
                ClusterSettings.from(new Properties()), null);
            clusterB = SlaveCluster.connect(Transports.udp(machines, TransportConfig.defaults(70_002)), members,
                ClusterSettings.from(new Properties()), null);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 5 s: " + what);
            Thread.sleep(1);
        }
    }

    @Test
    void aWriteByOneClientInvalidatesTheOthersHotEntry() throws InterruptedException {
        a.put(bytes("k"), bytes("v1"), Duration.ETERNAL, null, false);
        assertArrayEquals(bytes("v1"), b.get(bytes("k"), null).value());
        assertArrayEquals(bytes("v1"), b.get(bytes("k"), null).value(), "served from b's hot tier");
        a.put(bytes("k"), bytes("v2"), Duration.ETERNAL, null, false);
        await(() -> new String(b.get(bytes("k"), null).value(), UTF_8).equals("v2"), "b sees v2");
        a.remove(bytes("k"), false);
        await(() -> !b.get(bytes("k"), null).isPresent(), "b sees the removal");
    }

    @Test
    void theWriterReadsItsOwnWrite() {
        for (int i = 0; i < 100; i++) {
            a.put(bytes("k"), bytes("v" + i), Duration.ETERNAL, null, false);
            final StoreEntry e = a.get(bytes("k"), null);
            assertArrayEquals(bytes("v" + i), e.value());
        }
        b.put(bytes("k"), bytes("from b"), Duration.ETERNAL, null, false);
        assertArrayEquals(bytes("from b"), b.get(bytes("k"), null).value());
    }

    @Test
    void clearResetsTheOtherTier() throws InterruptedException {
        a.put(bytes("x"), bytes("1"), Duration.ETERNAL, null, false);
        assertTrue(b.get(bytes("x"), null).isPresent());
        a.clear();
        await(() -> !b.get(bytes("x"), null).isPresent(), "b forgets the cleared entry");
        assertFalse(a.get(bytes("x"), null).isPresent());
        assertEquals(0, a.size());
    }
}
