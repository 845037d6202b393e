package io.rum.jcache.remote;

import io.rum.allocator.placement.Member;
import io.rum.jcache.configuration.ClusterSettings;
import io.rum.jcache.configuration.HotTierSettings;
import io.rum.jcache.store.EntryStore;
import io.rum.jcache.store.StoreFactory;
import io.rum.net.Transports;
import io.rum.net.config.Machines;
import io.rum.net.config.MachinesCsv;
import io.rum.net.dpdk.DpdkTransports;
import io.rum.net.reliability.TransportConfig;
import io.rum.net.transport.Transport;
import io.rum.slave.EmbeddedCluster;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Properties;
import javax.cache.CacheException;

/**
 * Caches whose entries live on slaves: the provider's store factory for every URI. Without {@value
 * ClusterSettings#MACHINES} the slaves are embedded in this JVM (the default URI needs no configuration); with
 * it, they are the slaves of that machines.csv, reached over {@value ClusterSettings#TRANSPORT}.
 */
public final class SlaveStoreFactory implements StoreFactory {
    /** Client node ids start here, above every machines.csv id. */
    public static final int MIN_CLIENT_NODE_ID = 65536;

    private final SlaveCluster cluster;
    private final Properties properties;

    /** The unopened factory, for {@link java.util.ServiceLoader} and the provider. */
    public SlaveStoreFactory() {
        this.cluster = null;
        this.properties = null;
    }

    private SlaveStoreFactory(SlaveCluster cluster, Properties properties) {
        this.cluster = cluster;
        this.properties = properties;
    }

    @Override
    public boolean accepts(URI uri, Properties properties) {
        return true;
    }

    @Override
    public StoreFactory open(URI uri, Properties properties) {
        final ClusterSettings settings = ClusterSettings.from(properties);
        if (!settings.isRemote()) {
            final EmbeddedCluster embedded = EmbeddedSlaves.acquire(settings.embeddedSlaves(),
                settings.embeddedMemoryBytes());
            try {
                return new SlaveStoreFactory(SlaveCluster.connect(embedded.newClientTransport(), embedded.members(),
                    settings, () -> EmbeddedSlaves.release(embedded)), properties);
            } catch (RuntimeException e) {
                EmbeddedSlaves.release(embedded);
                throw e;
            }
        }
        final Machines machines = MachinesCsv.parse(Path.of(settings.machines()));
        final List<Member> slaves = machines.slaves().stream().map(Member::of).toList();
        if (slaves.isEmpty()) {
            throw new CacheException(settings.machines() + " names no slave");
        }
        final Transport transport = transport(machines, settings, properties);
        try {
            return new SlaveStoreFactory(SlaveCluster.connect(transport, slaves, settings, null), properties);
        } catch (RuntimeException e) {
            transport.close();
            throw e;
        }
    }

    private static Transport transport(Machines machines, ClusterSettings settings, Properties properties) {
        final String id = properties.getProperty("rum.client.id", System.getProperty("rum.client.id"));
        final int nodeId = id == null || id.isBlank()
            ? MIN_CLIENT_NODE_ID + new SecureRandom().nextInt(Integer.MAX_VALUE - MIN_CLIENT_NODE_ID)
            : Integer.parseInt(id.strip());
        final TransportConfig config = TransportConfig.defaults(nodeId);
        return switch (settings.transport()) {
            case "udp" -> Transports.udp(machines, config);
            case "dpdk" -> DpdkTransports.dpdk(machines, config);
            case "auto" -> DpdkTransports.auto(machines, config);
            default -> throw new IllegalArgumentException(ClusterSettings.TRANSPORT + "=" + settings.transport()
                + ": expected udp, dpdk or auto");
        };
    }

    private SlaveCluster cluster() {
        if (cluster == null) {
            throw new IllegalStateException("the store factory is not open");
        }
        return cluster;
    }

    /** @return the connection to the slaves (for statistics and tests). */
    public SlaveCluster slaves() {
        return cluster();
    }

    @Override
    public EntryStore createStore(String cacheName) {
        return new SlaveEntryStore(cluster(), cacheName, HotTierSettings.of(properties, cacheName));
    }

    @Override
    public void destroyStore(String cacheName) {
        final SlaveEntryStore store = new SlaveEntryStore(cluster(), cacheName,
            new HotTierSettings(false, 1, 0, 1));
        store.destroy();
    }

    @Override
    public void close() {
        if (cluster != null) {
            cluster.close();
        }
    }
}
