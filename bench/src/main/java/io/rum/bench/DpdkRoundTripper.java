package io.rum.bench;

import io.rum.net.config.MacAddress;
import io.rum.net.dpdk.DpdkConfig;
import io.rum.net.dpdk.DpdkMedium;
import io.rum.net.dpdk.DpdkShim;
import io.rum.net.dpdk.Eal;
import io.rum.net.medium.Medium;
import io.rum.net.memif.MemifMedium;
import io.rum.net.reliability.ReliableTransport;
import io.rum.net.reliability.TransportConfig;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * RUM over DPDK memif between two processes: this JVM is the client (a {@link ReliableTransport} over a
 * {@link DpdkMedium}, memif client role), a child JVM running {@link DpdkEchoNode} the server (memif server
 * role, started first, since a memif client connects only to a listening server).
 *
 * <p>EAL runs once per JVM and cannot be started again after it was cleaned up, so a bench that opens this
 * medium twice (two idle strategies) must keep EAL alive in between: {@link #start} hands the caller a
 * reference to the running EAL to close at the very end.
 */
final class DpdkRoundTripper implements RoundTripper
{
    static final int CLIENT_NODE = 1;
    static final int SERVER_NODE = 2;
    private static final MacAddress CLIENT_MAC = MacAddress.parse("02:52:55:4d:b0:01");
    private static final MacAddress SERVER_MAC = MacAddress.parse("02:52:55:4d:b0:02");
    private static final long LINK_TIMEOUT_MS = 10_000;
    private static final long EXIT_TIMEOUT_MS = 10_000;
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final String name;
    private final Process server;
    private final BufferedReader serverOut;
    private final Path serverLog;
    private final Path socket;
    private final String serverFilePrefix;
    private final Consumer<String> progress;
    private final ReliableTransport client;
    private final Medium medium;
    private final RumRoundTripper calls;

    private DpdkRoundTripper(
        final String name, final Process server, final BufferedReader serverOut, final Path serverLog,
        final Path socket, final String serverFilePrefix, final Consumer<String> progress,
        final ReliableTransport client, final Medium medium)
    {
        this.name = name;
        this.server = server;
        this.serverOut = serverOut;
        this.serverLog = serverLog;
        this.socket = socket;
        this.serverFilePrefix = serverFilePrefix;
        this.progress = progress;
        this.client = client;
        this.medium = medium;
        this.calls = new RumRoundTripper(name, client, SERVER_NODE, this::stopServer);
    }

    /**
     * @return why RUM over DPDK cannot run here, naming the missing package, or null if it can.
     */
    static String unavailable()
    {
        final DpdkShim.Availability availability = DpdkShim.check();
        return availability.available() ? null : availability.reason();
    }

    /**
     * Starts the echo server in a child JVM, then this JVM's client port, and waits for both links.
     *
     * @param serverIdle the echo node's poller's idle strategy: backoff, yield or spin.
     * @param serverCpu  the CPU to pin the echo node's poller to, or -1 to leave it to the scheduler.
     * @param clientIdle this JVM's poller's idle strategy.
     * @param progress   where to say what happens.
     * @throws IllegalStateException if a step fails; whatever was started is stopped again.
     */
    static DpdkRoundTripper start(
        final String serverIdle, final int serverCpu, final String clientIdle, final Consumer<String> progress)
    {
        return start(false, serverIdle, serverCpu, clientIdle, progress);
    }

    /**
     * @param javaDriver both ends on RUM's own memif driver ({@link MemifMedium}) instead of DPDK's memif PMD.
     */
    static DpdkRoundTripper start(
        final boolean javaDriver, final String serverIdle, final int serverCpu, final String clientIdle,
        final Consumer<String> progress)
    {
        final String tag = "rum-bench-" + ProcessHandle.current().pid() + "-j" + SEQUENCE.incrementAndGet();
        final Path socket = Path.of(System.getProperty("java.io.tmpdir"), tag + ".sock");
        final String memif = ",id=0,socket=" + socket + ",socket-abstract=no,bsize=10240";
        final String serverFilePrefix = tag + "-srv";
        final String kind = javaDriver ? "RUM memif" : "RUM DPDK memif";
        Process server = null;
        Path serverLog = null;
        Medium medium = null;
        try
        {
            Files.deleteIfExists(socket);
            serverLog = Files.createTempFile(serverFilePrefix, ".log");
            final List<String> arguments = new ArrayList<>(List.of("--node=" + SERVER_NODE, "--mac=" + SERVER_MAC,
                "--vdev=net_memif0,role=server" + memif, "--file-prefix=" + serverFilePrefix, "--idle=" + serverIdle,
                "--link-timeout-ms=" + LINK_TIMEOUT_MS, "--driver=" + (javaDriver ? "java" : "dpdk")));
            if (serverCpu >= 0)
            {
                arguments.add("--cpu=" + serverCpu);
            }
            server = new ProcessBuilder(childCommand(arguments))
                .redirectError(serverLog.toFile()).start();
            final BufferedReader serverOut =
                new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            expect(serverOut, "STARTED", serverLog);
            final boolean up;
            if (javaDriver)
            {
                final MemifMedium memifMedium = MemifMedium.open("net_memif0,role=client" + memif, CLIENT_MAC,
                    Map.of(SERVER_NODE, SERVER_MAC));
                medium = memifMedium;
                up = memifMedium.awaitUp(LINK_TIMEOUT_MS);
            }
            else
            {
                final DpdkConfig config = DpdkConfig.ofVdev("net_memif0,role=client" + memif).withMac(CLIENT_MAC);
                final DpdkMedium port;
                try (Eal eal = Eal.start(List.of(config.vdev()), config.memoryMb(), tag + "-cli"))
                {
                    port = DpdkMedium.open(eal, config, Map.of(SERVER_NODE, SERVER_MAC), DpdkMedium.DEFAULT_MAX_PEERS);
                }
                medium = port;
                up = port.awaitLinkUp(LINK_TIMEOUT_MS);
            }
            if (!up)
            {
                throw new IllegalStateException("the memif link to the echo node did not come up in " +
                    LINK_TIMEOUT_MS + " ms");
            }
            expect(serverOut, "READY", serverLog);
            final ReliableTransport client = ReliableTransport.create(TransportConfig.defaults(CLIENT_NODE), medium)
                .start(BenchOptions.idleStrategy(clientIdle));
            final String name = kind + ", 2 JVMs";
            progress.accept(name + ": echo node pid " + server.pid() + ", this JVM on " + medium.name());
            return new DpdkRoundTripper(name, server, serverOut, serverLog, socket, serverFilePrefix, progress,
                client, medium);
        }
        catch (final IOException | InterruptedException | RuntimeException ex)
        {
            if (null != medium)
            {
                medium.close();
            }
            final String log = null != serverLog ? tail(serverLog) : "";
            cleanUp(server, socket, serverLog, serverFilePrefix);
            if (ex instanceof InterruptedException)
            {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("cannot start " + kind + ": " + ex.getMessage() +
                (log.isEmpty() ? "" : "; echo node: " + log), ex);
        }
    }

    /**
     * The echo node's command: {@link ChildJvm#command} with a small heap, and the shim this JVM was given.
     */
    private static List<String> childCommand(final List<String> arguments)
    {
        final List<String> options = new ArrayList<>(List.of("-Xmx256m", "-XX:+UseParallelGC"));
        final String shim = System.getProperty(DpdkShim.SHIM_PROPERTY);
        if (null != shim)
        {
            options.add("-D" + DpdkShim.SHIM_PROPERTY + "=" + shim);
        }
        return ChildJvm.command(options, DpdkEchoNode.class.getName(), arguments);
    }

    private static void expect(final BufferedReader out, final String word, final Path log) throws IOException
    {
        final String line = out.readLine();
        if (null == line || !line.startsWith(word))
        {
            throw new IllegalStateException("echo node printed " + line + " instead of " + word + ": " + tail(log));
        }
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public void roundTrip(final UnsafeBuffer request, final int length)
    {
        calls.roundTrip(request, length);
    }

    @Override
    public double throughput(final int inFlight, final double seconds, final int length)
    {
        return calls.throughput(inFlight, seconds, length);
    }

    /**
     * Closes the client (its poller stops, then its port), then lets the echo node go.
     */
    @Override
    public void close()
    {
        if (medium instanceof DpdkMedium port)
        {
            final long[] stats = port.portStats();
            progress.accept(name + ": client " + medium + "; port imissed " + stats[4] + ", oerrors " + stats[6] +
                "; " + client.counters());
        }
        else
        {
            progress.accept(name + ": client " + medium + "; " + client.counters());
        }
        calls.close();
    }

    private void stopServer()
    {
        try
        {
            server.getOutputStream().close();
            final String stats = serverOut.readLine();
            if (null != stats)
            {
                progress.accept(name + ": echo node " + stats.replaceFirst("^STATS ", ""));
            }
            if (!server.waitFor(EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS) || server.exitValue() != 0)
            {
                progress.accept(name + ": echo node did not exit cleanly: " + tail(serverLog));
            }
        }
        catch (final IOException ex)
        {
            progress.accept(name + ": echo node: " + ex.getMessage());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            cleanUp(server, socket, serverLog, serverFilePrefix);
        }
    }

    private static void cleanUp(final Process server, final Path socket, final Path serverLog, final String prefix)
    {
        if (null != server && server.isAlive())
        {
            server.destroyForcibly();
            try
            {
                server.waitFor(EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        MemifPingPong.deleteQuietly(socket);
        MemifPingPong.deleteQuietly(serverLog);
        MemifPingPong.deleteTree(Eal.runtimeDirectory(prefix));
    }

    private static String tail(final Path log)
    {
        try
        {
            final List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        }
        catch (final IOException | UncheckedIOException ex)
        {
            return "(no log: " + ex.getMessage() + ")";
        }
    }
}
