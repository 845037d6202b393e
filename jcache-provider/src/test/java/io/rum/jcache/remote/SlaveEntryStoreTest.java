package io.rum.jcache.remote;

import io.rum.jcache.configuration.ClusterSettings;
import io.rum.jcache.configuration.HotTierSettings;
import io.rum.jcache.store.EntryStore;
import io.rum.jcache.store.EntryStoreContractTest;
import io.rum.slave.EmbeddedCluster;
import io.rum.slave.SlaveConfiguration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.CachedEpochClock;
import org.junit.jupiter.api.AfterEach;

/**
 * The store contract for entries on slaves: three in-process slaves whose expiry clock is the test's, reached
 * through the real transport and protocol; no hot tier (its own subclass runs the contract with one).
 */
class SlaveEntryStoreTest extends EntryStoreContractTest {
    private EmbeddedCluster slaves;
    private SlaveCluster cluster;

    /** @return the hot tier this run uses. */
    HotTierSettings hotTier() {
        return new HotTierSettings(false, 1, 0, 1);
    }

    @Override
    protected EntryStore createStore(CachedEpochClock clock) {
        slaves = EmbeddedCluster.start(3, SlaveConfiguration.ofMemory(64L << 20), clock);
        cluster = SlaveCluster.connect(slaves.newClientTransport(), slaves.members(),
            ClusterSettings.from(new Properties()), null, () -> TimeUnit.MILLISECONDS.toNanos(clock.time()));
        return new SlaveEntryStore(cluster, "contract", hotTier());
    }

    @AfterEach
    void closeSlaves() {
        cluster.close();
        slaves.close();
    }

    /** The same contract with the hot tier on: reads may be served locally, and must still be right. */
    static class WithHotTier extends SlaveEntryStoreTest {
        @Override
        HotTierSettings hotTier() {
            return new HotTierSettings(true, 10_000, 0, TimeUnit.MINUTES.toNanos(1));
        }
    }
}
