package io.rum.samples;

import io.rum.allocator.Rum;
import io.rum.allocator.RumOptions;
import io.rum.slave.EmbeddedCluster;

import java.nio.file.Path;

/**
 * Where a sample's clients come from: slaves started in this JVM (the default), or the slaves of a
 * machines.csv ({@code --config}).
 */
final class SampleCluster implements AutoCloseable
{
    private final EmbeddedCluster embedded;
    private final Path machinesCsv;
    private final RumOptions options;

    private SampleCluster(final EmbeddedCluster embedded, final Path machinesCsv, final RumOptions options)
    {
        this.embedded = embedded;
        this.machinesCsv = machinesCsv;
        this.options = options;
    }

    static SampleCluster embedded(final int slaves, final long memoryBytes, final RumOptions options)
    {
        return new SampleCluster(EmbeddedCluster.start(slaves, memoryBytes), null, options);
    }

    static SampleCluster remote(final Path machinesCsv, final RumOptions options)
    {
        return new SampleCluster(null, machinesCsv, options);
    }

    /** @return a new client; the caller closes it. */
    Rum newClient()
    {
        return null != embedded ? embedded.newClient(options) : Rum.init(machinesCsv, options);
    }

    String describe()
    {
        return null != embedded ? embedded.members().size() + " embedded slaves" : "the slaves of " + machinesCsv;
    }

    @Override
    public void close()
    {
        if (null != embedded)
        {
            embedded.close();
        }
    }
}
