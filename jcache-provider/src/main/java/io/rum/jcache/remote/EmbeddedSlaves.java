package io.rum.jcache.remote;

import io.rum.slave.EmbeddedCluster;
import io.rum.slave.SlaveConfiguration;

/**
 * The slaves of the embedded mode: one in-process cluster per JVM, started by the first CacheManager that needs
 * it and stopped when the last one that uses it closes (so entries live as long as some manager of the default
 * URI is open, like any in-process cache). Managers asking for a different slave count or memory while it runs
 * share the running cluster.
 */
final class EmbeddedSlaves {
    private static EmbeddedCluster cluster;
    private static int users;

    private EmbeddedSlaves() {
    }

    /** @return the running cluster; call {@link #release} once per acquire. */
    static synchronized EmbeddedCluster acquire(int slaves, long memoryBytes) {
        if (cluster == null) {
            cluster = EmbeddedCluster.start(slaves, SlaveConfiguration.ofMemory(memoryBytes));
        }
        users++;
        return cluster;
    }

    static synchronized void release(EmbeddedCluster which) {
        if (which != cluster || users == 0) {
            return;
        }
        if (--users == 0) {
            cluster.close();
            cluster = null;
        }
    }
}
