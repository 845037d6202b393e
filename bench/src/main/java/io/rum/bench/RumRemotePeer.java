package io.rum.bench;

import io.rum.jcache.RumCachingProvider;
import io.rum.net.dpdk.DpdkShim;
import io.rum.net.dpdk.DpdkTransports;
import io.rum.net.dpdk.Eal;
import io.rum.slave.SlaveMain;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.spi.CachingProvider;

/**
 * RUM's remote mode as a peer of {@code ./rum bench peers}: one slave in a child JVM ({@link SlaveMain}, 1 GiB),
 * and this JVM a client through the RUM JCache provider, hot tier off, so every call crosses the transport.
 *
 * <p>What this relies on from the provider:
 * <ul>
 * <li>{@code RumCachingProvider.getCacheManager(URI.create("rum:remote"), loader, properties)} with
 *     {@value #MACHINES} = the machines.csv path, {@value #HOT_TIER} = false and {@value #TRANSPORT} = udp or dpdk
 *     gives a manager whose caches keep their entries on the file's slaves. Checked over UDP, not assumed: an
 *     entry put through that manager must be read back through a second, independent provider instance (a
 *     provider that kept entries in this JVM would not show it), else the rows are reported unavailable rather
 *     than measured;</li>
 * <li>over DPDK (checked the same way only by the UDP row: a memif link has room for one client), this JVM is the
 *     {@code client} row {@value #CLIENT_NODE} of machines.csv, whose {@code mac} and memif {@code vdev} columns
 *     give its port, named by the property {@value #CLIENT_ID}; the slave is started with
 *     {@code -Drum.transport=dpdk} and must say {@code ready on} something other than udp.</li>
 * </ul>
 */
final class RumRemotePeer implements RemotePeer
{
    static final String UDP_NAME = "RUM UDP";
    static final String DPDK_NAME = "RUM DPDK memif";
    static final URI REMOTE_URI = URI.create("rum:remote");
    static final String MACHINES = "rum.machines";
    static final String HOT_TIER = "rum.hotTier.enabled";
    static final String TRANSPORT = "rum.transport";
    static final String CLIENT_ID = "rum.client.id";
    static final String CACHE_NAME = "peers";
    static final int SLAVE_NODE = 1;
    static final int CLIENT_NODE = 100;
    private static final String SLAVE_MEMORY = "1g";
    private static final long START_TIMEOUT_MS = 60_000;

    private final String name;
    private final ChildJvm slave;
    private final Path directory;
    private final String slaveFilePrefix;
    private final CacheManager manager;
    private final Cache<Integer, byte[]> cache;
    private final List<String> configuration;

    private RumRemotePeer(final String name, final ChildJvm slave, final Path directory, final String slaveFilePrefix,
        final CacheManager manager, final Cache<Integer, byte[]> cache,
        final List<String> configuration)
    {
        this.name = name;
        this.slave = slave;
        this.directory = directory;
        this.slaveFilePrefix = slaveFilePrefix;
        this.manager = manager;
        this.cache = cache;
        this.configuration = configuration;
    }

    /**
     * Starts the slave and opens the remote cache.
     *
     * @param transport udp or dpdk (memif between this JVM and the slave's).
     * @throws UnavailableException saying why RUM's remote rows cannot run here; nothing is left running.
     */
    static RumRemotePeer start(final String transport, final Consumer<String> progress) throws UnavailableException
    {
        final boolean dpdk = transport.equals("dpdk");
        final String name = dpdk ? DPDK_NAME : UDP_NAME;
        if (dpdk)
        {
            final DpdkShim.Availability availability = DpdkShim.check();
            if (!availability.available())
            {
                throw new UnavailableException(availability.reason());
            }
        }
        final String tag = "rum-bench-" + ProcessHandle.current().pid() + "-" + transport;
        final String slaveFilePrefix = tag + "-slave";
        Path directory = null;
        ChildJvm slave = null;
        CacheManager manager = null;
        try
        {
            directory = Files.createTempDirectory(tag);
            final Path machines = directory.resolve("machines.csv");
            final String csv = machinesCsv(dpdk, directory.resolve("memif.sock"));
            Files.writeString(machines, csv);
            final Properties properties = new Properties();
            properties.setProperty(MACHINES, machines.toString());
            properties.setProperty(HOT_TIER, "false");
            properties.setProperty(TRANSPORT, transport);
            if (dpdk)
            {
                properties.setProperty(CLIENT_ID, Integer.toString(CLIENT_NODE));
            }

            progress.accept(name + ": starting slave " + SLAVE_NODE + " (" + SlaveMain.class.getSimpleName() +
                ", " + SLAVE_MEMORY + ") in a child JVM");
            final List<String> jvm = new ArrayList<>(List.of("-Xmx256m", "-XX:+UseParallelGC"));
            if (dpdk)
            {
                // This row measures DPDK's memif PMD, as its name says: a memif vdev would otherwise go to RUM's own
                // memif driver (./rum bench transport compares the two).
                jvm.addAll(List.of("-Drum.transport=dpdk", "-Drum.dpdk.filePrefix=" + slaveFilePrefix,
                    "-D" + DpdkTransports.MEMIF_DRIVER_PROPERTY + "=dpdk"));
                System.setProperty(DpdkTransports.MEMIF_DRIVER_PROPERTY, "dpdk");
                final String shim = System.getProperty(DpdkShim.SHIM_PROPERTY);
                if (null != shim)
                {
                    jvm.add("-D" + DpdkShim.SHIM_PROPERTY + "=" + shim);
                }
            }
            slave = ChildJvm.start("slave-" + transport, ChildJvm.command(jvm, SlaveMain.class.getName(),
                List.of("--config", machines.toString(), "--id", Integer.toString(SLAVE_NODE), "--memory", SLAVE_MEMORY,
                    "--exit-on-stdin-eof")), "slave " + SLAVE_NODE + " ready on ", START_TIMEOUT_MS);
            if (dpdk && slave.readyLine().contains("ready on udp"))
            {
                throw new UnavailableException("the slave serves over UDP with -Drum.transport=dpdk (\"" +
                    slave.readyLine() + "\"): SlaveMain does not start a DPDK transport yet");
            }
            progress.accept(name + ": " + slave.readyLine() + " (pid " + slave.pid() + ")");

            final CachingProvider provider = JCachePeers.provider(JCachePeers.RUM);
            try
            {
                manager = provider.getCacheManager(REMOTE_URI, RumRemotePeer.class.getClassLoader(), properties);
            }
            catch (final RuntimeException ex)
            {
                throw new UnavailableException("getCacheManager(" + REMOTE_URI + ", " + properties + ") failed: " + ex,
                    ex);
            }
            final MutableConfiguration<Integer, byte[]> cacheConfiguration =
                JCachePeers.configuration(byte[].class, false);
            final Cache<Integer, byte[]> cache = manager.createCache(CACHE_NAME, cacheConfiguration);
            final String notByValue = JCachePeers.storeByValueProblem(cache, -1);
            if (null != notByValue)
            {
                throw new UnavailableException("the remote cache does not store by value: " + notByValue);
            }
            if (!dpdk)
            {
                final String local = notOnSlaves(cache, properties);
                if (null != local)
                {
                    throw new UnavailableException(local);
                }
            }
            final List<String> configuration = List.of(
                "provider `" + JCachePeers.RUM + "`, `getCacheManager(" + REMOTE_URI + ", loader, {" + MACHINES +
                    "=<machines.csv>, " + HOT_TIER + "=false, " + TRANSPORT + "=" + transport +
                    (dpdk ? ", " + CLIENT_ID + "=" + CLIENT_NODE : "") + "})`",
                "cache `" + CACHE_NAME + "`: " + JCachePeers.describe(cacheConfiguration),
                "one slave, `" + SlaveMain.class.getName() + " --memory " + SLAVE_MEMORY + "` in a child JVM " +
                    "(-Xmx256m, ParallelGC" + (dpdk ? ", -Drum.transport=dpdk" : "") + "), " +
                    (dpdk ? "memif server; this JVM the memif client" : "UDP on 127.0.0.1"),
                "machines.csv: `" + csv.strip().replace("\n", "` / `") + "`");
            return new RumRemotePeer(name, slave, directory, slaveFilePrefix, manager, cache, configuration);
        }
        catch (final IOException | RuntimeException | UnavailableException ex)
        {
            if (null != manager)
            {
                manager.close();
            }
            stop(slave, directory, slaveFilePrefix);
            if (ex instanceof UnavailableException unavailable)
            {
                throw unavailable;
            }
            throw new UnavailableException(ex.toString(), ex);
        }
    }

    /**
     * Puts an entry through {@code cache} and reads it through a second provider instance of its own (its own
     * managers, its own connection): only entries that live on the slaves are seen by both.
     *
     * @return why the entries are not on the slaves, or null if they are.
     */
    private static String notOnSlaves(final Cache<Integer, byte[]> cache, final Properties properties)
    {
        final Integer key = -2;
        final byte[] value = {4, 2};
        cache.put(key, value);
        final RumCachingProvider other = new RumCachingProvider();
        try
        {
            final CacheManager manager = other.getCacheManager(REMOTE_URI, RumRemotePeer.class.getClassLoader(),
                properties);
            Cache<Integer, byte[]> seen = manager.getCache(CACHE_NAME, Integer.class, byte[].class);
            if (null == seen)
            {
                seen = manager.createCache(CACHE_NAME, JCachePeers.configuration(byte[].class, false));
            }
            final byte[] got = seen.get(key);
            if (!Arrays.equals(value, got))
            {
                return "an entry put through getCacheManager(" + REMOTE_URI + ", {" + MACHINES + "=...}) is not " +
                    "seen through a second provider instance with the same properties (it read " +
                    Arrays.toString(got) + "): the entries are not on the slaves";
            }
            return null;
        }
        catch (final RuntimeException ex)
        {
            return "a second provider instance cannot open the remote cache: " + ex;
        }
        finally
        {
            other.close();
            cache.remove(key);
        }
    }

    /**
     * One slave and, over DPDK, this JVM as the client row; a memif link joins exactly two ports, so there is
     * one slave in both modes (Hazelcast runs one member too).
     */
    private static String machinesCsv(final boolean dpdk, final Path socket) throws IOException
    {
        final String memif = "id=0,socket=" + socket + ",socket-abstract=no,bsize=10240";
        final StringBuilder csv = new StringBuilder("id,role,udp,mac,vdev,weight\n");
        csv.append(SLAVE_NODE).append(",slave,127.0.0.1:").append(freeUdpPort());
        if (dpdk)
        {
            csv.append(",02:52:55:4d:c0:01,\"net_memif0,role=server,").append(memif).append("\",1\n");
            csv.append(CLIENT_NODE).append(",client,,02:52:55:4d:c0:64,\"net_memif0,role=client,").append(memif)
                .append("\"\n");
        }
        else
        {
            csv.append(",,,1\n");
        }
        return csv.toString();
    }

    private static int freeUdpPort() throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public Cache<Integer, byte[]> cache()
    {
        return cache;
    }

    @Override
    public List<String> configuration()
    {
        return configuration;
    }

    @Override
    public void close()
    {
        try
        {
            manager.close();
        }
        finally
        {
            stop(slave, directory, slaveFilePrefix);
        }
    }

    private static void stop(final ChildJvm slave, final Path directory, final String slaveFilePrefix)
    {
        System.clearProperty(DpdkTransports.MEMIF_DRIVER_PROPERTY);
        if (null != slave)
        {
            slave.drain(line -> System.out.println("  [slave] " + line));
            slave.close();
        }
        if (null != directory)
        {
            MemifPingPong.deleteTree(directory);
        }
        MemifPingPong.deleteTree(Eal.runtimeDirectory(slaveFilePrefix));
    }
}
