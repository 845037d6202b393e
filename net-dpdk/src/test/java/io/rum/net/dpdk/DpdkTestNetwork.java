package io.rum.net.dpdk;

import io.rum.net.config.MacAddress;
import io.rum.net.medium.Medium;
import io.rum.net.memif.MemifConfig;
import io.rum.net.memif.MemifMedium;
import io.rum.net.transport.InjectingMedium;
import io.rum.net.transport.MediumSpecs;
import io.rum.net.transport.RemoteServerNode;
import io.rum.net.transport.ServerNode;
import io.rum.net.transport.TestNetwork;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two nodes of a contract test over real DPDK ports: the client in this JVM, the server in a child JVM.
 * <ul>
 * <li>{@link Kind#MEMIF}: a memif link between the two processes; the server's port is the memif server (it
 * can start with no peer), this JVM's the memif client.</li>
 * <li>{@link Kind#AF_PACKET}: a veth pair between this network namespace and one the network creates
 * ({@code ip netns}); the server runs inside it ({@code ip netns exec}), each side an af_packet port on its
 * end. Created on construction, removed on close, and also by a shutdown hook and, for a crashed earlier
 * run, by the next one (names carry the creating process id).</li>
 * <li>{@link Kind#TAP}: a tap port in each process, both in this network namespace; the tap PMD creates its
 * kernel interface when the port opens and deletes it when the port closes (it refuses a name that exists). The
 * two interfaces are joined by tc: an ingress rule on each (u32 match-all, {@code mirred egress redirect})
 * hands every frame a port sends to the other port. Not a bridge: the tap PMD gives the kernel interface the
 * port's own MAC, so a bridge takes the peer's MAC for one of its local addresses and delivers frames to the
 * host instead of forwarding them. The rules die with the interface: they are made again whenever either
 * port opens (the client in {@link #attach}, the server after its {@code start}, see {@link #serverNode}).
 * The tap PMD (DPDK 22.11) keeps its MTU at 1500 and its tx refuses longer frames, so frames are at most
 * {@value #TAP_MAX_FRAME_LENGTH} bytes: the port must report that as its largest frame.</li>
 * <li>{@link Kind#MEMIF_JAVA}, {@link Kind#MEMIF_JAVA_CLIENT}, {@link Kind#MEMIF_JAVA_SERVER}: memif as above, with
 * both ends, the client only or the server only on RUM's own memif driver ({@code MemifMedium}, no EAL) and the
 * other end on DPDK's PMD: the two drivers must speak the same protocol.</li>
 * </ul>
 * EAL starts once per JVM: this JVM's stays up for the whole test class ({@link MediumSpecs#eal}).
 */
public final class DpdkTestNetwork implements TestNetwork
{
    public enum Kind
    {
        MEMIF, AF_PACKET, TAP,
        /** memif, both ends on RUM's own driver ({@code MemifMedium}): no DPDK in either process. */
        MEMIF_JAVA,
        /** memif, this JVM's client on RUM's driver, the server on DPDK's memif PMD. */
        MEMIF_JAVA_CLIENT,
        /** memif, this JVM's client on DPDK's memif PMD, the server on RUM's driver. */
        MEMIF_JAVA_SERVER;

        boolean memif()
        {
            return this == MEMIF || this == MEMIF_JAVA || this == MEMIF_JAVA_CLIENT || this == MEMIF_JAVA_SERVER;
        }

        boolean javaClient()
        {
            return this == MEMIF_JAVA || this == MEMIF_JAVA_CLIENT;
        }

        boolean javaServer()
        {
            return this == MEMIF_JAVA || this == MEMIF_JAVA_SERVER;
        }
    }

    static final int CLIENT = 1;
    static final int SERVER = 2;
    private static final int MEMORY_MB = 256;
    private static final int TAP_MAX_FRAME_LENGTH = 1500;
    private static final String NAME_PREFIX = "rumt";
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final MacAddress CLIENT_MAC = MacAddress.parse("02:52:55:4d:10:01");
    private static final MacAddress SERVER_MAC = MacAddress.parse("02:52:55:4d:10:02");

    private final Kind kind;
    private final String clientVdev;
    private final String serverVdev;
    private final String namespace;
    private final String clientInterface;
    private final String serverInterface;
    private final Path socket;
    private final Thread cleanupHook;
    private InjectingMedium client;
    private DpdkMedium clientPort;

    public DpdkTestNetwork(final Kind kind)
    {
        this(kind, 512);
    }

    /**
     * @param serverFrames frames in the server port's receive ring (af_packet {@code framecnt}): a small ring
     *                     makes the kernel drop frames under load, real loss for the reliability layer to recover.
     */
    public DpdkTestNetwork(final Kind kind, final int serverFrames)
    {
        this.kind = kind;
        final long pid = ProcessHandle.current().pid();
        final int n = SEQUENCE.incrementAndGet();
        if (kind.memif())
        {
            socket = Path.of(System.getProperty("java.io.tmpdir"), "rum-memif-" + pid + "-" + n + ".sock");
            final String common = ",id=0,socket=" + socket + ",socket-abstract=no,bsize=10240";
            clientVdev = "net_memif0,role=client" + common;
            serverVdev = "net_memif0,role=server" + common;
            namespace = null;
            clientInterface = null;
            serverInterface = null;
        }
        else if (kind == Kind.TAP)
        {
            socket = null;
            namespace = null;
            clientInterface = NAME_PREFIX + "c" + pid % 100_000 + n;
            serverInterface = NAME_PREFIX + "s" + pid % 100_000 + n;
            clientVdev = "net_tap0,iface=" + clientInterface;
            serverVdev = "net_tap0,iface=" + serverInterface;
        }
        else
        {
            socket = null;
            removeStaleNamespaces();
            namespace = NAME_PREFIX + "-" + pid + "-" + n;
            clientInterface = NAME_PREFIX + "a" + pid % 100_000 + n;
            serverInterface = NAME_PREFIX + "b" + pid % 100_000 + n;
            final String afPacket = ",qpairs=1,blocksz=20480,framesz=10240,framecnt=";
            clientVdev = "net_af_packet0,iface=" + clientInterface + afPacket + 512;
            serverVdev = "net_af_packet0,iface=" + serverInterface + afPacket + serverFrames;
            createVethPair();
        }
        cleanupHook = new Thread(this::removeEnvironment, "rum-dpdk-test-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupHook);
    }

    private void createVethPair()
    {
        run("ip", "netns", "add", namespace);
        run("ip", "link", "add", clientInterface, "type", "veth", "peer", "name", serverInterface);
        run("ip", "link", "set", serverInterface, "netns", namespace);
        run("ip", "link", "set", clientInterface, "address", CLIENT_MAC.toString(), "mtu", "9000", "up");
        run("ip", "netns", "exec", namespace, "ip", "link", "set", serverInterface, "address", SERVER_MAC.toString(),
            "mtu", "9000", "up");
        run("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up");
    }

    /**
     * Removes namespaces of earlier runs whose process is gone (a crash skips shutdown hooks).
     */
    private static void removeStaleNamespaces()
    {
        for (final String line : output("ip", "netns", "list"))
        {
            final String name = line.split(" ")[0];
            final String[] parts = name.split("-");
            if (parts.length == 3 && parts[0].equals(NAME_PREFIX) &&
                ProcessHandle.of(Long.parseLong(parts[1])).isEmpty())
            {
                runQuietly("ip", "netns", "del", name);
            }
        }
    }

    /**
     * @return the command prefix that puts the server process where its port is.
     */
    public List<String> serverPrefix()
    {
        return kind == Kind.AF_PACKET ? List.of("ip", "netns", "exec", namespace) : List.of();
    }

    /**
     * @return JVM options the server process needs: where the shim is; and over tap, CRC32C left to Java, so the
     *     contract also runs between a side that seals and checks frames in C and one that does it in Java.
     */
    public List<String> serverJvmOptions()
    {
        final List<String> options = new java.util.ArrayList<>();
        final String shim = System.getProperty("rum.dpdk.shim");
        if (null != shim)
        {
            options.add("-Drum.dpdk.shim=" + shim);
        }
        if (kind == Kind.TAP)
        {
            options.add("-Drum.dpdk.checksumsInC=false");
        }
        return options;
    }

    /**
     * @return the words that make {@link MediumSpecs} open the server's port in the child process.
     */
    public List<String> serverSpec()
    {
        if (kind.javaServer())
        {
            return List.of("memif", serverVdev, SERVER_MAC.toString(), CLIENT + "@" + CLIENT_MAC);
        }
        return List.of("dpdk", Integer.toString(MEMORY_MB), serverVdev,
            kind == Kind.AF_PACKET ? "-" : SERVER_MAC.toString(), CLIENT + "@" + CLIENT_MAC);
    }

    @Override
    public Medium attach(final int nodeId)
    {
        if (nodeId != CLIENT)
        {
            throw new IllegalArgumentException("only the client runs in this JVM, not node " + nodeId);
        }
        if (kind.javaClient())
        {
            final MemifMedium memif = new MemifMedium(MemifConfig.parse(clientVdev), CLIENT_MAC,
                Map.of(SERVER, SERVER_MAC), MemifMedium.DEFAULT_MAX_PEERS, MemifMedium.DEFAULT_MAX_FRAME_LENGTH,
                MemifMedium.DEFAULT_MAX_LINKS);
            client = new InjectingMedium(memif, () -> System.out.println("  client " + memif));
            return client;
        }
        DpdkConfig config = DpdkConfig.ofVdev(clientVdev);
        if (kind != Kind.AF_PACKET)
        {
            config = config.withMac(CLIENT_MAC);
        }
        clientPort = DpdkMedium.open(MediumSpecs.eal(clientVdev, MEMORY_MB), config, Map.of(SERVER, SERVER_MAC),
            DpdkMedium.DEFAULT_MAX_PEERS);
        final DpdkMedium port = clientPort;
        client = new InjectingMedium(port, () -> printStats(port));
        if (kind == Kind.TAP)
        {
            joinTaps();
        }
        return client;
    }

    @Override
    public void inject(final int targetNode, final byte[] bytes, final int length)
    {
        if (null == client)
        {
            throw new IllegalStateException("attach the client before injecting");
        }
        client.inject(targetNode, bytes, length);
    }

    @Override
    public int maxFrameLength()
    {
        if (kind.javaClient() || kind.javaServer())
        {
            return MemifMedium.DEFAULT_MAX_FRAME_LENGTH;
        }
        return null != clientPort ? clientPort.maxFrameLength() :
            kind == Kind.TAP ? TAP_MAX_FRAME_LENGTH : DpdkConfig.DEFAULT_MAX_FRAME_LENGTH;
    }

    /**
     * @param seed the server's fault-injection seed.
     * @return the server node in a child JVM, with its port where this network puts it.
     */
    public ServerNode serverNode(final long seed)
    {
        final ServerNode remote = new RemoteServerNode(serverPrefix(), serverJvmOptions(), seed, serverSpec());
        return kind == Kind.TAP ? new StartHookServerNode(remote, this::joinTaps) : remote;
    }

    /**
     * Joins the two tap interfaces if both exist: a frame that either port sends (the kernel receives it on that
     * port's interface) leaves through the other interface (its port receives it). A new interface has no rules,
     * and the other's rule still names the interface it replaced: both are made again.
     */
    private synchronized void joinTaps()
    {
        if (!Files.exists(Path.of("/sys/class/net", clientInterface)) ||
            !Files.exists(Path.of("/sys/class/net", serverInterface)))
        {
            return;
        }
        redirect(clientInterface, serverInterface);
        redirect(serverInterface, clientInterface);
    }

    private static void redirect(final String from, final String to)
    {
        runQuietly("tc", "qdisc", "del", "dev", from, "ingress");
        run("tc", "qdisc", "add", "dev", from, "ingress");
        run("tc", "filter", "add", "dev", from, "ingress", "protocol", "all", "u32", "match", "u32", "0", "0",
            "action", "mirred", "egress", "redirect", "dev", to);
    }

    /**
     * What the PMD itself lost or refused, beside what the reliability layer recovered (the transport's
     * retransmission counters are printed next to it).
     */
    private static void printStats(final DpdkMedium port)
    {
        final long[] stats = port.portStats();
        System.out.println("  client port " + port + ": ipackets=" + stats[0] + " opackets=" + stats[1] +
            " imissed=" + stats[4] + " ierrors=" + stats[5] + " oerrors=" + stats[6] + " rx_nombuf=" + stats[7] +
            " reconnects=" + port.reconnects());
    }

    @Override
    public void close()
    {
        removeEnvironment();
        try
        {
            Runtime.getRuntime().removeShutdownHook(cleanupHook);
        }
        catch (final IllegalStateException ignore)
        {
            // Already shutting down: the hook runs anyway.
        }
    }

    private void removeEnvironment()
    {
        if (kind == Kind.TAP)
        {
            // The tap PMD deletes its interface (and the rules with it) when its port closes or its process exits;
            // this is for a process that has not exited yet.
            runQuietly("ip", "link", "del", clientInterface);
            runQuietly("ip", "link", "del", serverInterface);
        }
        if (null != namespace)
        {
            runQuietly("ip", "link", "del", clientInterface);
            runQuietly("ip", "netns", "del", namespace);
        }
        if (null != socket)
        {
            try
            {
                Files.deleteIfExists(socket);
            }
            catch (final IOException ignore)
            {
                // A socket left in the temp folder harms nothing; the next run uses another name.
            }
        }
    }

    private static void run(final String... command)
    {
        final List<String> out = output(command);
        if (!out.isEmpty() && out.getLast().startsWith("exit "))
        {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + String.join("\n", out));
        }
    }

    private static void runQuietly(final String... command)
    {
        output(command);
    }

    /**
     * @return the command's output lines, with a last line {@code exit N} if it failed.
     */
    private static List<String> output(final String... command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final List<String> lines = new ArrayList<>(
                new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList());
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                lines.add("exit timeout");
            }
            else if (process.exitValue() != 0)
            {
                lines.add("exit " + process.exitValue());
            }
            return lines;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(String.join(" ", command), ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}
